"""The values the wiring engine takes and returns.

These are plain frozen dataclasses, shared by the pure planner
(:mod:`chalice_cognito.deploy.plan`), the writer (:mod:`.apply`) and the
callers (CLI, Chalice deploy hooks, the CloudFormation custom resource).  Import
them from :mod:`chalice_cognito.deploy.wiring`, the public face of the engine.

Every value that a caller may print or persist has ``to_json()`` returning
JSON-ready data (the ``--json`` output of ``plan``/``status``, the ownership
record, custom-resource properties); :class:`Ownership` also has ``from_json``.

Standard library only (plus the catalogue): runs inside the custom-resource Lambda.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

#: ``on_conflict`` values: refuse to touch a slot another owner holds, or take it over.
ON_CONFLICT_VALUES = ("fail", "replace")

#: the service principal that invokes triggers
COGNITO_PRINCIPAL = "cognito-idp.amazonaws.com"


def function_name_from_arn(arn: str) -> str:
    """``arn:aws:lambda:r:a:function:NAME[:qualifier]`` -> ``NAME`` (a bare name is returned as-is)."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[5] == "function":
        return parts[6]
    return arn


def region_from_pool_id(pool_id: str) -> str:
    """Pool ids are ``<region>_<suffix>``: the region a pool lives in."""
    region, sep, _ = pool_id.partition("_")
    return region if sep else ""


@dataclass(frozen=True)
class WantedTrigger:
    """A trigger the app declares for a pool: which slot, which function.

    ``trigger`` is the catalogue name (``PreTokenGeneration``, not the
    LambdaConfig key).  ``version`` is the LambdaVersion for versioned triggers
    (``None`` means the catalogue default; ignored for plain-ARN triggers).
    """

    trigger: str
    function_name: str
    function_arn: str
    version: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        return {
            "trigger": self.trigger,
            "function_name": self.function_name,
            "function_arn": self.function_arn,
            "version": self.version,
        }


@dataclass(frozen=True)
class Ownership:
    """What one app/stage attached to one pool: the engine's memory between runs.

    ``slots`` maps catalogue trigger name -> function ARN this app put there.
    ``kms_key_arn`` is the pool-wide ``KMSKeyID`` this app set (``None`` if the
    key was already there or never needed), so detaching the last sender can
    remove it again.  The engine never reads this from a file: the CLI keeps it
    in ``.chalice/cognito/<stage>.json`` (:mod:`.state`), the custom resource in
    its CloudFormation properties.
    """

    slots: Mapping[str, str] = field(default_factory=dict)
    kms_key_arn: Optional[str] = None

    @property
    def is_empty(self) -> bool:
        return not self.slots and self.kms_key_arn is None

    def to_json(self) -> Dict[str, Any]:
        return {"slots": dict(sorted(self.slots.items())), "kms_key_arn": self.kms_key_arn}

    @classmethod
    def from_json(cls, data: Optional[Mapping[str, Any]]) -> Ownership:
        """Inverse of :meth:`to_json`; ``None`` or ``{}`` is "owns nothing"."""
        if not data:
            return cls()
        slots = data.get("slots") or {}
        if not isinstance(slots, Mapping):
            raise ValueError("ownership 'slots' must be an object of trigger -> function ARN")
        out: Dict[str, str] = {}
        for key, value in slots.items():
            # The CLI state file stores {"function_arn", "function_name"} per slot.
            arn = value.get("function_arn") if isinstance(value, Mapping) else value
            if not isinstance(arn, str):
                raise ValueError(f"ownership slot {key!r} has no function ARN")
            out[str(key)] = arn
        kms = data.get("kms_key_arn")
        return cls(slots=out, kms_key_arn=kms if isinstance(kms, str) and kms else None)


@dataclass(frozen=True)
class PoolRef:
    """A resolved user pool: everything needed to address it and to scope permissions."""

    pool_id: str
    region: str
    arn: str
    account_id: str
    name: str = ""
    #: ``LITE`` / ``ESSENTIALS`` / ``PLUS``; empty when DescribeUserPool did not say
    tier: str = ""

    def to_json(self) -> Dict[str, Any]:
        return {
            "pool_id": self.pool_id,
            "region": self.region,
            "arn": self.arn,
            "account_id": self.account_id,
            "name": self.name,
            "tier": self.tier,
        }


@dataclass(frozen=True)
class PlanOptions:
    """How to treat conflicts, which KMS key custom senders use, how long to wait to confirm.

    ``confirm_delay``: seconds between UpdateUserPool and the read that
    verifies it, long enough for a concurrent writer's stale copy to land first
    (``None``: the engine's default, 1 s; 0: verify at once, for a pool nobody
    else writes to, e.g. the emulator's).
    """

    on_conflict: str = "fail"
    force: bool = False
    kms_key_arn: Optional[str] = None
    confirm_delay: Optional[float] = None

    @property
    def replace(self) -> bool:
        """True when slots held by another owner may be taken over."""
        return self.force or self.on_conflict == "replace"


@dataclass(frozen=True)
class SlotChange:
    """What happens to one trigger slot.

    ``action`` is one of:
    ``attach`` (empty slot gets our function), ``update`` (our slot, new ARN or
    version), ``replace`` (another owner's function replaced: on_conflict/force),
    ``adopt`` (slot already holds exactly what we want: recorded as ours, no
    write), ``keep`` (ours and unchanged), ``detach`` (ours, no longer declared:
    removed), ``release`` (owned before, but someone else's function is there
    now: forgotten, not touched), ``conflict`` (declared, held by another owner:
    refused).
    """

    trigger: str
    action: str
    before_arn: Optional[str] = None
    after_arn: Optional[str] = None
    before_version: Optional[str] = None
    after_version: Optional[str] = None

    @property
    def writes(self) -> bool:
        """True when this change alters LambdaConfig."""
        return self.action in ("attach", "update", "replace", "detach")

    def to_json(self) -> Dict[str, Any]:
        return {
            "trigger": self.trigger,
            "action": self.action,
            "before": {"arn": self.before_arn, "version": self.before_version},
            "after": {"arn": self.after_arn, "version": self.after_version},
        }


@dataclass(frozen=True)
class PermissionChange:
    """One Lambda resource-policy statement letting the pool invoke a function.

    One statement per (function, pool), always with ``SourceArn`` (pool ARN)
    and ``SourceAccount``; ``statement_id`` is deterministic so re-runs find it.
    """

    action: str  # "add" | "remove"
    function_arn: str
    statement_id: str
    source_arn: str
    source_account: str
    #: our statement id exists with other content (an older pool ARN, say):
    #: remove it before adding (moto would silently keep both)
    replace: bool = False

    def to_json(self) -> Dict[str, Any]:
        return {
            "action": self.action,
            "replace": self.replace,
            "function_arn": self.function_arn,
            "statement_id": self.statement_id,
            "principal": COGNITO_PRINCIPAL,
            "source_arn": self.source_arn,
            "source_account": self.source_account,
        }


@dataclass(frozen=True)
class Refusal:
    """Why the plan must not be applied; ``trigger`` is None for pool-wide reasons."""

    reason: str
    trigger: Optional[str] = None
    #: the ARN holding the slot (conflicts), if any
    holder_arn: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        return {"trigger": self.trigger, "reason": self.reason, "holder_arn": self.holder_arn}


@dataclass(frozen=True)
class PoolPlan:
    """Every change needed to make one pool hold what one app wants.

    Built by the pure planner from a DescribeUserPool answer; applying it
    changes LambdaConfig only.  The UpdateUserPool request is not built from
    that answer but from a read made right before the write (:mod:`.apply`).
    """

    pool: PoolRef
    options: PlanOptions
    lambda_config_before: Mapping[str, Any]
    lambda_config_after: Mapping[str, Any]
    slot_changes: Tuple[SlotChange, ...]
    permission_adds: Tuple[PermissionChange, ...]
    permission_removes: Tuple[PermissionChange, ...]
    refusals: Tuple[Refusal, ...]
    owned_before: Ownership
    owned_after: Ownership

    @property
    def lambda_config_changed(self) -> bool:
        return dict(self.lambda_config_before) != dict(self.lambda_config_after)

    @property
    def refused(self) -> bool:
        return bool(self.refusals)

    @property
    def is_noop(self) -> bool:
        """True when applying would make no write call (ownership may still change: adopt)."""
        return (
            not self.lambda_config_changed
            and not self.permission_adds
            and not self.permission_removes
        )

    def lambda_config_diff(self) -> List[Dict[str, Any]]:
        """LambdaConfig keys that differ: ``[{"key", "before", "after"}]`` sorted by key."""
        keys = sorted(set(self.lambda_config_before) | set(self.lambda_config_after))
        return [
            {
                "key": k,
                "before": self.lambda_config_before.get(k),
                "after": self.lambda_config_after.get(k),
            }
            for k in keys
            if self.lambda_config_before.get(k) != self.lambda_config_after.get(k)
        ]

    def to_json(self) -> Dict[str, Any]:
        """The ``--json`` shape of ``plan`` (documented in docs/how-to/wiring.md)."""
        return {
            "pool": self.pool.to_json(),
            "noop": self.is_noop,
            "refused": self.refused,
            "refusals": [r.to_json() for r in self.refusals],
            "slots": [c.to_json() for c in self.slot_changes],
            "lambda_config": {
                "before": dict(self.lambda_config_before),
                "after": dict(self.lambda_config_after),
                "diff": self.lambda_config_diff(),
            },
            "permissions": {
                "add": [p.to_json() for p in self.permission_adds],
                "remove": [p.to_json() for p in self.permission_removes],
            },
            "owned_before": self.owned_before.to_json(),
            "owned_after": self.owned_after.to_json(),
        }


@dataclass(frozen=True)
class PoolResult:
    """What :meth:`Wiring.apply` did.  Persist ``owned`` as the new ownership."""

    plan: PoolPlan
    #: True when at least one write call was made
    changed: bool
    #: ownership after the run: store it (state file / custom-resource data)
    owned: Ownership
    #: LambdaConfig as read back by the verifying DescribeUserPool
    lambda_config: Mapping[str, Any]
    #: how many plan/write/verify rounds it took (1 unless another writer interfered)
    attempts: int = 1
    #: write calls made: ``("AddPermission", function_arn)``, ``("UpdateUserPool", pool_id)``...
    writes: Tuple[Tuple[str, str], ...] = ()
    #: pool settings (besides LambdaConfig) that read back differently after
    #: our UpdateUserPool: empty normally; print a warning otherwise
    settings_drift: Tuple[str, ...] = ()

    def to_json(self) -> Dict[str, Any]:
        return {
            "pool": self.plan.pool.to_json(),
            "changed": self.changed,
            "settings_drift": list(self.settings_drift),
            "attempts": self.attempts,
            "writes": [list(w) for w in self.writes],
            "lambda_config": dict(self.lambda_config),
            "owned": self.owned.to_json(),
            "plan": self.plan.to_json(),
        }


#: ``StatusRow.state`` values
STATUS_STATES = (
    "attached",  # declared, pool holds our function (and version)
    "missing",  # declared, slot empty
    "drift",  # declared, our function but another version / legacy key out of sync
    "foreign",  # declared, slot held by another function
    "stale",  # not declared any more, still holds the function we attached
    "other",  # not declared, not ours: another owner's trigger (informational)
)


@dataclass(frozen=True)
class StatusRow:
    """One slot of ``status``: what the app declares vs what the pool holds."""

    trigger: str
    config_key: str
    state: str
    declared_arn: Optional[str] = None
    declared_version: Optional[str] = None
    actual_arn: Optional[str] = None
    actual_version: Optional[str] = None
    owned: bool = False
    #: True/False: our invoke permission is present / missing; None: not applicable
    permission_ok: Optional[bool] = None

    def to_json(self) -> Dict[str, Any]:
        return {
            "trigger": self.trigger,
            "config_key": self.config_key,
            "state": self.state,
            "declared": {"arn": self.declared_arn, "version": self.declared_version},
            "actual": {"arn": self.actual_arn, "version": self.actual_version},
            "owned": self.owned,
            "permission_ok": self.permission_ok,
        }


@dataclass(frozen=True)
class PoolStatus:
    """``status`` of one pool: rows for every declared, owned or occupied slot."""

    pool: PoolRef
    rows: Tuple[StatusRow, ...]
    kms_key_arn: Optional[str] = None

    @property
    def healthy(self) -> bool:
        """True when every declared trigger is attached with its permission."""
        return all(
            r.state in ("attached", "other") and r.permission_ok is not False for r in self.rows
        )

    def to_json(self) -> Dict[str, Any]:
        """The ``--json`` shape of ``status`` (documented in docs/how-to/wiring.md)."""
        return {
            "pool": self.pool.to_json(),
            "healthy": self.healthy,
            "kms_key_arn": self.kms_key_arn,
            "rows": [r.to_json() for r in self.rows],
        }
