"""decrypt_code through the real KMS path: a strict KMS key provider on a moto KMS key.

The code is encrypted the way Cognito does it (Encryption SDK, the pool's KMS
key, no key commitment, encryption context naming the pool); the function
finds the key ARN in CHALICE_COGNITO_KMS_KEY_ARN, as the deploy sets it.
"""

from __future__ import annotations

import base64
from typing import Any, Dict, Iterator

import aws_encryption_sdk
import boto3
import pytest
from aws_encryption_sdk import CommitmentPolicy, StrictAwsKmsMasterKeyProvider
from moto import mock_aws

from chalice_cognito import senders
from chalice_cognito.events import parse_event
from chalice_cognito.senders import KMS_KEY_ARN_ENV, SenderError, decrypt_code

POOL_ID = "us-east-1_AbCdEf123"


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # a fresh provider cache: each test has its own moto account state
    monkeypatch.setattr(senders, "_providers", {})
    with mock_aws():
        yield boto3.client("kms", region_name="us-east-1")


def cognito_encrypt(key_arn: str, plaintext: str) -> str:
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    )
    ciphertext, _ = client.encrypt(
        source=plaintext.encode(),
        key_provider=StrictAwsKmsMasterKeyProvider(key_ids=[key_arn]),
        encryption_context={"userpool-id": POOL_ID},
    )
    return base64.b64encode(ciphertext).decode()


def event(trigger: str, source: str, code: str) -> Dict[str, Any]:
    kind = (
        "customEmailSenderRequestV1"
        if trigger == "CustomEmailSender"
        else "customSMSSenderRequestV1"
    )
    return {
        "version": "1",
        "triggerSource": f"{trigger}_{source}",
        "region": "us-east-1",
        "userPoolId": POOL_ID,
        "userName": "jane",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "abc"},
        "request": {"type": kind, "code": code, "userAttributes": {"email": "j@example.com"}},
        "response": {},
    }


@pytest.mark.parametrize("trigger", ["CustomEmailSender", "CustomSMSSender"])
def test_decrypts_with_the_key_named_in_the_environment(
    kms: Any, monkeypatch: pytest.MonkeyPatch, trigger: str
) -> None:
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    code = cognito_encrypt(key_arn, "204060")
    assert code.startswith("AYAD")
    monkeypatch.setenv(KMS_KEY_ARN_ENV, key_arn)

    raw = event(trigger, "SignUp", code)
    assert decrypt_code(raw) == "204060"
    assert parse_event(raw).request.decrypt_code() == "204060"


def test_explicit_key_arn_wins_over_the_environment(
    kms: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    monkeypatch.setenv(KMS_KEY_ARN_ENV, "arn:aws:kms:us-east-1:123456789012:key/not-this-one")
    code = cognito_encrypt(key_arn, "Tmp&lt;1&gt;")
    assert decrypt_code(event("CustomEmailSender", "AdminCreateUser", code), key_arn=key_arn) == (
        "Tmp<1>"
    )


def test_a_code_under_another_key_is_refused_by_the_strict_provider(
    kms: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool_key = kms.create_key()["KeyMetadata"]["Arn"]
    other_key = kms.create_key()["KeyMetadata"]["Arn"]
    code = cognito_encrypt(other_key, "918273")
    monkeypatch.setenv(KMS_KEY_ARN_ENV, pool_key)
    with pytest.raises(SenderError) as info:
        decrypt_code(event("CustomSMSSender", "SignUp", code))
    assert "918273" not in str(info.value)
    assert pool_key in str(info.value)
