"""Which pool each declared trigger goes to, as the templates need it.

Pure: reads the ``cognito`` section of ``.chalice/config.json`` through
:mod:`chalice_cognito.deploy.config` (one parser for deploy and package) and
the app's :class:`~chalice_cognito.app.TriggerRegistration` list, and answers "pool X gets function F for trigger T (version V)".

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
from chalice_cognito.deploy.config import (
    DEFAULT_ALIAS,
    CognitoConfig,
    PoolSettings,
    load_cognito_config,
)
from chalice_cognito.deploy.errors import ConfigError


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


def load_pool_targets(
    config: Mapping[str, Any], stage: str, *, user_pool_id: Optional[str] = None
) -> Dict[Optional[str], PoolTarget]:
    """The pool targets of ``stage`` from the parsed ``.chalice/config.json``.

    The section is read by :func:`chalice_cognito.deploy.config.load_cognito_config`
    (the one parser of it, so deploy and package agree on keys, stage merging
    and refusals); its :class:`ConfigError` becomes an :class:`IaCConfigError`.
    ``user_pool_id`` (``--user-pool-id``) makes the default pool that existing
    pool.  The environment is not read here: the CLI option does that.
    """
    try:
        cognito = load_cognito_config(config, stage, user_pool_id=user_pool_id, environ={})
    except ConfigError as error:
        raise IaCConfigError(str(error)) from None
    return pool_targets(cognito)


def parse_pools(
    section: Optional[Mapping[str, Any]], stage: str = "dev"
) -> Dict[Optional[str], PoolTarget]:
    """Pool targets of one stage's ``cognito`` section (see :func:`load_pool_targets`)."""
    return load_pool_targets({"cognito": section} if section is not None else {}, stage)


def pool_targets(config: CognitoConfig) -> Dict[Optional[str], PoolTarget]:
    """Pool targets keyed by alias, plus the default pool keyed ``None``.

    The default pool is the single-pool section (alias ``default``), else the
    pool marked ``"default": true`` (or the only one).
    """
    result: Dict[Optional[str], PoolTarget] = {
        alias: _target(settings) for alias, settings in config.pools.items()
    }
    default = config.default_alias
    if default is not None:
        result[None] = result[default]
    return result


def _target(settings: PoolSettings) -> PoolTarget:
    return PoolTarget(
        alias=None if settings.alias == DEFAULT_ALIAS else settings.alias,
        resource=settings.user_pool_resource,
        parameter=settings.user_pool_parameter,
        pool_id=settings.user_pool_id,
        pool_name=settings.user_pool_name,
        kms_key_arn=settings.kms_key_arn,
        kms_key_resource=settings.kms_key_resource,
        on_conflict=settings.on_conflict,
    )


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
