"""Trigger grants through the real ``chalice-cognito deploy`` command, against moto.

The project is a real Chalice project (Chalice's packager builds the zip, its
deployer creates the roles and functions, the wiring engine updates the pool);
the assertions read back what moto holds: the pool's ``LambdaConfig``, the
IAM policies of the functions' roles and the sender's environment.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

import boto3
import pytest

pytestmark = pytest.mark.usefixtures("aws")

REGION = "us-east-1"

GRANTS_APP = """
import boto3
from chalice_cognito import Chalice

app = Chalice(app_name="grantsapp")


@app.cognito_trigger("PostConfirmation", access=["AdminAddUserToGroup"])
def post_confirmation(event):
    # Chalice's policy autogeneration sees this call and would allow it on "*"
    boto3.client("cognito-idp").admin_add_user_to_group(
        UserPoolId=event.user_pool_id, Username=event.user_name, GroupName="customers"
    )
    return event


@app.cognito_trigger("CustomEmailSender")
def send_email(event):
    return None


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    return event
"""


def create_key() -> str:
    return str(boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"])


def role_policies(role_name: str) -> Dict[str, Any]:
    """Every inline policy document moto holds for a role, by policy name."""
    iam = boto3.client("iam", region_name=REGION)
    out = {}
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        out[name] = json.loads(doc) if isinstance(doc, str) else doc
    return out


def statements(document: Dict[str, Any]) -> List[Dict[str, Any]]:
    found = document["Statement"]
    return [found] if isinstance(found, dict) else list(found)


def listed(value: Any) -> List[Any]:
    return [value] if isinstance(value, str) else list(value)


def allows(document: Dict[str, Any], prefix: str) -> List[Any]:
    """(action, resources) of every Allow statement with an action starting with ``prefix``."""
    return sorted(
        (action, tuple(listed(s["Resource"])))
        for s in statements(document)
        if s.get("Effect") == "Allow"
        for action in listed(s["Action"])
        if action.lower().startswith(prefix)
    )


def function_role(name: str) -> str:
    config = boto3.client("lambda", region_name=REGION).get_function_configuration(
        FunctionName=name
    )
    return str(config["Role"]).rsplit("/", 1)[-1]


def function_environment(name: str) -> Dict[str, str]:
    config = boto3.client("lambda", region_name=REGION).get_function_configuration(
        FunctionName=name
    )
    return dict((config.get("Environment") or {}).get("Variables") or {})


def grants_section(out: str) -> List[str]:
    """The lines of the deploy output's ``Trigger grants (IAM):`` table."""
    lines = out.splitlines()
    start = lines.index("Trigger grants (IAM):")
    section = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        section.append(line.strip())
    return section


def deploy_project(tmp_path, run_cli, h, stage: Dict[str, Any], **extra: Any) -> Any:
    project = h.write_project(
        tmp_path / "grantsapp", GRANTS_APP, {"dev": stage}, app_name="grantsapp"
    )
    for relative, content in extra.items():
        (project / ".chalice" / relative).write_text(json.dumps(content))
    return project


LOGS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:*:logs:*:*:*",
        }
    ],
}


def test_deploy_grants_exactly_the_pool_and_the_key_on_the_shared_role(
    tmp_path, run_cli, h
) -> None:
    pool = h.create_pool()
    key = create_key()
    project = deploy_project(
        tmp_path, run_cli, h, {"cognito": {"user_pool_id": pool["Id"], "kms_key_arn": key}}
    )
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out

    # the pool: the key, the sender as a V1_0 pair, the other triggers as plain ARNs
    config = h.lambda_config(pool["Id"])
    arn = "arn:aws:lambda:us-east-1:123456789012:function:grantsapp-dev-{}".format
    assert config == {
        "PreSignUp": arn("pre_sign_up"),
        "PostConfirmation": arn("post_confirmation"),
        "CustomEmailSender": {"LambdaArn": arn("send_email"), "LambdaVersion": "V1_0"},
        "KMSKeyID": key,
    }

    # one shared role (autogen_policy): the access grant on exactly the pool,
    # kms:Decrypt on exactly the key, no other cognito-idp or kms action anywhere
    roles = {function_role(f"grantsapp-dev-{n}") for n in ("post_confirmation", "send_email")}
    assert roles == {"grantsapp-dev"}
    (document,) = role_policies("grantsapp-dev").values()
    assert allows(document, "cognito-idp:") == [("cognito-idp:AdminAddUserToGroup", (pool["Arn"],))]
    assert allows(document, "kms:") == [("kms:Decrypt", (key,))]
    assert not [s for s in statements(document) if s.get("Effect") != "Allow"]

    # decrypt_code finds the key in the sender's environment; nobody else gets it
    assert function_environment("grantsapp-dev-send_email") == {"CHALICE_COGNITO_KMS_KEY_ARN": key}
    assert function_environment("grantsapp-dev-post_confirmation") == {}
    assert function_environment("grantsapp-dev-pre_sign_up") == {}

    # the output lists each trigger's grants and the role that holds them
    section = grants_section(result.out)
    rows = {line.split()[0]: line for line in section[1:] if not line.startswith("Note:")}
    assert set(rows) == {"post_confirmation", "send_email"}
    assert "PostConfirmation" in rows["post_confirmation"]
    assert f"cognito-idp:AdminAddUserToGroup on {pool['Id']}" in rows["post_confirmation"]
    assert "grantsapp-dev (shared)" in rows["post_confirmation"]
    assert f"kms:Decrypt on {key}" in rows["send_email"]
    assert any("role grantsapp-dev is Chalice's autogenerated role" in line for line in section)

    # a second deploy replaces the statements, it does not add copies
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    (document,) = role_policies("grantsapp-dev").values()
    assert allows(document, "cognito-idp:") == [("cognito-idp:AdminAddUserToGroup", (pool["Arn"],))]
    assert allows(document, "kms:") == [("kms:Decrypt", (key,))]


def test_per_function_roles_hold_only_their_own_grant(tmp_path, run_cli, h) -> None:
    pool = h.create_pool()
    key = create_key()
    project = deploy_project(
        tmp_path,
        run_cli,
        h,
        {
            "autogen_policy": False,
            "cognito": {"user_pool_id": pool["Id"], "kms_key_arn": key},
        },
        **{"policy-dev.json": LOGS_ONLY},
    )
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out

    by_function = {
        name: role_policies(function_role(f"grantsapp-dev-{name}"))
        for name in ("post_confirmation", "send_email", "pre_sign_up")
    }
    assert {n: function_role(f"grantsapp-dev-{n}") for n in by_function} == {
        n: f"grantsapp-dev-{n}" for n in by_function
    }
    granted = {
        name: (
            [a for d in docs.values() for a in allows(d, "cognito-idp:")],
            [a for d in docs.values() for a in allows(d, "kms:")],
        )
        for name, docs in by_function.items()
    }
    assert granted == {
        "post_confirmation": ([("cognito-idp:AdminAddUserToGroup", (pool["Arn"],))], []),
        "send_email": ([], [("kms:Decrypt", (key,))]),
        "pre_sign_up": ([], []),
    }
    # the user's policy file is left as written
    assert json.loads((project / ".chalice" / "policy-dev.json").read_text()) == LOGS_ONLY
    section = grants_section(result.out)
    assert any("grantsapp-dev-post_confirmation" in line for line in section)
    assert not any("(shared)" in line for line in section)


def test_precreated_role_gets_nothing_and_the_output_gives_the_policy(tmp_path, run_cli, h) -> None:
    pool = h.create_pool()
    key = create_key()
    iam = boto3.client("iam", region_name=REGION)
    role_arn = iam.create_role(RoleName="my-own-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    project = deploy_project(
        tmp_path,
        run_cli,
        h,
        {
            "manage_iam_role": False,
            "iam_role_arn": role_arn,
            "cognito": {"user_pool_id": pool["Id"], "kms_key_arn": key},
        },
    )
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out

    # the user's role is not touched: no inline policy appears on it
    assert role_policies("my-own-role") == {}
    # the sender still gets the key in its environment (decrypt_code needs it either way)
    assert function_environment("grantsapp-dev-send_email") == {"CHALICE_COGNITO_KMS_KEY_ARN": key}

    section = grants_section(result.out)
    heading = f"Note: Chalice does not manage role {role_arn}; add this policy to it:"
    assert heading in section
    # the document printed after the note is exactly what the role needs
    printed = "\n".join(section[section.index(heading) + 1 :])
    document = json.loads(printed)
    assert allows(document, "cognito-idp:") == [("cognito-idp:AdminAddUserToGroup", (pool["Arn"],))]
    assert allows(document, "kms:") == [("kms:Decrypt", (key,))]
    assert len(statements(document)) == 2
    assert "NOT ADDED" in section[1]


def _assert_nothing_written(result: Any, recorder: Any, h: Any, pool_id: str) -> None:
    writes = [n for n in recorder.names() if n.startswith(h.WRITE_PREFIXES)]
    assert writes == []
    assert h.function_names() == []
    assert h.lambda_config(pool_id) == {}
    assert "Traceback" not in result.err


def test_sender_without_kms_key_arn_is_refused_before_any_write(
    tmp_path, run_cli, recorder, h
) -> None:
    pool = h.create_pool()
    project = deploy_project(tmp_path, run_cli, h, {"cognito": {"user_pool_id": pool["Id"]}})
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 1, result.err + result.out
    assert "kms_key_arn" in result.err and "CustomEmailSender" in result.err
    _assert_nothing_written(result, recorder, h, pool["Id"])


def test_key_alias_instead_of_key_arn_is_refused_before_any_write(
    tmp_path, run_cli, recorder, h
) -> None:
    pool = h.create_pool()
    alias = "arn:aws:kms:us-east-1:123456789012:alias/senders"
    project = deploy_project(
        tmp_path, run_cli, h, {"cognito": {"user_pool_id": pool["Id"], "kms_key_arn": alias}}
    )
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 1, result.err + result.out
    assert "not a KMS key ARN" in result.err and alias in result.err
    _assert_nothing_written(result, recorder, h, pool["Id"])


def test_key_arn_set_by_hand_to_another_key_is_refused_before_any_write(
    tmp_path, run_cli, recorder, h
) -> None:
    pool = h.create_pool()
    key = create_key()
    project = deploy_project(
        tmp_path,
        run_cli,
        h,
        {
            "environment_variables": {"CHALICE_COGNITO_KMS_KEY_ARN": "arn:aws:kms:x"},
            "cognito": {"user_pool_id": pool["Id"], "kms_key_arn": key},
        },
    )
    recorder.clear()
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 1, result.err + result.out
    assert "CHALICE_COGNITO_KMS_KEY_ARN" in result.err and "remove" in result.err
    _assert_nothing_written(result, recorder, h, pool["Id"])


def test_unknown_action_stops_the_deploy_with_a_suggestion_before_any_write(
    tmp_path, run_cli, recorder, h
) -> None:
    pool = h.create_pool()
    key = create_key()
    project = deploy_project(
        tmp_path, run_cli, h, {"cognito": {"user_pool_id": pool["Id"], "kms_key_arn": key}}
    )
    source = (project / "app.py").read_text()
    (project / "app.py").write_text(
        source.replace('["AdminAddUserToGroup"]', '["AdminAddUserToGrup"]')
    )
    recorder.clear()
    result = run_cli(project, "deploy", "--stage", "dev")
    # the app fails to import, as any error in app.py does under `chalice deploy`:
    # the traceback points at the decorator's line, the last line says what to write
    assert result.exit_code != 0
    last = result.err.strip().splitlines()[-1]
    assert "Unknown Cognito action 'AdminAddUserToGrup'" in last
    assert "Did you mean 'AdminAddUserToGroup'?" in last
    assert str(project / "app.py") in result.err
    writes = [n for n in recorder.names() if n.startswith(h.WRITE_PREFIXES)]
    assert writes == []
    assert h.function_names() == []
    assert h.lambda_config(pool["Id"]) == {}


def test_dropping_access_and_the_sender_revokes_their_grants(tmp_path, run_cli, h) -> None:
    pool = h.create_pool()
    key = create_key()
    project = deploy_project(
        tmp_path, run_cli, h, {"cognito": {"user_pool_id": pool["Id"], "kms_key_arn": key}}
    )
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    (document,) = role_policies("grantsapp-dev").values()
    assert allows(document, "cognito-idp:") and allows(document, "kms:")

    # the same app without access= and without the sender
    (project / "app.py").write_text(
        'from chalice_cognito import Chalice\n\napp = Chalice(app_name="grantsapp")\n\n\n'
        '@app.cognito_trigger("PostConfirmation")\ndef post_confirmation(event):\n'
        "    return event\n"
    )
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    (document,) = role_policies("grantsapp-dev").values()
    assert allows(document, "cognito-idp:") == []
    assert allows(document, "kms:") == []
    assert "Trigger grants (IAM):" not in result.out
    assert "KMSKeyID" not in h.lambda_config(pool["Id"])
