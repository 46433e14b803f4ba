"""``chalice-cognito package`` end to end: the real Chalice packager, then the wiring.

Every CloudFormation template is checked with cfn-lint and the SAM translator;
every Terraform folder with a reference check across its ``*.tf.json`` files.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from tests.support.aws import KEY_ARN

KEY = KEY_ARN

MERGE = {
    "Resources": {
        "UserPool": {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {"UserPoolName": "shop-users", "UserPoolTier": "ESSENTIALS"},
        },
        "SenderKey": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {
                                "AWS": {
                                    "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
                                }
                            },
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                }
            },
        },
    }
}

TRIGGER_FUNCTIONS = ("PreSignUp", "PreToken", "EmailSender", "PostConfirmation")


def resources(template: Dict[str, Any], type_: str) -> Dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def check_template(path: Path, lint, sam_translate) -> Dict[str, Any]:
    assert lint(path) == []
    text = path.read_text()
    template = yaml.safe_load(text) if path.suffix == ".yaml" else json.loads(text)
    translated = sam_translate(template)
    assert "Transform" not in translated
    return template


def test_pool_in_the_merge_template(project, tmp_path: Path, lint, sam_translate) -> None:
    merge = tmp_path / "merge.json"
    merge.write_text(json.dumps(MERGE))
    project.configure({"user_pool_resource": "UserPool", "kms_key_resource": "SenderKey"})
    out = project.package("--merge-template", str(merge))
    template = check_template(out / "sam.json", lint, sam_translate)

    config = template["Resources"]["UserPool"]["Properties"]["LambdaConfig"]
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
        "KMSKeyID": {"Fn::GetAtt": ["SenderKey", "Arn"]},
        "PostConfirmation": {"Fn::GetAtt": ["PostConfirmation", "Arn"]},
    }
    perms = resources(template, "AWS::Lambda::Permission")
    assert {p["Properties"]["FunctionName"]["Fn::GetAtt"][0] for p in perms.values()} == set(
        TRIGGER_FUNCTIONS
    )
    for p in perms.values():
        assert p["Properties"]["SourceArn"] == {"Fn::GetAtt": ["UserPool", "Arn"]}
        assert p["Properties"]["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert {f"{f}Arn" for f in TRIGGER_FUNCTIONS} <= set(template["Outputs"])
    assert "NotATriggerArn" not in template["Outputs"]
    # access grant scoped to the pool; sender may decrypt with the pool's key
    policies = resources(template, "AWS::IAM::Policy")
    access = policies["PostConfirmationCognitoAccess"]["Properties"]["PolicyDocument"]["Statement"][
        0
    ]
    assert access["Action"] == ["cognito-idp:AdminAddUserToGroup"]
    assert access["Resource"] == [{"Fn::GetAtt": ["UserPool", "Arn"]}]
    decrypt = policies["EmailSenderCognitoAccess"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert decrypt["Resource"] == [{"Fn::GetAtt": ["SenderKey", "Arn"]}]
    assert not (out / "cognito-attach.zip").exists()


def test_yaml_merge_template_keeps_yaml(project, tmp_path: Path, lint, sam_translate) -> None:
    merge = tmp_path / "merge.yaml"
    merge.write_text(
        "Resources:\n"
        "  UserPool:\n"
        "    Type: AWS::Cognito::UserPool\n"
        "    Properties:\n"
        "      UserPoolName: !Sub '${AWS::StackName}-users'\n"
        "      UserPoolTier: ESSENTIALS\n"
    )
    project.configure({"user_pool_resource": "UserPool", "kms_key_arn": KEY})
    out = project.package("--merge-template", str(merge))
    assert not (out / "sam.json").exists()
    template = check_template(out / "sam.yaml", lint, sam_translate)
    assert template["Resources"]["UserPool"]["Properties"]["UserPoolName"] == {
        "Fn::Sub": "${AWS::StackName}-users"
    }
    assert "PreSignUp" in template["Resources"]["UserPool"]["Properties"]["LambdaConfig"]


def test_existing_pool_from_a_parameter_per_stage(project, lint, sam_translate) -> None:
    project.configure(
        {"user_pool_resource": "UserPool", "kms_key_arn": KEY},
        stages={"dev": {}, "prod": {"cognito": {"user_pool_parameter": "ShopUserPoolId"}}},
    )
    out = project.package("--stage", "prod")
    template = check_template(out / "sam.json", lint, sam_translate)
    assert template["Parameters"]["ShopUserPoolId"]["Type"] == "String"
    custom = template["Resources"]["CognitoTriggers"]
    assert custom["Type"] == "Custom::CognitoTriggers"
    assert custom["Properties"]["UserPoolId"] == {"Ref": "ShopUserPoolId"}
    assert custom["Properties"]["KmsKeyArn"] == KEY
    assert custom["Properties"]["Owner"] == "shop-prod"
    assert [t["Trigger"] for t in custom["Properties"]["Triggers"]] == [
        "PreSignUp",
        "PreTokenGeneration",
        "CustomEmailSender",
        "PostConfirmation",
    ]
    attach = template["Resources"]["CognitoAttachFunction"]["Properties"]
    assert (out / attach["CodeUri"]).is_file()
    assert not resources(template, "AWS::Lambda::Permission")  # the attach Lambda adds them
    with zipfile.ZipFile(out / "cognito-attach.zip") as archive:
        names = set(archive.namelist())
    assert "chalice_cognito/iac/custom_resource.py" in names
    assert "chalice_cognito/deploy/wiring.py" in names
    assert not any(n.startswith(("chalice_cognito/events", "chalice/", "pydantic")) for n in names)
    assert "chalice_cognito/app.py" not in names


def test_two_pools_in_template_and_by_name(project, tmp_path: Path, lint, sam_translate) -> None:
    merge = tmp_path / "merge.json"
    merge.write_text(json.dumps(MERGE))
    project.configure(
        {
            "user_pools": {
                "customers": {
                    "user_pool_resource": "UserPool",
                    "kms_key_arn": KEY,
                    "default": True,
                },
                "staff": {"user_pool_name": "staff-users"},
            }
        }
    )
    # PostConfirmation goes to the staff pool in this variant of the app
    source = (project.dir / "app.py").read_text()
    (project.dir / "app.py").write_text(
        source.replace(
            '"PostConfirmation", access=', '"PostConfirmation", user_pool="staff", access='
        )
    )
    out = project.package("--merge-template", str(merge))
    template = check_template(out / "sam.json", lint, sam_translate)
    assert "PostConfirmation" not in template["Resources"]["UserPool"]["Properties"]["LambdaConfig"]
    staff = template["Resources"]["CognitoTriggersStaff"]["Properties"]
    assert staff["UserPoolName"] == "staff-users"
    assert [t["Trigger"] for t in staff["Triggers"]] == ["PostConfirmation"]


def test_configuration_error_fails_the_command(project) -> None:
    project.configure({"kms_key_arn": KEY})
    with pytest.raises(AssertionError, match="names no user pool"):
        project.package()


@pytest.mark.parametrize("pkg_format", ["cloudformation", "terraform"])
def test_a_failed_package_leaves_no_template_in_out(project, pkg_format) -> None:
    out = project.root / "out"
    out.mkdir()
    (out / "pool.tf.json").write_text("{}")  # the user's own file stays
    project.configure({"kms_key_arn": KEY})
    done = project.run_package("--pkg-format", pkg_format)
    assert done.returncode == 1, done.stderr
    assert "names no user pool" in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["pool.tf.json"]


def test_an_error_after_stock_packaging_leaves_out_untouched(project) -> None:
    # Only the template can tell the logical id is missing: stock packaging
    # has run by then, into the staging folder.
    project.configure({"user_pool_resource": "NoSuchPool", "kms_key_arn": KEY})
    done = project.run_package()
    assert done.returncode == 1, done.stderr
    assert "NoSuchPool" in done.stderr
    assert not (project.root / "out").exists()


def test_a_broken_iac_module_fails_instead_of_packaging_without_wiring(project) -> None:
    project.configure({"user_pool_id": "us-east-1_AbC123", "kms_key_arn": KEY})
    done = project.run_package(
        prelude="import sys; sys.modules['chalice_cognito.iac.package'] = None"
    )
    assert done.returncode != 0
    assert "chalice_cognito.iac.package" in done.stderr
    assert not (project.root / "out").exists()


def test_repackaging_replaces_the_output_and_keeps_user_files(project) -> None:
    project.configure({"user_pool_id": "us-east-1_AbC123", "kms_key_arn": KEY})
    out = project.package()
    (out / "notes.txt").write_text("mine")
    first = json.loads((out / "sam.json").read_text())
    assert "CognitoTriggers" in first["Resources"]
    out = project.package()
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "deployment.zip").is_file()
    assert "CognitoTriggers" in json.loads((out / "sam.json").read_text())["Resources"]


def test_cfn_lint_catches_a_broken_lambda_config(tmp_path: Path, lint) -> None:
    """The lint check above can fail: a misspelt LambdaConfig key is reported."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "UserPool": {
                "Type": "AWS::Cognito::UserPool",
                "Properties": {
                    "LambdaConfig": {
                        "PreSignup": "arn:aws:lambda:us-east-1:123456789012:function:f"
                    }
                },
            }
        },
    }
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(template))
    assert any("PreSignup" in finding for finding in lint(broken))


# -- Terraform ----------------------------------------------------------------------

USER_POOL_TF = {
    "resource": {
        "aws_cognito_user_pool": {
            "main": {
                "name": "shop-users",
                "lambda_config": {
                    "pre_sign_up": '${lookup(local.chalice_cognito_lambda_config, "pre_sign_up", null)}',
                    "post_confirmation": '${lookup(local.chalice_cognito_lambda_config, "post_confirmation", null)}',
                    "kms_key_id": '${lookup(local.chalice_cognito_lambda_config, "kms_key_id", null)}',
                    "dynamic": {
                        "custom_email_sender": {
                            "for_each": '${local.chalice_cognito_lambda_config_blocks["custom_email_sender"]}',
                            "content": {
                                "lambda_arn": "${custom_email_sender.value.lambda_arn}",
                                "lambda_version": "${custom_email_sender.value.lambda_version}",
                            },
                        }
                    },
                },
            }
        }
    }
}


def test_terraform_pool_in_users_terraform(project, terraform_references) -> None:
    project.configure({"user_pool_resource": "main", "kms_key_arn": KEY})
    out = project.package("--pkg-format", "terraform")
    (out / "pool.tf.json").write_text(json.dumps(USER_POOL_TF))
    wiring = json.loads((out / "chalice-cognito.tf.json").read_text())
    perms = wiring["resource"]["aws_lambda_permission"]
    assert len(perms) == 4
    for perm in perms.values():
        assert perm["source_arn"] == "${aws_cognito_user_pool.main.arn}"
        assert perm["source_account"] == "${data.aws_caller_identity.chalice.account_id}"
    assert set(wiring["output"]) == {
        "cognito_pre_sign_up_arn",
        "cognito_pre_token_arn",
        "cognito_email_sender_arn",
        "cognito_post_confirmation_arn",
    }
    refs = terraform_references(out)
    assert refs["unresolved"] == set()
    assert refs["cycles"] == []
    assert "local.chalice_cognito_lambda_config" in refs["refs"]
    assert "aws_cognito_user_pool.main" in refs["refs"]
    chalice_tf = json.loads((out / "chalice.tf.json").read_text())
    # inside Chalice's pins (provider < 5, Terraform < 1.4): nothing lifted
    assert chalice_tf["terraform"]["required_providers"]["aws"]["version"] == ">= 3.61.0, < 5"
    assert "terraform" not in wiring
    env = chalice_tf["resource"]["aws_lambda_function"]["email_sender"]["environment"]["variables"]
    assert env["CHALICE_COGNITO_KMS_KEY_ARN"] == KEY


def test_terraform_user_pool_with_v2_token_warns_about_the_provider_pin(project) -> None:
    project.configure({"user_pool_resource": "main", "kms_key_arn": KEY})
    done = project.run_package("--pkg-format", "terraform")
    assert done.returncode == 0, done.stderr
    assert "Warning: PreTokenGeneration V2_0 (pre_token)" in done.stderr
    assert "pre_token_generation_config" in done.stderr
    # the existing-pool path sets the version through the API: no warning
    project.configure({"user_pool_id": "us-east-1_AbC123", "kms_key_arn": KEY})
    done = project.run_package("--pkg-format", "terraform")
    assert done.returncode == 0, done.stderr
    assert "pre_token_generation_config" not in done.stderr


def test_terraform_existing_pool(project, terraform_references) -> None:
    project.configure({"user_pool_id": "us-east-1_AbC123", "kms_key_arn": KEY})
    out = project.package("--pkg-format", "terraform")
    wiring = json.loads((out / "chalice-cognito.tf.json").read_text())
    res = wiring["resource"]
    assert (
        res["aws_lambda_function"]["chalice_cognito_attach"]["filename"]
        == "${path.module}/cognito-attach.zip"
    )
    assert (out / "cognito-attach.zip").is_file()
    assert "chalice_cognito_attach" in res["aws_lambda_invocation"]
    assert "chalice_cognito_detach" in res["null_resource"]
    refs = terraform_references(out)
    assert refs["unresolved"] == set()
    assert refs["cycles"] == []


def test_repackaging_into_the_same_folder_drops_stale_files(project) -> None:
    project.configure({"user_pool_id": "us-east-1_AbC123", "kms_key_arn": KEY})
    out = project.package("--pkg-format", "terraform")
    assert (out / "cognito-attach.zip").is_file()
    project.configure({"user_pool_resource": "main", "kms_key_arn": KEY})
    project.package("--pkg-format", "terraform")
    assert not (out / "cognito-attach.zip").exists()
    wiring = json.loads((out / "chalice-cognito.tf.json").read_text())
    assert "aws_lambda_invocation" not in wiring["resource"]
    # an app without triggers: no wiring file left for Terraform to load
    (project.dir / "app.py").write_text(
        "from chalice import Chalice\napp = Chalice(app_name='shop')\n"
        "@app.lambda_function()\ndef f(event, context):\n    return {}\n"
    )
    project.package("--pkg-format", "terraform")
    assert not (out / "chalice-cognito.tf.json").exists()


def test_reference_check_finds_dangling_references(tmp_path: Path, terraform_references) -> None:
    """The Terraform check above can fail."""
    (tmp_path / "a.tf.json").write_text(
        json.dumps(
            {
                "resource": {
                    "aws_lambda_permission": {
                        "p": {
                            "function_name": "${aws_lambda_function.ghost.arn}",
                            "source_arn": "${local.nope}",
                            "depends_on": ["null_resource.none"],
                        }
                    }
                }
            }
        )
    )
    unresolved = terraform_references(tmp_path)["unresolved"]
    assert unresolved == {"aws_lambda_function.ghost", "local.nope", "null_resource.none"}


def test_reference_check_finds_cycles(tmp_path: Path, terraform_references) -> None:
    (tmp_path / "a.tf.json").write_text(
        json.dumps(
            {
                "resource": {
                    "aws_lambda_function": {"f": {"role": "${aws_iam_role.r.arn}"}},
                    "aws_iam_role": {"r": {"name": "${aws_lambda_function.f.function_name}"}},
                }
            }
        )
    )
    assert terraform_references(tmp_path)["cycles"]
