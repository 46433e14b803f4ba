"""The Cognito wiring of one Chalice stage, and how its outcome is shown.

What ``chalice-cognito deploy``/``attach``/``detach``/``plan``/``status`` do with
pools, without the command layer (:mod:`chalice_cognito.cli` parses flags,
builds the collaborators and echoes): :class:`StageWiring` resolves the stage's
pools, plans and wires them and keeps ``.chalice/cognito/<stage>.json``; the
helpers below find function ARNs (predicted, deployed, recorded), prepare a
stage for the embedded local AWS and turn results, plans and statuses into the
text tables the commands print.

Deploy-time module: chalice's config, boto3 (through the wiring engine).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

import click
from chalice.config import Config

from chalice_cognito.app import TriggerRegistration, registered_triggers
from chalice_cognito.deploy.config import DEFAULT_ALIAS, CognitoConfig, PoolSettings
from chalice_cognito.deploy.errors import PoolNotFoundError, RefusedError
from chalice_cognito.deploy.model import (
    Ownership,
    PlanOptions,
    PoolPlan,
    PoolRef,
    PoolResult,
    PoolStatus,
    WantedTrigger,
)
from chalice_cognito.deploy.state import StageState, load_state, save_state, state_path
from chalice_cognito.deploy.wiring import (
    Wiring,
    wanted_from_registrations,
)


@dataclasses.dataclass
class PoolRow:
    """One line of the deploy/attach/detach table."""

    pool: str
    trigger: str
    function: str
    action: str
    permission: str


class StageWiring:
    """Everything ``deploy``/``attach``/``detach``/``plan``/``status`` do with pools for one stage.

    Pools come from the ``cognito`` config of the stage (plus ``--user-pool-id``),
    ownership from ``.chalice/cognito/<stage>.json``.  A pool that this stage owns
    triggers on but that is no longer configured is detached by :meth:`wire`.
    """

    def __init__(
        self,
        project_dir: str,
        stage: str,
        app: Any,
        wiring: Wiring,
        cognito: CognitoConfig,
        force: bool = False,
        detach_only: bool = False,
        warn: Callable[[str], None] = lambda message: click.echo(f"Warning: {message}", err=True),
    ) -> None:
        self.project_dir = project_dir
        self.stage = stage
        self.app = app
        self.wiring = wiring
        self.cognito = cognito
        self.force = force
        self.registrations: List[TriggerRegistration] = registered_triggers(app)
        self.state: StageState = load_state(project_dir, stage)
        #: The stage's functions as Chalice recorded them before this command
        #: (``.chalice/deployed/<stage>.json``): a pool slot holding one is this
        #: stage's, even if the ownership record above was lost.
        self.known_functions: FrozenSet[str] = frozenset(
            _recorded_function_arns(project_dir, stage)
        )
        self.pools: Dict[str, PoolRef] = {}
        #: DescribeUserPool's answer per pool id, read once when resolving: every
        #: plan of this command starts from it (see :meth:`plans`).
        self.described: Dict[str, Dict[str, Any]] = {}
        #: Pools of the ownership record found deleted (forgotten; saved by wire/detach_all).
        self.gone: List[str] = []
        self.warn = warn
        if not detach_only:
            # Every trigger's pool must be configured before anything is deployed.
            self.cognito.check_aliases(r.user_pool for r in self.registrations)

    @property
    def has_work(self) -> bool:
        """True when there is anything to wire or unwire."""
        return bool(self.registrations or self.cognito.pools or self.state.pools)

    def resolve(self) -> Dict[str, PoolRef]:
        """Resolve every configured pool (reads only); fails early on a missing pool.

        One DescribeUserPool per pool, kept in :attr:`described` for the plans.
        """
        if not self.pools:
            read = {alias: self.wiring.read_pool(s) for alias, s in self.cognito.pools.items()}
            self.described.update({ref.pool_id: described for ref, described in read.values()})
            self.pools = {alias: ref for alias, (ref, _) in read.items()}
        return self.pools

    def _alias_of(self, registration: TriggerRegistration) -> str:
        return self.cognito.pool_for(registration.user_pool).alias

    def grants(self) -> Dict[str, Any]:
        """The IAM grants (and environment) of every trigger function, by function name."""
        from chalice_cognito.deploy.grants import plan_grants

        pools = self.resolve()
        arns: Dict[Optional[str], Any] = {}
        keys: Dict[Optional[str], Any] = {}
        for registration in self.registrations:
            alias = self._alias_of(registration)
            arns[registration.user_pool] = pools[alias].arn
            keys[registration.user_pool] = self.cognito.pools[alias].kms_key_arn
        return plan_grants(self.registrations, arns, keys)

    def wanted(self, function_arns: Mapping[str, str]) -> Dict[str, List[WantedTrigger]]:
        """Declared triggers per configured pool alias (an alias without triggers: []).

        With a Lambda ``alias`` in the config, each trigger's ARN is the
        alias-qualified one (:mod:`.rollout`): the pool invokes the alias.
        """
        if self.cognito.alias:
            from chalice_cognito.deploy.rollout import qualified

            function_arns = {
                name: qualified(arn, self.cognito.alias) for name, arn in function_arns.items()
            }
        grouped = wanted_from_registrations(self.registrations, function_arns)
        out: Dict[str, List[WantedTrigger]] = {alias: [] for alias in self.cognito.pools}
        for pool_alias, wanted in grouped.items():
            out[self.cognito.pool_for(pool_alias).alias].extend(wanted)
        return out

    def undeployed(self, function_arns: Mapping[str, str]) -> List[str]:
        """Names of trigger functions that have no ARN in ``function_arns``."""
        return [r.function_name for r in self.registrations if r.function_name not in function_arns]

    def _orphans(self) -> List[PoolRef]:
        """Pools this stage owns triggers on that are no longer configured (and still exist)."""
        configured = {ref.pool_id for ref in self.resolve().values()}
        found = (self._recorded_pool(pid) for pid in sorted(self.state.pools))
        return [ref for ref in found if ref is not None and ref.pool_id not in configured]

    def _recorded_pool(self, pool_id: str) -> Optional[PoolRef]:
        """The pool of an ownership record entry; None when it no longer exists.

        A pool that was deleted (or replaced by a stack, or lost with an
        emulator) took its triggers with it: nothing is left to detach there,
        so its entry is forgotten with a warning instead of failing every
        command of the stage.  A configured pool that resolves to the same id
        was described moments ago: no second read.
        """
        for ref in self.pools.values():
            if ref.pool_id == pool_id:
                return ref
        try:
            ref, described = self.wiring.read_pool(pool_id)
        except PoolNotFoundError:
            record = self.state.pools[pool_id]
            where = f" (alias {record.alias})" if record.alias else ""
            now = [r.pool_id for a, r in self.pools.items() if a == record.alias]
            self.warn(
                f"user pool {pool_id}{where} of {state_path('.', self.stage)} no longer "
                "exists; its triggers went with it"
                + (
                    f". Using the configured pool {now[0]} instead."
                    if now
                    else ", nothing to detach there."
                )
            )
            self.gone.append(pool_id)
            self.state = self.state.with_pool(
                PoolRef(pool_id, record.region, record.pool_arn, ""), Ownership()
            )
            return None
        self.described[ref.pool_id] = described
        return ref

    def plans(
        self,
        function_arns: Mapping[str, str],
        predicted: Sequence[str] = (),
        created: Sequence[str] = (),
    ) -> List[Tuple[str, PoolPlan]]:
        """Plan every pool (configured ones, then orphaned ones to detach); no write call.

        ``predicted``: ARNs of functions about to be created; the planner is told
        they exist (with no resource policy yet) instead of refusing them.
        ``created``: ARNs of functions created moments ago (no GetPolicy read).

        Every plan starts from the pool as :meth:`resolve` read it, so a
        command reads each pool once before writing: a deploy's preflight
        plan and its wiring plan (made after Chalice's deploy) share that
        read.  Safe however old it is: the update is built from a new read
        made after the permission writes, and :mod:`.apply` re-plans when
        LambdaConfig moved since.
        """
        out = []
        wanted = self.wanted(function_arns)
        for alias, pool in self.resolve().items():
            options = self.cognito.pools[alias].plan_options(self.force)
            owned = self.state.ownership(pool.pool_id)
            if predicted:
                out.append(
                    (alias, self._plan_ahead(pool, wanted[alias], owned, options, predicted))
                )
            else:
                out.append(
                    (
                        alias,
                        self.wiring.plan(
                            pool,
                            wanted[alias],
                            owned,
                            options,
                            described=self.described.get(pool.pool_id),
                            without_policy=created,
                            recognise=self.known_functions,
                        ),
                    )
                )
        for pool in self._orphans():
            owned = self.state.ownership(pool.pool_id)
            out.append(
                (
                    "",
                    self.wiring.plan(
                        pool,
                        (),
                        owned,
                        described=self.described.get(pool.pool_id),
                        recognise=self.known_functions,
                    ),
                )
            )
        return out

    def _plan_ahead(
        self,
        pool: PoolRef,
        wanted: Sequence[WantedTrigger],
        owned: Ownership,
        options: PlanOptions,
        predicted: Sequence[str],
    ) -> PoolPlan:
        """The deploy's preflight plan: only refusals matter, so no GetPolicy read.

        A missing or present invoke permission never refuses; the real plan,
        made after Chalice deployed the functions, reads the policies.
        """
        involved = [w.function_arn for w in wanted] + list(owned.slots.values())
        return self.wiring.plan(
            pool,
            wanted,
            owned,
            options,
            described=self.described.get(pool.pool_id),
            assume_exist=predicted,
            without_policy=[*involved, *self.known_functions],
            recognise=self.known_functions,
        )

    def wire(
        self, function_arns: Mapping[str, str], created: Sequence[str] = ()
    ) -> List[PoolResult]:
        """Make every pool hold exactly the declared triggers; record ownership after each pool.

        All pools are planned first: if any plan is refused nothing is written
        (:class:`RefusedError`).  ``created``: ARNs of the functions this very
        deploy created (they have no resource policy yet: no GetPolicy read).
        Each pool's update is built from a read made right before it.
        """
        planned = self.plans(function_arns, created=created)
        for _, plan in planned:
            if plan.refused:
                raise RefusedError(plan)
        if self.gone:
            save_state(self.project_dir, self.state)
        wanted = self.wanted(function_arns)
        results = []
        for alias, plan in planned:
            result = self.wiring.apply(plan, wanted.get(alias, ()) if alias else ())
            self.state = self.state.with_pool(plan.pool, result.owned, alias or None)
            save_state(self.project_dir, self.state)
            results.append(result)
        return results

    def detach_all(self) -> List[PoolResult]:
        """Remove every trigger this stage attached, on every pool it owns triggers on.

        The pools are those of the ownership record and the configured ones; on
        each, a slot counts as this stage's when the record says so or when it
        holds one of the stage's functions as Chalice recorded them, so a lost
        ownership record still leaves no trigger pointing at a deleted function.
        A pool that no longer exists (configured or recorded) has nothing to
        detach: a warning, and the rest goes on (``delete`` still deletes the
        functions and the role).
        """
        pools: Dict[str, PoolRef] = {}
        for settings in self.cognito.pools.values():
            try:
                ref = self.wiring.resolve_pool(settings)
            except PoolNotFoundError as error:
                if settings.user_pool_id not in self.state.pools:  # else: warned below
                    self.warn(f"{error} Nothing to detach there.")
                continue
            pools[ref.pool_id] = ref
        for pool_id in sorted(self.state.pools):
            if pool_id not in pools:
                found = self._recorded_pool(pool_id)
                if found is not None:
                    pools[pool_id] = found
        if self.gone:
            save_state(self.project_dir, self.state)
        results = []
        for pool_id in sorted(pools):
            pool = pools[pool_id]
            owned = self.state.ownership(pool_id)
            result = self.wiring.detach(pool, owned, recognise=self.known_functions)
            self.state = self.state.with_pool(pool, result.owned)
            save_state(self.project_dir, self.state)
            results.append(result)
        return results

    def pending(self, statuses: Sequence[PoolStatus]) -> List[str]:
        """What an interrupted or partial run left for the next one to finish (``[]``: nothing).

        Derived from the records, not stored: ``.chalice/cognito/<stage>.json``
        against what the pools hold (``statuses``), and Chalice's
        ``.chalice/deployed/<stage>.json`` against the app:

        * a slot recorded as this stage's, no longer declared, still holding
          the function: ``deploy``/``attach``/``detach`` detaches it;
        * a slot recorded as this stage's whose pool holds something else (a
          kill between UpdateUserPool and the record, or another owner took
          it): unreleased, the next ``deploy``/``attach``/``detach`` forgets or adopts it;
        * a declared slot holding its function that the record does not name
          yet (a kill right after UpdateUserPool): the next run records it;
        * a function Chalice recorded that the app no longer has: its deletion
          is held back until after the wiring, and that run stopped before it;
          the next ``deploy`` deletes it (``delete`` too).
        """
        out = []
        for pool_status in statuses:
            pool = pool_status.pool
            rows = {row.trigger: row for row in pool_status.rows}
            for trigger, arn in sorted(self.state.ownership(pool.pool_id).slots.items()):
                row = rows.get(trigger)
                actual = row.actual_arn if row else None
                if row is not None and row.state == "stale" and actual == arn:
                    out.append(
                        f"detach: {trigger} of pool {pool.pool_id} still holds "
                        f"{short_function_name(arn)}, which the app no longer declares"
                    )
                elif actual != arn:
                    out.append(
                        f"unreleased slot: {state_path('.', self.stage)} records {trigger} of "
                        f"pool {pool.pool_id} as {short_function_name(arn)}; the pool holds "
                        f"{short_function_name(actual) if actual else 'nothing'}"
                    )
            for row in pool_status.rows:
                if row.state == "attached" and not row.owned:
                    out.append(
                        f"unrecorded slot: {row.trigger} of pool {pool.pool_id} holds "
                        f"{short_function_name(row.actual_arn)}, not yet in "
                        f"{state_path('.', self.stage)}"
                    )
        current = _app_function_names(self.app, self.registrations)
        for name, arn in sorted(_recorded_functions(self.project_dir, self.stage).items()):
            if name not in current:
                out.append(
                    f"held-back deletion: function {short_function_name(arn)} is no longer "
                    "in the app and still exists"
                )
        return out

    def statuses(self, function_arns: Mapping[str, str]) -> List[PoolStatus]:
        """Declared vs actual, per configured pool and per orphaned owned pool."""
        wanted = self.wanted(function_arns)
        out = [
            self.wiring.status(pool, wanted[alias], self.state.ownership(pool.pool_id))
            for alias, pool in self.resolve().items()
        ]
        for pool in self._orphans():
            out.append(self.wiring.status(pool, (), self.state.ownership(pool.pool_id)))
        return out


def predicted_arns(config: Config, app: Any, region: str, account_id: str) -> Dict[str, str]:
    """The ARN each function will have once deployed (Chalice names them ``app-stage-name``)."""
    return {
        f.name: f"arn:aws:lambda:{region}:{account_id}:function:"
        f"{config.app_name}-{config.chalice_stage}-{f.name}"
        for f in app.pure_lambda_functions
    }


def deployed_arns(deployed_values: Mapping[str, Any]) -> Dict[str, str]:
    """Chalice function name -> ARN, from deployed values (``.chalice/deployed`` shape)."""
    return {
        str(r["name"]): str(r["lambda_arn"])
        for r in deployed_values.get("resources", [])
        if r.get("resource_type") == "lambda_function"
    }


def _recorded_function_arns(project_dir: str, stage: str) -> List[str]:
    """Function ARNs in ``.chalice/deployed/<stage>.json`` (none when there is no record)."""
    return list(_recorded_functions(project_dir, stage).values())


def _recorded_functions(project_dir: str, stage: str) -> Dict[str, str]:
    """Chalice name -> ARN of the functions in ``.chalice/deployed/<stage>.json`` ({} if none)."""
    path = Path(project_dir) / ".chalice" / "deployed" / f"{stage}.json"
    try:
        return deployed_arns(json.loads(path.read_text()))
    except (OSError, ValueError, AttributeError):
        return {}


def _app_function_names(app: Any, registrations: Sequence[TriggerRegistration]) -> FrozenSet[str]:
    """The names Chalice gives the app's Lambda functions in its deployed record."""
    names = {r.function_name for r in registrations}
    names.update(f.name for f in getattr(app, "pure_lambda_functions", ()))
    names.update(s.name for s in getattr(app, "event_sources", ()))
    names.update(a.name for a in getattr(app, "builtin_auth_handlers", ()))
    if getattr(app, "routes", None):
        names.add("api_handler")
    if getattr(app, "websocket_handlers", None):
        names.update(("websocket_connect", "websocket_message", "websocket_disconnect"))
    return frozenset(names)


def recorded_arns(config: Config, stage: str) -> Dict[str, str]:
    """Function ARNs recorded by a previous deploy in ``.chalice/deployed/<stage>.json``."""
    deployed = config.deployed_resources(stage)
    if deployed is None:
        return {}
    out = {}
    for name in deployed.resource_names():
        values = deployed.resource_values(name)
        if values.get("resource_type") == "lambda_function":
            out[name] = values["lambda_arn"]
    return out


# -- local stages (the embedded AWS of ``deploy --local``) ----------------------------


def is_local(cognito: CognitoConfig, flag: Optional[bool]) -> bool:
    """``--local/--no-local`` if given, else whether every configured pool is ``local``."""
    if flag is not None:
        return flag
    return bool(cognito.pools) and all(p.local for p in cognito.pools.values())


def emulated_pools(
    cognito: CognitoConfig, app_name: str, stage: str, default_region: str
) -> Tuple[str, Dict[str, PoolSettings]]:
    """The region and pools of a stage deployed to the embedded AWS.

    Every pool is looked up (created) by name in the emulator: its configured
    name, else ``<app>-<stage>``; a stage without pools gets the default one.
    """
    region = next((p.region for p in cognito.pools.values() if p.region), None) or default_region
    configured = cognito.pools or {DEFAULT_ALIAS: PoolSettings(DEFAULT_ALIAS, default=True)}
    pools = {
        alias: dataclasses.replace(
            settings,
            user_pool_id=None,
            user_pool_name=settings.user_pool_name or f"{app_name}-{stage}",
            region=region,
            local=True,
            # Nobody else writes to the emulator's pool: no delayed confirming read.
            confirm_delay_seconds=0.0,
        )
        for alias, settings in configured.items()
    }
    return region, pools


def aliases_needing_kms(app: Any, cognito: CognitoConfig) -> List[str]:
    """Pool aliases with a custom sender trigger (those pools need a KMS key)."""
    from chalice_cognito.catalogue import BY_NAME

    return sorted(
        {
            cognito.pool_for(r.user_pool).alias
            for r in registered_triggers(app)
            if BY_NAME[r.trigger].requires_kms
        }
    )


def stage_records(project_dir: str, stage: str) -> List[Path]:
    """The stage's deployment record (Chalice's) and ownership record (ours) that exist."""
    paths = (
        Path(project_dir) / ".chalice" / "deployed" / f"{stage}.json",
        state_path(project_dir, stage),
    )
    return [p for p in paths if p.exists()]


def forget_ephemeral(project_dir: str, stage: str) -> None:
    """Drop the deployed/ownership records of an emulator that no longer exists."""
    for path in stage_records(project_dir, stage):
        path.unlink(missing_ok=True)


# -- output ---------------------------------------------------------------------------


def pool_label(pool: PoolRef) -> str:
    """``eu-west-1_AbC (shop-users)``: the id, and the name when known."""
    return pool.pool_id + (f" ({pool.name})" if pool.name else "")


def short_function_name(arn: Optional[str]) -> str:
    """``...:function:NAME[:qualifier]`` -> ``NAME[:qualifier]``; ``-`` for no function."""
    if not arn:
        return "-"
    return arn.split(":function:", 1)[-1]


def result_rows(results: Sequence[PoolResult]) -> List[PoolRow]:
    """The table of what the wiring did: pool, trigger, function, action, permission."""
    rows = []
    for result in results:
        plan = result.plan
        label = pool_label(plan.pool)
        added = {p.function_arn for p in plan.permission_adds}
        removed = {p.function_arn for p in plan.permission_removes}
        for change in plan.slot_changes:
            if change.action == "detach":
                arn = change.before_arn
                perm = "removed" if arn in removed else "-"
            elif change.action == "release":
                arn = change.before_arn
                perm = "-"
            else:
                arn = change.after_arn
                perm = "added" if arn in added else "present"
            rows.append(
                PoolRow(label, change.trigger, short_function_name(arn), change.action, perm)
            )
    return rows


def format_rows(rows: Sequence[PoolRow]) -> str:
    """A fixed-width table (empty string when there is nothing to show)."""
    if not rows:
        return ""
    header = ("POOL", "TRIGGER", "FUNCTION", "ACTION", "PERMISSION")
    return "\n".join(_table([header, *(dataclasses.astuple(r) for r in rows)]))


def _table(rows: Sequence[Sequence[str]]) -> List[str]:
    """Fixed-width columns two spaces apart, each line indented by two (header first)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]


def plan_lines(plans: Sequence[Tuple[str, PoolPlan]], undeployed: Sequence[str]) -> List[str]:
    """``plan``'s text: per pool (alias ``""`` = no longer configured) every change."""
    lines = []
    for alias, p in plans:
        lines.append(
            f"Pool {pool_label(p.pool)}"
            + (f" [alias {alias}]" if alias else " [no longer configured]")
        )
        for change in p.slot_changes:
            before = short_function_name(change.before_arn)
            after = short_function_name(change.after_arn)
            lines.append(f"  {change.action:<8} {change.trigger:<28} {before} -> {after}")
        for perm in p.permission_adds:
            lines.append(
                f"  + permission for {short_function_name(perm.function_arn)} ({perm.statement_id})"
            )
        for perm in p.permission_removes:
            lines.append(
                f"  - permission for {short_function_name(perm.function_arn)} ({perm.statement_id})"
            )
        for refusal in p.refusals:
            lines.append(f"  REFUSED: {refusal.reason}")
        if p.is_noop and not p.refused:
            lines.append("  no change")
    if undeployed:
        lines.append(f"(not deployed yet, ARNs predicted: {', '.join(sorted(undeployed))})")
    return lines


def status_lines(
    statuses: Sequence[PoolStatus],
    undeployed: Sequence[str],
    healthy: bool,
    pending: Sequence[str] = (),
) -> List[str]:
    """``status``'s text: a table of every slot, what is undeployed or pending, the verdict."""
    rows = []
    for s in statuses:
        label = pool_label(s.pool)
        for row in s.rows:
            perm = {True: "ok", False: "MISSING", None: "-"}[row.permission_ok]
            rows.append(
                (
                    label,
                    row.trigger,
                    row.state,
                    short_function_name(row.declared_arn),
                    short_function_name(row.actual_arn),
                    perm,
                )
            )
    header = ("POOL", "TRIGGER", "STATE", "DECLARED", "IN POOL", "PERMISSION")
    lines = _table([header, *rows])
    if undeployed:
        lines.append(f"Not deployed: {', '.join(sorted(undeployed))}")
    if pending:
        lines.append("Pending (an interrupted run left these; re-run the same command):")
        lines.extend(f"  {item}" for item in pending)
    lines.append("healthy" if healthy else "NOT healthy")
    return lines
