"""What runs inside Lambda for each trigger: parse -> handler -> validate -> echo.

:class:`TriggerDispatcher` is the callable that Chalice's ``lambda_function``
machinery registers for a ``@app.cognito_trigger`` handler.  It receives the raw
event dict from Lambda and returns the full Cognito event JSON, with only the
response the handler changed, after checking the response against the rules
Cognito enforces.  A failure is logged once (trigger and triggerSource, secrets
scrubbed, the line bounded) and propagates: raising is how a trigger refuses a
sign-up or sign-in.  An error whose text shows a secret (the handler's own
``ValueError(f"bad password {password}")`` included) is raised again with every
secret replaced by ``***``: Cognito shows the message to the client and Lambda
logs it.  Secrets are the values at the catalogue's ``secret_fields`` of the
event *and* of the response the handler built, plus what the handler derived
through :func:`mark_secret` (``senders.decrypt_code`` marks the code).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterable, List, Optional

from chalice_cognito.catalogue import TriggerSpec, did_you_mean, shown, trigger_for_source
from chalice_cognito.events import EventParseError, describe_errors, model_for_event
from chalice_cognito.events.base import CognitoEvent, CognitoModel, CognitoResponse
from chalice_cognito.secrets import REDACTED, mark_secret, scrub, take_marked

__all__ = [
    "REDACTED",
    "ResponseValidationError",
    "TriggerDispatcher",
    "TriggerError",
    "TriggerMismatchError",
    "mark_secret",
    "scrub",
    "secret_values",
]

logger = logging.getLogger("chalice_cognito")

#: The longest error text a log line carries; an event is up to 6 MB and its
#: values can end up in an exception message.
MAX_LOGGED_MESSAGE = 2000


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

    def __call__(self, raw_event: Dict[str, Any], context: Any = None) -> Dict[str, Any]:
        event: Optional[CognitoEvent] = None
        result: Any = None
        try:
            event = self._parse(raw_event)
            result = self.func(event, context) if self._wants_context else self.func(event)
            final = event if result is None or result is event else self._merge(event, result)
            self._check(final)
            return _echo(raw_event, event, final)
        except Exception as exc:
            source = raw_event.get("triggerSource") if _is_mapping(raw_event) else None
            secrets = secret_values(self.spec, raw_event, event, result) + take_marked()
            safe = _scrubbed(_sanitise(exc, self.spec, source), secrets)
            # Scrubbed before it is cut, so no part of a secret survives the cut.
            message = _bounded(scrub(_text(safe), secrets), MAX_LOGGED_MESSAGE)
            logger.error(
                "%s",
                scrub(
                    f"Cognito trigger {self.spec.name} ({_label(source)}) handler "
                    f"{self.__name__} failed: {type(exc).__name__}: {message}",
                    secrets,
                ),
            )
            if safe is exc:
                raise
            # The handler's frames stay (source lines, no values).
            safe = safe.with_traceback(exc.__traceback__)
        finally:
            take_marked()  # what the handler marked belongs to this invocation only
        # Raised here, outside the except block, so the original (secret-bearing)
        # exception is neither its __cause__ nor its __context__.
        raise safe

    # -- steps -------------------------------------------------------------

    def _parse(self, raw_event: Mapping[str, Any]) -> CognitoEvent:
        if not _is_mapping(raw_event):
            raise EventParseError(
                f"A Cognito trigger event must be a JSON object, got {type(raw_event).__name__}."
            )
        source = raw_event.get("triggerSource")
        if not (isinstance(source, str) and self.spec.receives(source)):
            model_for_event(raw_event)  # not a trigger event at all: its clean error
            raise TriggerMismatchError(
                f"{self.spec.name} handler {self.__name__!r} received a {shown(source)} "
                f"event, which belongs to {trigger_for_source(str(source)).name}: "
                "check the user pool's LambdaConfig."
            )
        return self.spec.model_for(raw_event.get("version")).model_validate(raw_event)

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
                    f"The handler returned the response field {shown(key)}, which "
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
        return TriggerError(
            f"{spec.name} ({_label(source)}): invalid value: {describe_errors(exc)}"
        )
    return exc


def _label(source: Any) -> str:
    """The triggerSource as messages show it: bare when it is a short string, else bounded."""
    text = shown(source)
    return source if isinstance(source, str) and text == repr(source) else text


# -- secrets ---------------------------------------------------------------------

#: At most this many secret values are collected from one event (an event is
#: at most 6 MB; a secret field holding a huge structure must not make the
#: failure path quadratic).
_MAX_SECRETS = 256


def secret_values(spec: TriggerSpec, raw_event: Any, *more: Any) -> List[str]:
    """The values at the spec's secret paths (passwords, codes, tokens, private answers).

    ``raw_event`` and each of ``more`` is an event (dict or model), or a
    response the handler returned (a dict of response fields, in wire or
    snake_case names, or a response model): the response-side paths
    (``response.privateChallengeParameters``) are read from it too.  Strings
    and numbers are collected, at any depth, without recursion.
    """
    found: List[str] = []
    for source in (raw_event, *more):
        data = _as_data(source)
        if data is None:
            continue
        is_response = isinstance(source, CognitoResponse) or (
            _is_mapping(source) and "triggerSource" not in source and source is not raw_event
        )
        for path in spec.secret_fields:
            parts = path.split(".")
            if is_response:
                if parts[0] != "response":
                    continue
                parts = parts[1:]
            _collect_values(_walk(data, parts), found)
    return [s for s in dict.fromkeys(found) if s]


def _as_data(source: Any) -> Any:
    if isinstance(source, CognitoModel):
        try:
            return source.to_dict()
        except Exception:  # a value the serializer refuses: read the attributes instead
            return source.__dict__
    return source if _is_mapping(source) else None


def _walk(node: Any, parts: Iterable[str]) -> Any:
    """Follow a camelCase path; a returned dict may spell a key in snake_case."""
    for part in parts:
        if isinstance(node, CognitoModel):
            node = node.__dict__
        if not _is_mapping(node):
            return None
        value = node.get(part)
        node = value if value is not None else node.get(_snake(part))
    return node


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _collect_values(node: Any, out: List[str]) -> None:
    """Strings and numbers anywhere under ``node`` (iterative: no depth limit applies)."""
    stack = [node]
    while stack and len(out) < _MAX_SECRETS:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            with contextlib.suppress(ValueError):  # an int too long for str(): not printable
                out.append(str(item))
        elif isinstance(item, CognitoModel):
            stack.extend(item.__dict__.values())
        elif _is_mapping(item):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def _text(exc: BaseException) -> str:
    """``str(exc)``, or a placeholder when the exception cannot render itself."""
    try:
        return str(exc)
    except Exception:  # a broken __str__, or one too deep to render
        return f"<{type(exc).__name__} whose message cannot be rendered>"


def _bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def _renderings(exc: BaseException) -> List[str]:
    """Every text of ``exc`` that a client, a log or a traceback can show.

    Its message, its arguments, its notes and the exceptions chained to it.
    """
    out: List[str] = []
    seen: set[int] = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        out.append(_text(current))
        try:
            out.append(repr(current.args))
        except Exception:
            out.append("<args>")
        out.extend(str(n) for n in getattr(current, "__notes__", None) or ())
        current = current.__cause__ or current.__context__
    return out


def _scrubbed(exc: Exception, secrets: List[str]) -> Exception:
    """``exc`` itself when none of its text shows a secret, else a scrubbed error.

    The replacement keeps the type name and the rest of the message, so the
    handler's refusal still reaches the user as Cognito shows it
    (``<Trigger> failed with error <message>.``): a copy of the same
    exception with its string arguments scrubbed when that renders cleanly,
    otherwise a :class:`TriggerError` subclass of the same name.
    """
    if not secrets or all(scrub(t, secrets) == t for t in _renderings(exc)):
        return exc
    message = scrub(_text(exc), secrets)
    copy = _scrubbed_copy(exc, secrets)
    if copy is not None and all(scrub(t, secrets) == t for t in _renderings(copy)):
        return copy
    return _named_error(type(exc), message)


def _scrubbed_copy(exc: Exception, secrets: List[str]) -> Optional[Exception]:
    """A new ``type(exc)`` built from scrubbed arguments, when it holds nothing else."""
    if set(vars(exc)) - {"__notes__"}:
        return None  # attributes of its own: they could hold the secret too
    args = tuple(scrub(a, secrets) if isinstance(a, str) else a for a in exc.args)
    try:
        copy = type(exc)(*args)
    except Exception:  # an exception type with another constructor
        return None
    notes = getattr(exc, "__notes__", None)
    if notes:
        copy.__notes__ = [scrub(str(n), secrets) for n in notes]
    return copy


_NAMED: Dict[type, type] = {}


def _named_error(cls: type, message: str) -> Exception:
    """A TriggerError whose class carries ``cls``'s name (Lambda reports it as errorType)."""
    named = _NAMED.get(cls)
    if named is None:
        named = type(
            cls.__name__,
            (TriggerError,),
            {"__module__": cls.__module__, "__qualname__": cls.__qualname__},
        )
        if len(_NAMED) < 64:
            _NAMED[cls] = named
    error: Exception = named(message)
    return error
