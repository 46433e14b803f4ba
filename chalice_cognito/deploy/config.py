"""The ``cognito`` section of ``.chalice/config.json``: which pools, how to wire them.

Two forms, at the top level (every stage) and/or under ``stages.<stage>``
(the stage wins)::

    "cognito": {"user_pool_id": "eu-west-1_AbC", "kms_key_arn": "arn:aws:kms:...",
                "on_conflict": "fail", "local": false}

    "cognito": {"local": true, "user_pool_name": "shop-local", "local_groups": ["customers"]}

    "cognito": {"user_pools": {
        "customers": {"user_pool_name": "customers-prod", "default": true},
        "staff": {"user_pool_id": "eu-west-1_XyZ", "on_conflict": "replace"}}}

A single-pool section is the pool alias ``default``.  ``precompile_bytecode``
(either form, default true) is about the deployment zip, not a pool: see
:func:`precompile_bytecode`.  The ``--user-pool-id``
flag, then the ``CHALICE_COGNITO_USER_POOL_ID`` environment variable, override
the default pool's id.  Loading is pure (no AWS): names are resolved later by
:meth:`chalice_cognito.deploy.wiring.Wiring.resolve_pool`.

Stock Chalice ignores unknown config keys, so this section does not disturb
``chalice deploy``; it is validated here instead, with suggestions for typos.
This is the one parser of the section: ``chalice-cognito package`` reads it
too (:func:`chalice_cognito.iac.targets.load_pool_targets`), including the
packaging-only keys (:data:`TEMPLATE_ONLY_KEYS`) carried on :class:`PoolSettings`.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Union

from chalice_cognito.catalogue import did_you_mean
from chalice_cognito.deploy.errors import ConfigError
from chalice_cognito.deploy.model import ON_CONFLICT_VALUES, PlanOptions

#: environment variable overriding the default pool's id (below the CLI flag)
ENV_USER_POOL_ID = "CHALICE_COGNITO_USER_POOL_ID"

#: alias of the pool of the single-pool form
DEFAULT_ALIAS = "default"

#: keys read by ``chalice-cognito package`` only (chalice_cognito.iac.targets):
#: a pool defined in the template or passed as a parameter.  Accepted here so
#: one config serves deploy and package; deploy refuses such a pool clearly.
TEMPLATE_ONLY_KEYS = ("user_pool_resource", "user_pool_parameter", "kms_key_resource")
#: keys that say which pool an entry is; a stage setting any of them replaces
#: all of them inherited from the top level.  Packaging prefers them in this order.
IDENTITY_KEYS = ("user_pool_resource", "user_pool_parameter", "user_pool_id", "user_pool_name")
_POOL_KEYS = (
    "user_pool_id",
    "user_pool_name",
    "region",
    "kms_key_arn",
    "on_conflict",
    "local",
    "local_groups",
    "confirm_delay_seconds",
    *TEMPLATE_ONLY_KEYS,
)
#: keys allowed in one entry of ``user_pools`` (``default`` marks the default pool)
_ENTRY_KEYS = (*_POOL_KEYS, "default")
#: keys allowed next to ``user_pools``: defaults for every pool
_MULTI_KEYS = (
    "user_pools",
    "region",
    "kms_key_arn",
    "on_conflict",
    "local",
    "confirm_delay_seconds",
)
_SINGLE_KEYS = _POOL_KEYS
#: keys about the project, not a pool: allowed in the section (either form,
#: top level or stage) but not inside a ``user_pools`` entry
PROJECT_KEYS = ("precompile_bytecode",)

# Every pattern is used with ``fullmatch``: ``$`` would let a trailing newline
# through, and the value would then fail in the middle of a deploy.
#: a user pool id (Cognito's own pattern; cognito-local's ``local_...`` too), at most 55 chars
POOL_ID_RE = re.compile(r"[\w-]+_[0-9A-Za-z]+", re.ASCII)
#: a KMS *key* ARN (not an alias: Cognito's KMSKeyID and kms:Decrypt need the key)
KEY_ARN_RE = re.compile(r"arn:aws[a-z-]*:kms:[a-z]{2}(?:-[a-z]+)+-\d{1,2}:\d{12}:key/[0-9A-Za-z-]+")
#: an AWS region name
REGION_RE = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
#: a user pool name (Cognito's pattern, 1-128 chars; no leading/trailing space, checked apart)
POOL_NAME_RE = re.compile(r"[\w\s+=,.@-]{1,128}")
#: a group name: Cognito allows letters, marks, symbols, numbers, punctuation (no space)
GROUP_NAME_RE = re.compile(r"[^\s\x00-\x1f\x7f]{1,128}")
#: a CloudFormation logical id or a Terraform address (``aws_kms_key.k``, ``module.m.x[0]``)
RESOURCE_RE = re.compile(r"[A-Za-z0-9_.\[\]-]{1,255}")
#: a CloudFormation parameter / Terraform variable name
PARAMETER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,254}")
#: a pool alias (a key of ``user_pools``): printable, no space
ALIAS_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
#: upper bound of ``confirm_delay_seconds``: the confirming read waits this long per
#: pool write, so a larger value is a typo (or 1e300), not a tuning
MAX_CONFIRM_DELAY_SECONDS = 60.0
_POOL_ID_MAX = 55


@dataclass(frozen=True)
class PoolSettings:
    """One pool of the config: how to find it and how to wire it."""

    alias: str
    user_pool_id: Optional[str] = None
    user_pool_name: Optional[str] = None
    #: region for a name lookup (an id carries its own region)
    region: Optional[str] = None
    kms_key_arn: Optional[str] = None
    on_conflict: str = "fail"
    #: wire to the local emulator instead of AWS (used by the local tooling)
    local: bool = False
    #: groups created in the emulator's pool (local deploys only; ignored on AWS)
    local_groups: Tuple[str, ...] = ()
    default: bool = False
    #: seconds between the read that verifies an UpdateUserPool and a second,
    #: confirming read that catches a concurrent writer's stale copy landing
    #: just after ours (Cognito has no conditional update).  None: the
    #: engine's default (1 s); 0: no confirming read (a pool nobody else
    #: writes to, e.g. the embedded emulator's).
    confirm_delay_seconds: Optional[float] = None
    #: packaging only: CloudFormation logical id / Terraform address of the pool
    user_pool_resource: Optional[str] = None
    #: packaging only: template parameter / Terraform variable holding the pool id
    user_pool_parameter: Optional[str] = None
    #: packaging only: CloudFormation logical id / Terraform address of the KMS key
    kms_key_resource: Optional[str] = None

    @property
    def template_only(self) -> bool:
        """The pool is only named for ``chalice-cognito package`` (a template
        resource or parameter): there is nothing deploy could wire."""
        return not (self.user_pool_id or self.user_pool_name)

    def plan_options(self, force: bool = False) -> PlanOptions:
        """The planner options these settings imply (``force`` comes from the CLI)."""
        return PlanOptions(
            on_conflict=self.on_conflict,
            force=force,
            kms_key_arn=self.kms_key_arn,
            confirm_delay=self.confirm_delay_seconds,
        )

    @property
    def label(self) -> str:
        """How messages name the pool: ``pool 'staff' (eu-west-1_XyZ)``."""
        where = self.user_pool_id or f"name {self.user_pool_name!r}"
        return f"pool {self.alias!r} ({where})"


@dataclass(frozen=True)
class CognitoConfig:
    """Every pool of one stage, by alias."""

    stage: str
    pools: Mapping[str, PoolSettings] = field(default_factory=dict)
    #: ship checked-hash ``.pyc`` files in the deployment zip (see
    #: :mod:`chalice_cognito.deploy.bytecode`); ``precompile_bytecode`` key
    precompile_bytecode: bool = True

    @property
    def default_alias(self) -> Optional[str]:
        """The alias triggers without ``user_pool=`` go to (None when ambiguous/empty)."""
        for alias, pool in self.pools.items():
            if pool.default:
                return alias
        if len(self.pools) == 1:
            return next(iter(self.pools))
        return None

    def pool_for(self, alias: Optional[str]) -> PoolSettings:
        """The settings for a trigger's ``user_pool`` (None = the default pool)."""
        if not self.pools:
            raise ConfigError(
                f"No Cognito user pool configured for stage {self.stage!r}: add "
                '"cognito": {"user_pool_id": "<region>_<id>"} (or "user_pool_name") to '
                f".chalice/config.json, pass --user-pool-id, or set {ENV_USER_POOL_ID}."
            )
        if alias is None:
            default = self.default_alias
            if default is None:
                raise ConfigError(
                    f"Several user pools are configured ({', '.join(self.pools)}) and none is "
                    'marked "default": true; mark one, or pass user_pool= to the trigger.'
                )
            return self._wireable(self.pools[default])
        if alias not in self.pools:
            raise ConfigError(
                f"Trigger names user pool {alias!r}, which is not in the cognito config of "
                f"stage {self.stage!r}.{did_you_mean(alias, self.pools)} "
                f"Configured pools: {', '.join(self.pools)}."
            )
        return self._wireable(self.pools[alias])

    @staticmethod
    def _wireable(pool: PoolSettings) -> PoolSettings:
        if pool.template_only:
            raise ConfigError(
                f"cognito pool {pool.alias!r} is defined for packaging only "
                "(user_pool_resource / user_pool_parameter): deploy, attach and plan need "
                "user_pool_id or user_pool_name (per stage), or --user-pool-id; "
                "use `chalice-cognito package` for the template."
            )
        return pool

    def check_aliases(self, aliases: Iterable[Optional[str]]) -> None:
        """Fail (ConfigError) if any trigger's pool alias cannot be resolved."""
        for alias in aliases:
            self.pool_for(alias)


def read_config_file(project_dir: Union[str, Path]) -> Dict[str, Any]:
    """Read ``<project_dir>/.chalice/config.json`` (``{}`` when absent)."""
    path = Path(project_dir) / ".chalice" / "config.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConfigError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object.")
    return data


def load_cognito_config(
    config: Union[Mapping[str, Any], str, Path],
    stage: str,
    *,
    user_pool_id: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> CognitoConfig:
    """Build the :class:`CognitoConfig` of ``stage``.

    ``config`` is the parsed ``.chalice/config.json`` or a project directory.
    ``user_pool_id`` (the CLI flag) and then ``environ[CHALICE_COGNITO_USER_POOL_ID]``
    (``os.environ`` by default) override the default pool's id.  Raises
    :class:`ConfigError` with a precise message for any mistake.
    """
    data = read_config_file(config) if isinstance(config, (str, Path)) else config
    env = os.environ if environ is None else environ
    top = _section(data.get("cognito"), "cognito")
    stages = data.get("stages") or {}
    stage_data = stages.get(stage) if isinstance(stages, Mapping) else None
    stage_section = _section(
        (stage_data or {}).get("cognito") if isinstance(stage_data, Mapping) else None,
        f"stages.{stage}.cognito",
    )
    merged = _merge(
        _normalise(top, "cognito"), _normalise(stage_section, f"stages.{stage}.cognito")
    )
    pools = {alias: _build(alias, entry) for alias, entry in merged.items()}
    precompile = precompile_bytecode(data, stage)

    override = user_pool_id or env.get(ENV_USER_POOL_ID) or None
    if override:
        if not is_pool_id(override):
            raise ConfigError(
                f"User pool id override {override!r} (--user-pool-id or {ENV_USER_POOL_ID}) "
                "is not a pool id: use the pool's Id as shown by `aws cognito-idp "
                "list-user-pools`, e.g. eu-west-1_AbC123 (no spaces or newline)."
            )
        cfg = CognitoConfig(stage=stage, pools=pools, precompile_bytecode=precompile)
        alias = cfg.default_alias if pools else DEFAULT_ALIAS
        if alias is None:
            raise ConfigError(
                "--user-pool-id / CHALICE_COGNITO_USER_POOL_ID override the default pool, but "
                'several pools are configured and none is marked "default": true.'
            )
        base = pools.get(alias) or PoolSettings(alias=alias, default=True)
        pools = dict(pools)
        # the override names an existing pool: it wins over every identity key
        pools[alias] = replace(
            base,
            user_pool_id=override,
            user_pool_name=None,
            user_pool_resource=None,
            user_pool_parameter=None,
        )

    for settings in pools.values():
        # a template-only pool is refused when a command needs it (CognitoConfig.pool_for)
        if not any(getattr(settings, key) for key in IDENTITY_KEYS):
            raise ConfigError(
                f"The {_where(settings.alias)} of stage {stage!r} names no user pool: "
                "set user_pool_id or user_pool_name (`chalice-cognito package` also takes "
                "user_pool_resource or user_pool_parameter)."
            )
    defaults = [a for a, p in pools.items() if p.default]
    if len(defaults) > 1:
        raise ConfigError(
            f"Several pools are marked default: {', '.join(defaults)}; mark only one."
        )
    return CognitoConfig(stage=stage, pools=pools, precompile_bytecode=precompile)


def precompile_bytecode(config: Mapping[str, Any], stage: str) -> bool:
    """The ``precompile_bytecode`` key of ``stage`` (stage section, then top level; default true).

    Read on its own by the packagers (``packaging.create_build_stage``),
    which need this key but not the pools (whose checks may depend on CLI
    flags the build stage does not see).
    """
    value: Any = True
    stages = config.get("stages") or {}
    stage_data = stages.get(stage) if isinstance(stages, Mapping) else None
    stage_section = (stage_data or {}).get("cognito") if isinstance(stage_data, Mapping) else None
    for where, section in (
        ("cognito", _section(config.get("cognito"), "cognito")),
        (f"stages.{stage}.cognito", _section(stage_section, f"stages.{stage}.cognito")),
    ):
        if section is not None and "precompile_bytecode" in section:
            value = section["precompile_bytecode"]
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: precompile_bytecode must be true or false.")
    return bool(value)


def _section(value: Any, where: str) -> Optional[Mapping[str, Any]]:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a JSON object, not {type(value).__name__}.")
    return value


def _check_keys(entry: Mapping[str, Any], allowed: Tuple[str, ...], where: str) -> None:
    for key in entry:
        if key not in allowed:
            raise ConfigError(
                f"Unknown key {key!r} in {where}.{did_you_mean(str(key), allowed)} "
                f"Allowed keys: {', '.join(allowed)}."
            )


def _normalise(section: Optional[Mapping[str, Any]], where: str) -> Dict[str, Dict[str, Any]]:
    """Either form -> ``{alias: raw entry}`` (defaults of the multi form pushed into entries)."""
    if section is None:
        return {}
    if "user_pools" not in section:
        _check_keys(section, (*_SINGLE_KEYS, *PROJECT_KEYS), where)
        pool = {k: v for k, v in section.items() if k not in PROJECT_KEYS}
        return {DEFAULT_ALIAS: {**pool, "default": True}} if pool else {}
    _check_keys(section, (*_MULTI_KEYS, *PROJECT_KEYS), where)
    pools = section["user_pools"]
    if not isinstance(pools, Mapping) or not pools:
        raise ConfigError(f"{where}.user_pools must be a non-empty object of alias -> pool.")
    shared = {k: v for k, v in section.items() if k != "user_pools" and k not in PROJECT_KEYS}
    out: Dict[str, Dict[str, Any]] = {}
    for alias, entry in pools.items():
        entry_where = f"{where}.user_pools.{alias}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{entry_where} must be a JSON object.")
        _check_keys(entry, _ENTRY_KEYS, entry_where)
        out[str(alias)] = {**shared, **entry}
    return out


def _merge(
    top: Dict[str, Dict[str, Any]], stage: Dict[str, Dict[str, Any]]
) -> Dict[str, Dict[str, Any]]:
    """Stage entries win key by key; a stage naming its pool (any identity key) drops the
    identity keys inherited from the top level, so an id cannot outlive a stage's resource."""
    out = {alias: dict(entry) for alias, entry in top.items()}
    for alias, entry in stage.items():
        base = out.get(alias, {})
        if any(key in entry for key in IDENTITY_KEYS):
            base = {k: v for k, v in base.items() if k not in IDENTITY_KEYS}
        out[alias] = {**base, **entry}
    return out


def _where(alias: str) -> str:
    """How messages name an entry: the single-pool form is "cognito config"."""
    return f"cognito pool {alias!r}" if alias != DEFAULT_ALIAS else "cognito config"


def is_pool_id(value: str) -> bool:
    """``value`` is a whole user pool id (no trailing newline, at most 55 characters)."""
    return len(value) <= _POOL_ID_MAX and POOL_ID_RE.fullmatch(value) is not None


def is_key_arn(value: str) -> bool:
    """``value`` is a whole KMS key ARN (``arn:aws:kms:<region>:<account>:key/<id>``)."""
    return KEY_ARN_RE.fullmatch(value) is not None


def _build(alias: str, entry: Mapping[str, Any]) -> PoolSettings:
    where = _where(alias)
    if alias != DEFAULT_ALIAS and not ALIAS_RE.fullmatch(alias):
        raise ConfigError(
            f"{where}: the pool alias (a key of user_pools) must be 1-64 letters, digits, "
            "'_', '.' or '-'; rename it (and the user_pool= of its triggers)."
        )
    pool_id = _opt_str(entry, "user_pool_id", where)
    name = _opt_str(entry, "user_pool_name", where)
    if pool_id and name:
        raise ConfigError(
            f"{where} sets both user_pool_id ({pool_id}) and user_pool_name ({name!r}); keep one."
        )
    if pool_id is not None and not is_pool_id(pool_id):
        raise ConfigError(
            f"{where}: user_pool_id {pool_id!r} is not a pool id: use the pool's Id "
            "(<region>_<id>, e.g. eu-west-1_AbC123) without spaces or a trailing newline."
        )
    if name is not None and (name != name.strip() or not POOL_NAME_RE.fullmatch(name)):
        raise ConfigError(
            f"{where}: user_pool_name {name!r} is not a user pool name: 1-128 letters, "
            "digits, spaces or +=,.@-, with no leading or trailing space or newline."
        )
    region = _opt_str(entry, "region", where)
    if region is not None and not REGION_RE.fullmatch(region):
        raise ConfigError(
            f"{where}: region {region!r} is not an AWS region name: use e.g. eu-west-1 "
            "(no spaces or trailing newline)."
        )
    kms = _opt_str(entry, "kms_key_arn", where)
    if kms is not None and not is_key_arn(kms):
        raise ConfigError(
            f"{where}: kms_key_arn {kms!r} is not a KMS key ARN: use the key's ARN "
            "(arn:aws:kms:<region>:<account>:key/<key id>), not an alias, a key id or a "
            "value with a trailing newline."
        )
    on_conflict = entry.get("on_conflict", "fail")
    if not isinstance(on_conflict, str) or on_conflict not in ON_CONFLICT_VALUES:
        raise ConfigError(
            f"{where}: on_conflict must be one of {', '.join(ON_CONFLICT_VALUES)}, "
            f"not {on_conflict!r}."
        )
    for flag in ("local", "default"):
        if flag in entry and not isinstance(entry[flag], bool):
            raise ConfigError(
                f"{where}: {flag} must be true or false (a JSON boolean), not {entry[flag]!r}."
            )
    groups = entry.get("local_groups", [])
    if not isinstance(groups, list) or not all(
        isinstance(g, str) and GROUP_NAME_RE.fullmatch(g) for g in groups
    ):
        raise ConfigError(
            f"{where}: local_groups must be a list of group names (1-128 characters, "
            f'no spaces or newlines), e.g. ["customers", "staff"]; not {groups!r}.'
        )
    if len(set(groups)) != len(groups):
        raise ConfigError(f"{where}: local_groups lists a group twice; list each group once.")
    delay = _confirm_delay(entry.get("confirm_delay_seconds"), where)
    resources = {
        key: _opt_str(entry, key, where)
        for key in ("user_pool_resource", "kms_key_resource", "user_pool_parameter")
    }
    for key, value in resources.items():
        pattern = PARAMETER_RE if key == "user_pool_parameter" else RESOURCE_RE
        if value is not None and not pattern.fullmatch(value):
            kind = (
                "a template parameter / Terraform variable name"
                if key == "user_pool_parameter"
                else "a CloudFormation logical id or Terraform address"
            )
            raise ConfigError(
                f"{where}: {key} {value!r} is not {kind}: letters, digits and _ . - "
                "(no spaces or trailing newline)."
            )
    return PoolSettings(
        alias=alias,
        user_pool_id=pool_id,
        user_pool_name=name,
        region=region,
        kms_key_arn=kms,
        on_conflict=on_conflict,
        local=bool(entry.get("local", False)),
        local_groups=tuple(groups),
        default=bool(entry.get("default", False)),
        confirm_delay_seconds=delay,
        user_pool_resource=resources["user_pool_resource"],
        user_pool_parameter=resources["user_pool_parameter"],
        kms_key_resource=resources["kms_key_resource"],
    )


def _confirm_delay(value: Any, where: str) -> Optional[float]:
    """``confirm_delay_seconds``: a finite number of seconds in [0, 60] (``None``: the default).

    JSON's ``1e300``, Python's ``json`` extensions ``Infinity`` / ``NaN``, a
    string or a boolean would pass a bare ``>= 0`` test or fail only at the
    ``time.sleep`` after the pool was written; they are refused here.
    """
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not 0 <= value <= MAX_CONFIRM_DELAY_SECONDS
    ):
        raise ConfigError(
            f"{where}: confirm_delay_seconds must be a number of seconds from 0 to "
            f"{MAX_CONFIRM_DELAY_SECONDS:g} (default 1; 0 turns the confirming read off), "
            f"not {value!r}."
        )
    return float(value)


def _opt_str(entry: Mapping[str, Any], key: str, where: str) -> Optional[str]:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {key} must be a non-empty string, not {value!r}.")
    return value
