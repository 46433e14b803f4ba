"""``chalice-cognito package`` with ``alias``/``canary``/``alarms`` (issue 14): SAM's
AutoPublishAlias and DeploymentPreference, the alias ARN in the wiring, the alarms.

Each template is checked with cfn-lint and run through the SAM translator, as
the other package tests do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.support.aws import KEY_ARN

TOPIC = "arn:aws:sns:us-east-1:123456789012:auth-alarms"
MERGE = {
    "Resources": {
        "UserPool": {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {"UserPoolName": "shop-users", "UserPoolTier": "ESSENTIALS"},
        },
    }
}
KEY = KEY_ARN
FUNCTIONS = ("PreSignUp", "PreToken", "EmailSender", "PostConfirmation")


def _of_type(template: Dict[str, Any], kind: str) -> Dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_pool_in_template_invokes_the_alias_with_a_canary_and_alarms(
    project, tmp_path: Path, lint, sam_translate
) -> None:
    merge = tmp_path / "merge.json"
    merge.write_text(json.dumps(MERGE))
    project.configure(
        {
            "user_pool_resource": "UserPool",
            "kms_key_arn": KEY,
            "alias": "live",
            "canary": {"percent": 10, "minutes": 10},
            "alarms": {"sns_topic_arn": TOPIC},
        }
    )
    out = project.package("--merge-template", str(merge))
    assert lint(out / "sam.json") == []
    template = json.loads((out / "sam.json").read_text())

    config = template["Resources"]["UserPool"]["Properties"]["LambdaConfig"]
    assert config["PreSignUp"] == {"Ref": "PreSignUpAliaslive"}
    assert config["PreTokenGenerationConfig"]["LambdaArn"] == {"Ref": "PreTokenAliaslive"}
    for permission in _of_type(template, "AWS::Lambda::Permission").values():
        props = permission["Properties"]
        assert props["FunctionName"]["Ref"].endswith("Aliaslive")
        assert props["SourceArn"] == {"Fn::GetAtt": ["UserPool", "Arn"]}
        assert props["SourceAccount"] == {"Ref": "AWS::AccountId"}
    for fid in FUNCTIONS:
        props = template["Resources"][fid]["Properties"]
        assert props["AutoPublishAlias"] == "live"
        assert props["DeploymentPreference"]["Type"] == "Canary10Percent10Minutes"
        assert props["DeploymentPreference"]["Alarms"] == [
            {"Ref": f"{fid}Cognito{m}Alarm"} for m in ("Errors", "Throttles", "Duration")
        ]
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) == 3 * len(FUNCTIONS)
    duration = alarms["PreSignUpCognitoDurationAlarm"]["Properties"]
    assert duration["AlarmName"] == {"Fn::Sub": "${PreSignUp}-cognito-duration"}
    assert (duration["ExtendedStatistic"], duration["Threshold"]) == ("p99", 4000.0)
    assert duration["AlarmActions"] == [TOPIC]

    translated = sam_translate(template)
    aliases = _of_type(translated, "AWS::Lambda::Alias")
    assert {a["Properties"]["Name"] for a in aliases.values()} == {"live"}
    assert set(aliases) >= {f"{fid}Aliaslive" for fid in FUNCTIONS}
    groups = _of_type(translated, "AWS::CodeDeploy::DeploymentGroup")
    assert len(groups) == len(FUNCTIONS)
    for group in groups.values():
        assert len(group["Properties"]["AlarmConfiguration"]["Alarms"]) == 3


def test_existing_pool_custom_resource_gets_alias_arns_and_own_canary_config(
    project, lint, sam_translate
) -> None:
    project.configure(
        {
            "user_pool_parameter": "ShopUserPoolId",
            "kms_key_arn": KEY,
            "alias": "live",
            "canary": {"percent": 25, "minutes": 3},
        }
    )
    out = project.package()
    assert lint(out / "sam.json") == []
    template = json.loads((out / "sam.json").read_text())
    triggers = template["Resources"]["CognitoTriggers"]["Properties"]["Triggers"]
    assert [t["FunctionArn"] for t in triggers] == [{"Ref": f"{fid}Aliaslive"} for fid in FUNCTIONS]
    config = template["Resources"]["CognitoCanaryDeploymentConfig"]["Properties"]
    assert config["TrafficRoutingConfig"]["TimeBasedCanary"] == {
        "CanaryPercentage": 25,
        "CanaryInterval": 3,
    }
    assert template["Resources"]["PreSignUp"]["Properties"]["DeploymentPreference"] == {
        "Type": {"Ref": "CognitoCanaryDeploymentConfig"}
    }
    # the attach Lambda may manage the aliases' permissions
    role = json.dumps(template["Resources"]["CognitoAttachRole"])
    assert all(f'"Ref": "{fid}Aliaslive"' in role for fid in FUNCTIONS)
    sam_translate(template)


@pytest.mark.parametrize(
    ("percent", "minutes", "expected", "own_config"),
    [
        (10, 1, "Linear10PercentEvery1Minute", None),
        (10, 10, "Linear10PercentEvery10Minutes", None),
        (
            20,
            5,
            {"Ref": "CognitoCanaryDeploymentConfig"},
            {"LinearPercentage": 20, "LinearInterval": 5},
        ),
    ],
)
def test_linear_canary_is_codedeploys_linear_shift(
    project, lint, sam_translate, percent, minutes, expected, own_config
) -> None:
    project.configure(
        {
            "user_pool_parameter": "ShopUserPoolId",
            "kms_key_arn": KEY,
            "alias": "live",
            "canary": {"percent": percent, "minutes": minutes, "type": "linear"},
        }
    )
    out = project.package()
    assert lint(out / "sam.json") == []
    template = json.loads((out / "sam.json").read_text())
    for fid in FUNCTIONS:
        assert template["Resources"][fid]["Properties"]["DeploymentPreference"]["Type"] == expected
    own = template["Resources"].get("CognitoCanaryDeploymentConfig")
    if own_config is None:
        assert own is None
    else:
        routing = own["Properties"]["TrafficRoutingConfig"]
        assert routing == {"Type": "TimeBasedLinear", "TimeBasedLinear": own_config}
    sam_translate(template)


def test_terraform_versions_alias_and_alarms(project, terraform_references) -> None:
    project.configure(
        {
            "user_pool_id": "us-east-1_AbC123",
            "kms_key_arn": KEY,
            "alias": "live",
            "canary": {"percent": 10, "minutes": 10},
            "alarms": {"sns_topic_arn": TOPIC},
        }
    )
    done = project.run_package("--pkg-format", "terraform")
    assert done.returncode == 0, done.stderr
    assert "Terraform: canary is not emitted" in done.stderr
    out = project.root / "out"
    chalice_tf = json.loads((out / "chalice.tf.json").read_text())
    wiring = json.loads((out / "chalice-cognito.tf.json").read_text())
    res = wiring["resource"]
    names = ("pre_sign_up", "pre_token", "email_sender", "post_confirmation")
    for name in names:
        assert chalice_tf["resource"]["aws_lambda_function"][name]["publish"] is True
        alias = res["aws_lambda_alias"][f"{name}_cognito"]
        assert alias["name"] == "live"
        assert alias["function_version"] == f"${{aws_lambda_function.{name}.version}}"
        permission = res["aws_lambda_permission"][f"{name}_cognito"]
        assert permission["qualifier"] == f"${{aws_lambda_alias.{name}_cognito.name}}"
        assert permission["source_account"] == "${data.aws_caller_identity.chalice.account_id}"
        for metric in ("errors", "throttles", "duration"):
            alarm = res["aws_cloudwatch_metric_alarm"][f"{name}_cognito_{metric}"]
            assert alarm["alarm_name"] == (
                f"${{aws_lambda_function.{name}.function_name}}-cognito-{metric}"
            )
            assert alarm["alarm_actions"] == [TOPIC]
    # the attach Lambda wires the aliases and may manage their permissions
    attach_input = json.loads(res["aws_lambda_invocation"]["chalice_cognito_attach"]["input"])
    assert [t["FunctionArn"] for t in attach_input["ResourceProperties"]["Triggers"]] == [
        f"${{aws_lambda_alias.{name}_cognito.arn}}" for name in names
    ]
    policy = res["aws_iam_role_policy"]["chalice_cognito_attach"]["policy"]
    assert all(f"aws_lambda_alias.{name}_cognito.arn" in policy for name in names)
    refs = terraform_references(out)
    assert refs["unresolved"] == set()
    assert refs["cycles"] == []


def test_terraform_pool_in_users_terraform_reads_the_alias(project, terraform_references) -> None:
    project.configure({"user_pool_resource": "main", "kms_key_arn": KEY, "alias": "live"})
    out = project.package("--pkg-format", "terraform")
    wiring = json.loads((out / "chalice-cognito.tf.json").read_text())
    config = wiring["locals"]["chalice_cognito_lambda_config"]
    assert config["pre_sign_up"] == "${aws_lambda_alias.pre_sign_up_cognito.arn}"
    blocks = wiring["locals"]["chalice_cognito_lambda_config_blocks"]
    assert blocks["custom_email_sender"][0]["lambda_arn"] == (
        "${aws_lambda_alias.email_sender_cognito.arn}"
    )
    # the user's pool reads the locals (as in the Infrastructure-as-code how-to)
    pool = {
        "resource": {
            "aws_cognito_user_pool": {
                "main": {
                    "name": "shop-users",
                    "lambda_config": {
                        "pre_sign_up": '${lookup(local.chalice_cognito_lambda_config, "pre_sign_up", null)}'
                    },
                }
            }
        }
    }
    (out / "pool.tf.json").write_text(json.dumps(pool))
    refs = terraform_references(out)
    assert refs["unresolved"] == set()
    assert refs["cycles"] == []
