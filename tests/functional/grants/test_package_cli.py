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
from tests.support.aws import KEY_ARN

KEY = KEY_ARN
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

    # each grant on its trigger's own role (the default "trigger_roles": "own")
    assert grants_of(cfn_policies(template)) == [
        (
            [{"Ref": "PostConfirmationRole"}],
            "cognito-idp:AdminAddUserToGroup",
            [{"Fn::GetAtt": ["UserPool", "Arn"]}],
        ),
        ([{"Ref": "SendEmailRole"}], "kms:Decrypt", [{"Fn::GetAtt": ["SenderKey", "Arn"]}]),
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

    # a role per trigger with grants: Chalice's autogenerated policy (autogen) or the policy file
    access_role = "post_confirmation_role"
    sender_role = "send_email_role"
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


# -- a role per trigger with grants (issue 10.11), as `deploy` lays them out ---------

#: GRANTS_APP plus the other sender and UserMigration (which sees plaintext passwords)
ROLES_APP = (
    APP_SOURCE
    + """

@app.cognito_trigger("CustomSMSSender")
def send_sms(event):
    return None


@app.cognito_trigger("UserMigration")
def migrate_user(event):
    return event
"""
)

#: function -> (CloudFormation logical id, Terraform name) of the role it should run on
OWN_ROLES = {
    "post_confirmation": ("PostConfirmationRole", "post_confirmation_role"),
    "send_email": ("SendEmailRole", "send_email_role"),
    "send_sms": ("SendSmsRole", "send_sms_role"),
}
#: triggers without grants stay on Chalice's shared role
SHARED = ("pre_sign_up", "migrate_user")


def roles_layout(
    out: Path, pkg_format: str
) -> Tuple[Dict[str, str], Dict[str, List[Tuple[str, Any, Any]]], List[str]]:
    """(function -> role, role -> its cognito-idp/kms grants (action, resources, condition), roles).

    Roles are named as the format names them (CloudFormation logical id,
    Terraform resource name).
    """
    grants: Dict[str, List[Tuple[str, Any, Any]]] = {}
    if pkg_format == "cloudformation":
        template = json.loads((out / "sam.json").read_text())
        resources = template["Resources"]
        functions = {
            name: resources[cfn_id]["Properties"]["Role"]["Fn::GetAtt"][0]
            for name, cfn_id in (
                (n, "".join(p.capitalize() for p in n.split("_"))) for n in (*OWN_ROLES, *SHARED)
            )
        }
        roles = [n for n, r in resources.items() if r["Type"] == "AWS::IAM::Role"]
        policies = [([r["Ref"] for r in on], doc) for on, doc in cfn_policies(template)]
    else:
        chalice_tf = json.loads((out / "chalice.tf.json").read_text())["resource"]
        functions = {
            name: chalice_tf["aws_lambda_function"][name]["role"].split(".")[1]
            for name in (*OWN_ROLES, *SHARED)
        }
        roles = list(chalice_tf["aws_iam_role"])
        policies = [([role.split(".")[1]], doc) for role, doc in tf_policies(out)]
    for on, document in policies:
        for statement in listed(document["Statement"]):
            for action in listed(statement["Action"]):
                if str(action).startswith(("cognito-idp:", "kms:")):
                    for role in on:
                        grants.setdefault(role, []).append(
                            (action, statement["Resource"], statement.get("Condition"))
                        )
    return functions, grants, roles


def package_roles_app(tmp_path: Path, pkg_format: str, **cognito: Any) -> Path:
    if pkg_format == "cloudformation":
        settings = {"user_pool_resource": "UserPool", "kms_key_resource": "SenderKey"}
    else:
        settings = {"user_pool_resource": "main", "kms_key_arn": KEY}
    project = make_project(tmp_path, {**settings, **cognito}, {"autogen_policy": True})
    (project / ".chalice" / "policy-dev.json").unlink()
    (project / "app.py").write_text(ROLES_APP)
    out = tmp_path / "out"
    if pkg_format == "cloudformation":
        merge = tmp_path / "merge.json"
        merge.write_text(json.dumps(MERGE))
        package(project, out, "--merge-template", str(merge))
        assert lint(out / "sam.json") == []
    else:
        package(project, out, "--pkg-format", "terraform")
    return out


@pytest.mark.parametrize("pkg_format", ["cloudformation", "terraform"])
def test_each_trigger_with_grants_has_its_own_role_with_only_its_statements(
    tmp_path: Path, pkg_format: str
) -> None:
    out = package_roles_app(tmp_path, pkg_format)
    column = 0 if pkg_format == "cloudformation" else 1
    shared = "DefaultRole" if pkg_format == "cloudformation" else "default-role"
    functions, grants, roles = roles_layout(out, pkg_format)

    own = {name: ids[column] for name, ids in OWN_ROLES.items()}
    assert functions == {**own, **{name: shared for name in SHARED}}
    assert set(own.values()) | {shared} <= set(roles)

    # the access= trigger: its action on exactly the pool, no kms
    pool = (
        [{"Fn::GetAtt": ["UserPool", "Arn"]}]
        if pkg_format == "cloudformation"
        else ["${aws_cognito_user_pool.main.arn}"]
    )
    assert [(a, r) for a, r, _ in grants[own["post_confirmation"]]] == [
        ("cognito-idp:AdminAddUserToGroup", pool)
    ]
    # each sender: kms:Decrypt for this pool's codes only, nothing Cognito
    for sender in ("send_email", "send_sms"):
        ((action, _, condition),) = grants[own[sender]]
        assert action == "kms:Decrypt"
        assert list(condition["StringEquals"]) == ["kms:EncryptionContext:userpool-id"]
    # the shared role (UserMigration, PreSignUp) holds no grant: no kms:Decrypt, no Cognito action
    assert grants.get(shared, []) == []


@pytest.mark.parametrize("pkg_format", ["cloudformation", "terraform"])
def test_trigger_roles_shared_keeps_chalices_single_role(tmp_path: Path, pkg_format: str) -> None:
    out = package_roles_app(tmp_path, pkg_format, trigger_roles="shared")
    shared = "DefaultRole" if pkg_format == "cloudformation" else "default-role"
    functions, grants, roles = roles_layout(out, pkg_format)

    assert set(functions.values()) == {shared}
    assert roles == [shared]
    assert sorted(a for a, _, _ in grants[shared]) == [
        "cognito-idp:AdminAddUserToGroup",
        "kms:Decrypt",
        "kms:Decrypt",
    ]


def test_a_wrong_trigger_roles_value_stops_package_before_any_output(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"user_pool_id": POOL_ID, "trigger_roles": "mine"})
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-c",
        "import sys; from chalice_cognito.cli import main; sys.exit(main(sys.argv[1:]))",
        "--project-dir",
        str(project),
        "package",
        str(out),
    ]
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'trigger_roles must be "own"' in done.stderr
    assert not out.exists()
