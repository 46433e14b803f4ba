"""The pure planner: (pool as described, triggers wanted, ownership) -> :class:`PoolPlan`.

No I/O at all: every AWS fact comes in as an argument (the DescribeUserPool
answer and each involved function's resource-policy statements, ``None`` for a
function that does not exist).  So every rule of the engine is unit-testable:

* LambdaConfig shapes come from the catalogue: plain ARN strings, or
  ``{LambdaArn, LambdaVersion}`` objects; for pre token generation the legacy
  ``PreTokenGeneration`` key is written with the same ARN so both keys always
  agree (Cognito rejects two different ARNs, moto does not);
* ownership: a slot holding a function this app does not own is never touched;
  declaring it is a refusal (unless ``on_conflict="replace"``/``force``); a slot
  already holding exactly what we want is *adopted* (repairs an interrupted
  run); owned slots no longer declared are detached only if still ours;
* custom senders need the pool-wide ``KMSKeyID``: a missing key, or a pool using
  another key, is a refusal; a key we set is removed with our last sender;
* V2_0/V3_0 pre token generation on a LITE pool is a refusal;
* one invoke permission per (function, pool) with SourceArn and SourceAccount,
  added only when the function's policy lacks an equivalent statement, removed
  when the function no longer serves the pool.

A plan with refusals is returned, not raised: ``plan --json`` shows them all.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import AbstractSet, Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from chalice_cognito.catalogue import (
    BY_NAME,
    KMS_KEY_CONFIG_KEY,
    TIERS_WITHOUT_VERSION,
    TRIGGERS,
    TriggerSpec,
    UnknownTriggerError,
    check_version,
    get_trigger,
)
from chalice_cognito.deploy.model import (
    COGNITO_PRINCIPAL,
    Ownership,
    PermissionChange,
    PlanOptions,
    PoolPlan,
    PoolRef,
    PoolStatus,
    Refusal,
    SlotChange,
    StatusRow,
    WantedTrigger,
    function_name_from_arn,
)

#: function ARN -> resource-policy statements ([] = no policy, None = no such function)
Policies = Mapping[str, Optional[Sequence[Mapping[str, Any]]]]

_SID_PREFIX = "chalice-cognito-"
_SID_BAD = re.compile(r"[^A-Za-z0-9_-]")


def statement_id_for(pool_id: str) -> str:
    """The deterministic StatementId of the invoke permission for ``pool_id``.

    Deterministic so re-runs find (and never duplicate) it, and per pool so one
    function can serve several pools with one statement each.
    """
    return (_SID_PREFIX + _SID_BAD.sub("-", pool_id))[:100]


# -- reading and writing LambdaConfig slots ----------------------------------


def read_slot(spec: TriggerSpec, config: Mapping[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """(ARN, LambdaVersion) a LambdaConfig holds for ``spec`` (None, None when empty)."""
    value = config.get(spec.config_key)
    if spec.versioned:
        if isinstance(value, Mapping) and value.get("LambdaArn"):
            return str(value["LambdaArn"]), _opt(value.get("LambdaVersion"))
        if spec.legacy_key and config.get(spec.legacy_key):
            # Only the legacy plain-ARN key: Cognito treats it as V1_0.
            return str(config[spec.legacy_key]), "V1_0"
        return None, None
    return (str(value), None) if value else (None, None)


def slot_consistent(spec: TriggerSpec, config: Mapping[str, Any]) -> bool:
    """False when the legacy key holds another ARN than the versioned key."""
    if not spec.legacy_key:
        return True
    value = config.get(spec.config_key)
    legacy = config.get(spec.legacy_key)
    if not isinstance(value, Mapping) or not legacy:
        return True
    return bool(value.get("LambdaArn") == legacy)


def write_slot(
    spec: TriggerSpec, config: Dict[str, Any], arn: Optional[str], version: Optional[str]
) -> None:
    """Set (or, with ``arn=None``, clear) ``spec``'s keys in ``config`` in place."""
    for key in (spec.config_key, spec.legacy_key):
        if key:
            config.pop(key, None)
    if arn is None:
        return
    if spec.versioned:
        config[spec.config_key] = {
            "LambdaArn": arn,
            "LambdaVersion": version or spec.default_version,
        }
        if spec.legacy_key:
            # DescribeUserPool on AWS returns both keys; writing both with the
            # same ARN keeps them consistent and a re-plan a no-op everywhere.
            config[spec.legacy_key] = arn
    else:
        config[spec.config_key] = arn


def _opt(value: Any) -> Optional[str]:
    return str(value) if value else None


# -- permissions ---------------------------------------------------------------


def statement_grants(statement: Mapping[str, Any], pool: PoolRef) -> bool:
    """True when ``statement`` lets exactly this pool (SourceArn + SourceAccount) invoke."""
    if statement.get("Effect", "Allow") != "Allow":
        return False
    principal = statement.get("Principal")
    service = principal.get("Service") if isinstance(principal, Mapping) else principal
    services = service if isinstance(service, list) else [service]
    if COGNITO_PRINCIPAL not in services:
        return False
    action = statement.get("Action")
    actions = action if isinstance(action, list) else [action]
    if not {"lambda:InvokeFunction", "lambda:*"} & set(actions):
        return False
    condition = statement.get("Condition") or {}
    source_arn = _condition_value(condition, "AWS:SourceArn", ("ArnLike", "ArnEquals"))
    source_account = _condition_value(condition, "AWS:SourceAccount", ("StringEquals",))
    return source_arn == pool.arn and source_account == pool.account_id


def _condition_value(
    condition: Mapping[str, Any], key: str, operators: Tuple[str, ...]
) -> Optional[str]:
    for operator in operators:
        block = condition.get(operator)
        if isinstance(block, Mapping):
            for name, value in block.items():
                if name.lower() == key.lower():
                    return str(value[0] if isinstance(value, list) and value else value)
    return None


def _permission(
    action: str, function_arn: str, pool: PoolRef, replace: bool = False
) -> PermissionChange:
    return PermissionChange(
        action=action,
        function_arn=function_arn,
        statement_id=statement_id_for(pool.pool_id),
        source_arn=pool.arn,
        source_account=pool.account_id,
        replace=replace,
    )


# -- the planner -------------------------------------------------------------


def functions_involved(wanted: Sequence[WantedTrigger], owned: Ownership) -> Set[str]:
    """Every function whose policy the planner needs: wanted and owned ones.

    Functions of other owners in the pool need no policy read: their
    permissions are never touched.
    """
    return {w.function_arn for w in wanted} | set(owned.slots.values())


def recognise_owned(
    described: Mapping[str, Any], owned: Ownership, recognised: AbstractSet[str]
) -> Ownership:
    """``owned`` plus every slot that holds a function in ``recognised``.

    ``recognised`` are functions provably this app's (Chalice's own record of
    the stage's deployed functions), so a slot holding one is ours even when
    the ownership record was lost: it is then updated or detached like any
    owned slot, and a function about to be deleted is never left behind in
    the pool.  Recorded slots win over recognised ones.
    """
    if not recognised:
        return owned
    config = described.get("LambdaConfig") or {}
    found = {}
    for spec in TRIGGERS:
        arn, _ = read_slot(spec, config)
        if arn is not None and arn in recognised:
            found[spec.name] = arn
    if not found:
        return owned
    return dataclasses.replace(owned, slots={**found, **dict(owned.slots)})


def make_plan(
    pool: PoolRef,
    described: Mapping[str, Any],
    wanted: Sequence[WantedTrigger],
    owned: Ownership,
    options: PlanOptions,
    policies: Policies,
) -> PoolPlan:
    """Plan the LambdaConfig and permission changes (pure; see the module docstring)."""
    before: Dict[str, Any] = copy.deepcopy(dict(described.get("LambdaConfig") or {}))
    after: Dict[str, Any] = copy.deepcopy(before)
    tier = str(described.get("UserPoolTier") or pool.tier or "")
    refusals: List[Refusal] = []
    changes: List[SlotChange] = []
    owned_slots: Dict[str, str] = {}

    by_trigger: Dict[str, WantedTrigger] = {}
    for w in wanted:
        try:
            spec = get_trigger(w.trigger)
        except UnknownTriggerError as error:
            refusals.append(Refusal(str(error), w.trigger))
            continue
        if spec.name in by_trigger and by_trigger[spec.name] != w:
            refusals.append(
                Refusal(
                    f"{spec.name} is declared twice for pool {pool.pool_id} "
                    f"({by_trigger[spec.name].function_name} and {w.function_name}); "
                    "a pool has one function per trigger.",
                    spec.name,
                )
            )
            continue
        by_trigger[spec.name] = w

    for spec in TRIGGERS:
        current_arn, current_version = read_slot(spec, before)
        mine = owned.slots.get(spec.name)
        maybe = by_trigger.get(spec.name)
        if maybe is None:
            if mine is None:
                continue
            if current_arn == mine:
                write_slot(spec, after, None, None)
                changes.append(
                    SlotChange(spec.name, "detach", current_arn, None, current_version, None)
                )
            else:
                # Someone else's function (or nothing) is there now: not ours to remove.
                changes.append(
                    SlotChange(
                        spec.name,
                        "release",
                        current_arn,
                        current_arn,
                        current_version,
                        current_version,
                    )
                )
            continue

        w = maybe
        version = _wanted_version(spec, w, tier, pool, refusals)
        if policies.get(w.function_arn, []) is None:
            refusals.append(
                Refusal(
                    f"function {w.function_arn} for {spec.name} does not exist; deploy it first.",
                    spec.name,
                )
            )
        exact = (
            current_arn == w.function_arn
            and current_version == version
            and slot_consistent(spec, before)
        )
        if current_arn is None:
            action = "attach"
        elif current_arn == w.function_arn:
            action = ("keep" if mine == w.function_arn else "adopt") if exact else "update"
        elif current_arn == mine:
            action = "update"
        elif options.replace:
            action = "replace"
        else:
            action = "conflict"
            refusals.append(
                Refusal(
                    f"{spec.name} of pool {pool.pool_id} is held by {current_arn}, which this "
                    f"app did not attach; refusing to replace it with {w.function_arn}. Remove "
                    'it from the pool, or set "on_conflict": "replace" (or pass --force).',
                    spec.name,
                    current_arn,
                )
            )
        if action != "conflict":
            if not exact:
                write_slot(spec, after, w.function_arn, version)
            owned_slots[spec.name] = w.function_arn
        changes.append(
            SlotChange(
                spec.name,
                action,
                current_arn,
                w.function_arn if action != "conflict" else current_arn,
                current_version,
                version if action != "conflict" else current_version,
            )
        )

    kms_owned = _plan_kms(pool, before, after, by_trigger, owned, options, refusals)
    owned_after = Ownership(slots=owned_slots, kms_key_arn=kms_owned)

    adds: List[PermissionChange] = []
    sid = statement_id_for(pool.pool_id)
    for arn in sorted(set(owned_slots.values())):
        statements = policies.get(arn) or []
        if not any(statement_grants(s, pool) for s in statements):
            taken = any(s.get("Sid") == sid for s in statements)
            adds.append(_permission("add", arn, pool, replace=taken))
    still_used = _arns_in(after)
    removes: List[PermissionChange] = []
    for arn in sorted(set(owned.slots.values()) - set(owned_slots.values())):
        statements = policies.get(arn) or []
        if arn not in still_used and any(s.get("Sid") == sid for s in statements):
            removes.append(_permission("remove", arn, pool))

    return PoolPlan(
        pool=pool,
        options=options,
        lambda_config_before=before,
        lambda_config_after=after,
        slot_changes=tuple(changes),
        permission_adds=tuple(adds),
        permission_removes=tuple(removes),
        refusals=tuple(refusals),
        owned_before=owned,
        owned_after=owned_after,
        described=copy.deepcopy(dict(described)),
    )


def _wanted_version(
    spec: TriggerSpec, w: WantedTrigger, tier: str, pool: PoolRef, refusals: List[Refusal]
) -> Optional[str]:
    if not spec.versioned:
        return None
    try:
        version = check_version(spec, w.version)
    except ValueError as error:
        refusals.append(Refusal(str(error), spec.name))
        return spec.default_version
    blocked = TIERS_WITHOUT_VERSION.get(version or "", ())
    if tier and tier in blocked:
        refusals.append(
            Refusal(
                f"{spec.name} {version} needs the Essentials or Plus feature plan; pool "
                f"{pool.pool_id} is on {tier}. Use V1_0 or upgrade the pool's plan.",
                spec.name,
            )
        )
    return version


def _plan_kms(
    pool: PoolRef,
    before: Mapping[str, Any],
    after: Dict[str, Any],
    by_trigger: Mapping[str, WantedTrigger],
    owned: Ownership,
    options: PlanOptions,
    refusals: List[Refusal],
) -> Optional[str]:
    """Set/keep/remove the pool-wide KMSKeyID; return the key this app owns afterwards."""
    pool_key = before.get(KMS_KEY_CONFIG_KEY) or None
    senders = [s for s in TRIGGERS if s.requires_kms]
    wanted_senders = [s.name for s in senders if s.name in by_trigger]
    # Senders in the result that are not ours (another owner's): they need the key too.
    foreign_senders = [
        s.name for s in senders if read_slot(s, after)[0] is not None and s.name not in by_trigger
    ]
    if wanted_senders:
        key = options.kms_key_arn
        names = " and ".join(wanted_senders)
        if not key:
            hint = f" (the pool already uses {pool_key})" if pool_key else ""
            refusals.append(
                Refusal(
                    f"{names} need(s) a KMS key: set kms_key_arn in the cognito config{hint}.",
                    wanted_senders[0],
                )
            )
            return owned.kms_key_arn if pool_key == owned.kms_key_arn else None
        if pool_key is None:
            after[KMS_KEY_CONFIG_KEY] = key
            return key
        if pool_key == key:
            return owned.kms_key_arn if owned.kms_key_arn == key else None
        if owned.kms_key_arn == pool_key and not foreign_senders:
            after[KMS_KEY_CONFIG_KEY] = key
            return key
        refusals.append(
            Refusal(
                f"pool {pool.pool_id} already uses KMS key {pool_key} for custom senders; "
                f"a pool has one key, so {names} cannot use {key}. Set kms_key_arn to "
                f"{pool_key}, or remove the other sender first.",
                wanted_senders[0],
                pool_key,
            )
        )
        return owned.kms_key_arn if owned.kms_key_arn == pool_key else None
    if owned.kms_key_arn and pool_key == owned.kms_key_arn:
        if not foreign_senders:
            after.pop(KMS_KEY_CONFIG_KEY, None)
            return None
        return owned.kms_key_arn
    return None


def _arns_in(config: Mapping[str, Any]) -> Set[str]:
    arns: Set[str] = set()
    for spec in TRIGGERS:
        arn, _ = read_slot(spec, config)
        if arn:
            arns.add(arn)
        if spec.legacy_key and config.get(spec.legacy_key):
            arns.add(str(config[spec.legacy_key]))
    return arns


def wanted_from_plan(plan: PoolPlan) -> Tuple[WantedTrigger, ...]:
    """The triggers a plan declares, rebuilt from its slot changes (for re-planning).

    Conflicts are left out: a plan with a conflict is refused and never applied.
    """
    return tuple(
        WantedTrigger(
            trigger=change.trigger,
            function_name=function_name_from_arn(change.after_arn),
            function_arn=change.after_arn,
            version=change.after_version,
        )
        for change in plan.slot_changes
        if change.action not in ("detach", "release", "conflict") and change.after_arn
    )


# -- status ----------------------------------------------------------------------


def make_status(
    pool: PoolRef,
    described: Mapping[str, Any],
    wanted: Sequence[WantedTrigger],
    owned: Ownership,
    policies: Policies,
) -> PoolStatus:
    """Declared vs actual for each slot that is declared, owned or occupied (pure)."""
    config = dict(described.get("LambdaConfig") or {})
    by_trigger = {BY_NAME[w.trigger].name: w for w in wanted if w.trigger in BY_NAME}
    rows: List[StatusRow] = []
    for spec in TRIGGERS:
        actual_arn, actual_version = read_slot(spec, config)
        w = by_trigger.get(spec.name)
        mine = owned.slots.get(spec.name)
        if w is None and mine is None and actual_arn is None:
            continue
        declared_version = None
        if w is not None and spec.versioned:
            try:
                declared_version = check_version(spec, w.version)
            except ValueError:
                declared_version = w.version
        if w is not None:
            if actual_arn is None:
                state = "missing"
            elif actual_arn != w.function_arn:
                state = "foreign"
            elif actual_version != declared_version or not slot_consistent(spec, config):
                state = "drift"
            else:
                state = "attached"
        elif mine is not None and actual_arn == mine:
            state = "stale"
        else:
            state = "other"
        permission_ok: Optional[bool] = None
        if state in ("attached", "drift", "stale") and actual_arn is not None:
            statements = policies.get(actual_arn) or []
            permission_ok = any(statement_grants(s, pool) for s in statements)
        rows.append(
            StatusRow(
                trigger=spec.name,
                config_key=spec.config_key,
                state=state,
                declared_arn=w.function_arn if w else None,
                declared_version=declared_version,
                actual_arn=actual_arn,
                actual_version=actual_version,
                owned=mine is not None and actual_arn == mine,
                permission_ok=permission_ok,
            )
        )
    return PoolStatus(
        pool=pool, rows=tuple(rows), kms_key_arn=config.get(KMS_KEY_CONFIG_KEY) or None
    )
