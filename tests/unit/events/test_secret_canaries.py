"""Secret canaries: no secret of any trigger reaches the raised error or a log line.

Every secret field the catalogue lists (event side and response side), plus the
code a custom sender decrypts, gets a canary value; the handler then fails in
every way a real handler shows a secret (plain, repr, ``KeyError(secret)``,
JSON with and without ASCII escapes, a chained cause, a note, an exception
with an attribute or an odd constructor, a pydantic error).  The dispatcher's
raised error (message, repr, full traceback text) and every log record are
checked for the canary's core, which every escaped form keeps; the refusal
text and the exception's type name must still be there.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any, Callable, Dict, List, Tuple

import pytest

from chalice_cognito.catalogue import BY_NAME, TRIGGERS
from chalice_cognito.dispatch import MAX_LOGGED_MESSAGE, TriggerDispatcher, TriggerError
from chalice_cognito.senders import decrypt_code
from chalice_cognito.testing import sample_event
from tests.support.encryption_sdk import encrypt, make_provider

CORE = "CANARYc0re"
#: Every escape (repr, JSON, ascii) keeps the ASCII core; the rest exercises them.
CANARIES = {
    "plain": f"{CORE}-Passw0rd!",
    "quotes-backslash": f"{CORE}-\"double\"-'single'-back\\slash",
    "non-ascii": f"{CORE}-é-密码-€",
    "control": f"{CORE}\ttab\nnewline",
}


class LegacyStoreError(Exception):
    """A handler's own exception that keeps the password as an attribute."""

    def __init__(self, user: str, password: str) -> None:
        super().__init__(f"refused {user}")
        self.password = password

    def __str__(self) -> str:
        return f"refused {self.args[0]} with {self.password}"


class TwoArgumentError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)


def _refuse(event: Any, secret: str, form: str) -> None:
    if form == "plain":
        raise ValueError(f"refused: {secret}")
    if form == "repr":
        raise ValueError(f"refused: {secret!r}")
    if form == "key-error":
        raise KeyError(secret)
    if form == "json-ascii":
        raise ValueError(f"refused: {json.dumps(event.to_dict())}")
    if form == "json-unicode":
        raise ValueError(f"refused: {json.dumps(event.to_dict(), ensure_ascii=False)}")
    if form == "repr-of-dict":
        raise ValueError(f"refused: {event.to_dict()!r}")
    if form == "repr-of-json":
        raise ValueError(f"refused: {json.dumps({'p': secret})!r}")
    if form == "chained-cause":
        raise ValueError("refused") from KeyError(secret)
    if form == "note":
        error = ValueError("refused")
        # add_note() is Python 3.11+; the attribute it sets is what tracebacks print.
        error.__notes__ = [f"the secret was {secret}"]
        raise error
    if form == "attribute":
        raise LegacyStoreError("jane", secret)
    if form == "two-arguments":
        raise TwoArgumentError("refused", secret)
    if form == "pydantic":
        event.caller_context = secret  # not an object: a ValidationError
        raise AssertionError("unreachable")
    raise AssertionError(form)


FORMS = (
    "plain",
    "repr",
    "key-error",
    "json-ascii",
    "json-unicode",
    "repr-of-dict",
    "repr-of-json",
    "chained-cause",
    "note",
    "attribute",
    "two-arguments",
    "pydantic",
)
#: the type name the client sees (Lambda's errorType) for each form
TYPE_NAMES = {
    "key-error": "KeyError",
    "attribute": "LegacyStoreError",
    "two-arguments": "TwoArgumentError",
    "pydantic": "TriggerError",
}


def _secret_cases() -> List[Tuple[str, str, str]]:
    """(trigger, triggerSource, secret field) for every catalogued secret, plus decrypted codes."""
    cases = []
    for spec in TRIGGERS:
        for path in spec.secret_fields:
            cases.append((spec.name, spec.trigger_sources[0], path))
        if spec.requires_kms:
            cases.append((spec.name, spec.trigger_sources[0], "decrypt_code()"))
    return cases


def _put(raw: Dict[str, Any], path: str, secret: str) -> None:
    """Put ``secret`` at ``path`` of the raw event: a map field gets it as a value."""
    *parents, last = path.split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
    if isinstance(node.get(last), dict) or last in ("privateChallengeParameters",):
        node[last] = {"answer": secret, "other": "x"}
    else:
        node[last] = secret


def _case(
    trigger: str, source: str, path: str, secret: str, form: str
) -> Tuple[Dict[str, Any], Callable[[Any], Any]]:
    raw = sample_event(source)
    if path == "decrypt_code()":
        provider = make_provider()
        raw["request"]["code"] = encrypt(secret, provider)

        def handler(event: Any) -> None:
            code = decrypt_code(event, key_provider=provider)
            assert code == secret
            _refuse(event, code, form)

        return raw, handler
    if path.startswith("response."):
        # The handler creates the secret (CreateAuthChallenge's expected answer).
        field = path.split(".", 1)[1]

        def handler(event: Any) -> None:
            setattr(event.response, _snake(field), {"answer": secret})
            _refuse(event, secret, form)

        return raw, handler
    _put(raw, path, secret)
    return raw, lambda event: _refuse(event, secret, form)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _renderings(error: BaseException) -> str:
    return "\n".join(
        [str(error), repr(error), "".join(traceback.format_exception(error)), repr(error.args)]
    )


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("canary", list(CANARIES), ids=list(CANARIES))
@pytest.mark.parametrize(
    ("trigger", "source", "path"),
    _secret_cases(),
    ids=[f"{t}:{p}" for t, _, p in _secret_cases()],
)
def test_no_secret_in_the_raised_error_or_any_log_line(
    trigger: str,
    source: str,
    path: str,
    canary: str,
    form: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = CANARIES[canary]
    raw, handler = _case(trigger, source, path, secret, form)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as info:
        TriggerDispatcher(handler, BY_NAME[trigger])(raw)
    error = info.value

    assert CORE not in _renderings(error)
    for linked in (error.__cause__, error.__context__):  # shown or not, nothing chained leaks
        assert linked is None or CORE not in _renderings(linked)
    for record in caplog.records:  # the Encryption SDK's debug lines included
        assert CORE not in record.getMessage()
    ours = [r for r in caplog.records if r.name == "chalice_cognito"]
    assert len(ours) == 1  # one line per failure, bounded, no traceback attached
    assert len(ours[0].getMessage()) <= MAX_LOGGED_MESSAGE + 400
    assert ours[0].exc_info is None
    # The refusal still reaches the user, under the type name the handler raised.
    assert type(error).__name__ == TYPE_NAMES.get(form, "ValueError")
    if form == "pydantic":
        assert isinstance(error, TriggerError) and "caller_context" in str(error)
    elif form not in ("key-error",):
        assert "refused" in str(error)


def test_the_catalogue_lists_every_secret_field() -> None:
    """The canaries above cover what the catalogue lists; this pins the list itself."""
    listed = {(spec.name, path) for spec in TRIGGERS for path in spec.secret_fields}
    assert listed == {
        ("CreateAuthChallenge", "response.privateChallengeParameters"),
        ("VerifyAuthChallengeResponse", "request.privateChallengeParameters"),
        ("VerifyAuthChallengeResponse", "request.challengeAnswer"),
        ("UserMigration", "request.password"),
        ("CustomEmailSender", "request.code"),
        ("CustomSMSSender", "request.code"),
        ("InboundFederation", "request.attributes.tokenResponse"),
    }


@pytest.mark.parametrize("canary", list(CANARIES), ids=list(CANARIES))
def test_a_returned_response_dict_is_read_for_secrets_too(
    canary: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole response returned as a dict (snake_case keys) that then fails a rule."""
    secret = CANARIES[canary]

    def handler(event: Any) -> Dict[str, Any]:
        return {
            "private_challenge_parameters": {"answer": secret},
            "public_challenge_parameters": {"question": 5},  # not a string: refused
        }

    caplog.set_level(logging.DEBUG)
    with pytest.raises(TriggerError) as info:
        TriggerDispatcher(handler, BY_NAME["CreateAuthChallenge"])(
            sample_event("CreateAuthChallenge_Authentication")
        )
    assert "publicChallengeParameters" in str(info.value)
    assert CORE not in _renderings(info.value) + caplog.text


def test_an_error_without_a_secret_is_raised_unchanged() -> None:
    """The usual refusal is the handler's own exception object, traceback and all."""
    refusal = ValueError("This email domain is not allowed")

    def handler(event: Any) -> None:
        raise refusal

    raw = sample_event("UserMigration_Authentication")
    with pytest.raises(ValueError) as info:
        TriggerDispatcher(handler, BY_NAME["UserMigration"])(raw)
    assert info.value is refusal


def test_a_scrubbed_error_keeps_the_rest_of_the_message_as_cognito_shows_it() -> None:
    raw = sample_event("UserMigration_Authentication")
    raw["request"]["password"] = "hunter2-CANARYc0re"

    def handler(event: Any) -> None:
        raise ValueError(f"Incorrect password {event.request.password} for jane")

    with pytest.raises(ValueError) as info:
        TriggerDispatcher(handler, BY_NAME["UserMigration"])(raw)
    assert type(info.value) is ValueError
    assert str(info.value) == "Incorrect password *** for jane"
    # The original exception (with the password) is not chained in any way.
    assert info.value.__cause__ is None and info.value.__context__ is None
