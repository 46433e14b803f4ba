"""The examples of docs/how-to/grants-and-senders.md run as written.

Each ``# app.py`` block of the page is loaded as an app and its handlers are
invoked through Chalice's test client against moto: the access example really
adds the user to the group, the sender example really decrypts a code
encrypted the way Cognito does it (AWS Encryption SDK, the pool's KMS key, no
key commitment) and really delivers through SES and SNS.  The raw-key snippet
the page gives for tests runs too.
"""

from __future__ import annotations

import base64
import importlib.util
import re
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalice_cognito import senders
from chalice_cognito.testing import sample_event

aws_encryption_sdk = pytest.importorskip("aws_encryption_sdk")
from aws_encryption_sdk.identifiers import CommitmentPolicy  # noqa: E402

DOC = Path(__file__).resolve().parents[3] / "docs" / "how-to" / "grants-and-senders.md"
REGION = "us-east-1"
SENDER = "no-reply@example.com"


def python_blocks() -> List[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def app_block(containing: str) -> str:
    """The ``# app.py`` block of the page that contains ``containing``."""
    found = [b for b in python_blocks() if b.startswith("# app.py") and containing in b]
    assert len(found) == 1, f"expected one app.py example with {containing!r} in {DOC}"
    return found[0]


def load_app(source: str, tmp_path: Path) -> Any:
    path = tmp_path / f"doc_app_{uuid.uuid4().hex}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # a fresh KMS provider cache: each test has its own moto key
    monkeypatch.setattr(senders, "_providers", {})
    with mock_aws():
        yield


def account_id() -> str:
    return str(boto3.client("sts").get_caller_identity()["Account"])


def create_user(pool_id: str, username: str, email: str) -> None:
    boto3.client("cognito-idp").admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": "email", "Value": email}],
        MessageAction="SUPPRESS",
    )


def encrypt_like_cognito(plaintext: str, key_arn: str, pool_id: str) -> str:
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    )
    ciphertext, _ = client.encrypt(
        source=plaintext.encode(),
        key_provider=aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[key_arn]),
        encryption_context={"userpool-id": pool_id},
    )
    return base64.b64encode(ciphertext).decode()


def test_access_example_adds_the_user_to_the_group(aws: None, tmp_path: Path) -> None:
    app = load_app(app_block('access=["AdminAddUserToGroup"'), tmp_path)
    idp = boto3.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName="shop",
        Schema=[{"Name": "tier", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    idp.create_group(UserPoolId=pool_id, GroupName="customers")
    create_user(pool_id, "jane", "jane@example.com")

    event = sample_event("PostConfirmation_ConfirmSignUp", user_pool_id=pool_id, user_name="jane")
    with Client(app, project_dir=str(tmp_path)) as client:
        client.lambda_.invoke("post_confirmation", event)

    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="jane")["Groups"]
    assert [g["GroupName"] for g in groups] == ["customers"]
    user = idp.admin_get_user(UserPoolId=pool_id, Username="jane")
    assert {"Name": "custom:tier", "Value": "free"} in user["UserAttributes"]


@pytest.fixture
def sender_setup(aws: None, monkeypatch: pytest.MonkeyPatch) -> Dict[str, str]:
    key = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
    # what `chalice-cognito deploy` puts in the sender's environment
    monkeypatch.setenv("CHALICE_COGNITO_KMS_KEY_ARN", key)
    boto3.client("ses").verify_email_identity(EmailAddress=SENDER)
    pool_id = boto3.client("cognito-idp").create_user_pool(PoolName="shop")["UserPool"]["Id"]
    create_user(pool_id, "jane", "jane@example.com")
    return {"key": key, "pool_id": pool_id}


def sent_emails() -> List[Any]:
    return list(ses_backends[account_id()][REGION].sent_messages)


def test_sender_example_emails_the_decrypted_code_through_ses(
    sender_setup: Dict[str, str], tmp_path: Path
) -> None:
    app = load_app(app_block('"CustomEmailSender"'), tmp_path)
    pool_id = sender_setup["pool_id"]
    code = encrypt_like_cognito("482913", sender_setup["key"], pool_id)
    event = sample_event(
        "CustomEmailSender_SignUp",
        user_pool_id=pool_id,
        user_name="jane",
        request={"code": code, "userAttributes": {"email": "jane@example.com"}},
    )
    with Client(app, project_dir=str(tmp_path)) as client:
        client.lambda_.invoke("send_email", event)

    [email] = sent_emails()
    assert email.source == SENDER
    assert email.destinations["ToAddresses"] == ["jane@example.com"]
    assert email.body == "Your code is 482913"


def test_sender_example_looks_up_the_address_of_an_account_takeover_notice(
    sender_setup: Dict[str, str], tmp_path: Path
) -> None:
    app = load_app(app_block('"CustomEmailSender"'), tmp_path)
    event = sample_event(
        "CustomEmailSender_AccountTakeOverNotification",
        user_pool_id=sender_setup["pool_id"],
        request={"userAttributes": {"USER_NAME": "jane", "IP_ADDRESS": "192.0.2.7"}},
    )
    with Client(app, project_dir=str(tmp_path)) as client:
        client.lambda_.invoke("send_email", event)

    [email] = sent_emails()
    assert email.destinations["ToAddresses"] == ["jane@example.com"]
    assert "192.0.2.7" in email.body and "BLOCK" in email.body


def test_sender_example_texts_the_decrypted_code_through_sns(
    sender_setup: Dict[str, str], tmp_path: Path
) -> None:
    app = load_app(app_block('"CustomSMSSender"'), tmp_path)
    pool_id = sender_setup["pool_id"]
    code = encrypt_like_cognito("774411", sender_setup["key"], pool_id)
    event = sample_event(
        "CustomSMSSender_SignUp",
        user_pool_id=pool_id,
        request={"code": code, "userAttributes": {"phone_number": "+15555550123"}},
    )
    with Client(app, project_dir=str(tmp_path)) as client:
        client.lambda_.invoke("send_sms", event)

    sms = list(sns_backends[account_id()][REGION].sms_messages.values())
    assert [(number, text) for number, text, *_ in sms] == [("+15555550123", "Your code is 774411")]


def test_raw_key_snippet_for_tests_runs() -> None:
    (snippet,) = [b for b in python_blocks() if "RawMasterKeyProvider" in b]
    exec(compile(snippet, str(DOC), "exec"), {"__name__": "doc_snippet"})


@pytest.mark.parametrize(
    ("containing", "expected"),
    [
        (
            "AdminAddUserToGroup",
            {"cognito-idp": {"admin_add_user_to_group", "admin_update_user_attributes"}},
        ),
        (
            "CustomSMSSender",
            {"ses": {"send_email"}, "sns": {"publish"}, "cognito-idp": {"admin_get_user"}},
        ),
    ],
)
def test_policy_autogeneration_sees_every_aws_call_of_the_examples(
    containing: str, expected: Dict[str, Any]
) -> None:
    """What the page says the deploy allows is what Chalice's analyzer finds in its code."""
    from chalice.analyzer import get_client_calls_for_app

    from chalice_cognito.deploy.chalice_hooks import cognito_analyzer

    with cognito_analyzer():
        assert get_client_calls_for_app(app_block(containing)) == expected
