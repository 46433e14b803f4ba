"""statements_for / plan_grants: exactly the declared actions, exactly the pool and key."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from chalice_cognito.app import TriggerRegistration
from chalice_cognito.deploy.grants import (
    GrantError,
    describe,
    plan_grants,
    policy_document,
    pool_arn,
    statements_for,
)
from chalice_cognito.senders import KMS_KEY_ARN_ENV
from tests.support.aws import KEY_ARN

POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"
OTHER_POOL = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Zyx987"
KEY = KEY_ARN


def registration(trigger: str, name: str, *access: str, pool: Any = None) -> TriggerRegistration:
    return TriggerRegistration(
        trigger=trigger, function_name=name, version=None, user_pool=pool, access=access
    )


def actions_and_resources(statements: List[Dict[str, Any]]) -> List[Any]:
    return [(s["Effect"], s["Action"], s["Resource"]) for s in statements]


def test_access_becomes_one_statement_on_exactly_the_pool() -> None:
    reg = registration(
        "PostConfirmation", "post_confirmation", "AdminUpdateUserAttributes", "AdminAddUserToGroup"
    )
    statements = statements_for(reg, [POOL])
    assert actions_and_resources(statements) == [
        (
            "Allow",
            ["cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminUpdateUserAttributes"],
            [POOL],
        )
    ]
    assert statements[0]["Sid"] == "ChaliceCognitoAccessPostConfirmation"
    assert statements[0]["Sid"].isalnum()


def test_a_trigger_without_access_needs_nothing() -> None:
    assert statements_for(registration("PreSignUp", "pre_sign_up"), [POOL]) == []


@pytest.mark.parametrize("trigger", ["CustomEmailSender", "CustomSMSSender"])
def test_senders_get_decrypt_on_exactly_the_key(trigger: str) -> None:
    statements = statements_for(registration(trigger, "sender"), [POOL], KEY)
    assert actions_and_resources(statements) == [("Allow", ["kms:Decrypt"], [KEY])]


def test_sender_with_access_gets_both() -> None:
    reg = registration("CustomEmailSender", "send_email", "AdminGetUser")
    statements = statements_for(reg, [POOL], KEY)
    assert actions_and_resources(statements) == [
        ("Allow", ["cognito-idp:AdminGetUser"], [POOL]),
        ("Allow", ["kms:Decrypt"], [KEY]),
    ]


def test_nothing_wider_is_ever_produced() -> None:
    reg = registration("CustomEmailSender", "s", "AdminGetUser", "AdminAddUserToGroup")
    for statement in statements_for(reg, [POOL], KEY):
        assert "*" not in str(statement["Action"])
        assert "*" not in str(statement["Resource"])
        if statement["Action"] == ["kms:Decrypt"]:  # only codes of the pool (issue 10.11)
            assert statement.pop("Condition") == {
                "StringEquals": {"kms:EncryptionContext:userpool-id": POOL.rsplit("/", 1)[1]}
            }
        assert set(statement) == {"Sid", "Effect", "Action", "Resource"}


def test_missing_or_malformed_pool_and_key_are_refused() -> None:
    with pytest.raises(GrantError, match="no user pool ARN"):
        statements_for(registration("PostConfirmation", "pc", "AdminGetUser"), [])
    for bad in [
        "*",
        "us-east-1_AbCdEf123",
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/*",
    ]:
        with pytest.raises(GrantError, match="not a user pool ARN"):
            statements_for(registration("PostConfirmation", "pc", "AdminGetUser"), [bad])
    with pytest.raises(GrantError, match="needs kms_key_arn"):
        statements_for(registration("CustomSMSSender", "sms"), [POOL], None)
    for bad in ["arn:aws:kms:us-east-1:123456789012:alias/cognito", "1234abcd", "*"]:
        with pytest.raises(GrantError, match="not a KMS key ARN"):
            statements_for(registration("CustomSMSSender", "sms"), [POOL], bad)


def test_template_references_are_passed_through_for_iac() -> None:
    ref = {"Fn::GetAtt": ["UserPool", "Arn"]}
    statements = statements_for(registration("PostConfirmation", "pc", "AdminGetUser"), [ref])
    assert statements[0]["Resource"] == [ref]
    tf = "${aws_cognito_user_pool.users.arn}"
    assert statements_for(registration("PostConfirmation", "pc", "AdminGetUser"), [tf])[0][
        "Resource"
    ] == [tf]


def test_plan_grants_resolves_each_trigger_to_its_own_pool_and_key() -> None:
    regs = [
        registration("PostConfirmation", "post_confirmation", "AdminAddUserToGroup"),
        registration("PostConfirmation", "admin_post_confirmation", "AdminGetUser", pool="admins"),
        registration("CustomEmailSender", "send_email"),
        registration("PreSignUp", "pre_sign_up"),
    ]
    planned = plan_grants(regs, {None: POOL, "admins": [OTHER_POOL]}, {None: KEY})
    assert set(planned) == {"post_confirmation", "admin_post_confirmation", "send_email"}
    assert planned["post_confirmation"].statements[0]["Resource"] == [POOL]
    assert planned["admin_post_confirmation"].statements[0]["Resource"] == [OTHER_POOL]
    assert planned["send_email"].environment == {KMS_KEY_ARN_ENV: KEY}
    assert planned["post_confirmation"].environment == {}
    assert describe(planned["post_confirmation"]) == (
        "cognito-idp:AdminAddUserToGroup on us-east-1_AbCdEf123"
    )
    assert describe(planned["send_email"]) == f"kms:Decrypt on {KEY}"


def test_pool_arn_and_policy_document() -> None:
    assert pool_arn("us-east-1", "123456789012", "us-east-1_AbCdEf123") == POOL
    assert pool_arn("cn-north-1", "123456789012", "cn-north-1_X").startswith("arn:aws-cn:")
    assert pool_arn("us-gov-west-1", "1", "p").startswith("arn:aws-us-gov:")
    doc = policy_document(statements_for(registration("CustomSMSSender", "s"), [POOL], KEY))
    assert doc["Version"] == "2012-10-17"
    assert doc["Statement"][0]["Action"] == ["kms:Decrypt"]


def test_narrowing_removes_only_declared_actions_from_wildcard_statements() -> None:
    from chalice_cognito.deploy.grants import narrow_wildcard_actions, wildcard_cognito_actions

    document: Dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "cognito-idp:AdminGetUser", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": ["cognito-idp:AdminAddUserToGroup", "s3:GetObject"],
                "Resource": ["*"],
            },
            {"Effect": "Allow", "Action": ["cognito-idp:AdminGetUser"], "Resource": [POOL]},
            {"Effect": "Deny", "Action": ["cognito-idp:AdminGetUser"], "Resource": "*"},
        ],
    }
    removed = narrow_wildcard_actions(
        document, ["cognito-idp:AdminGetUser", "cognito-idp:AdminAddUserToGroup"]
    )
    assert removed == ["cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminGetUser"]
    assert document["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]},
        {"Effect": "Allow", "Action": ["cognito-idp:AdminGetUser"], "Resource": [POOL]},
        {"Effect": "Deny", "Action": ["cognito-idp:AdminGetUser"], "Resource": "*"},
    ]
    assert wildcard_cognito_actions(document) == []
    assert wildcard_cognito_actions(
        {"Statement": {"Effect": "Allow", "Action": "cognito-idp:ListUsers", "Resource": "*"}}
    ) == ["cognito-idp:ListUsers"]
