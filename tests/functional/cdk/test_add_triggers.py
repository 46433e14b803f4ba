"""``chalice_cognito.cdk.add_triggers`` against a real CDK synth (see conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from typing import Any, Dict, List

import pytest

from chalice_cognito.catalogue import TRIGGERS

from .conftest import PRE_CREATED_ROLE, Synth


def get_att(logical_id: str) -> Dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def role_of_policy(policy: Dict[str, Any]) -> str:
    """The role logical id an imported-role policy names (``Select(1, Split('/', ...GetAtt Role.Arn))``)."""
    text = json.dumps(policy["Properties"]["Roles"])
    for role in ("DefaultRole", "PreTokenRole", "EmailSenderRole"):
        if json.dumps(get_att(role)) in text:
            return role
    raise AssertionError(f"policy names no Chalice role: {text}")


def statements(synth: Synth, role: str) -> List[Dict[str, Any]]:
    found: List[Dict[str, Any]] = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if role_of_policy(policy) == role:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def test_pool_lambda_config_has_every_trigger_of_the_pool_in_cognito_shapes(synth: Synth) -> None:
    config = synth.resources[synth.pool_id]["Properties"]["LambdaConfig"]
    assert config == {
        "PreSignUp": get_att("PreSignUp"),
        "PreTokenGenerationConfig": {"LambdaArn": get_att("PreToken"), "LambdaVersion": "V2_0"},
        "CustomEmailSender": {"LambdaArn": get_att("EmailSender"), "LambdaVersion": "V1_0"},
        "KMSKeyID": get_att(synth.key_id),
        # no UserPoolOperation for it in CDK: written on the CfnUserPool, same shape
        "InboundFederation": {"LambdaArn": get_att("Federation"), "LambdaVersion": "V1_0"},
    }
    # the other pool's trigger went to the other pool only
    admin = synth.resources[synth.admin_pool_id]["Properties"]["LambdaConfig"]
    assert admin == {"PostConfirmation": get_att("AdminConfirmed")}


def test_one_permission_per_function_scoped_to_its_pool_and_account(synth: Synth) -> None:
    permissions = synth.of_type("AWS::Lambda::Permission").values()
    by_function = {p["Properties"]["FunctionName"]["Fn::GetAtt"][0]: p for p in permissions}
    assert sorted(by_function) == sorted(
        ["PreSignUp", "PreToken", "EmailSender", "Federation", "AdminConfirmed"]
    )
    assert len(by_function) == len(list(permissions))
    for function, permission in by_function.items():
        pool = synth.admin_pool_id if function == "AdminConfirmed" else synth.pool_id
        assert permission["Properties"] == {
            "Action": "lambda:InvokeFunction",
            "FunctionName": get_att(function),
            "Principal": "cognito-idp.amazonaws.com",
            "SourceArn": get_att(pool),
            "SourceAccount": {"Ref": "AWS::AccountId"},
        }


def test_no_permission_was_silently_dropped(synth: Synth) -> None:
    from aws_cdk.assertions import Annotations, Match

    warnings = Annotations.from_stack(synth.stack).find_warning("*", Match.any_value())
    assert not [w for w in warnings if "addPermission" in json.dumps(w.entry.data)]


def role_of_function(synth: Synth, function: str) -> str:
    role: str = synth.resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    return role


def test_access_grants_and_decrypt_on_the_senders_own_role_scoped_to_pool_and_key(
    synth: Synth,
) -> None:
    """As deploy and package (issue 10.11): the trigger with grants runs on a role of its own."""
    assert role_of_function(synth, "EmailSender") == "EmailSenderRole"
    assert synth.construct.own_roles == ("email_sender",)
    granted = statements(synth, "EmailSenderRole")
    assert {
        "Sid": "ChaliceCognitoAccessEmailSender",
        "Effect": "Allow",
        "Action": "cognito-idp:AdminGetUser",
        "Resource": get_att(synth.pool_id),
    } in granted
    assert {
        "Sid": "ChaliceCognitoDecryptEmailSender",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": get_att(synth.key_id),
        # only codes Cognito encrypted for this pool (issue 10.11); CDK resolved the token
        "Condition": {
            "StringEquals": {
                "kms:EncryptionContext:userpool-id": {
                    "Fn::Select": [1, {"Fn::Split": ["/", get_att(synth.pool_id)]}]
                }
            }
        },
    } in granted
    assert len(granted) == 2
    assert synth.result.grants["email_sender"][0] == "EmailSenderRole"
    # the functions without grants stay on Chalice's shared role, which holds none
    assert role_of_function(synth, "PreSignUp") == "DefaultRole"
    assert role_of_function(synth, "AdminConfirmed") == "DefaultRole"
    assert statements(synth, "DefaultRole") == []
    assert not any("is shared" in note for note in synth.result.notes)
    role = synth.resources["EmailSenderRole"]["Properties"]
    assert (
        role["AssumeRolePolicyDocument"]
        == synth.resources["DefaultRole"]["Properties"]["AssumeRolePolicyDocument"]
    )


def test_a_function_with_its_own_role_gets_its_grant_there(synth: Synth) -> None:
    assert statements(synth, "PreTokenRole") == [
        {
            "Sid": "ChaliceCognitoAccessPreToken",
            "Effect": "Allow",
            "Action": "cognito-idp:AdminListGroupsForUser",
            "Resource": get_att(synth.pool_id),
        }
    ]
    assert not any("PreTokenRole" in note for note in synth.result.notes)


def test_a_pre_created_role_is_not_touched_and_its_grant_is_handed_back(synth: Synth) -> None:
    assert PRE_CREATED_ROLE not in json.dumps(synth.of_type("AWS::IAM::Policy"))
    unattached = synth.result.unattached_grants["federation"]
    assert [s["Action"] for s in unattached] == [["cognito-idp:AdminGetUser"]]
    assert any(PRE_CREATED_ROLE in note for note in synth.result.notes)


def test_declared_actions_leave_the_autogenerated_wildcard_policy(synth: Synth) -> None:
    """The packaging reads trigger bodies, but no Cognito action stays on "*" (issue 10.11).

    AdminGetUser is declared (granted on the pool); list_users is not declared: not granted.
    The sender's own role keeps an autogenerated policy (what the analysis found), narrowed.
    """
    assert "Policies" in synth.resources["EmailSenderRole"]["Properties"]
    wildcard = [
        action
        for role in synth.of_type("AWS::IAM::Role").values()
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if statement.get("Resource") in ("*", ["*"])
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    ]
    assert "cognito-idp:ListUsers" not in wildcard
    assert "cognito-idp:AdminGetUser" not in wildcard


def test_an_undeclared_cognito_call_is_in_the_notes(synth: Synth) -> None:
    """The call the packaging left ungranted (list_users) is reported, with the access= to add."""
    undeclared = [note for note in synth.result.notes if "cognito-idp:ListUsers" in note]
    assert undeclared, synth.result.notes
    assert all(
        "access= does not declare" in note and "access=['ListUsers']" in note for note in undeclared
    ), undeclared
    assert len(synth.result.notes) == len(set(synth.result.notes))  # each note once


def test_sender_gets_the_key_arn_in_its_environment(synth: Synth) -> None:
    variables = synth.resources["EmailSender"]["Properties"]["Environment"]["Variables"]
    assert variables["CHALICE_COGNITO_KMS_KEY_ARN"] == get_att(synth.key_id)
    others = synth.resources["PreSignUp"]["Properties"].get("Environment", {})
    assert "CHALICE_COGNITO_KMS_KEY_ARN" not in json.dumps(others)


def test_the_deployment_zip_carries_the_runtime_half(synth: Synth) -> None:
    package_dir = synth.construct._sam_package_dir
    with zipfile.ZipFile(os.path.join(package_dir, "deployment.zip")) as z:
        names = z.namelist()
    assert "chalice_cognito/app.py" in names
    assert "chalice_cognito/events/signup.py" in names
    assert any(n.startswith("pydantic/") for n in names)
    assert not any(n.startswith("chalice_cognito/cdk") for n in names)


def test_results_name_how_each_trigger_was_added(synth: Synth) -> None:
    assert synth.result.operations == {
        "pre_sign_up": "UserPoolOperation.PRE_SIGN_UP",
        "pre_token": "UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG",
        "email_sender": "UserPoolOperation.CUSTOM_EMAIL_SENDER",
        "federation": "CfnUserPool LambdaConfig.InboundFederation",
    }
    assert synth.admin_result.operations == {
        "admin_confirmed": "UserPoolOperation.POST_CONFIRMATION"
    }


# -- refusals (before anything is added) ------------------------------------------


@pytest.fixture
def stack_with_pool() -> Any:
    import aws_cdk as cdk
    from aws_cdk import aws_cognito as cognito

    stack = cdk.Stack(cdk.App(), "Other")
    return stack, cognito.UserPool(stack, "Pool")


def test_a_sender_without_kms_key_is_refused_before_any_change(
    synth: Synth, stack_with_pool: Any
) -> None:
    from chalice_cognito.cdk import add_triggers

    _, pool = stack_with_pool
    with pytest.raises(ValueError, match="custom_sender_kms_key=key") as e:
        add_triggers(synth.construct, pool, app=synth.construct.chalice_app)
    assert "email_sender (CustomEmailSender)" in str(e.value)
    assert not [c for c in pool.node.children if c.node.id.endswith("Trigger")]


def test_a_pool_without_custom_sender_kms_key_is_explained(
    synth: Synth, stack_with_pool: Any
) -> None:
    from aws_cdk import aws_kms as kms

    from chalice_cognito import Chalice
    from chalice_cognito.cdk import add_triggers

    stack, pool = stack_with_pool
    app = Chalice(app_name="shop")
    app.cognito_trigger("CustomEmailSender", name="email_sender")(lambda event: None)
    with pytest.raises(ValueError, match="has no custom_sender_kms_key"):
        add_triggers(synth.construct, pool, app=app, kms_key=kms.Key(stack, "Key"))


def test_an_alias_without_triggers_is_refused(synth: Synth, stack_with_pool: Any) -> None:
    from chalice_cognito.cdk import add_triggers

    _, pool = stack_with_pool
    with pytest.raises(
        ValueError,
        match=r"user_pool='staff' \(it declares triggers for: admins, the default pool\)",
    ):
        add_triggers(synth.construct, pool, user_pool_alias="staff")


# -- mapping and import --------------------------------------------------------------


def test_every_catalogued_trigger_has_an_operation_or_a_cfn_property() -> None:
    from aws_cdk import aws_cognito as cognito

    from chalice_cognito.cdk import operation_name, supported_by_cdk
    from chalice_cognito.iac.shapes import snake

    supported = supported_by_cdk()
    properties = set(dir(cognito.CfnUserPool.LambdaConfigProperty))
    for spec in TRIGGERS:
        assert supported[spec.name] or snake(spec.config_key) in properties, spec.name
        if spec.versions and spec.versions != (spec.default_version,):
            # several versions: only PRE_TOKEN_GENERATION_CONFIG takes V2_0/V3_0
            assert operation_name(spec) == "PRE_TOKEN_GENERATION_CONFIG"
    assert operation_name(TRIGGERS[0]) == "PRE_SIGN_UP"
    assert supported["CustomSMSSender"] and operation_name(TRIGGERS[11]) == "CUSTOM_SMS_SENDER"


def test_importing_the_module_does_not_start_jsii() -> None:
    code = (
        "import sys, chalice_cognito, chalice_cognito.cdk; "
        "assert 'aws_cdk' not in sys.modules and 'jsii' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_construct_is_chalice_cdk_chalice() -> None:
    from chalice.cdk import Chalice as Stock

    from chalice_cognito.cdk import Chalice

    assert issubclass(Chalice, Stock)
    assert Chalice is __import__("chalice_cognito.cdk", fromlist=["Chalice"]).Chalice


def test_the_template_passes_cfn_lint_and_the_sam_transform(synth: Synth, tmp_path) -> None:
    from cfnlint.api import lint_file
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> Dict[str, str]:
            return {}

    path = tmp_path / "Shop.template.json"
    path.write_text(json.dumps(synth.template))
    assert [str(m) for m in lint_file(path)] == []
    transformed = transform(json.loads(path.read_text()), {}, NoManagedPolicies())
    functions = [
        k for k, v in transformed["Resources"].items() if v["Type"] == "AWS::Lambda::Function"
    ]
    assert sorted(functions) == sorted(
        ["PreSignUp", "PreToken", "EmailSender", "Federation", "AdminConfirmed"]
    )
