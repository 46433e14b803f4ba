"""Realistic Cognito trigger events for tests, without a user pool.

>>> from chalice.test import Client
>>> from chalice_cognito.testing import sample_event
>>> event = sample_event("PreSignUp_SignUp", request={"userAttributes": {"email": "a@b.c"}})
>>> with Client(app) as client:
...     result = client.lambda_.invoke("pre_sign_up", event)

:func:`sample_event` builds an event for any of the catalogue's 41
``triggerSource`` values, shaped like the events Cognito really sends: string
user attributes, response keys pre-populated with ``null`` (``false`` for pre
sign-up), ``CLIENT_ID_NOT_APPLICABLE`` for admin API calls, optional keys
absent.  Which sources and versions exist comes from
:mod:`chalice_cognito.catalogue`; what each trigger's ``request`` and
``response`` hold comes from the one :data:`TEMPLATES` table below, so a new
trigger is one catalogue entry plus one template.

Runtime half: this module itself needs only the standard library and the
catalogue; :func:`set_path` also consults the event models (pydantic), to
refuse a near miss of a declared field.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Final, Iterator, List, Mapping, Optional, Tuple

from chalice_cognito.catalogue import (
    EVENT_VERSION_OF,
    TriggerSpec,
    all_trigger_sources,
    did_you_mean,
    known_trigger_source,
)

__all__ = [
    "DELETE",
    "TEMPLATES",
    "EventTemplate",
    "Replace",
    "apply_assignment",
    "parse_assignment",
    "sample_event",
    "sample_events",
    "set_path",
]


class _Delete:
    """Type of :data:`DELETE`."""

    _instance: Optional[_Delete] = None

    def __new__(cls) -> _Delete:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DELETE"

    def __deepcopy__(self, memo: Dict[int, Any]) -> _Delete:
        return self


#: Marker value that removes a key, in overrides, templates and :func:`set_path`
#: (``sample_event("UserMigration_Authentication", request={"password": DELETE})``).
#: Real events omit optional keys rather than sending ``null``; this is how a
#: test reproduces that.
DELETE: Final = _Delete()


@dataclass(frozen=True)
class Replace:
    """Marker: put ``value`` in place instead of deep-merging it.

    ``request={"userAttributes": {"email": "x"}}`` adds/changes one attribute;
    ``request={"userAttributes": Replace({"email": "x"})}`` makes it the only one.
    """

    value: Any


@dataclass(frozen=True)
class EventTemplate:
    """What one trigger's sample events hold, beyond the common envelope.

    Every patch is a camelCase fragment of the whole event, deep-merged in
    this order: ``envelope`` -> the common per-source patch (admin API calls)
    -> ``by_version[event version]`` -> ``by_source[source]`` -> the caller's
    overrides.  Use :class:`Replace` and :data:`DELETE` inside patches.
    """

    request: Mapping[str, Any]
    response: Mapping[str, Any] = field(default_factory=dict)
    envelope: Mapping[str, Any] = field(default_factory=dict)
    by_version: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    by_source: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


# -- example data -------------------------------------------------------------
# Documentation ranges only: EXAMPLE ids, 555 phone numbers, 192.0.2.x addresses.

_SUB = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
_USER_ATTRIBUTES: Dict[str, str] = {
    "sub": _SUB,
    "cognito:user_status": "CONFIRMED",
    "email_verified": "true",
    "phone_number_verified": "true",
    "phone_number": "+12065551212",
    "email": "jane.doe@example.com",
}
_UNCONFIRMED = {
    "cognito:user_status": "UNCONFIRMED",
    "email_verified": "false",
    "phone_number_verified": "false",
}
#: An admin-created user who has not yet set a password.
_INVITED = {"cognito:user_status": "FORCE_CHANGE_PASSWORD"}
_FEDERATED_USER = "Google_109876543210987654321"
#: Not decryptable: real codes are AWS Encryption SDK ciphertexts (``AYADe...``).
_CIPHERTEXT = "AYADeEXAMPLEbase64EncodedAwsEncryptionSdkCiphertextDoNotDecryptAAAAAQABAEXAMPLE=="
_SRP_SESSION = [
    {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None},
    {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None},
]
_ATO_ATTRIBUTES = {
    "EVENT_ID": "0f1e2d3c-4b5a-6978-8796-EXAMPLE33333",
    "USER_NAME": "jane.doe",
    "IP_ADDRESS": "192.0.2.1",
    "ACCOUNT_TAKE_OVER_ACTION": "BLOCK",
    "ONE_CLICK_LINK_VALID": "https://cognito-idp.us-east-1.amazonaws.com/EXAMPLE/valid",
    "ONE_CLICK_LINK_INVALID": "https://cognito-idp.us-east-1.amazonaws.com/EXAMPLE/invalid",
    "LOGIN_TIME": "Sun Nov 22 10:00:00 UTC 2026",
    "FEEDBACK_TOKEN": "EXAMPLEfeedbackToken",
}


def _sender(kind: str) -> EventTemplate:
    return EventTemplate(
        request={
            "type": f"custom{kind}SenderRequestV1",
            "code": _CIPHERTEXT,
            "userAttributes": _USER_ATTRIBUTES,
        },
        by_source={
            "SignUp": {"request": {"userAttributes": _UNCONFIRMED}},
            "ResendCode": {"request": {"userAttributes": _UNCONFIRMED}},
            "AdminCreateUser": {"request": {"userAttributes": _INVITED}},
            "AccountTakeOverNotification": {
                "request": {
                    "code": None,
                    "clientMetadata": None,
                    "userAttributes": Replace(_ATO_ATTRIBUTES),
                }
            },
        },
    )


#: Per-trigger request/response templates, keyed by catalogue trigger name.
TEMPLATES: Mapping[str, EventTemplate] = {
    "PreSignUp": EventTemplate(
        request={
            "userAttributes": {
                "email": "jane.doe@example.com",
                "name": "Jane Doe",
                "phone_number": "+12065551212",
            },
            "validationData": None,
        },
        response={"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
        envelope={"userName": "jane.doe"},
        by_source={
            "ExternalProvider": {
                "userName": _FEDERATED_USER,
                "request": {
                    "userAttributes": Replace(
                        {
                            "email_verified": "false",
                            "cognito:email_alias": "",
                            "cognito:phone_number_alias": "",
                            "email": "jane.doe@example.com",
                            "name": "Jane Doe",
                        }
                    ),
                    "validationData": {},
                },
            }
        },
    ),
    "PostConfirmation": EventTemplate(request={"userAttributes": _USER_ATTRIBUTES}),
    "PreAuthentication": EventTemplate(request={"userAttributes": _USER_ATTRIBUTES}),
    "PostAuthentication": EventTemplate(
        request={"userAttributes": _USER_ATTRIBUTES, "newDeviceUsed": False}
    ),
    "PreTokenGeneration": EventTemplate(
        request={
            "userAttributes": _USER_ATTRIBUTES,
            "groupConfiguration": {
                "groupsToOverride": [],
                "iamRolesToOverride": [],
                "preferredRole": None,
            },
        },
        response={"claimsOverrideDetails": None},
        by_version={
            v: {
                "request": {"scopes": ["aws.cognito.signin.user.admin"]},
                "response": Replace({"claimsAndScopeOverrideDetails": None}),
            }
            for v in ("2", "3")
        },
        by_source={
            "HostedAuth": {
                "userName": _FEDERATED_USER,
                "request": {
                    "userAttributes": {"cognito:user_status": "EXTERNAL_PROVIDER"},
                    "groupConfiguration": {"groupsToOverride": ["us-east-1_EXAMPLE_Google"]},
                },
            },
            "NewPasswordChallenge": {"userName": "jane.doe"},
            # Machine-to-machine: no user (UNVERIFIED: no logged real event).
            "ClientCredentials": {
                "userName": DELETE,
                "callerContext": {"clientId": "3machine4client5example6"},
                "request": {"userAttributes": Replace({}), "scopes": ["orders/read"]},
            },
        },
    ),
    "CustomMessage": EventTemplate(
        request={
            "userAttributes": _USER_ATTRIBUTES,
            "codeParameter": "{####}",
            "usernameParameter": None,
        },
        response={"smsMessage": None, "emailMessage": None, "emailSubject": None},
        by_source={
            "SignUp": {
                "request": {"userAttributes": _UNCONFIRMED, "linkParameter": "{##Click Here##}"}
            },
            "ResendCode": {
                "request": {"userAttributes": _UNCONFIRMED, "linkParameter": "{##Click Here##}"}
            },
            # Only the invitation carries a username placeholder (null otherwise).
            "AdminCreateUser": {
                "request": {"usernameParameter": "{username}", "userAttributes": _INVITED}
            },
        },
    ),
    "DefineAuthChallenge": EventTemplate(
        request={"userAttributes": _USER_ATTRIBUTES, "session": _SRP_SESSION},
        response={"challengeName": None, "issueTokens": None, "failAuthentication": None},
    ),
    "CreateAuthChallenge": EventTemplate(
        request={
            "userAttributes": _USER_ATTRIBUTES,
            "challengeName": "CUSTOM_CHALLENGE",
            "session": _SRP_SESSION,
        },
        response={
            "publicChallengeParameters": None,
            "privateChallengeParameters": None,
            "challengeMetadata": None,
        },
    ),
    "VerifyAuthChallengeResponse": EventTemplate(
        request={
            "userAttributes": _USER_ATTRIBUTES,
            "privateChallengeParameters": {"answer": "5"},
            "challengeAnswer": "5",
        },
        response={"answerCorrect": None},
    ),
    "UserMigration": EventTemplate(
        request={"password": "Example-Passw0rd!", "validationData": None, "userAttributes": None},
        response={
            "userAttributes": None,
            "finalUserStatus": None,
            "messageAction": None,
            "desiredDeliveryMediums": None,
            "forceAliasCreation": None,
            "enableSMSMFA": None,
        },
        # Migrating users sign in with what they typed in the old system.
        envelope={"userName": "jane.doe@example.com"},
        # No password on the forgot-password path.
        by_source={"ForgotPassword": {"request": {"password": DELETE}}},
    ),
    "CustomEmailSender": _sender("Email"),
    "CustomSMSSender": _sender("SMS"),
    "InboundFederation": EventTemplate(
        request={
            "providerName": "ExampleProvider",
            "providerType": "OIDC",
            "attributes": {
                "tokenResponse": {
                    "access_token": "EXAMPLE-access-token",
                    "token_type": "Bearer",
                    "expires_in": "3600",
                },
                "idToken": {"sub": "12345", "email": "jane.doe@example.com"},
                "userInfo": {
                    "email": "jane.doe@example.com",
                    "given_name": "Jane",
                    "family_name": "Doe",
                },
            },
        },
        response={"userAttributesToMap": {}},
        envelope={"userName": "ExampleProvider_12345"},
    ),
}

#: Patches every trigger gets for a source, before its own ``by_source``:
#: admin API calls have no app client.
_COMMON_BY_SOURCE: Mapping[str, Mapping[str, Any]] = {
    "AdminCreateUser": {
        "userName": "jane.doe",
        "callerContext": {"clientId": "CLIENT_ID_NOT_APPLICABLE"},
    },
}


#: ``sample_event`` keyword -> envelope key.  ``request``/``response``/
#: ``caller_context`` are deep-merged, the others replace.
_ENVELOPE_OVERRIDES: Mapping[str, str] = {
    "region": "region",
    "user_pool_id": "userPoolId",
    "user_name": "userName",
    "caller_context": "callerContext",
    "request": "request",
    "response": "response",
}

_VERSION_ORDER = tuple(EVENT_VERSION_OF)


# -- public API ---------------------------------------------------------------


def sample_event(
    trigger_source: str, *, version: Optional[str] = None, **overrides: Any
) -> Dict[str, Any]:
    """A realistic Cognito event for ``trigger_source``, as a fresh JSON-ready dict.

    ``version`` is the pre token generation LambdaVersion (``"V1_0"``,
    ``"V2_0"``, ``"V3_0"``) or event version (``"1"``, ``"2"``, ``"3"``); by
    default the trigger's default version, or the first version a source
    exists in (``TokenGeneration_ClientCredentials`` is V3 only).

    ``overrides`` (snake_case): ``region``, ``user_pool_id``, ``user_name``
    replace envelope values (``user_pool_id`` follows ``region`` unless
    given); ``caller_context``, ``request`` and ``response`` are dicts with
    Cognito's camelCase keys, deep-merged into the event.  Inside them
    :data:`DELETE` removes a key and :class:`Replace` sets a value without
    merging.  For single nested values see :func:`set_path`.

    Raises :class:`~chalice_cognito.catalogue.UnknownTriggerError` for an
    unknown ``trigger_source``, ``ValueError`` for a version the trigger or
    source does not have, ``TypeError`` for an unknown override.
    """
    spec = known_trigger_source(trigger_source)
    source = trigger_source.split("_", 1)[1]
    event_version = _event_version(spec, trigger_source, version)
    unknown = [k for k in overrides if k not in _ENVELOPE_OVERRIDES]
    if unknown:
        raise TypeError(
            f"sample_event() got unknown override {unknown[0]!r}."
            f"{did_you_mean(unknown[0], _ENVELOPE_OVERRIDES)} "
            f"Valid overrides: {', '.join(_ENVELOPE_OVERRIDES)}; "
            "set other fields with set_path()."
        )
    template = TEMPLATES[spec.name]
    region = overrides.get("region")
    region = region if isinstance(region, str) else "us-east-1"
    event: Dict[str, Any] = {
        "version": event_version,
        "triggerSource": trigger_source,
        "region": region,
        "userPoolId": f"{region}_EXAMPLE",
        "userName": _SUB,
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": "1example23456789",
        },
        "request": {},
        "response": {},
    }
    patches: List[Mapping[str, Any]] = [
        {"request": template.request, "response": template.response},
        template.envelope,
        _COMMON_BY_SOURCE.get(source, {}),
        template.by_version.get(event_version, {}),
        template.by_source.get(source, {}),
        {_ENVELOPE_OVERRIDES[k]: v for k, v in overrides.items()},
    ]
    for patch in patches:
        _merge(event, patch)
    return event


def sample_events(*, version: Optional[str] = None) -> Iterator[Tuple[str, Dict[str, Any]]]:
    """``(triggerSource, event)`` for every source of the catalogue, in catalogue order.

    ``version`` applies to the triggers with several event versions (pre token
    generation); their sources that do not exist in that version are skipped (V1 and V2 have no ``ClientCredentials``).
    Without ``version`` every source comes in its default version: all 41.
    """
    for spec, trigger_source in all_trigger_sources():
        if version is not None:
            if len(spec.versions) < 2:  # one event shape: ``version`` does not apply
                yield trigger_source, sample_event(trigger_source)
                continue
            lambda_version = _lambda_version(spec, version)
            if trigger_source not in spec.sources_for(lambda_version):
                continue
        yield trigger_source, sample_event(trigger_source, version=version)


def set_path(event: Dict[str, Any], path: str, value: Any) -> Dict[str, Any]:
    """Set (or with :data:`DELETE` remove) the value at a dotted camelCase path; return ``event``.

    ``set_path(e, "request.userAttributes.email", "a@b.c")``.  Missing objects
    on the way are created; a numeric part indexes a list
    (``request.session.0.challengeResult``); ``\\.`` is a literal dot in a key
    (SAML claim URIs).  The event is changed in place.
    """
    parts = _split_path(path)
    if value is not DELETE:
        _refuse_near_miss(event, parts, path)
    node: Any = event
    for depth, part in enumerate(parts[:-1]):
        child = _child(node, part, path)
        if child is None and isinstance(node, dict):
            child = node[part] = {}
        if not isinstance(child, (dict, list)):
            raise ValueError(
                f"Cannot set {path!r}: {'.'.join(parts[: depth + 1])!r} holds a "
                f"{type(child).__name__}, not an object or list."
            )
        node = child
    last = parts[-1]
    if isinstance(node, list):
        index = _index(node, last, path)
        if value is DELETE:
            del node[index]
        else:
            node[index] = value
    elif value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return event


def parse_assignment(text: str) -> Tuple[str, Any]:
    """Split a CLI ``path=value`` into the path and a value.

    The value is read as JSON when it is JSON (``true``, ``3``, ``null``,
    ``["a"]``, ``{"k": "v"}``, ``"quoted"``), else taken as the plain string
    (``a@b.c``, ``+12065551212``).
    """
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise ValueError(
            f"Expected PATH=VALUE (e.g. request.userAttributes.email=a@b.c), got {text!r}."
        )
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return path.strip(), value


def apply_assignment(event: Dict[str, Any], text: str) -> Dict[str, Any]:
    """Apply one CLI ``--set path=value`` to ``event`` (see :func:`parse_assignment`).

    Where Cognito sends strings, the text is kept as typed: when the current
    value is a string, or the key goes into a map of strings
    (``userAttributes``, ``clientMetadata``).  So
    ``request.userAttributes.email_verified=true`` gives ``"true"`` as Cognito
    sends it, while ``response.autoConfirmUser=true`` gives a JSON boolean.
    """
    path, value = parse_assignment(text)
    if not isinstance(value, str):
        parts = _split_path(path)
        current = _lookup(event, parts)
        parent = _lookup(event, parts[:-1])
        string_map = (
            isinstance(parent, Mapping)
            and bool(parent)
            and all(isinstance(v, str) for v in parent.values())
        )
        if isinstance(current, str) or (current is None and string_map):
            value = text.partition("=")[2]
    return set_path(event, path, value)


# -- helpers ------------------------------------------------------------------


def _lambda_version(spec: TriggerSpec, version: str) -> str:
    """Normalise ``"V2_0"`` or ``"2"`` to the LambdaVersion, validated for ``spec``."""
    by_event = {v: k for k, v in EVENT_VERSION_OF.items()}
    lambda_version = version if version in EVENT_VERSION_OF else by_event.get(str(version))
    supported = spec.versions or ("V1_0",)
    if lambda_version not in supported:
        accepted = [*supported, *(EVENT_VERSION_OF[v] for v in supported)]
        raise ValueError(
            f"Invalid version {version!r} for {spec.name} events."
            f"{did_you_mean(str(version), accepted)} "
            f"Valid versions: {', '.join(accepted)}."
        )
    return lambda_version


def _event_version(spec: TriggerSpec, trigger_source: str, version: Optional[str]) -> str:
    source = trigger_source.split("_", 1)[1]
    minimum = spec.source_min_version.get(source)
    if version is None:
        lambda_version = spec.default_version or "V1_0"
        if minimum and _VERSION_ORDER.index(minimum) > _VERSION_ORDER.index(lambda_version):
            lambda_version = minimum
    else:
        lambda_version = _lambda_version(spec, version)
        if minimum and _VERSION_ORDER.index(minimum) > _VERSION_ORDER.index(lambda_version):
            raise ValueError(
                f"{trigger_source} events only exist for {spec.name} functions configured "
                f"with LambdaVersion {minimum} (event version {EVENT_VERSION_OF[minimum]!r}); "
                f"got version {version!r}. Use version={minimum!r} or omit version."
            )
    return EVENT_VERSION_OF[lambda_version]


def _merge(target: Dict[str, Any], patch: Mapping[str, Any]) -> None:
    """Deep-merge ``patch`` into ``target`` (copying values, honouring DELETE/Replace)."""
    for key, value in patch.items():
        if value is DELETE:
            target.pop(key, None)
        elif isinstance(value, Replace):
            target[key] = _clean(value.value)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = _clean(value)


def _clean(value: Any) -> Any:
    """A deep copy of ``value`` with markers resolved (a template value is never shared)."""
    if isinstance(value, Replace):
        return _clean(value.value)
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items() if v is not DELETE}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return copy.deepcopy(value)


_UNESCAPED_DOT = re.compile(r"(?<!\\)\.")


def _refuse_near_miss(event: Mapping[str, Any], parts: List[str], path: str) -> None:
    """Refuse a new key that is a near miss of a field the event model declares.

    ``request.userAttribute.email`` would otherwise add a key Cognito never
    sends and leave ``userAttributes`` as it was.  A new key unlike any
    declared field is allowed: tests simulate fields AWS adds later.
    """
    model = _event_model(event)
    node: Any = event
    for depth, part in enumerate(parts):
        fields = _declared_fields(model)
        if not isinstance(node, dict) or fields is None:
            return  # a free map (userAttributes, clientMetadata...) or a list
        if part not in node and part not in fields:
            hint = did_you_mean(part, fields)
            if hint:
                where = ".".join(parts[:depth]) or "the event"
                raise ValueError(f"Cannot set {path!r}: {where} has no field {part!r}.{hint}")
            return
        node, model = node.get(part), _field_model(model, part)


def _event_model(event: Mapping[str, Any]) -> Any:
    try:
        from chalice_cognito.events import model_for_event

        return model_for_event(event)
    except ValueError:
        return None


def _declared_fields(model: Any) -> Optional[List[str]]:
    """Wire names of a pydantic model's fields (None when ``model`` is not a model)."""
    fields = getattr(model, "model_fields", None)
    if not isinstance(fields, dict):
        return None
    return [info.alias or name for name, info in fields.items()]


def _field_model(model: Any, wire_name: str) -> Any:
    """The model class a field holds (``Optional[X]`` unwrapped), or None for maps/lists/scalars."""
    import typing

    for name, info in (getattr(model, "model_fields", None) or {}).items():
        if (info.alias or name) != wire_name:
            continue
        candidates = typing.get_args(info.annotation) or (info.annotation,)
        for candidate in candidates:
            if isinstance(candidate, type) and hasattr(candidate, "model_fields"):
                return candidate
    return None


def _split_path(path: str) -> List[str]:
    parts = [p.replace("\\.", ".") for p in _UNESCAPED_DOT.split(path)]
    if not path or any(not p for p in parts):
        raise ValueError(
            f"Invalid path {path!r}: expected dotted keys like request.userAttributes.email."
        )
    return parts


def _index(node: List[Any], part: str, path: str) -> int:
    try:
        index = int(part)
    except ValueError:
        index = len(node)  # not a number: report it like an out-of-range index
    if not -len(node) <= index < len(node):
        raise ValueError(
            f"Cannot use {part!r} in {path!r}: a list of {len(node)} needs an index 0..{len(node) - 1}."
        )
    return index


def _child(node: Any, part: str, path: str) -> Any:
    if isinstance(node, list):
        return node[_index(node, part, path)]
    return node.get(part)


def _lookup(event: Mapping[str, Any], parts: List[str]) -> Any:
    """The value at a split path, or None when any part is missing."""
    node: Any = event
    for part in parts:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif (
            isinstance(node, list)
            and part.lstrip("-").isdigit()
            and -len(node) <= int(part) < len(node)
        ):
            node = node[int(part)]
        else:
            return None
    return node


def __getattr__(name: str) -> Any:
    """``LocalCognito`` (deploy-time: chalice, boto3, moto), imported only when asked for.

    Kept out of the module's imports so ``chalice_cognito.testing`` stays
    importable inside Lambda, where neither moto nor boto3's deploy-time
    companions exist.
    """
    if name in ("LocalCognito", "LocalCognitoError"):
        from chalice_cognito.local.cognito_flows import local_cognito

        return getattr(local_cognito, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
