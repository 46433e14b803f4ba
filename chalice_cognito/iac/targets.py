"""Which pool each declared trigger goes to, as the templates need it.

Pure: reads the ``cognito`` section of ``.chalice/config.json`` (already merged
for the stage) and the app's :class:`~chalice_cognito.app.TriggerRegistration`
list, and answers "pool X gets function F for trigger T (version V)".

A pool is either *in the template* (``user_pool_resource``: a CloudFormation
logical id, or a Terraform ``aws_cognito_user_pool`` address), or *existing*
(``user_pool_parameter``: a template parameter / Terraform variable holding the
pool id; ``user_pool_id``; ``user_pool_name``, resolved by the attach Lambda).
When several are given, that order decides: the IaC keys can sit next to the
``user_pool_id`` that ``chalice-cognito deploy`` uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from chalice_cognito.app import TriggerRegistration
from chalice_cognito.catalogue import TriggerSpec

#: Pool settings that matter to packaging.  Other keys of the section (the
#: deploy half's) are ignored here.
POOL_KEYS = (
    "user_pool_resource",
    "user_pool_parameter",
    "user_pool_id",
    "user_pool_name",
    "kms_key_arn",
    "kms_key_resource",
    "on_conflict",
)

ON_CONFLICT_VALUES = ("fail", "replace")

#: Keys of the section that apply to every pool of ``user_pools``.
SHARED_KEYS = ("on_conflict",)


class IaCConfigError(ValueError):
    """The ``cognito`` config cannot be turned into template wiring."""


@dataclass(frozen=True)
class PoolTarget:
    """One user pool as the templates refer to it."""

    #: alias in ``user_pools`` (None: the single/default pool)
    alias: Optional[str] = None
    #: CloudFormation logical id, or Terraform ``aws_cognito_user_pool`` address
    resource: Optional[str] = None
    #: CloudFormation parameter / Terraform variable holding the pool id
    parameter: Optional[str] = None
    pool_id: Optional[str] = None
    pool_name: Optional[str] = None
    kms_key_arn: Optional[str] = None
    #: CloudFormation logical id / Terraform address of an ``AWS::KMS::Key``
    kms_key_resource: Optional[str] = None
    on_conflict: str = "fail"

    @property
    def in_template(self) -> bool:
        """The pool is defined in the same template (or the user's Terraform)."""
        return self.resource is not None

    @property
    def label(self) -> str:
        """How messages name this pool."""
        return "the default pool" if self.alias is None else f"pool {self.alias!r}"

    @property
    def has_kms_key(self) -> bool:
        return bool(self.kms_key_arn or self.kms_key_resource)

    @property
    def logical_suffix(self) -> str:
        """Alphanumeric suffix for resources generated per pool (empty for the default)."""
        if self.alias is None:
            return ""
        return "".join(p[:1].upper() + p[1:] for p in _words(self.alias))


@dataclass(frozen=True)
class Binding:
    """One declared trigger and the pool it is wired to."""

    registration: TriggerRegistration
    pool: PoolTarget

    @property
    def spec(self) -> TriggerSpec:
        return self.registration.spec

    @property
    def function_name(self) -> str:
        """Chalice's resource name of the function (``pre_sign_up``)."""
        return self.registration.function_name

    @property
    def lambda_version(self) -> Optional[str]:
        """LambdaVersion for versioned triggers, else None."""
        if not self.spec.versioned:
            return None
        return self.registration.version or self.spec.default_version


def parse_pools(section: Optional[Mapping[str, Any]]) -> Dict[Optional[str], PoolTarget]:
    """Parse a stage's ``cognito`` section into pool targets keyed by alias.

    The default pool is keyed ``None``: the section itself when it has no
    ``user_pools``, else the pool marked ``"default": true`` (or the only one).
    """
    if not section:
        return {}
    if not isinstance(section, Mapping):
        raise IaCConfigError("The 'cognito' config section must be an object.")
    pools = section.get("user_pools")
    if pools is None:
        return {None: _pool(None, section)}
    if not isinstance(pools, Mapping) or not pools:
        raise IaCConfigError("'cognito.user_pools' must be a non-empty object of pools.")
    # Section-wide policy (on_conflict) applies to every pool unless overridden;
    # pool identities never do.
    shared = {k: v for k, v in section.items() if k in SHARED_KEYS}
    result: Dict[Optional[str], PoolTarget] = {}
    defaults = []
    for alias, raw in pools.items():
        if not isinstance(raw, Mapping):
            raise IaCConfigError(f"'cognito.user_pools.{alias}' must be an object.")
        merged = {**shared, **raw}
        result[str(alias)] = _pool(str(alias), merged)
        if raw.get("default"):
            defaults.append(str(alias))
    if len(defaults) > 1:
        raise IaCConfigError(f"Several pools are marked default: {', '.join(defaults)}.")
    if defaults:
        result[None] = result[defaults[0]]
    elif len(pools) == 1:
        result[None] = next(iter(result.values()))
    return result


def bind(
    registrations: Sequence[TriggerRegistration],
    pools: Mapping[Optional[str], PoolTarget],
) -> List[Binding]:
    """Pair every registration with its pool; fail on what no template could wire."""
    bindings = []
    for reg in registrations:
        pool = pools.get(reg.user_pool)
        if pool is None:
            where = (
                "no default pool is configured"
                if reg.user_pool is None
                else f"pool {reg.user_pool!r} is not in cognito.user_pools"
            )
            raise IaCConfigError(
                f"Trigger {reg.trigger} ({reg.function_name}) cannot be packaged: {where}. "
                "Set cognito.user_pool_resource, user_pool_parameter, user_pool_id or "
                "user_pool_name in .chalice/config.json."
            )
        if reg.spec.requires_kms and not pool.has_kms_key and not pool.in_template:
            raise IaCConfigError(
                f"Trigger {reg.trigger} ({reg.function_name}) needs the pool's KMS key: "
                f"set kms_key_arn (or kms_key_resource) for {pool.label}."
            )
        bindings.append(Binding(registration=reg, pool=pool))
    return bindings


def group_by_pool(bindings: Sequence[Binding]) -> List[Tuple[PoolTarget, List[Binding]]]:
    """Bindings grouped per pool, in declaration order (aliases of one pool merged)."""
    groups: Dict[PoolTarget, List[Binding]] = {}
    for b in bindings:
        groups.setdefault(b.pool, []).append(b)
    return list(groups.items())


def _pool(alias: Optional[str], raw: Mapping[str, Any]) -> PoolTarget:
    values: Dict[str, Optional[str]] = {}
    for key in POOL_KEYS:
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value):
            raise IaCConfigError(f"cognito {key} must be a non-empty string.")
        values[key] = value
    on_conflict = values["on_conflict"] or "fail"
    if on_conflict not in ON_CONFLICT_VALUES:
        raise IaCConfigError(
            f"cognito on_conflict must be one of {', '.join(ON_CONFLICT_VALUES)}, "
            f"not {on_conflict!r}."
        )
    target = PoolTarget(
        alias=alias,
        resource=values["user_pool_resource"],
        parameter=values["user_pool_parameter"],
        pool_id=values["user_pool_id"],
        pool_name=values["user_pool_name"],
        kms_key_arn=values["kms_key_arn"],
        kms_key_resource=values["kms_key_resource"],
        on_conflict=on_conflict,
    )
    if not (target.resource or target.parameter or target.pool_id or target.pool_name):
        label = "the cognito section" if alias is None else f"cognito.user_pools.{alias}"
        raise IaCConfigError(
            f"{label} names no user pool: set user_pool_resource (pool in the template), "
            "user_pool_parameter, user_pool_id or user_pool_name."
        )
    return target


def _words(text: str) -> List[str]:
    word = ""
    words = []
    for ch in text:
        if ch.isalnum():
            word += ch
        elif word:
            words.append(word)
            word = ""
    if word:
        words.append(word)
    return words
