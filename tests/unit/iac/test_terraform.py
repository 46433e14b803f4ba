"""Terraform wiring file built from a chalice.tf.json-shaped document (pure)."""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest

from chalice_cognito.app import TriggerRegistration
from chalice_cognito.iac import terraform as tf
from chalice_cognito.iac.targets import IaCConfigError, bind, parse_pools
from tests.support.aws import KEY_ARN

KEY = KEY_ARN


def chalice_tf() -> Dict[str, Any]:
    fn = {"runtime": "python3.12", "role": "${aws_iam_role.default-role.arn}"}
    return {
        "resource": {
            "aws_iam_role": {"default-role": {}},
            "aws_lambda_function": {
                "pre_sign_up": dict(fn, function_name="shop-dev-pre_sign_up"),
                "pre_token": dict(fn, function_name="shop-dev-pre_token"),
                "email_sender": dict(fn, function_name="shop-dev-email_sender"),
            },
        },
        "terraform": {"required_providers": {"aws": {"version": ">= 3.61.0, < 5"}}},
    }


REGS = [
    TriggerRegistration("PreSignUp", "pre_sign_up"),
    TriggerRegistration("PreTokenGeneration", "pre_token", version="V2_0"),
    TriggerRegistration("CustomEmailSender", "email_sender", version="V1_0"),
]


def build(section: Dict[str, Any], regs=REGS) -> Dict[str, Any]:
    return tf.build(chalice_tf(), bind(regs, parse_pools(section)), owner="shop-dev")


def test_pool_in_users_terraform_gets_permissions_locals_and_outputs() -> None:
    doc = build({"user_pool_resource": "main", "kms_key_arn": KEY})
    perms = doc["resource"]["aws_lambda_permission"]
    assert set(perms) == {"pre_sign_up_cognito", "pre_token_cognito", "email_sender_cognito"}
    for perm in perms.values():
        assert perm["principal"] == "cognito-idp.amazonaws.com"
        assert perm["source_arn"] == "${aws_cognito_user_pool.main.arn}"
        assert perm["source_account"] == "${data.aws_caller_identity.chalice.account_id}"
    # V2_0: no legacy pre_token_generation attribute (Cognito would treat it as V1_0)
    assert doc["locals"]["chalice_cognito_lambda_config"] == {
        "pre_sign_up": "${aws_lambda_function.pre_sign_up.arn}",
        "kms_key_id": KEY,
    }
    assert doc["locals"]["chalice_cognito_lambda_config_blocks"] == {
        "pre_token_generation_config": [
            {"lambda_arn": "${aws_lambda_function.pre_token.arn}", "lambda_version": "V2_0"}
        ],
        "custom_email_sender": [
            {"lambda_arn": "${aws_lambda_function.email_sender.arn}", "lambda_version": "V1_0"}
        ],
    }
    assert (
        doc["output"]["cognito_pre_sign_up_arn"]["value"]
        == "${aws_lambda_function.pre_sign_up.arn}"
    )
    assert "aws_lambda_invocation" not in doc["resource"]
    # no second required_providers block: a module may only have one
    assert "terraform" not in doc


def test_v1_pre_token_generation_also_gets_the_provider_4_attribute() -> None:
    regs = [TriggerRegistration("PreTokenGeneration", "pre_token", version="V1_0")]
    doc = build({"user_pool_resource": "main"}, regs)
    arn = "${aws_lambda_function.pre_token.arn}"
    assert doc["locals"]["chalice_cognito_lambda_config"] == {"pre_token_generation": arn}
    assert doc["locals"]["chalice_cognito_lambda_config_blocks"] == {
        "pre_token_generation_config": [{"lambda_arn": arn, "lambda_version": "V1_0"}]
    }


def test_existing_pool_gets_the_attach_lambda_invocation_and_destroy_step() -> None:
    doc = build({"user_pool_parameter": "user_pool_id", "kms_key_arn": KEY})
    res = doc["resource"]
    assert doc["variable"]["user_pool_id"]["type"] == "string"
    pool_arn = doc["locals"]["chalice_cognito_pool_arn"]
    assert pool_arn.endswith(":userpool/${var.user_pool_id}")
    assert ':cognito-idp:${element(split("_", var.user_pool_id), 0)}:' in pool_arn
    invocation = res["aws_lambda_invocation"]["chalice_cognito_attach"]
    payload = json.loads(invocation["input"])
    assert payload["ChaliceCognito"] == "attach"
    props = payload["ResourceProperties"]
    assert props["UserPoolId"] == "${var.user_pool_id}"
    assert props["OwnerPrefix"] == "shop-dev-"
    assert [t["Trigger"] for t in props["Triggers"]] == [
        "PreSignUp",
        "PreTokenGeneration",
        "CustomEmailSender",
    ]
    assert set(invocation["triggers"]) == {"wiring", "code"}
    assert "null_resource.chalice_cognito_detach" in invocation["depends_on"]
    detach = res["null_resource"]["chalice_cognito_detach"]
    assert json.loads(detach["triggers"]["payload"])["ChaliceCognito"] == "detach"
    provisioner = detach["provisioner"][0]["local-exec"]
    assert provisioner["when"] == "destroy"
    assert "${self.triggers.payload}" in provisioner["command"]
    # destroyed before the functions and permissions it detaches
    assert "aws_lambda_function.pre_sign_up" in detach["depends_on"]
    assert "aws_lambda_permission.pre_sign_up_cognito" in detach["depends_on"]
    policy_resource = res["aws_iam_role_policy"]["chalice_cognito_attach"]
    # named after the pools: another pool replaces the policy, and Terraform
    # destroys it only after the detach step that depends on it has run
    assert policy_resource["name"] == tf.attach_policy_name(["${local.chalice_cognito_pool_arn}"])
    assert "${local.chalice_cognito_pool_arn}" in policy_resource["name"]
    assert "aws_iam_role_policy.chalice_cognito_attach" in detach["depends_on"]
    policy = json.loads(policy_resource["policy"])
    assert policy["Statement"][0]["Resource"] == ["${local.chalice_cognito_pool_arn}"]
    # setting the pool's KMSKeyID for the sender creates a grant on exactly that key
    assert {"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": [KEY]} in policy[
        "Statement"
    ]
    assert "*" not in json.dumps(policy["Statement"])


def test_wiring_change_changes_the_invocation_trigger() -> None:
    one = build({"user_pool_id": "us-east-1_A"}, REGS[:1])
    two = build({"user_pool_id": "us-east-1_A"}, REGS[:2])
    key = lambda d: d["resource"]["aws_lambda_invocation"]["chalice_cognito_attach"]["triggers"]  # noqa: E731
    assert key(one)["wiring"] != key(two)["wiring"]
    assert key(one) == key(build({"user_pool_id": "us-east-1_A"}, REGS[:1]))


def test_existing_pool_by_name_resolves_through_a_data_source() -> None:
    doc = build({"user_pool_name": "shop-users"}, REGS[:1])
    assert doc["data"]["aws_cognito_user_pools"]["chalice_cognito"] == {"name": "shop-users"}
    perm = doc["resource"]["aws_lambda_permission"]["pre_sign_up_cognito"]
    assert perm["source_arn"] == "${one(data.aws_cognito_user_pools.chalice_cognito.arns)}"


def test_unknown_function_is_an_error() -> None:
    with pytest.raises(IaCConfigError, match="not in chalice.tf.json"):
        build({"user_pool_id": "us-east-1_A"}, [TriggerRegistration("PreSignUp", "ghost")])


def test_sender_environment_is_added_once() -> None:
    generated = chalice_tf()
    bindings = bind(REGS, parse_pools({"user_pool_id": "us-east-1_A", "kms_key_arn": KEY}))
    assert tf.add_sender_environment(generated, bindings)
    fn = generated["resource"]["aws_lambda_function"]["email_sender"]
    assert fn["environment"]["variables"]["CHALICE_COGNITO_KMS_KEY_ARN"] == KEY
    assert not tf.add_sender_environment(generated, bindings)


def test_provider_5_blocks_in_the_users_pool_are_warned_about() -> None:
    regs = [
        *REGS,
        TriggerRegistration("InboundFederation", "federation"),
    ]
    warnings = tf.provider_warnings(bind(regs, parse_pools({"user_pool_resource": "main"})))
    assert len(warnings) == 2
    token, federation = warnings
    assert token.startswith("PreTokenGeneration V2_0 (pre_token)")
    assert "pre_token_generation_config" in token and "version 5" in token
    assert federation.startswith("InboundFederation (federation)")
    assert "inbound_federation" in federation


def test_no_provider_warning_for_v1_or_an_existing_pool() -> None:
    v1 = [TriggerRegistration("PreTokenGeneration", "pre_token", version="V1_0")]
    assert tf.provider_warnings(bind(v1, parse_pools({"user_pool_resource": "main"}))) == []
    regs = [*REGS, TriggerRegistration("InboundFederation", "federation")]
    pools = parse_pools({"user_pool_id": "us-east-1_AbC123", "kms_key_arn": KEY})
    assert tf.provider_warnings(bind(regs, pools)) == []
