"""The wiring engine's public face: attach an app's triggers to existing user pools, safely.

One mechanism for every caller (CLI deploy/attach/detach/plan/status, the
Chalice deploy hooks, the CloudFormation custom resource)::

    wiring = Wiring()                                   # boto3 defaults apply (AwsClients())
    pool = wiring.resolve_pool(settings)                # by id, or a name matching one pool
    plan = wiring.plan(pool, wanted, owned, settings.plan_options(force))   # reads only
    print(json.dumps(plan.to_json()))                   # `plan --json`
    result = wiring.apply(plan)                         # writes, verifies, retries
    save(result.owned)                                  # the new ownership record

Guarantees:

* only ``LambdaConfig`` changes: UpdateUserPool is built from DescribeUserPool
  with every field UpdateUserPool accepts (derived from botocore's model);
* a slot held by a function this app does not own is never touched; declaring
  it refuses the whole plan (nothing written) unless ``on_conflict="replace"``
  or ``force``;
* zero write calls when nothing changed;
* each wired function gets one invoke permission per pool, scoped with
  ``SourceArn`` and ``SourceAccount``; detaching removes it;
* UpdateUserPool is built from a DescribeUserPool made right before it, and
  never resent: a refused or failed update is rebuilt from a new read;
* after writing, the pool is read back; if a concurrent writer undid our
  change, the plan is re-made on the fresh pool and applied again.

``owned`` (:class:`Ownership`) is an input and ``PoolResult.owned`` the output:
the engine keeps no state of its own (see :mod:`.state` for the CLI's file).

Imports: stdlib, boto3/botocore and the catalogue only (runs in the custom-resource Lambda).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import chalice_cognito.deploy.apply as _apply
import chalice_cognito.deploy.plan as _plan
from chalice_cognito.catalogue import BY_NAME
from chalice_cognito.deploy.aws import AwsClients
from chalice_cognito.deploy.config import CognitoConfig, PoolSettings, load_cognito_config
from chalice_cognito.deploy.errors import (
    AccessDeniedError,
    AmbiguousPoolError,
    ConfigError,
    FunctionNotFoundError,
    PoolNotFoundError,
    RefusedError,
    VerificationError,
    WiringError,
)
from chalice_cognito.deploy.model import (
    Ownership,
    PermissionChange,
    PlanOptions,
    PoolPlan,
    PoolRef,
    PoolResult,
    PoolStatus,
    Refusal,
    SlotChange,
    StatusRow,
    WantedTrigger,
    function_name_from_arn,
    region_from_pool_id,
)

__all__ = [
    "AccessDeniedError",
    "AmbiguousPoolError",
    "AwsClients",
    "CognitoConfig",
    "ConfigError",
    "FunctionNotFoundError",
    "Ownership",
    "PermissionChange",
    "PlanOptions",
    "PoolNotFoundError",
    "PoolPlan",
    "PoolRef",
    "PoolResult",
    "PoolSettings",
    "PoolStatus",
    "Refusal",
    "RefusedError",
    "SlotChange",
    "StatusRow",
    "VerificationError",
    "WantedTrigger",
    "Wiring",
    "WiringError",
    "load_cognito_config",
    "pool_ref_from_described",
    "statement_id_for",
]

statement_id_for = _plan.statement_id_for


def pool_ref_from_described(described: Mapping[str, Any]) -> PoolRef:
    """A :class:`PoolRef` from a DescribeUserPool ``UserPool``."""
    pool_id = str(described["Id"])
    arn = str(described.get("Arn") or "")
    parts = arn.split(":")
    region = parts[3] if len(parts) > 4 else region_from_pool_id(pool_id)
    account = parts[4] if len(parts) > 4 else ""
    return PoolRef(
        pool_id=pool_id,
        region=region,
        arn=arn,
        account_id=account,
        name=str(described.get("Name") or ""),
        tier=str(described.get("UserPoolTier") or ""),
    )


class Wiring:
    """Read a pool, plan LambdaConfig + permission changes, apply them, verify.

    ``aws`` (:class:`AwsClients`) makes the calls: its session or client
    factory, region, retry bound (``max_attempts`` also bounds the rounds of
    one apply), ``sleep`` (injectable so tests never wait) and ``max_workers``
    (the calls one batch runs at once: the GetPolicy reads of a plan, the
    permission writes of an apply; 1 makes them sequential).  Default: a new
    boto3 session, so profile/region/endpoint settings of the environment apply.
    ``confirm_delay`` seconds after a LambdaConfig write the pool is read back,
    to catch a concurrent writer whose stale copy landed after ours (0: at once).

    One ``Wiring`` may serve one deployment at a time; give concurrent
    deployments (threads) a ``Wiring`` each, as two processes would have.
    """

    def __init__(self, aws: Optional[AwsClients] = None, *, confirm_delay: float = 1.0) -> None:
        self.aws = aws if aws is not None else AwsClients()
        self.confirm_delay = confirm_delay

    @property
    def max_rounds(self) -> int:
        """Plan/write/verify rounds of one apply (the clients' ``max_attempts``)."""
        return self.aws.max_attempts

    # -- pools -------------------------------------------------------------

    def resolve_pool(self, settings: Union[PoolSettings, str]) -> PoolRef:
        """Find the pool of ``settings`` (or a pool id) and describe it.

        A ``user_pool_name`` must match exactly one pool of the region; none or
        several raise (:class:`PoolNotFoundError` / :class:`AmbiguousPoolError`,
        the latter listing every matching id).  Never picks "the first match".
        """
        return self.read_pool(settings)[0]

    def read_pool(self, settings: Union[PoolSettings, str]) -> Tuple[PoolRef, Dict[str, Any]]:
        """:meth:`resolve_pool`, plus the DescribeUserPool ``UserPool`` it read.

        The description can be handed to :meth:`plan` (``described=``) so a
        command reads the pool once to resolve and plan it.  Planning on an
        older read is safe: :meth:`apply` builds the update from a new read
        made after the permission writes and re-plans if LambdaConfig moved.
        """
        if isinstance(settings, str):
            settings = PoolSettings(alias="default", user_pool_id=settings)
        if settings.user_pool_id:
            region = region_from_pool_id(settings.user_pool_id) or settings.region
            described = self.aws.describe_pool(settings.user_pool_id, region)
            return pool_ref_from_described(described), described
        name = settings.user_pool_name
        if not name:
            raise ConfigError(
                f"{settings.label} names no pool: set user_pool_id or user_pool_name."
            )
        region = settings.region or self.aws.default_region
        matches = sorted(str(p["Id"]) for p in self.aws.list_pools(region) if p.get("Name") == name)
        if not matches:
            raise PoolNotFoundError(
                f"No user pool named {name!r} in region {region} (names are matched exactly)."
            )
        if len(matches) > 1:
            raise AmbiguousPoolError(
                f"{len(matches)} user pools are named {name!r} in region {region}: "
                f"{', '.join(matches)}. Set user_pool_id to the one to use.",
                matches,
            )
        described = self.aws.describe_pool(matches[0], region)
        return pool_ref_from_described(described), described

    def describe(self, pool: PoolRef) -> Dict[str, Any]:
        """DescribeUserPool's ``UserPool`` for ``pool``."""
        return self.aws.describe_pool(pool.pool_id, pool.region)

    # -- plan / apply --------------------------------------------------------

    def plan(
        self,
        pool: PoolRef,
        wanted: Sequence[WantedTrigger],
        owned: Optional[Ownership] = None,
        options: Optional[PlanOptions] = None,
        *,
        described: Optional[Mapping[str, Any]] = None,
        assume_exist: Iterable[str] = (),
        without_policy: Iterable[str] = (),
        recognise: Iterable[str] = (),
    ) -> PoolPlan:
        """Plan the changes making ``pool`` hold ``wanted`` (no write call).

        Reads DescribeUserPool (unless ``described`` is given) and GetPolicy of
        every function involved (concurrently), then runs the pure planner.
        Refusals are in ``plan.refusals``; :meth:`apply` raises
        :class:`RefusedError` for them.
        ``assume_exist``: ARNs of functions about to be created (a deploy's
        preview): planned as existing, without policy, instead of refused.
        ``without_policy``: ARNs of functions the caller created moments ago
        (Chalice's ``create_function`` in this very deploy): a new function has
        no resource policy, so their GetPolicy read is skipped.  Should one hold
        our statement id after all (another run raced us), AddPermission's
        conflict makes :mod:`.apply` replace it.
        ``recognise``: ARNs provably this app's (Chalice's record of the stage's
        functions): a slot holding one counts as owned even without an
        ownership record (:func:`.plan.recognise_owned`).
        """
        options = options or PlanOptions()
        current = dict(described) if described is not None else self.describe(pool)
        owned = _plan.recognise_owned(current, owned or Ownership(), frozenset(recognise))
        known_new = set(without_policy)
        involved = _plan.functions_involved(wanted, owned)
        policies = self.policies(involved - known_new)
        policies.update({arn: [] for arn in involved & known_new})
        for arn in assume_exist:
            if policies.get(arn, []) is None:
                policies[arn] = []
        return _plan.make_plan(
            pool_ref_from_described(current) if "Id" in current else pool,
            current,
            wanted,
            owned,
            options,
            policies,
        )

    def apply(self, plan: PoolPlan, wanted: Optional[Sequence[WantedTrigger]] = None) -> PoolResult:
        """Apply ``plan``: permissions, UpdateUserPool, verify, remove stale permissions.

        Raises :class:`RefusedError` (nothing written) when the plan has
        refusals.  A plan whose ``is_noop`` is true makes no write call.  The
        update is built from a read of the pool made right before it, so a plan
        may be shown first and applied later.  When the pool changed since
        planning, or a concurrent writer undid our change, the plan is re-made
        on the fresh pool (``wanted`` defaults to the triggers the plan
        attaches) and applied again, up to ``max_attempts`` rounds.
        """
        if wanted is None:
            wanted = _plan.wanted_from_plan(plan)
        return _apply.apply_plan(self, plan, wanted)

    def wire(
        self,
        pool: PoolRef,
        wanted: Sequence[WantedTrigger],
        owned: Optional[Ownership] = None,
        options: Optional[PlanOptions] = None,
    ) -> PoolResult:
        """:meth:`plan` then :meth:`apply` (attach/update; also detaches no-longer-wanted slots).

        1 DescribeUserPool to plan, a GetPolicy per function, the permission
        writes, 1 DescribeUserPool the update is built from, 1 UpdateUserPool
        and 1 verifying DescribeUserPool.
        """
        return self.apply(self.plan(pool, wanted, owned, options), wanted)

    def detach(
        self,
        pool: PoolRef,
        owned: Ownership,
        options: Optional[PlanOptions] = None,
        recognise: Iterable[str] = (),
    ) -> PoolResult:
        """Remove every trigger (and the KMS key) this app attached, where they are still ours.

        ``recognise``: see :meth:`plan` (slots holding these functions are ours too).
        """
        return self.apply(self.plan(pool, (), owned, options, recognise=recognise), ())

    # -- status ----------------------------------------------------------------

    def status(
        self,
        pool: PoolRef,
        wanted: Sequence[WantedTrigger],
        owned: Optional[Ownership] = None,
    ) -> PoolStatus:
        """Declared vs actual for every declared, owned or occupied slot (reads only)."""
        owned = owned or Ownership()
        current = self.describe(pool)
        policies = self.policies(_plan.functions_involved(wanted, owned))
        return _plan.make_status(pool_ref_from_described(current), current, wanted, owned, policies)

    # -- helpers ---------------------------------------------------------------

    def policies(self, function_arns: Iterable[str]) -> Dict[str, Optional[List[Dict[str, Any]]]]:
        """Each function's resource-policy statements (``[]``: no policy, ``None``: no function).

        One GetPolicy per function, run concurrently (different functions: no
        ordering between them matters).
        """
        arns = sorted(set(function_arns))
        return dict(zip(arns, self.aws.map(self.aws.get_policy_statements, arns), strict=True))


def wanted_from_registrations(
    registrations: Iterable[Any], function_arns: Mapping[str, str]
) -> Dict[Optional[str], List[WantedTrigger]]:
    """Group trigger registrations (``chalice_cognito.app.TriggerRegistration``) by pool alias.

    ``function_arns`` maps the Chalice function name (``registration.function_name``)
    to its deployed ARN.  Duck-typed so the engine does not import the runtime app.
    """
    out: Dict[Optional[str], List[WantedTrigger]] = {}
    for reg in registrations:
        name = str(reg.function_name)
        if name not in function_arns:
            raise FunctionNotFoundError(
                f"No deployed ARN for function {name!r} (trigger {reg.trigger}); deploy it first."
            )
        arn = function_arns[name]
        spec = BY_NAME[str(reg.trigger)]
        out.setdefault(reg.user_pool, []).append(
            WantedTrigger(
                trigger=spec.name,
                function_name=function_name_from_arn(arn),
                function_arn=arn,
                version=getattr(reg, "version", None) if spec.versioned else None,
            )
        )
    return out
