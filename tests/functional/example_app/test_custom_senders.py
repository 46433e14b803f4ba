"""Custom email/SMS senders: the KMS-encrypted code is decrypted and delivered via SES / SNS.

Everything is real except AWS itself: moto's KMS holds the key, the AWS
Encryption SDK encrypts the code the way Cognito does (no key commitment,
pool id in the encryption context), and moto's SES / SNS receive the messages.
"""

from __future__ import annotations

import base64
import logging
from typing import Any, Callable, Dict, Iterator

import boto3
import pytest
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalice_cognito.testing import Replace, sample_event

aws_encryption_sdk = pytest.importorskip("aws_encryption_sdk")
from aws_encryption_sdk.identifiers import Algorithm, CommitmentPolicy  # noqa: E402


def account_id() -> str:
    """moto's account, asked the public way."""
    return str(boto3.client("sts").get_caller_identity()["Account"])


Invoke = Callable[[str, Dict[str, Any]], Dict[str, Any]]

POOL_ID = "us-east-1_EXAMPLE"
SENDER = "no-reply@shop.example.com"


@pytest.fixture
def kms_key(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto KMS key, set as the function's key the way the deploy sets it."""
    arn = boto3.client("kms").create_key(Description="shop pool key")["KeyMetadata"]["Arn"]
    monkeypatch.setenv("CHALICE_COGNITO_KMS_KEY_ARN", arn)
    monkeypatch.setenv("SENDER_EMAIL", SENDER)
    boto3.client("ses").verify_email_identity(EmailAddress=SENDER)
    yield arn


def encrypt_like_cognito(plaintext: str, key_arn: str) -> str:
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    )
    ciphertext, _ = client.encrypt(
        source=plaintext.encode(),
        key_provider=aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[key_arn]),
        encryption_context={"userpool-id": POOL_ID},
        algorithm=Algorithm.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384,
    )
    return base64.b64encode(ciphertext).decode()


def sent_emails() -> list[Any]:
    return list(ses_backends[account_id()]["us-east-1"].sent_messages)


def sent_sms() -> list[tuple[str, str]]:
    return list(sns_backends[account_id()]["us-east-1"].sms_messages.values())


def test_sign_up_code_is_decrypted_and_emailed_through_ses(
    invoke: Invoke, kms_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = sample_event(
        "CustomEmailSender_SignUp",
        request={
            "code": encrypt_like_cognito("381204", kms_key),
            "userAttributes": {"locale": "fr"},
        },
    )
    with caplog.at_level(logging.INFO):
        invoke("custom_email_sender", event)
    [email] = sent_emails()
    assert email.source == SENDER
    assert email.destinations["ToAddresses"] == ["jane.doe@example.com"]
    assert email.subject == "Votre code de vérification Shop"
    assert email.body == "Bienvenue sur Shop ! Votre code de vérification est 381204."
    assert "381204" not in caplog.text
    assert "j***@example.com" in caplog.text  # delivery is logged, masked


def test_temporary_password_is_unescaped_and_sent_with_the_username(
    invoke: Invoke, kms_key: str
) -> None:
    # Cognito HTML-escapes temporary passwords before encrypting them.
    event = sample_event(
        "CustomEmailSender_AdminCreateUser",
        request={"code": encrypt_like_cognito("Tmp&lt;9x&amp;", kms_key)},
    )
    invoke("custom_email_sender", event)
    [email] = sent_emails()
    assert email.body == (
        f"Sign in to Shop as {event['userName']} with the temporary password Tmp<9x&."
    )


def test_sms_code_is_decrypted_and_published_through_sns(
    invoke: Invoke, kms_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = sample_event(
        "CustomSMSSender_ForgotPassword",
        request={
            "code": encrypt_like_cognito("774411", kms_key),
            "userAttributes": {"locale": "de"},
        },
    )
    with caplog.at_level(logging.INFO):
        invoke("custom_sms_sender", event)
    assert sent_sms() == [("+12065551212", "Ihr Shop-Code zum Zurücksetzen lautet 774411")]
    assert "774411" not in caplog.text
    assert sent_emails() == []


def test_code_encrypted_under_another_key_is_refused_and_nothing_is_sent(
    invoke: Invoke, kms_key: str
) -> None:
    other = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
    event = sample_event(
        "CustomEmailSender_SignUp", request={"code": encrypt_like_cognito("111111", other)}
    )
    with pytest.raises(ValueError, match="Cannot decrypt"):
        invoke("custom_email_sender", event)
    assert sent_emails() == []


def test_account_takeover_notice_goes_to_the_address_in_the_pool(
    invoke: Invoke, kms_key: str
) -> None:
    idp = boto3.client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName="shop")["UserPool"]["Id"]
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username="jane.doe",
        UserAttributes=[{"Name": "email", "Value": "jane@example.com"}],
        MessageAction="SUPPRESS",
    )
    event = sample_event("CustomEmailSender_AccountTakeOverNotification", user_pool_id=pool_id)
    assert event["request"]["code"] is None
    assert event["request"]["userAttributes"]["USER_NAME"] == "jane.doe"
    invoke("custom_email_sender", event)
    [email] = sent_emails()
    assert email.destinations["ToAddresses"] == ["jane@example.com"]
    assert email.subject == "Unusual sign-in to your Shop account"


def test_sms_without_a_phone_number_fails(invoke: Invoke, kms_key: str) -> None:
    event = sample_event(
        "CustomSMSSender_SignUp",
        request={
            "code": encrypt_like_cognito("123456", kms_key),
            "userAttributes": Replace({"sub": "x", "email": "a@example.com"}),
        },
    )
    with pytest.raises(ValueError, match="No phone number"):
        invoke("custom_sms_sender", event)
    assert sent_sms() == []


def test_senders_are_pluggable(invoke: Invoke, kms_key: str, outbox: Any) -> None:
    event = sample_event(
        "CustomSMSSender_Authentication", request={"code": encrypt_like_cognito("909090", kms_key)}
    )
    invoke("custom_sms_sender", event)
    assert outbox.sms == [("+12065551212", "Your Shop sign-in code is 909090")]
    assert sent_sms() == []
