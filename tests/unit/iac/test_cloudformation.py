"""SAM template wiring on a template shaped like Chalice's output (pure)."""

from __future__ import annotations

import copy
from typing import Any, Dict

import pytest

from chalice_cognito.app import TriggerRegistration
from chalice_cognito.iac import cloudformation as cfn
from chalice_cognito.iac.targets import IaCConfigError, bind, parse_pools
from tests.support.aws import KEY_ARN

KEY = KEY_ARN


def function(role: Any = None) -> Dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Runtime": "python3.12",
            "Handler": "app.x",
            "CodeUri": "./deployment.zip",
            "Role": role or {"Fn::GetAtt": ["DefaultRole", "Arn"]},
        },
    }


def template(**extra: Any) -> Dict[str, Any]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Outputs": {},
        "Resources": {
            "DefaultRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "PreSignUp": function(),
            "PreToken": function(),
            "EmailSender": function(),
            **extra,
        },
    }


POOL = {"UserPool": {"Type": "AWS::Cognito::UserPool", "Properties": {"UserPoolName": "u"}}}


def regs(*items: TriggerRegistration) -> list[TriggerRegistration]:
    return list(items) or [
        TriggerRegistration("PreSignUp", "pre_sign_up"),
        TriggerRegistration("PreTokenGeneration", "pre_token", version="V2_0"),
        TriggerRegistration("CustomEmailSender", "email_sender", version="V1_0"),
    ]


def wire(tpl: Dict[str, Any], section: Dict[str, Any], registrations=None, **kw: Any):
    bindings = bind(registrations or regs(), parse_pools(section))
    return cfn.add_to_template(tpl, bindings, owner="shop-dev", **kw)


def test_logical_ids_are_chalices() -> None:
    assert cfn.function_logical_id("pre_sign_up") == "PreSignUp"
    assert cfn.function_logical_id("my-func_2") == "MyFunc2"


def test_pool_in_template_gets_lambda_config_permissions_and_outputs() -> None:
    tpl = template(**copy.deepcopy(POOL))
    assert wire(tpl, {"user_pool_resource": "UserPool", "kms_key_arn": KEY}) == []
    res = tpl["Resources"]
    config = res["UserPool"]["Properties"]["LambdaConfig"]
    assert config == {
        "PreSignUp": {"Fn::GetAtt": ["PreSignUp", "Arn"]},
        "PreTokenGenerationConfig": {
            "LambdaArn": {"Fn::GetAtt": ["PreToken", "Arn"]},
            "LambdaVersion": "V2_0",
        },
        "CustomEmailSender": {
            "LambdaArn": {"Fn::GetAtt": ["EmailSender", "Arn"]},
            "LambdaVersion": "V1_0",
        },
        "KMSKeyID": KEY,
    }
    perms = {k: v for k, v in res.items() if v["Type"] == "AWS::Lambda::Permission"}
    assert sorted(perms) == [
        "EmailSenderCognitoPermission",
        "PreSignUpCognitoPermission",
        "PreTokenCognitoPermission",
    ]
    for perm in perms.values():
        props = perm["Properties"]
        assert props["Principal"] == "cognito-idp.amazonaws.com"
        assert props["SourceArn"] == {"Fn::GetAtt": ["UserPool", "Arn"]}
        assert props["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert tpl["Outputs"]["PreSignUpArn"]["Value"] == {"Fn::GetAtt": ["PreSignUp", "Arn"]}
    assert set(tpl["Outputs"]) == {"PreSignUpArn", "PreTokenArn", "EmailSenderArn"}
    # the sender may decrypt with exactly that key, and knows which key
    access = res["EmailSenderCognitoAccess"]["Properties"]
    assert access["Roles"] == [{"Ref": "DefaultRole"}]
    assert access["PolicyDocument"]["Statement"][0]["Resource"] in (KEY, [KEY])
    env = res["EmailSender"]["Properties"]["Environment"]["Variables"]
    assert env["CHALICE_COGNITO_KMS_KEY_ARN"] == KEY
    # no attach machinery for a pool in the template
    assert cfn.ATTACH_FUNCTION_ID not in res


def test_kms_key_may_come_from_the_pool_in_the_merge_template() -> None:
    pool = copy.deepcopy(POOL)
    pool["UserPool"]["Properties"]["LambdaConfig"] = {"KMSKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}
    tpl = template(**pool, Key={"Type": "AWS::KMS::Key", "Properties": {}})
    wire(tpl, {"user_pool_resource": "UserPool"})
    config = tpl["Resources"]["UserPool"]["Properties"]["LambdaConfig"]
    assert config["KMSKeyID"] == {"Fn::GetAtt": ["Key", "Arn"]}


def test_sender_without_any_key_is_refused() -> None:
    tpl = template(**copy.deepcopy(POOL))
    with pytest.raises(IaCConfigError, match="KMS key"):
        wire(tpl, {"user_pool_resource": "UserPool"})


def test_missing_pool_resource_is_refused() -> None:
    with pytest.raises(IaCConfigError, match="--merge-template"):
        wire(template(), {"user_pool_resource": "UserPool", "kms_key_arn": KEY})


def test_trigger_already_set_in_the_merge_template_is_a_conflict() -> None:
    pool = copy.deepcopy(POOL)
    pool["UserPool"]["Properties"]["LambdaConfig"] = {
        "PreSignUp": "arn:aws:lambda:x:1:function:other"
    }
    registrations = [TriggerRegistration("PreSignUp", "pre_sign_up")]
    with pytest.raises(IaCConfigError, match="already set in the merge template"):
        wire(template(**copy.deepcopy(pool)), {"user_pool_resource": "UserPool"}, registrations)
    tpl = template(**pool)
    wire(tpl, {"user_pool_resource": "UserPool", "on_conflict": "replace"}, registrations)
    assert tpl["Resources"]["UserPool"]["Properties"]["LambdaConfig"]["PreSignUp"] == {
        "Fn::GetAtt": ["PreSignUp", "Arn"]
    }


def test_foreign_lambda_config_entries_are_kept() -> None:
    pool = copy.deepcopy(POOL)
    pool["UserPool"]["Properties"]["LambdaConfig"] = {"PostAuthentication": "arn:foreign"}
    tpl = template(**pool)
    wire(tpl, {"user_pool_resource": "UserPool"}, [TriggerRegistration("PreSignUp", "pre_sign_up")])
    config = tpl["Resources"]["UserPool"]["Properties"]["LambdaConfig"]
    assert config["PostAuthentication"] == "arn:foreign"


def test_function_missing_from_template_is_an_error() -> None:
    with pytest.raises(IaCConfigError, match="not in the packaged template"):
        wire(
            template(), {"user_pool_id": "us-east-1_A"}, [TriggerRegistration("PreSignUp", "nope")]
        )


def test_existing_pool_by_id_gets_custom_resource_and_scoped_attach_role() -> None:
    tpl = template()
    wire(tpl, {"user_pool_id": "us-east-1_AbC123", "kms_key_arn": KEY})
    res = tpl["Resources"]
    custom = res["CognitoTriggers"]
    assert custom["Type"] == "Custom::CognitoTriggers"
    props = custom["Properties"]
    assert props["ServiceToken"] == {"Fn::GetAtt": ["CognitoAttachFunction", "Arn"]}
    assert props["UserPoolId"] == "us-east-1_AbC123"
    assert props["KmsKeyArn"] == KEY
    assert props["Owner"] == "shop-dev"
    assert props["Triggers"][1] == {
        "Trigger": "PreTokenGeneration",
        "FunctionName": "pre_token",
        "FunctionArn": {"Fn::GetAtt": ["PreToken", "Arn"]},
        "LambdaVersion": "V2_0",
    }
    # no template-managed permission: the engine adds (and removes) it
    assert not any(r["Type"] == "AWS::Lambda::Permission" for r in res.values())
    fn = res["CognitoAttachFunction"]["Properties"]
    assert fn["Handler"] == "chalice_cognito.iac.custom_resource.handler"
    assert fn["CodeUri"] == "./cognito-attach.zip"
    assert fn["Runtime"] == "python3.12"
    statements = res["CognitoAttachRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    cognito, lam, kms = statements
    # The pool has a custom sender: setting its KMSKeyID creates a grant on exactly that key.
    assert kms == {"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": [KEY]}
    assert cognito["Action"] == ["cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool"]
    assert cognito["Resource"] == [
        {
            "Fn::Sub": [
                "arn:${AWS::Partition}:cognito-idp:${PoolRegion}:${AWS::AccountId}"
                ":userpool/${PoolId}",
                {"PoolRegion": "us-east-1", "PoolId": "us-east-1_AbC123"},
            ]
        }
    ]
    assert lam["Action"] == ["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"]
    assert lam["Resource"] == [
        {"Fn::GetAtt": [n, "Arn"]} for n in ("PreSignUp", "PreToken", "EmailSender")
    ]
    assert all("*" not in str(s["Resource"]) for s in statements)


def test_existing_pool_from_a_parameter() -> None:
    tpl = template()
    wire(
        tpl,
        {"user_pool_parameter": "UserPoolId"},
        [TriggerRegistration("PreSignUp", "pre_sign_up")],
    )
    assert tpl["Parameters"]["UserPoolId"]["Type"] == "String"
    assert tpl["Resources"]["CognitoTriggers"]["Properties"]["UserPoolId"] == {"Ref": "UserPoolId"}
    role = tpl["Resources"]["CognitoAttachRole"]["Properties"]["Policies"][0]
    _, values = role["PolicyDocument"]["Statement"][0]["Resource"][0]["Fn::Sub"]
    assert values == {
        "PoolRegion": {"Fn::Select": [0, {"Fn::Split": ["_", {"Ref": "UserPoolId"}]}]},
        "PoolId": {"Ref": "UserPoolId"},
    }


def test_pool_in_another_region_is_scoped_to_that_region() -> None:
    tpl = template()
    wire(tpl, {"user_pool_id": "eu-west-1_Xyz9"}, [TriggerRegistration("PreSignUp", "pre_sign_up")])
    statement = tpl["Resources"]["CognitoAttachRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"][0]
    assert statement["Resource"][0]["Fn::Sub"][1]["PoolRegion"] == "eu-west-1"


def test_existing_pool_by_name_needs_list_user_pools() -> None:
    tpl = template()
    wire(tpl, {"user_pool_name": "shop-users"}, [TriggerRegistration("PreSignUp", "pre_sign_up")])
    props = tpl["Resources"]["CognitoTriggers"]["Properties"]
    assert props["UserPoolName"] == "shop-users"
    assert "UserPoolId" not in props
    statements = tpl["Resources"]["CognitoAttachRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    assert {"Effect": "Allow", "Action": "cognito-idp:ListUserPools", "Resource": "*"} in statements


def test_grants_of_a_pool_found_by_name_use_the_resolved_arn() -> None:
    tpl = template()
    wire(
        tpl,
        {"user_pool_name": "shop-users"},
        [TriggerRegistration("PostConfirmation", "pre_sign_up", access=("AdminGetUser",))],
    )
    statement = tpl["Resources"]["PreSignUpCognitoAccess"]["Properties"]["PolicyDocument"][
        "Statement"
    ][0]
    resource = statement["Resource"]
    assert {"Fn::GetAtt": ["CognitoTriggers", "UserPoolArn"]} in (
        resource if isinstance(resource, list) else [resource]
    )


def test_two_pools_one_in_template_one_existing() -> None:
    tpl = template(**copy.deepcopy(POOL))
    section = {
        "user_pools": {
            "customers": {"user_pool_resource": "UserPool", "default": True},
            "staff": {"user_pool_id": "us-east-1_Staff1"},
        }
    }
    wire(
        tpl,
        section,
        [
            TriggerRegistration("PreSignUp", "pre_sign_up"),
            TriggerRegistration("PostConfirmation", "pre_token", user_pool="staff"),
        ],
    )
    res = tpl["Resources"]
    assert "PreSignUp" in res["UserPool"]["Properties"]["LambdaConfig"]
    assert res["CognitoTriggersStaff"]["Properties"]["Triggers"][0]["Trigger"] == "PostConfirmation"
    # the attach role may touch only the existing pool's function
    lam = res["CognitoAttachRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][1]
    assert lam["Resource"] == [{"Fn::GetAtt": ["PreToken", "Arn"]}]


def test_grants_hook_and_pre_created_role_warning() -> None:
    tpl = template()
    tpl["Resources"]["PreSignUp"] = function(role="arn:aws:iam::123456789012:role/mine")
    seen = []

    def grants(binding, pool_arn, kms_key):
        seen.append((binding.function_name, pool_arn, kms_key))
        return [{"Effect": "Allow", "Action": "cognito-idp:AdminGetUser", "Resource": pool_arn}]

    warnings = wire(
        tpl,
        {"user_pool_id": "us-east-1_A1"},
        [
            TriggerRegistration("PreSignUp", "pre_sign_up"),
            TriggerRegistration("PostConfirmation", "pre_token"),
        ],
        grants=grants,
    )
    assert [s[0] for s in seen] == ["pre_sign_up", "pre_token"]
    assert len(warnings) == 1 and "pre-created IAM role" in warnings[0]
    policy = tpl["Resources"]["PreTokenCognitoAccess"]["Properties"]
    assert policy["Roles"] == [{"Ref": "DefaultRole"}]
    assert policy["PolicyDocument"]["Statement"][0]["Action"] == "cognito-idp:AdminGetUser"


def test_default_grants_scope_access_to_the_pool() -> None:
    binding = bind(
        [TriggerRegistration("PostConfirmation", "p", access=("AdminAddUserToGroup",))],
        parse_pools({"user_pool_id": "us-east-1_A"}),
    )[0]
    statements = cfn.default_grant_statements(binding, {"Ref": "PoolArn"}, None)
    # the same statements `chalice-cognito deploy` grants (deploy.grants), not a looser copy
    assert statements == [
        {
            "Sid": "ChaliceCognitoAccessP",
            "Effect": "Allow",
            "Action": ["cognito-idp:AdminAddUserToGroup"],
            "Resource": [{"Ref": "PoolArn"}],
        }
    ]
