"""``chalice-cognito package`` with ``alias``/``canary``/``alarms`` (issue 14): SAM's
AutoPublishAlias and DeploymentPreference, the alias ARN in the wiring, the alarms.

Each template is checked with cfn-lint and run through the SAM translator, as
the other package tests do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

TOPIC = "arn:aws:sns:us-east-1:123456789012:auth-alarms"
MERGE = {
    "Resources": {
        "UserPool": {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {"UserPoolName": "shop-users", "UserPoolTier": "ESSENTIALS"},
        },
    }
}
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
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
