"""The one table of Cognito user pool triggers.

Every other part of chalice-cognito reads this table instead of keeping its own
list: the decorator's checks (names, versions), event parsing (which model for
which ``triggerSource``), sample events, redaction of secrets in logs, the
LambdaConfig diff of the deploy half and the IaC templates.  Supporting a new
Cognito trigger is one :class:`TriggerSpec` entry here plus its event model.

This module is part of the runtime half: standard library only.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Optional, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from chalice_cognito.events.base import CognitoEvent

#: LambdaVersion values mapped to the ``version`` field Cognito puts in events.
EVENT_VERSION_OF = {"V1_0": "1", "V2_0": "2", "V3_0": "3"}

#: Pool tiers on which a LambdaVersion is not available (feature plans page:
#: access-token customisation needs Essentials or Plus).
TIERS_WITHOUT_VERSION = {"V2_0": ("LITE",), "V3_0": ("LITE",)}


@dataclass(frozen=True)
class TriggerSpec:
    """What chalice-cognito knows about one Cognito trigger.

    ``name`` is the decorator argument and the LambdaConfig key of the plain
    ARN form.  Versioned triggers are written as ``{LambdaArn, LambdaVersion}``
    objects under ``config_key``; ``legacy_key`` is the older plain-ARN key that
    Cognito keeps consistent with it (PreTokenGeneration).
    """

    name: str
    #: ``triggerSource`` = ``<source_prefix>_<source>``
    source_prefix: str
    sources: Tuple[str, ...]
    #: event ``version`` -> ``"module:Class"`` of the event model, imported
    #: lazily so a Lambda cold start only pays for the trigger it serves.
    #: The ``"*"`` entry is used for any other version (cognito-local sends "0").
    models: Mapping[str, str]
    config_key: str
    versions: Tuple[str, ...] = ()
    default_version: Optional[str] = None
    legacy_key: Optional[str] = None
    requires_kms: bool = False
    #: Cognito invokes this trigger asynchronously (custom senders).
    asynchronous: bool = False
    #: dotted camelCase paths, on the event side (``request.password``) and on
    #: the response side (``response.privateChallengeParameters``, which the
    #: handler sets), whose values are secrets: scrubbed from every error the
    #: dispatcher raises and every line it logs.  The one list of secrets.
    #: (CustomMessage's ``codeParameter`` is a placeholder such as ``{####}``
    #: that Cognito replaces after the trigger, not a secret.)
    secret_fields: Tuple[str, ...] = ()
    #: sources that only exist from a given LambdaVersion on.
    source_min_version: Mapping[str, str] = field(default_factory=dict)
    #: cognito-local (the emulator) can invoke this trigger.
    emulated_by_cognito_local: bool = False
    summary: str = ""

    @property
    def versioned(self) -> bool:
        """True when LambdaConfig holds a ``{LambdaArn, LambdaVersion}`` object."""
        return bool(self.versions)

    @property
    def trigger_sources(self) -> Tuple[str, ...]:
        """Every full ``triggerSource`` string this trigger receives."""
        return tuple(f"{self.source_prefix}_{s}" for s in self.sources)

    def model_path(self, event_version: object) -> str:
        """The ``module:Class`` of the model for an event of this version.

        Any ``version`` value is accepted (the model then validates it): a
        string or number picks its entry, anything else the ``"*"`` model.
        """
        if isinstance(event_version, int) and not isinstance(event_version, bool):
            event_version = str(event_version) if event_version.bit_length() < 64 else None
        key = event_version if isinstance(event_version, str) else "*"
        return self.models.get(key, self.models["*"])

    def model_for(self, event_version: object) -> type[CognitoEvent]:
        """Import (once) and return the event model for an event version."""
        return _import_model(self.model_path(event_version))

    def receives(self, trigger_source: str) -> bool:
        """True when ``trigger_source`` is one of this trigger's (by prefix, as routing does)."""
        return trigger_source.partition("_")[0].lower() == self.source_prefix.lower()

    def sources_for(self, version: Optional[str]) -> Tuple[str, ...]:
        """The trigger sources a function configured with ``version`` receives."""
        order = list(EVENT_VERSION_OF)
        have = order.index(version) if version in order else 0
        return tuple(
            f"{self.source_prefix}_{s}"
            for s in self.sources
            if order.index(self.source_min_version.get(s, "V1_0")) <= have
        )


_EVENTS = "chalice_cognito.events"

TRIGGERS: Tuple[TriggerSpec, ...] = (
    TriggerSpec(
        name="PreSignUp",
        source_prefix="PreSignUp",
        sources=("SignUp", "AdminCreateUser", "ExternalProvider"),
        models={"*": f"{_EVENTS}.signup:PreSignUpEvent"},
        config_key="PreSignUp",
        emulated_by_cognito_local=True,
        summary="validate or auto-confirm a sign-up",
    ),
    TriggerSpec(
        name="PostConfirmation",
        source_prefix="PostConfirmation",
        sources=("ConfirmSignUp", "ConfirmForgotPassword"),
        models={"*": f"{_EVENTS}.signup:PostConfirmationEvent"},
        config_key="PostConfirmation",
        emulated_by_cognito_local=True,
        summary="act on a confirmed user (welcome, groups)",
    ),
    TriggerSpec(
        name="PreAuthentication",
        source_prefix="PreAuthentication",
        sources=("Authentication",),
        models={"*": f"{_EVENTS}.authentication:PreAuthenticationEvent"},
        config_key="PreAuthentication",
        summary="allow or deny a sign-in",
    ),
    TriggerSpec(
        name="PostAuthentication",
        source_prefix="PostAuthentication",
        sources=("Authentication",),
        models={"*": f"{_EVENTS}.authentication:PostAuthenticationEvent"},
        config_key="PostAuthentication",
        emulated_by_cognito_local=True,
        summary="act on a successful sign-in (audit)",
    ),
    TriggerSpec(
        name="PreTokenGeneration",
        source_prefix="TokenGeneration",
        sources=(
            "HostedAuth",
            "Authentication",
            "NewPasswordChallenge",
            "AuthenticateDevice",
            "RefreshTokens",
            "ClientCredentials",
        ),
        models={
            "2": f"{_EVENTS}.token:PreTokenGenerationV2Event",
            "3": f"{_EVENTS}.token:PreTokenGenerationV2Event",
            "*": f"{_EVENTS}.token:PreTokenGenerationV1Event",
        },
        config_key="PreTokenGenerationConfig",
        versions=("V1_0", "V2_0", "V3_0"),
        default_version="V1_0",
        legacy_key="PreTokenGeneration",
        source_min_version={"ClientCredentials": "V3_0"},
        emulated_by_cognito_local=True,
        summary="customise ID/access token claims, groups and scopes",
    ),
    TriggerSpec(
        name="CustomMessage",
        source_prefix="CustomMessage",
        sources=(
            "SignUp",
            "AdminCreateUser",
            "ResendCode",
            "ForgotPassword",
            "UpdateUserAttribute",
            "VerifyUserAttribute",
            "Authentication",
        ),
        models={"*": f"{_EVENTS}.message:CustomMessageEvent"},
        config_key="CustomMessage",
        emulated_by_cognito_local=True,
        summary="write the verification/invitation email or SMS",
    ),
    TriggerSpec(
        name="DefineAuthChallenge",
        source_prefix="DefineAuthChallenge",
        sources=("Authentication",),
        models={"*": f"{_EVENTS}.challenge:DefineAuthChallengeEvent"},
        config_key="DefineAuthChallenge",
        summary="custom auth: decide the next challenge",
    ),
    TriggerSpec(
        name="CreateAuthChallenge",
        source_prefix="CreateAuthChallenge",
        sources=("Authentication",),
        models={"*": f"{_EVENTS}.challenge:CreateAuthChallengeEvent"},
        config_key="CreateAuthChallenge",
        secret_fields=("response.privateChallengeParameters",),
        summary="custom auth: create a challenge",
    ),
    TriggerSpec(
        name="VerifyAuthChallengeResponse",
        source_prefix="VerifyAuthChallengeResponse",
        sources=("Authentication",),
        models={"*": f"{_EVENTS}.challenge:VerifyAuthChallengeResponseEvent"},
        config_key="VerifyAuthChallengeResponse",
        secret_fields=("request.privateChallengeParameters", "request.challengeAnswer"),
        summary="custom auth: check the answer",
    ),
    TriggerSpec(
        name="UserMigration",
        source_prefix="UserMigration",
        sources=("Authentication", "ForgotPassword"),
        models={"*": f"{_EVENTS}.migration:UserMigrationEvent"},
        config_key="UserMigration",
        secret_fields=("request.password",),
        emulated_by_cognito_local=True,
        summary="import a user from a legacy store on first sign-in",
    ),
    TriggerSpec(
        name="CustomEmailSender",
        source_prefix="CustomEmailSender",
        sources=(
            "SignUp",
            "ResendCode",
            "ForgotPassword",
            "UpdateUserAttribute",
            "VerifyUserAttribute",
            "AdminCreateUser",
            "Authentication",
            "AccountTakeOverNotification",
        ),
        models={"*": f"{_EVENTS}.sender:CustomEmailSenderEvent"},
        config_key="CustomEmailSender",
        versions=("V1_0",),
        default_version="V1_0",
        requires_kms=True,
        asynchronous=True,
        secret_fields=("request.code",),
        summary="deliver emails through your own provider",
    ),
    TriggerSpec(
        name="CustomSMSSender",
        source_prefix="CustomSMSSender",
        sources=(
            "SignUp",
            "ResendCode",
            "ForgotPassword",
            "UpdateUserAttribute",
            "VerifyUserAttribute",
            "AdminCreateUser",
            "Authentication",
        ),
        models={"*": f"{_EVENTS}.sender:CustomSMSSenderEvent"},
        config_key="CustomSMSSender",
        versions=("V1_0",),
        default_version="V1_0",
        requires_kms=True,
        asynchronous=True,
        secret_fields=("request.code",),
        summary="deliver SMS through your own provider",
    ),
    TriggerSpec(
        name="InboundFederation",
        source_prefix="InboundFederation",
        sources=("ExternalProvider",),
        models={"*": f"{_EVENTS}.federation:InboundFederationEvent"},
        config_key="InboundFederation",
        versions=("V1_0",),
        default_version="V1_0",
        secret_fields=("request.attributes.tokenResponse",),
        summary="map federated IdP attributes before the profile is written",
    ),
)

BY_NAME: Mapping[str, TriggerSpec] = {t.name: t for t in TRIGGERS}

#: Lower-cased triggerSource prefix -> spec.  Lower-cased because one AWS doc
#: table spells ``CustomSmsSender_*``; Cognito itself sends ``CustomSMSSender_*``.
_BY_PREFIX: Mapping[str, TriggerSpec] = {t.source_prefix.lower(): t for t in TRIGGERS}

#: The LambdaConfig key that holds the pool-wide key of the custom senders.
KMS_KEY_CONFIG_KEY = "KMSKeyID"


class TriggerDeclarationError(ValueError):
    """An ``@app.cognito_trigger(...)`` declaration that cannot work.

    Raised while the app module is imported (decoration time), never inside
    Lambda, so ``chalice-cognito deploy`` can name the line and the fix
    instead of printing a traceback.
    """


class UnknownTriggerError(TriggerDeclarationError):
    """A trigger name or triggerSource that is not in the catalogue."""


def get_trigger(name: str) -> TriggerSpec:
    """Return the spec for a decorator trigger name, or fail with a suggestion."""
    try:
        return BY_NAME[name]
    except (KeyError, TypeError):
        pass
    raise UnknownTriggerError(
        f"Unknown Cognito trigger {name!r}.{did_you_mean(str(name), BY_NAME)} "
        f"Valid triggers: {', '.join(BY_NAME)}."
    )


def trigger_for_source(trigger_source: str) -> TriggerSpec:
    """Return the spec that receives ``trigger_source`` (e.g. ``TokenGeneration_HostedAuth``).

    Only the prefix is matched: a new source that AWS adds under a known
    trigger is still routed to that trigger's model.
    """
    prefix = str(trigger_source).partition("_")[0].lower()
    spec = _BY_PREFIX.get(prefix)
    if spec is None:
        known = [s for t in TRIGGERS for s in t.trigger_sources]
        raise UnknownTriggerError(
            f"Unknown Cognito triggerSource {shown(trigger_source)}."
            f"{did_you_mean(str(trigger_source), known)} "
            "Expected <Trigger>_<Source>, e.g. PreSignUp_SignUp."
        )
    return spec


def all_trigger_sources() -> Tuple[Tuple[TriggerSpec, str], ...]:
    """Every (spec, triggerSource) pair: 41 of them."""
    return tuple((t, s) for t in TRIGGERS for s in t.trigger_sources)


def check_version(spec: TriggerSpec, version: Optional[str]) -> Optional[str]:
    """Validate a decorator ``version`` for ``spec`` and return the effective one."""
    if version is None:
        return spec.default_version
    if not spec.versions or spec.versions == (spec.default_version,):
        if spec.versions and version == spec.default_version:
            return version
        raise TriggerDeclarationError(
            f"Trigger {spec.name!r} takes no version argument"
            + (f" (Cognito only accepts {spec.default_version})" if spec.versions else "")
            + "; remove version=."
        )
    if version not in spec.versions:
        raise TriggerDeclarationError(
            f"Invalid version {version!r} for trigger {spec.name!r}."
            f"{did_you_mean(str(version), spec.versions)} "
            f"Valid versions: {', '.join(spec.versions)}."
        )
    return version


def known_trigger_source(trigger_source: str) -> TriggerSpec:
    """Return the spec of an exact, catalogued ``triggerSource``, or fail with a suggestion.

    Stricter than :func:`trigger_for_source` (which routes any source of a
    known prefix, so new AWS sources still parse): tools that *build* events
    (sample events, the CLI) must not silently accept a typo.
    """
    for spec, source in all_trigger_sources():
        if source == trigger_source:
            return spec
    known = [s for _, s in all_trigger_sources()]
    raise UnknownTriggerError(
        f"Unknown Cognito triggerSource {shown(trigger_source)}."
        f"{did_you_mean(str(trigger_source), known)} "
        f"Valid triggerSources: {', '.join(known)}."
    )


def did_you_mean(word: str, choices: object) -> str:
    """`` Did you mean 'X'?`` for the closest of ``choices`` (case-insensitive first), else ``""``."""
    if len(word) > _LONGEST_SHOWN:
        return ""  # no name is that long, and difflib's cost grows with it
    options = list(choices)  # type: ignore[call-overload]
    lowered = {str(c).lower(): str(c) for c in options}
    if word.lower() in lowered:
        return f" Did you mean {lowered[word.lower()]!r}?"
    import difflib  # only on this error path: its import is ~1 ms of a cold start

    close = difflib.get_close_matches(word, [str(c) for c in options], n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


#: The most characters of an input value an error message quotes.
_LONGEST_SHOWN = 80


def shown(value: object) -> str:
    """``repr(value)`` for an error message, cut to a bounded length.

    Error messages quote names the caller gave (a triggerSource, a field
    name); the input may be megabytes, so only the start is quoted, with the
    full length.  A value that is not a string is named by its type.
    """
    if isinstance(value, int) and value.bit_length() > 256:
        return "<a JSON number too long to show>"
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if not isinstance(value, str):
        return f"<a JSON {'object' if isinstance(value, Mapping) else type(value).__name__}>"
    if len(value) <= _LONGEST_SHOWN:
        return repr(value)
    return f"{value[:_LONGEST_SHOWN]!r}... ({len(value)} characters)"


_MODEL_CACHE: dict[str, type[CognitoEvent]] = {}


def _import_model(path: str) -> type[CognitoEvent]:
    model = _MODEL_CACHE.get(path)
    if model is None:
        module_name, _, class_name = path.partition(":")
        model = getattr(importlib.import_module(module_name), class_name)
        _MODEL_CACHE[path] = model
    return model
