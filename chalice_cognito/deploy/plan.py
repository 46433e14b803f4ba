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


#: What happens to one slot: (who holds it now, how it fits the declaration) -> action.
#:
#: Holder: ``empty``; ``ours`` (the function our record says we put there,
#: under any qualifier: ``fn``, ``fn:live``, ``fn:3``);
#: ``other`` (anything else: another owner's function, or ours without a record).
#: Fit: ``undeclared`` (not declared, but recorded as ours), ``exact`` (holds
#: exactly the declared function and version, legacy key consistent), ``version``
#: (the declared function, another version or an inconsistent legacy key),
#: ``different`` (another function, or nothing).  Slots neither declared nor
#: recorded are not looked at.  ``conflict`` becomes ``replace`` when
#: ``on_conflict="replace"`` or ``force`` allows it.
SLOT_ACTIONS: Mapping[Tuple[str, str], str] = {
    ("ours", "undeclared"): "detach",
    ("empty", "undeclared"): "release",  # someone emptied it: forget it
    ("other", "undeclared"): "release",  # someone replaced it: not ours to remove
    ("empty", "different"): "attach",
    ("ours", "exact"): "keep",
    ("ours", "version"): "update",
    ("ours", "different"): "update",
    ("other", "exact"): "adopt",  # already what we want: an interrupted run, a lost record
    ("other", "version"): "update",  # our function, another version
    ("other", "different"): "conflict",
}

#: actions after which the slot holds our declared function
OWNING = frozenset({"attach", "update", "replace", "adopt", "keep"})

#: actions that find one of our functions in the slot (so a sender of ours used the pool's key)
_FOUND_OURS = frozenset({"keep", "update", "adopt", "detach"})


def decide_slot(
    spec: TriggerSpec,
    config: Mapping[str, Any],
    declared: Optional[WantedTrigger],
    version: Optional[str],
    mine: Optional[str],
    options: PlanOptions,
) -> Optional[SlotChange]:
    """The change of one slot (:data:`SLOT_ACTIONS`); ``None`` when the slot is not ours to consider.

    ``declared``/``version``: what the app declares for it (checked version);
    ``mine``: the function our ownership record says we put there.
    """
    if declared is None and mine is None:
        return None
    current, current_version = read_slot(spec, config)
    holder = "empty" if current is None else "ours" if _same_function(current, mine) else "other"
    action = SLOT_ACTIONS[holder, _fit(spec, config, declared, version)]
    if action == "conflict" and options.replace:
        action = "replace"
    if action in OWNING and declared is not None:
        return SlotChange(
            spec.name, action, current, declared.function_arn, current_version, version
        )
    if action == "detach":
        return SlotChange(spec.name, action, current, None, current_version, None)
    return SlotChange(spec.name, action, current, current, current_version, current_version)


def _same_function(arn: str, mine: Optional[str]) -> bool:
    """``arn`` is the recorded function under any qualifier (``fn``, ``fn:live``, ``fn:3``).

    A stage moving between unqualified and alias wiring (or a slot rewired by
    hand to another qualifier of the stage's function) still finds its own
    function there: an update, not another owner's conflict.
    """
    return mine is not None and arn.split(":")[:7] == mine.split(":")[:7]


def _fit(
    spec: TriggerSpec,
    config: Mapping[str, Any],
    declared: Optional[WantedTrigger],
    version: Optional[str],
) -> str:
    """How the slot compares with the declaration (the second key of :data:`SLOT_ACTIONS`)."""
    if declared is None:
        return "undeclared"
    current, current_version = read_slot(spec, config)
    if current != declared.function_arn:
        return "different"
    if current_version == version and slot_consistent(spec, config):
        return "exact"
    return "version"


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
    declared = _declared(pool, wanted, refusals)
    changes: List[SlotChange] = []
    for spec in TRIGGERS:
        w = declared.get(spec.name)
        version = _wanted_version(spec, w, tier, pool, refusals) if w else None
        change = decide_slot(spec, before, w, version, owned.slots.get(spec.name), options)
        if w is not None:
            refusals.extend(_slot_refusals(pool, spec, w, change, policies))
        if change is None:
            continue
        if change.writes:
            write_slot(spec, after, change.after_arn, change.after_version)
        changes.append(change)

    owned_slots = {c.trigger: str(c.after_arn) for c in changes if c.action in OWNING}
    kms_owned = _plan_kms(pool, before, after, declared, changes, owned, options, refusals)
    adds, removes = _permission_changes(pool, owned, owned_slots, after, policies)
    return PoolPlan(
        pool=pool,
        options=options,
        lambda_config_before=before,
        lambda_config_after=after,
        slot_changes=tuple(changes),
        permission_adds=adds,
        permission_removes=removes,
        refusals=tuple(refusals),
        owned_before=owned,
        owned_after=Ownership(slots=owned_slots, kms_key_arn=kms_owned),
    )


def _declared(
    pool: PoolRef, wanted: Sequence[WantedTrigger], refusals: List[Refusal]
) -> Dict[str, WantedTrigger]:
    """Catalogue trigger name -> declaration; unknown names and duplicates are refused."""
    out: Dict[str, WantedTrigger] = {}
    for w in wanted:
        try:
            spec = get_trigger(w.trigger)
        except UnknownTriggerError as error:
            refusals.append(Refusal(str(error), w.trigger))
            continue
        if out.get(spec.name, w) != w:
            refusals.append(
                Refusal(
                    f"{spec.name} is declared twice for pool {pool.pool_id} "
                    f"({out[spec.name].function_name} and {w.function_name}); "
                    "a pool has one function per trigger.",
                    spec.name,
                )
            )
            continue
        out[spec.name] = w
    return out


def _slot_refusals(
    pool: PoolRef,
    spec: TriggerSpec,
    w: WantedTrigger,
    change: Optional[SlotChange],
    policies: Policies,
) -> List[Refusal]:
    """Why a declared slot cannot be wired: its function is missing, another owner holds it."""
    out = []
    if policies.get(w.function_arn, []) is None:
        out.append(
            Refusal(
                f"function {w.function_arn} for {spec.name} does not exist; deploy it first.",
                spec.name,
            )
        )
    if change is not None and change.action == "conflict":
        out.append(
            Refusal(
                f"{spec.name} of pool {pool.pool_id} is held by {change.before_arn}, which this "
                f"app did not attach; refusing to replace it with {w.function_arn}. Remove "
                'it from the pool, or set "on_conflict": "replace" (or pass --force).',
                spec.name,
                change.before_arn,
            )
        )
    return out


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


def _permission_changes(
    pool: PoolRef,
    owned: Ownership,
    owned_slots: Mapping[str, str],
    after: Mapping[str, Any],
    policies: Policies,
) -> Tuple[Tuple[PermissionChange, ...], Tuple[PermissionChange, ...]]:
    """(adds, removes): a grant for each function serving the pool that lacks one; our
    statement off each function that no longer serves the pool."""
    sid = statement_id_for(pool.pool_id)
    adds: List[PermissionChange] = []
    for arn in sorted(set(owned_slots.values())):
        statements = policies.get(arn) or []
        if not _grants(pool, statements):
            taken = any(s.get("Sid") == sid for s in statements)
            adds.append(_permission("add", arn, pool, replace=taken))
    still_used = _arns_in(after)
    removes: List[PermissionChange] = []
    for arn in sorted(set(owned.slots.values()) - set(owned_slots.values())):
        statements = policies.get(arn) or []
        if arn not in still_used and any(s.get("Sid") == sid for s in statements):
            removes.append(_permission("remove", arn, pool))
    return tuple(adds), tuple(removes)


#: the custom senders: the triggers that need the pool-wide KMS key
_SENDERS = tuple(s for s in TRIGGERS if s.requires_kms)


def _plan_kms(
    pool: PoolRef,
    before: Mapping[str, Any],
    after: Dict[str, Any],
    declared: Mapping[str, WantedTrigger],
    changes: Sequence[SlotChange],
    owned: Ownership,
    options: PlanOptions,
    refusals: List[Refusal],
) -> Optional[str]:
    """Set, keep or remove the pool-wide KMSKeyID; return the key this app owns afterwards.

    The pool's key is *ours* when our record says we set it, or when it is the
    key this stage configures and one of our senders holds the pool: a run
    that lost its record (killed before saving it) adopts the key with the
    sender.  When no custom sender is left in the pool, a key that is ours or
    the one this stage configures is removed, so a lost record (or one lost
    before this rule existed) never leaves it behind for ever.
    """
    pool_key = before.get(KMS_KEY_CONFIG_KEY) or None
    key = options.kms_key_arn
    wanted = [s.name for s in _SENDERS if s.name in declared]
    others = _other_senders(declared, after)
    if not wanted:
        return _release_key(pool_key, after, owned, key, others)
    ours = pool_key is not None and (
        pool_key == owned.kms_key_arn or (pool_key == key and _holds_our_sender(changes))
    )
    refusal = _key_refusal(pool, pool_key, key, ours and not others, wanted)
    if refusal is not None:
        refusals.append(refusal)
        return pool_key if ours else None
    if pool_key != key:
        after[KMS_KEY_CONFIG_KEY] = key  # a new key, or ours rotated
        return key
    return key if ours else None


def _other_senders(declared: Mapping[str, WantedTrigger], after: Mapping[str, Any]) -> List[str]:
    """Senders left in the pool that are not declared here (another owner's): they need the key."""
    return [s.name for s in _SENDERS if s.name not in declared and read_slot(s, after)[0]]


def _release_key(
    pool_key: Optional[str],
    after: Dict[str, Any],
    owned: Ownership,
    key: Optional[str],
    others: Sequence[str],
) -> Optional[str]:
    """No sender declared: remove the key once no sender is left, if it is ours or configured."""
    if others:
        return pool_key if pool_key == owned.kms_key_arn else None
    if pool_key is not None and pool_key in (owned.kms_key_arn, key):
        after.pop(KMS_KEY_CONFIG_KEY, None)
    return None


def _holds_our_sender(changes: Sequence[SlotChange]) -> bool:
    """True when one of our functions is in a sender slot (by record or exactly as declared)."""
    return any(BY_NAME[c.trigger].requires_kms and c.action in _FOUND_OURS for c in changes)


def _key_refusal(
    pool: PoolRef,
    pool_key: Optional[str],
    key: Optional[str],
    may_rotate: bool,
    wanted: Sequence[str],
) -> Optional[Refusal]:
    """Why the declared senders cannot have ``key``; ``None`` when they can."""
    names = " and ".join(wanted)
    if not key:
        hint = f" (the pool already uses {pool_key})" if pool_key else ""
        return Refusal(
            f"{names} need(s) a KMS key: set kms_key_arn in the cognito config{hint}.", wanted[0]
        )
    if pool_key is None or pool_key == key or may_rotate:
        return None
    return Refusal(
        f"pool {pool.pool_id} already uses KMS key {pool_key} for custom senders; "
        f"a pool has one key, so {names} cannot use {key}. Set kms_key_arn to "
        f"{pool_key}, or remove the other sender first.",
        wanted[0],
        pool_key,
    )


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
        declared_version = _declared_version(spec, w)
        state = _status_state(spec, config, w, declared_version, mine)
        permission_ok: Optional[bool] = None
        if state in ("attached", "drift", "stale"):
            permission_ok = _grants(pool, policies.get(str(actual_arn)))
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


def _grants(pool: PoolRef, statements: Optional[Sequence[Mapping[str, Any]]]) -> bool:
    """True when one of a function's policy ``statements`` lets ``pool`` invoke it."""
    return any(statement_grants(s, pool) for s in statements or ())


def _declared_version(spec: TriggerSpec, w: Optional[WantedTrigger]) -> Optional[str]:
    """The version ``w`` declares (the catalogue default when unset); as written when invalid."""
    if w is None or not spec.versioned:
        return None
    try:
        return check_version(spec, w.version)
    except ValueError:
        return w.version


def _status_state(
    spec: TriggerSpec,
    config: Mapping[str, Any],
    w: Optional[WantedTrigger],
    declared_version: Optional[str],
    mine: Optional[str],
) -> str:
    """One of :data:`~chalice_cognito.deploy.model.STATUS_STATES` for one slot."""
    actual_arn, actual_version = read_slot(spec, config)
    if w is None:
        return "stale" if mine is not None and actual_arn == mine else "other"
    if actual_arn is None:
        return "missing"
    if actual_arn != w.function_arn:
        return "foreign"
    if actual_version != declared_version or not slot_consistent(spec, config):
        return "drift"
    return "attached"
