"""Typed pydantic v2 models for every Cognito user pool trigger event.

One module per event family (``signup``, ``authentication``, ``challenge``,
``token``, ``migration``, ``message``, ``sender``, ``federation``); which model
serves which ``triggerSource`` comes from :mod:`chalice_cognito.catalogue`.

>>> event = parse_event(raw)            # the right model for any trigger event
>>> event.to_dict() == raw              # exact echo for every real event

The event classes are importable from here (``from chalice_cognito.events
import PreSignUpEvent``) but their modules load on first access only, so a
Lambda serving one trigger never imports the other families.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict, Mapping

from chalice_cognito.catalogue import shown, trigger_for_source
from chalice_cognito.events.base import (
    CallerContext,
    CognitoEvent,
    CognitoModel,
    CognitoRequest,
    CognitoResponse,
    Violation,
)

if TYPE_CHECKING:  # pragma: no cover
    from chalice_cognito.events.authentication import (
        PostAuthenticationEvent,
        PreAuthenticationEvent,
    )
    from chalice_cognito.events.challenge import (
        CreateAuthChallengeEvent,
        DefineAuthChallengeEvent,
        VerifyAuthChallengeResponseEvent,
    )
    from chalice_cognito.events.federation import InboundFederationEvent
    from chalice_cognito.events.message import CustomMessageEvent
    from chalice_cognito.events.migration import UserMigrationEvent
    from chalice_cognito.events.sender import CustomEmailSenderEvent, CustomSMSSenderEvent
    from chalice_cognito.events.signup import PostConfirmationEvent, PreSignUpEvent
    from chalice_cognito.events.token import (
        PreTokenGenerationV1Event,
        PreTokenGenerationV2Event,
    )

#: public event class -> the module that defines it (loaded by ``__getattr__``)
_LAZY = {
    "PreSignUpEvent": "signup",
    "PostConfirmationEvent": "signup",
    "PreAuthenticationEvent": "authentication",
    "PostAuthenticationEvent": "authentication",
    "DefineAuthChallengeEvent": "challenge",
    "CreateAuthChallengeEvent": "challenge",
    "VerifyAuthChallengeResponseEvent": "challenge",
    "PreTokenGenerationV1Event": "token",
    "PreTokenGenerationV2Event": "token",
    "UserMigrationEvent": "migration",
    "CustomMessageEvent": "message",
    "CustomEmailSenderEvent": "sender",
    "CustomSMSSenderEvent": "sender",
    "InboundFederationEvent": "federation",
}

__all__ = [
    "CallerContext",
    "CognitoEvent",
    "CognitoModel",
    "CognitoRequest",
    "CognitoResponse",
    "CreateAuthChallengeEvent",
    "CustomEmailSenderEvent",
    "CustomMessageEvent",
    "CustomSMSSenderEvent",
    "DefineAuthChallengeEvent",
    "EventParseError",
    "InboundFederationEvent",
    "PostAuthenticationEvent",
    "PostConfirmationEvent",
    "PreAuthenticationEvent",
    "PreSignUpEvent",
    "PreTokenGenerationV1Event",
    "PreTokenGenerationV2Event",
    "UserMigrationEvent",
    "VerifyAuthChallengeResponseEvent",
    "Violation",
    "model_for_event",
    "parse_event",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


class EventParseError(ValueError):
    """A raw event that is not a Cognito trigger event this plugin can read.

    The message names the triggerSource and the fields at fault, never their
    values (events carry passwords, codes and tokens).
    """


def model_for_event(raw: Mapping[str, Any]) -> type[CognitoEvent]:
    """The model class for a raw event, chosen by ``triggerSource`` and ``version``."""
    if not isinstance(raw, Mapping):
        raise EventParseError(
            f"A Cognito trigger event must be a JSON object, got {type(raw).__name__}."
        )
    source = raw.get("triggerSource")
    if not isinstance(source, str):
        raise EventParseError(
            "Not a Cognito user pool trigger event: no 'triggerSource' string. "
            "Pass the whole event Cognito sent (or one from chalice_cognito.testing.sample_event)."
        )
    try:
        spec = trigger_for_source(source)
    except ValueError as exc:
        raise EventParseError(str(exc)) from None
    return spec.model_for(raw.get("version"))


def parse_event(raw: Mapping[str, Any]) -> CognitoEvent:
    """Return the typed model for any Cognito trigger event.

    ``parse_event(e).to_dict() == e`` for every event Cognito sends.
    """
    from pydantic import ValidationError

    model = model_for_event(raw)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise EventParseError(
            f"{shown(raw.get('triggerSource'))} event does not match the {model.trigger} "
            f"event shape: {describe_errors(exc)}"
        ) from None


#: Names pydantic puts in an error's location for the branch of a union or a
#: validator that failed; they are schema internals, not event fields.
_SCHEMA_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "none", "json-or-python"})


#: Clearer words for pydantic's messages where Cognito's rule is the point.
_MESSAGES = {
    "bool_type": "must be JSON true or false (Cognito accepts no string or number here)",
}
#: At most this many fields are listed in one message.
_MAX_LISTED = 10


def describe_errors(exc: Any) -> str:
    """Render a pydantic ValidationError as ``field: problem; ...`` without any input value.

    One entry per field: the branches of a union (``str`` or a JSON boolean
    for a user attribute) would otherwise each report their own failure.
    Field names from the input (map keys) are quoted bounded, and at most
    ten fields are listed: the message goes to the client and the log.
    """
    seen: Dict[str, str] = {}
    for err in exc.errors(include_input=False, include_url=False, include_context=False):
        parts = [
            p if isinstance(p, int) or len(p) <= 64 else shown(p)
            for p in err.get("loc", ())
            if not (isinstance(p, str) and ("[" in p or p in _SCHEMA_TAGS))
        ]
        message = _MESSAGES.get(err.get("type", ""), err.get("msg", "invalid"))
        seen.setdefault(".".join(map(str, parts)) or "(event)", message)
    listed = [f"{loc}: {msg}" for loc, msg in list(seen.items())[:_MAX_LISTED]]
    if len(seen) > _MAX_LISTED:
        listed.append(f"and {len(seen) - _MAX_LISTED} more")
    return "; ".join(listed)
