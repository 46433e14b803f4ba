"""What runs inside Lambda for each trigger: parse -> handler -> validate -> echo.

:class:`TriggerDispatcher` is the callable that Chalice's ``lambda_function``
machinery registers for a ``@app.cognito_trigger`` handler.  It receives the raw
event dict from Lambda and returns the full Cognito event JSON, with only the
response the handler changed, after checking the response against the rules
Cognito enforces.  A failure is logged once (trigger and triggerSource, secrets
scrubbed) and propagates: raising is how a trigger refuses a sign-up or sign-in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Callable, Dict, List

from chalice_cognito.catalogue import TriggerSpec, did_you_mean, trigger_for_source
from chalice_cognito.events import EventParseError, describe_errors, model_for_event
from chalice_cognito.events.base import CognitoEvent, CognitoResponse

logger = logging.getLogger("chalice_cognito")

REDACTED = "***"


class TriggerError(ValueError):
    """Base of the errors the plugin itself raises inside Lambda.

    The message reaches the client as ``<Trigger> failed with error <message>.``,
    so it always names the trigger and never carries a secret value.
    """


class ResponseValidationError(TriggerError):
    """The handler's response breaks a rule Cognito enforces."""


class TriggerMismatchError(TriggerError):
    """The function received an event of a trigger it was not declared for."""


class TriggerDispatcher:
    """Adapts a typed ``handler(event[, context])`` to Lambda's ``(event, context)``."""

    def __init__(self, func: Callable[..., Any], spec: TriggerSpec) -> None:
        self.func = func
        self.spec = spec
        # Chalice builds the Lambda handler string from ``__name__``.
        self.__name__ = func.__name__
        self.__qualname__ = getattr(func, "__qualname__", func.__name__)
        self.__module__ = func.__module__
        self.__doc__ = func.__doc__
        self._wants_context = _accepts_two_arguments(func)
        # (triggerSource, version) -> model class: skips the catalogue lookup
        # on every warm invocation.
        self._models: Dict[Any, type[CognitoEvent]] = {}

    def __call__(self, raw_event: Dict[str, Any], context: Any = None) -> Dict[str, Any]:
        try:
            event = self._parse(raw_event)
            result = self.func(event, context) if self._wants_context else self.func(event)
            final = event if result is None or result is event else self._merge(event, result)
            self._check(final)
            return _echo(raw_event, event, final)
        except Exception as exc:
            source = raw_event.get("triggerSource") if _is_mapping(raw_event) else None
            safe = _sanitise(exc, self.spec, source)
            logger.error(
                "Cognito trigger %s (%s) handler %s failed: %s: %s",
                self.spec.name,
                source,
                self.__name__,
                type(exc).__name__,
                scrub(str(safe), secret_values(self.spec, raw_event)),
            )
            if safe is exc:
                raise
            raise safe from None

    # -- steps -------------------------------------------------------------

    def _parse(self, raw_event: Mapping[str, Any]) -> CognitoEvent:
        if not _is_mapping(raw_event):
            raise EventParseError(
                f"A Cognito trigger event must be a JSON object, got {type(raw_event).__name__}."
            )
        key = (raw_event.get("triggerSource"), raw_event.get("version"))
        model = self._models.get(key)
        if model is None:
            model = model_for_event(raw_event)
            if model.trigger != self.spec.name:
                other = trigger_for_source(str(raw_event.get("triggerSource")))
                raise TriggerMismatchError(
                    f"{self.spec.name} handler {self.__name__!r} received a "
                    f"{raw_event.get('triggerSource')} event, which belongs to {other.name}: "
                    "check the user pool's LambdaConfig."
                )
            if len(self._models) < 64:  # bounded: keys come from the event
                self._models[key] = model
        # The validator itself, not model_validate(): the same call minus a
        # Python layer on every invocation.
        event: CognitoEvent = model.__pydantic_validator__.validate_python(raw_event)
        return event

    def _merge(self, event: CognitoEvent, result: Any) -> CognitoEvent:
        """Turn what the handler returned (not None, not ``event``) into the full event to send back."""
        if isinstance(result, CognitoEvent):
            return result
        if isinstance(result, CognitoResponse):
            # Merged, not swapped: keys Cognito sent that the returned model
            # leaves unset (pre-populated nulls, unknown keys) are echoed too.
            event.response = _merged_response(event.response, result.to_dict())
            return event
        if isinstance(result, Mapping):
            if "triggerSource" in result:  # a whole event as a dict
                return type(event).model_validate(result)
            event.response = _merged_response(event.response, result)
            return event
        raise TriggerError(
            f"{self.spec.name} handler {self.__name__!r} returned "
            f"{type(result).__name__}; return the event, None, a response model or a dict "
            "of response fields."
        )

    def _check(self, event: CognitoEvent) -> None:
        violations = event.response_violations()
        if violations:
            details = "; ".join(f"{v.field} {v.rule}" for v in violations)
            raise ResponseValidationError(
                f"{self.spec.name} ({event.trigger_source}) response rejected: {details}"
            )


def _merged_response(current: CognitoResponse, changes: Mapping[str, Any]) -> CognitoResponse:
    """Apply a dict of response fields (snake_case or camelCase) to the current response."""
    fields = type(current).model_fields
    wire = {info.alias or name: name for name, info in fields.items()}
    data = current.to_dict()
    for key, value in changes.items():
        alias = next((a for a, n in wire.items() if n == key), key)
        if alias not in wire:
            # A new key is kept (AWS adds response fields), but a near miss of a
            # declared one is a typo whose intended effect would silently not happen.
            hint = did_you_mean(str(key), [*wire, *wire.values()])
            if hint:
                raise TriggerError(
                    f"The handler returned the response field {key!r}, which "
                    f"{type(current).__name__} does not have.{hint}"
                )
        data[alias] = value.to_dict() if hasattr(value, "to_dict") else value
    return type(current).model_validate(data)


def _accepts_two_arguments(func: Callable[..., Any]) -> bool:
    """True for ``handler(event, context)``, False for ``handler(event)``.

    Reads the code object of plain functions (``inspect`` costs milliseconds
    to import, on the cold-start path) and falls back to ``inspect`` for other
    callables.
    """
    code = getattr(func, "__code__", None)
    if code is not None and not hasattr(func, "__self__"):
        if code.co_flags & 0x04:  # CO_VARARGS
            return True
        return int(code.co_argcount) >= 2
    import inspect

    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # builtins, some C callables
        return False
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2


def _is_mapping(value: Any) -> bool:
    # Lambda hands over a dict; the ABC check is the slow path for anything else.
    return type(value) is dict or isinstance(value, Mapping)


def _echo(
    raw_event: Mapping[str, Any], parsed: CognitoEvent, final: CognitoEvent
) -> Dict[str, Any]:
    """The JSON to return to Cognito: the event as it came in, with the handler's response.

    When the handler worked on the event it was given, only ``response`` is
    serialised again and everything else is the raw input, which is the
    exact echo Cognito requires (and cheaper than dumping the whole model).
    A different event returned by the handler is dumped whole.
    """
    if final is not parsed:
        return final.to_dict()
    out = dict(raw_event)
    response = final.response.to_dict()
    if response or "response" in raw_event:
        out["response"] = response
    return out


def _sanitise(exc: Exception, spec: TriggerSpec, source: Any) -> Exception:
    """Replace pydantic errors (whose text includes input values) by a value-free TriggerError.

    The message names the trigger and triggerSource, as every error the
    plugin raises does: Cognito shows it as ``<Trigger> failed with error <message>.``
    """
    if type(exc).__name__ == "ValidationError" and hasattr(exc, "errors"):
        return TriggerError(f"{spec.name} ({source}): invalid value: {describe_errors(exc)}")
    return exc


def secret_values(spec: TriggerSpec, raw_event: Any) -> List[str]:
    """The string values at the spec's secret paths (password, codes, tokens) in an event."""
    found: List[str] = []
    for path in spec.secret_fields:
        node: Any = raw_event
        for part in path.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        _collect_strings(node, found)
    return [s for s in found if s]


def _collect_strings(node: Any, out: List[str]) -> None:
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, Mapping):
        for value in node.values():
            _collect_strings(value, out)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _collect_strings(value, out)


def scrub(text: str, secrets: List[str]) -> str:
    """Replace every secret value in ``text`` (longest first) by ``***``."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
