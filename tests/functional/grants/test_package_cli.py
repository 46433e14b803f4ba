"""Trigger grants in the output of the real ``chalice-cognito package`` command.

The command runs in a subprocess (as a user runs it): Chalice's packager and
build stage, then the IaC step.  Every statement of the template that allows a
declared ``cognito-idp:`` action or ``kms:Decrypt`` is collected, wherever it
sits (a role's inline policies, an ``AWS::IAM::Policy``, an
``aws_iam_role_policy``), and must name exactly the pool (as a template
reference) or the key.  The trigger body calls the declared action through
boto3, so Chalice's policy autogeneration also sees it and would allow it on
``Resource: "*"``; the CloudFormation templates must pass cfn-lint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from tests.support import apps
from tests.support import aws as support_aws

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POOL_ID = "us-east-1_AbC123"

APP_SOURCE = apps.GRANTS_APP

MERGE = {
    "Resources": {
        "UserPool": {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {"UserPoolName": "grants-users"},
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

LOGS_ONLY = support_aws.LOGS_ONLY_POLICY

#: the role of the attach custom resource (it calls UpdateUserPool, not the app's actions)
ATTACH_ROLES = {"CognitoAttachRole", "chalice_cognito_attach"}


def make_project(
    root: Path, cognito: Dict[str, Any], stage: Optional[Dict[str, Any]] = None
) -> Path:
    project = root / "app"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text(APP_SOURCE)
    (project / "requirements.txt").write_text("")
    (project / ".chalice" / "policy-dev.json").write_text(json.dumps(LOGS_ONLY))
    config = {
        "version": "2.0",
        "app_name": "grantsapp",
        "cognito": cognito,
        "stages": {"dev": stage or {}},
    }
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    return project


def package(project: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-c",
        "import sys; from chalice_cognito.cli import main; sys.exit(main(sys.argv[1:]))",
        "--project-dir",
        str(project),
        "package",
        *args,
        str(out),
    ]
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def listed(value: Any) -> List[Any]:
    return [value] if isinstance(value, (str, dict)) else list(value)


def cfn_policies(template: Dict[str, Any]) -> Iterator[Tuple[Any, Dict[str, Any]]]:
    """(roles the policy is on, policy document) of every IAM policy in a CloudFormation template."""
    for name, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role" and name not in ATTACH_ROLES:
            for policy in props.get("Policies", []):
                yield [{"Ref": name}], policy["PolicyDocument"]
        elif resource["Type"] == "AWS::IAM::Policy":
            yield props["Roles"], props["PolicyDocument"]


def tf_policies(folder: Path) -> Iterator[Tuple[Any, Dict[str, Any]]]:
    """(role, policy document) of every ``aws_iam_role_policy`` of a Terraform folder."""
    for path in sorted(folder.glob("*.tf.json")):
        doc = json.loads(path.read_text())
        for name, policy in doc.get("resource", {}).get("aws_iam_role_policy", {}).items():
            if name not in ATTACH_ROLES:
                yield policy["role"], json.loads(policy["policy"])


def grants_of(policies: Iterator[Tuple[Any, Dict[str, Any]]]) -> List[Tuple[Any, str, Any]]:
    """(role, action, resources) of every Allow of a cognito-idp or kms action."""
    found = []
    for roles, document in policies:
        for statement in listed(document["Statement"]):
            for action in listed(statement["Action"]):
                if action.startswith(("cognito-idp:", "kms:")) and statement["Effect"] == "Allow":
                    found.append((roles, action, listed(statement["Resource"])))
    return found


def lint(path: Path) -> List[str]:
    from cfnlint.api import lint_file

    return [str(m) for m in lint_file(path)]


def test_cloudformation_pool_and_key_in_the_template(tmp_path: Path) -> None:
    project = make_project(
        tmp_path, {"user_pool_resource": "UserPool", "kms_key_resource": "SenderKey"}
    )
    merge = tmp_path / "merge.json"
    merge.write_text(json.dumps(MERGE))
    out = tmp_path / "out"
    package(project, out, "--merge-template", str(merge))
    assert lint(out / "sam.json") == []
    template = json.loads((out / "sam.json").read_text())

    assert grants_of(cfn_policies(template)) == [
        (
            [{"Ref": "DefaultRole"}],
            "cognito-idp:AdminAddUserToGroup",
            [{"Fn::GetAtt": ["UserPool", "Arn"]}],
        ),
        ([{"Ref": "DefaultRole"}], "kms:Decrypt", [{"Fn::GetAtt": ["SenderKey", "Arn"]}]),
    ]
    sender = template["Resources"]["SendEmail"]["Properties"]
    assert sender["Environment"]["Variables"] == {
        "CHALICE_COGNITO_KMS_KEY_ARN": {"Fn::GetAtt": ["SenderKey", "Arn"]}
    }


def test_cloudformation_existing_pool_per_function_roles(tmp_path: Path) -> None:
    project = make_project(
        tmp_path, {"user_pool_id": POOL_ID, "kms_key_arn": KEY}, {"autogen_policy": False}
    )
    out = tmp_path / "out"
    package(project, out)
    assert lint(out / "sam.json") == []
    template = json.loads((out / "sam.json").read_text())

    pool_arn = {
        "Fn::Sub": [
            "arn:${AWS::Partition}:cognito-idp:${PoolRegion}:${AWS::AccountId}:userpool/${PoolId}",
            {"PoolRegion": "us-east-1", "PoolId": POOL_ID},
        ]
    }
    # each grant on the role of its own function only
    roles = {
        name: template["Resources"][name]["Properties"]["Role"]
        for name in ("PostConfirmation", "SendEmail")
    }
    assert roles == {
        "PostConfirmation": {"Fn::GetAtt": ["PostConfirmationRole", "Arn"]},
        "SendEmail": {"Fn::GetAtt": ["SendEmailRole", "Arn"]},
    }
    assert grants_of(cfn_policies(template)) == [
        ([{"Ref": "PostConfirmationRole"}], "cognito-idp:AdminAddUserToGroup", [pool_arn]),
        ([{"Ref": "SendEmailRole"}], "kms:Decrypt", [KEY]),
    ]


@pytest.mark.parametrize("autogen", [True, False])
def test_terraform_pool_resource(tmp_path: Path, autogen: bool) -> None:
    project = make_project(
        tmp_path,
        {"user_pool_resource": "main", "kms_key_arn": KEY},
        {} if autogen else {"autogen_policy": False},
    )
    out = tmp_path / "out"
    package(project, out, "--pkg-format", "terraform")

    access_role = "default-role" if autogen else "post_confirmation_role"
    sender_role = "default-role" if autogen else "send_email_role"
    assert sorted(grants_of(tf_policies(out))) == sorted(
        [
            (
                f"${{aws_iam_role.{access_role}.id}}",
                "cognito-idp:AdminAddUserToGroup",
                ["${aws_cognito_user_pool.main.arn}"],
            ),
            (f"${{aws_iam_role.{sender_role}.id}}", "kms:Decrypt", [KEY]),
        ]
    )
    chalice_tf = json.loads((out / "chalice.tf.json").read_text())
    sender = chalice_tf["resource"]["aws_lambda_function"]["send_email"]
    assert sender["environment"]["variables"] == {"CHALICE_COGNITO_KMS_KEY_ARN": KEY}


UNDECLARED_CALL = """

@app.cognito_trigger("PostAuthentication")
def post_authentication(event):
    boto3.client("cognito-idp").admin_delete_user(
        UserPoolId=event.user_pool_id, Username=event.user_name
    )
    return event
"""


def decrypt_statements(policies: Iterator[Tuple[Any, Dict[str, Any]]]) -> List[Dict[str, Any]]:
    return [
        statement
        for _, document in policies
        for statement in listed(document["Statement"])
        if "kms:Decrypt" in listed(statement["Action"])
    ]


def wildcard_cognito(policies: Iterator[Tuple[Any, Dict[str, Any]]]) -> List[str]:
    return [
        action
        for _, document in policies
        for statement in listed(document["Statement"])
        if statement.get("Resource") in ("*", ["*"])
        for action in listed(statement["Action"])
        if str(action).startswith("cognito-idp:")
    ]


def test_cloudformation_decrypt_is_conditioned_on_the_pool_and_nothing_cognito_is_on_star(
    tmp_path: Path,
) -> None:
    """Issue 10.11 in the template: the encryption-context condition, no undeclared grant."""
    project = make_project(
        tmp_path, {"user_pool_resource": "UserPool", "kms_key_resource": "SenderKey"}
    )
    (project / "app.py").write_text(APP_SOURCE + UNDECLARED_CALL)
    merge = tmp_path / "merge.json"
    merge.write_text(json.dumps(MERGE))
    out = tmp_path / "out"
    done = package(project, out, "--merge-template", str(merge))
    assert lint(out / "sam.json") == []
    template = json.loads((out / "sam.json").read_text())

    (decrypt,) = decrypt_statements(cfn_policies(template))
    assert decrypt["Condition"] == {
        "StringEquals": {
            "kms:EncryptionContext:userpool-id": {
                "Fn::Select": [1, {"Fn::Split": ["/", {"Fn::GetAtt": ["UserPool", "Arn"]}]}]
            }
        }
    }
    assert wildcard_cognito(cfn_policies(template)) == []
    assert "AdminDeleteUser" not in json.dumps(template)
    assert (
        "cognito-idp:AdminDeleteUser" in done.stderr and "access= does not declare" in done.stderr
    )


def test_terraform_decrypt_is_conditioned_on_the_pool(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"user_pool_resource": "main", "kms_key_arn": KEY})
    out = tmp_path / "out"
    package(project, out, "--pkg-format", "terraform")
    (decrypt,) = decrypt_statements(tf_policies(out))
    assert decrypt["Condition"] == {
        "StringEquals": {
            "kms:EncryptionContext:userpool-id": (
                '${element(split("/", aws_cognito_user_pool.main.arn), 1)}'
            )
        }
    }
    assert wildcard_cognito(tf_policies(out)) == []
