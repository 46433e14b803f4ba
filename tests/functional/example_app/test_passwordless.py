"""The passwordless email-code custom auth flow: define -> create -> verify -> define."""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional

import boto3
import pytest
from moto.ses.models import ses_backends

from chalice_cognito.testing import Replace, sample_event


def account_id() -> str:
    """moto's account, asked the public way."""
    return str(boto3.client("sts").get_caller_identity()["Account"])


Invoke = Callable[[str, Dict[str, Any]], Dict[str, Any]]

USER = {"sub": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "email": "jane.doe@example.com"}


def entry(
    result: bool, name: str = "CUSTOM_CHALLENGE", meta: Optional[str] = "EMAIL_CODE"
) -> Dict[str, Any]:
    return {"challengeName": name, "challengeResult": result, "challengeMetadata": meta}


def define(invoke: Invoke, session: List[Dict[str, Any]], **request: Any) -> Dict[str, Any]:
    event = sample_event(
        "DefineAuthChallenge_Authentication",
        request={"session": Replace(session), "userAttributes": Replace(USER), **request},
    )
    response: Dict[str, Any] = invoke("define_auth_challenge", event)["response"]
    return response


def create(invoke: Invoke, session: List[Dict[str, Any]]) -> Dict[str, Any]:
    event = sample_event(
        "CreateAuthChallenge_Authentication",
        request={"session": Replace(session), "userAttributes": Replace(USER)},
    )
    response: Dict[str, Any] = invoke("create_auth_challenge", event)["response"]
    return response


def verify(invoke: Invoke, private: Dict[str, str], answer: str) -> bool:
    event = sample_event(
        "VerifyAuthChallengeResponse_Authentication",
        request={
            "privateChallengeParameters": Replace(private),
            "challengeAnswer": answer,
            "userAttributes": Replace(USER),
        },
    )
    result = invoke("verify_auth_challenge_response", event)["response"]["answerCorrect"]
    assert isinstance(result, bool)
    return result


ASK = {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False}
TOKENS = {"challengeName": None, "issueTokens": True, "failAuthentication": False}
FAIL = {"challengeName": None, "issueTokens": False, "failAuthentication": True}


def emailed_code(body: str) -> str:
    found = re.findall(r"\b\d{6}\b", body)
    assert len(found) == 1, "the email carries exactly one 6-digit code"
    return str(found[0])


def test_full_flow_issues_tokens_after_the_emailed_code(invoke: Invoke, outbox: Any) -> None:
    session: List[Dict[str, Any]] = []
    assert define(invoke, session) == ASK

    challenge = create(invoke, session)
    assert len(outbox.emails) == 1
    to, subject, body = outbox.emails[0]
    assert (to, subject) == ("jane.doe@example.com", "Your Shop sign-in code")
    code = emailed_code(body)
    assert challenge["privateChallengeParameters"] == {"code": code}
    assert challenge["challengeMetadata"] == "EMAIL_CODE"
    # The client learns where the code went, never the code itself.
    assert challenge["publicChallengeParameters"] == {
        "delivery": "EMAIL",
        "destination": "j***@example.com",
        "attempt": "1",
        "attemptsAllowed": "3",
    }

    assert verify(invoke, challenge["privateChallengeParameters"], f" {code} ") is True
    session.append(entry(True))
    assert define(invoke, session) == TOKENS


def test_wrong_answers_get_new_codes_and_the_third_failure_ends_the_sign_in(
    invoke: Invoke, outbox: Any
) -> None:
    session: List[Dict[str, Any]] = []
    for attempt in (1, 2, 3):
        assert define(invoke, session) == ASK
        challenge = create(invoke, session)
        assert challenge["publicChallengeParameters"]["attempt"] == str(attempt)
        code = challenge["privateChallengeParameters"]["code"]
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        assert verify(invoke, challenge["privateChallengeParameters"], wrong) is False
        session.append(entry(False))
    assert define(invoke, session) == FAIL
    assert len(outbox.emails) == 3


def test_a_later_right_answer_still_succeeds(invoke: Invoke, outbox: Any) -> None:
    assert define(invoke, [entry(False), entry(True)]) == TOKENS


@pytest.mark.parametrize("answer", ["", "12345", "1234567", "١٢٣٤٥٦", "abcdef"])
def test_answers_other_than_the_code_are_wrong(invoke: Invoke, answer: str) -> None:
    assert verify(invoke, {"code": "123456"}, answer) is False


def test_missing_private_code_is_never_a_match(invoke: Invoke) -> None:
    assert verify(invoke, {}, "") is False


def test_password_steps_or_foreign_challenges_fail_the_flow(invoke: Invoke) -> None:
    srp = [entry(True, "SRP_A", None), entry(True, "PASSWORD_VERIFIER", None)]
    assert define(invoke, srp) == FAIL
    assert define(invoke, [entry(True, meta="CAPTCHA")]) == FAIL


def test_unknown_user_fails_without_sending_anything(invoke: Invoke, outbox: Any) -> None:
    assert define(invoke, [], userNotFound=True) == FAIL
    assert outbox.emails == []


def test_codes_are_six_digits_and_fresh_each_time(invoke: Invoke, outbox: Any) -> None:
    codes = {create(invoke, [])["privateChallengeParameters"]["code"] for _ in range(20)}
    assert all(re.fullmatch(r"\d{6}", c) for c in codes)
    assert len(codes) > 1


def test_account_without_email_cannot_get_a_code(invoke: Invoke, outbox: Any) -> None:
    event = sample_event(
        "CreateAuthChallenge_Authentication",
        request={"session": Replace([]), "userAttributes": Replace({"sub": "x"})},
    )
    with pytest.raises(ValueError, match="no email address"):
        invoke("create_auth_challenge", event)
    assert outbox.emails == []


def test_default_delivery_is_ses(
    invoke: Invoke, aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENDER_EMAIL", "auth@example.com")
    boto3.client("ses").verify_email_identity(EmailAddress="auth@example.com")
    challenge = create(invoke, [])
    sent = ses_backends[account_id()]["us-east-1"].sent_messages
    assert len(sent) == 1
    assert sent[0].source == "auth@example.com"
    assert sent[0].destinations["ToAddresses"] == ["jane.doe@example.com"]
    assert emailed_code(sent[0].body) == challenge["privateChallengeParameters"]["code"]
