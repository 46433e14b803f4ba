"""Secret values of one invocation, and scrubbing them out of text.

The runtime half's lowest layer next to the catalogue (standard library only),
so the dispatcher, the custom-sender helpers and the event models can all use
it.  What is secret comes from the catalogue's ``secret_fields`` (read by the
dispatcher) plus what a handler derives during an invocation and marks with
:func:`mark_secret` (:func:`chalice_cognito.senders.decrypt_code` marks the
code it decrypts).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Iterable, List, Optional

REDACTED = "***"

#: Secrets the handler derived during the current invocation (see mark_secret);
#: None when there are none (the usual case costs one lookup per invocation).
_MARKED: ContextVar[Optional[List[str]]] = ContextVar("chalice_cognito_marked", default=None)


def mark_secret(value: Any) -> None:
    """Treat ``value`` as a secret of the current invocation.

    For values a handler derives that are in no event field, such as the
    plaintext code :func:`chalice_cognito.senders.decrypt_code` returns: if
    the invocation fails, the dispatcher scrubs them from the error and the
    log line like the event's own secrets.  Kept per context (thread), at most
    64, until the dispatcher takes them at the end of the invocation.
    """
    if not isinstance(value, str) or not value:
        return
    marked = _MARKED.get()
    if marked is None:
        marked = []
        _MARKED.set(marked)
    if len(marked) < 64:
        marked.append(value)


def take_marked() -> List[str]:
    """The values marked since the last call, forgotten now (the dispatcher's end of invocation)."""
    marked = _MARKED.get()
    if marked is None:
        return []
    _MARKED.set(None)
    return marked


def _forms(secret: str) -> List[str]:
    """A secret as it appears in text: plain, inside repr()/ascii(), JSON-escaped, and twice so.

    ``repr`` escapes quotes and backslashes, ``json.dumps`` escapes non-ASCII
    as ``\\uXXXX``, and a message may hold one inside the other (the repr of
    a dict that holds a JSON string).
    """
    import json

    forms = {secret}
    for _ in range(2):
        for form in list(forms):
            forms.update(
                (
                    repr(form)[1:-1],
                    ascii(form)[1:-1],
                    json.dumps(form)[1:-1],
                    json.dumps(form, ensure_ascii=False)[1:-1],
                )
            )
    return [f for f in forms if f]


#: Secrets shorter than this are replaced only where they stand alone (not
#: inside a word or number): a one-character answer such as ``"5"`` must go
#: from ``"expected 5"`` without turning ``"at most 140"`` into ``"at most 14***"``.
_SHORT = 4


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in ``text``, in every form of :func:`_forms`, by ``***``.

    Longest first, so a secret that contains another is replaced whole.
    """
    forms = {form for secret in secrets if secret for form in _forms(secret)}
    for form in sorted(forms, key=len, reverse=True):
        if len(form) >= _SHORT:
            text = text.replace(form, REDACTED)
        elif form in text:
            import re

            text = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", REDACTED, text)
    return text
