"""decrypt_code against real AWS Encryption SDK messages made with a raw AES key.

The messages are produced the way Cognito produces them (no key commitment,
base64 starting "AYAD") and in the SDK's committed format, then decrypted
through the helper with the same key provider injected.  No KMS, no I/O.
"""

from __future__ import annotations

import copy
import logging
import sys
from typing import Any, Dict, Optional

import aws_encryption_sdk
import pytest

from chalice_cognito import senders
from chalice_cognito.senders import (
    KMS_KEY_ARN_ENV,
    EncryptionSDKMissingError,
    SenderError,
    decrypt_code,
)
from tests.support.encryption_sdk import POOL_ID, encrypt, make_provider


def sender_event(trigger: str, source: str, code: Optional[str]) -> Dict[str, Any]:
    kind = (
        "customEmailSenderRequestV1"
        if trigger == "CustomEmailSender"
        else ("customSMSSenderRequestV1")
    )
    return {
        "version": "1",
        "triggerSource": f"{trigger}_{source}",
        "region": "us-east-1",
        "userPoolId": POOL_ID,
        "userName": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23"},
        "request": {
            "type": kind,
            "code": code,
            "userAttributes": {"email": "jane.doe@example.com", "phone_number": "+12065551212"},
            "clientMetadata": None,
        },
        "response": {},
    }


ATO_EVENT = {
    "version": "1",
    "triggerSource": "CustomEmailSender_AccountTakeOverNotification",
    "region": "us-east-1",
    "userPoolId": POOL_ID,
    "userName": "jane",
    "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": None},
    "request": {
        "type": "customEmailSenderRequestV1",
        "code": None,
        "clientMetadata": None,
        "userAttributes": {
            "EVENT_ID": "c2c2cb13-8ee5-4c9d-a2e7-cd5d1a4c5b1d",
            "USER_NAME": "jane",
            "IP_ADDRESS": "192.0.2.1",
            "ACCOUNT_TAKE_OVER_ACTION": "BLOCK",
            "ONE_CLICK_LINK_VALID": "https://example.com/valid",
            "ONE_CLICK_LINK_INVALID": "https://example.com/invalid",
            "LOGIN_TIME": "2026-11-26 04:00:00",
            "FEEDBACK_TOKEN": "token",
        },
    },
    "response": {},
}


@pytest.mark.parametrize("trigger", ["CustomEmailSender", "CustomSMSSender"])
@pytest.mark.parametrize("committed", [False, True], ids=["cognito-format", "committed"])
def test_decrypts_the_code_of_both_senders_in_both_formats(trigger: str, committed: bool) -> None:
    provider = make_provider()
    code = encrypt("492718", provider, committed=committed)
    # Cognito's messages are format v1 without commitment; the SDK's default is v2.
    assert code.startswith("AgV4" if committed else "AYAD")
    event = sender_event(trigger, "SignUp", code)

    assert decrypt_code(event, key_provider=provider) == "492718"
    assert decrypt_code(event["request"], key_provider=provider) == "492718"
    assert decrypt_code(code, key_provider=provider) == "492718"


def test_reads_the_code_from_attribute_style_objects() -> None:
    provider = make_provider()
    code = encrypt("111222", provider)

    class Request:
        def __init__(self, code: str) -> None:
            self.code = code

    class Event:
        user_pool_id = POOL_ID

        def __init__(self, code: str) -> None:
            self.request = Request(code)

    assert decrypt_code(Event(code), key_provider=provider) == "111222"
    assert decrypt_code(Request(code), key_provider=provider) == "111222"


def test_typed_sender_event_model_when_available() -> None:
    from chalice_cognito.events import sender as events

    provider = make_provider()
    raw = sender_event("CustomSMSSender", "ForgotPassword", encrypt("765432", provider))
    from chalice_cognito.events import parse_event

    event = parse_event(raw)
    assert isinstance(event, events.CustomSMSSenderEvent)
    assert decrypt_code(event, key_provider=provider) == "765432"
    assert event.request.decrypt_code(key_provider=provider) == "765432"
    ato = parse_event(copy.deepcopy(ATO_EVENT))
    assert ato.request.decrypt_code() is None


def test_temporary_password_is_html_unescaped() -> None:
    provider = make_provider()
    # Cognito HTML-escapes temporary passwords before encrypting them.
    escaped = "Tmp&lt;pw&gt;&amp;9&quot;x"
    event = sender_event("CustomEmailSender", "AdminCreateUser", encrypt(escaped, provider))
    assert decrypt_code(event, key_provider=provider) == 'Tmp<pw>&9"x'


def test_account_takeover_event_has_no_code_and_gives_none() -> None:
    assert decrypt_code(ATO_EVENT, key_provider=make_provider()) is None
    assert decrypt_code(ATO_EVENT["request"]) is None
    assert decrypt_code(None) is None


def test_account_takeover_needs_neither_the_sdk_nor_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aws_encryption_sdk", None)
    monkeypatch.delenv(KMS_KEY_ARN_ENV, raising=False)
    assert decrypt_code(copy.deepcopy(ATO_EVENT)) is None


def test_missing_sdk_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    code = encrypt("123456", make_provider())
    monkeypatch.setitem(sys.modules, "aws_encryption_sdk", None)
    with pytest.raises(EncryptionSDKMissingError) as info:
        decrypt_code(sender_event("CustomEmailSender", "SignUp", code))
    assert "pip install 'chalice-cognito[senders]'" in str(info.value)
    assert isinstance(info.value, ImportError)


def test_wrong_key_is_refused_without_revealing_anything() -> None:
    code = encrypt("555666", make_provider(b"pool-key"))
    other = make_provider(b"another-key")
    with pytest.raises(SenderError) as info:
        decrypt_code(code, key_provider=other)
    assert "555666" not in str(info.value)
    assert code not in str(info.value)


def test_code_encrypted_for_another_pool_is_refused() -> None:
    provider = make_provider()
    code = encrypt("135790", provider, context={"userpool-id": "us-east-1_OTHER"})
    event = sender_event("CustomEmailSender", "SignUp", code)
    with pytest.raises(SenderError, match="us-east-1_OTHER"):
        decrypt_code(event, key_provider=provider)
    # The bare code carries no pool to compare with: it decrypts.
    assert decrypt_code(code, key_provider=provider) == "135790"


def test_not_base64_is_a_clear_error() -> None:
    with pytest.raises(SenderError, match="not base64"):
        decrypt_code("not base64 at all!", key_provider=make_provider())
    with pytest.raises(SenderError, match="ciphertext"):
        decrypt_code({"code": 12345}, key_provider=make_provider())


def test_without_provider_the_key_arn_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = encrypt("123456", make_provider())
    monkeypatch.delenv(KMS_KEY_ARN_ENV, raising=False)
    with pytest.raises(SenderError, match=KMS_KEY_ARN_ENV):
        decrypt_code(code)
    monkeypatch.setenv(KMS_KEY_ARN_ENV, "arn:aws:kms:us-east-1:123456789012:alias/cognito")
    with pytest.raises(SenderError, match="not a KMS key ARN"):
        decrypt_code(code)


def test_strict_kms_provider_is_built_for_exactly_the_configured_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    monkeypatch.setenv(KMS_KEY_ARN_ENV, arn)
    monkeypatch.setattr(senders, "_providers", {})
    provider = senders._kms_provider(aws_encryption_sdk, None)
    assert isinstance(provider, aws_encryption_sdk.StrictAwsKmsMasterKeyProvider)
    assert tuple(provider.config.key_ids) == (arn,)
    # cached for the warm container
    assert senders._kms_provider(aws_encryption_sdk, None) is provider


def test_plaintext_never_reaches_a_log_record(caplog: pytest.LogCaptureFixture) -> None:
    provider = make_provider()
    secrets = ["864209", "S3cr&lt;et!"]
    caplog.set_level(logging.DEBUG)
    logging.getLogger("aws_encryption_sdk").setLevel(logging.DEBUG)
    results = []
    for secret in secrets:
        event = sender_event("CustomEmailSender", "AdminCreateUser", encrypt(secret, provider))
        results.append(decrypt_code(event, key_provider=provider))
    with pytest.raises(SenderError):
        decrypt_code(encrypt("777888", provider), key_provider=make_provider(b"x"))

    assert results == ["864209", "S3cr<et!"]
    assert caplog.records, "the SDK logs at DEBUG: the check must see its records"
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        for plain in ("864209", "S3cr<et!", "S3cr&lt;et!", "777888"):
            assert plain not in text


def test_an_event_without_request_code_is_malformed_not_a_notice() -> None:
    """Only an explicit ``"code": null`` (account-takeover notices) means no code."""
    event = copy.deepcopy(ATO_EVENT)
    del event["request"]["code"]
    with pytest.raises(SenderError, match="no request.code"):
        decrypt_code(event)
    with pytest.raises(SenderError, match="no request.code"):
        decrypt_code({"request": "not an object"})
