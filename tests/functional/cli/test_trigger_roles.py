"""One IAM role per trigger function with grants, scoped grants, nothing Cognito on "*" (issue 10.11).

The real ``chalice-cognito deploy`` (Chalice's packager and deployer) against
moto; the assertions read back what IAM holds: which role each function runs
with and every statement of every role.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

import boto3
import pytest

from tests.support import apps
from tests.support import aws as support_aws

pytestmark = pytest.mark.usefixtures("aws")

REGION = support_aws.REGION
create_key = support_aws.create_key
role_policies = support_aws.role_policies
function_role = support_aws.function_role

#: GRANTS_APP plus a trigger that calls a Cognito API it did not declare
UNDECLARED_APP = (
    apps.GRANTS_APP
    + """

@app.cognito_trigger("PostAuthentication")
def post_authentication(event):
    boto3.client("cognito-idp").admin_delete_user(
        UserPoolId=event.user_pool_id, Username=event.user_name
    )
    return event
"""
)


def statements(document: Dict[str, Any]) -> List[Dict[str, Any]]:
    found = document["Statement"]
    return [found] if isinstance(found, dict) else list(found)


def listed(value: Any) -> List[Any]:
    return [value] if isinstance(value, str) else list(value)


def matching(role: str, prefix: str) -> List[Dict[str, Any]]:
    """Every statement of every policy of ``role`` allowing an action that starts with ``prefix``."""
    return [
        s
        for document in role_policies(role).values()
        for s in statements(document)
        if any(str(a).lower().startswith(prefix) for a in listed(s.get("Action", [])))
    ]


def deploy(tmp_path, run_cli, h, source: str, cognito: Dict[str, Any]) -> Any:
    project = h.write_project(
        tmp_path / "grantsapp", source, {"dev": {"cognito": cognito}}, app_name="grantsapp"
    )
    return project, run_cli(project, "deploy", "--stage", "dev")


def test_each_trigger_with_grants_runs_on_its_own_scoped_role(tmp_path, run_cli, h) -> None:
    pool = h.create_pool()
    key = create_key()
    project, result = deploy(
        tmp_path, run_cli, h, apps.GRANTS_APP, {"user_pool_id": pool["Id"], "kms_key_arn": key}
    )
    assert result.exit_code == 0, result.err + result.out

    roles = {n: function_role(f"grantsapp-dev-{n}") for n in ("post_confirmation", "send_email")}
    # a trigger with grants: a role of its own (Chalice's per-function name)
    assert roles == {n: f"grantsapp-dev-{n}" for n in roles}
    # a trigger without grants stays on Chalice's shared role
    assert function_role("grantsapp-dev-pre_sign_up") == "grantsapp-dev"

    # the PostConfirmation role: its access= action on exactly the pool, no kms at all
    (access,) = matching("grantsapp-dev-post_confirmation", "cognito-idp:")
    assert (listed(access["Action"]), listed(access["Resource"])) == (
        ["cognito-idp:AdminAddUserToGroup"],
        [pool["Arn"]],
    )
    assert matching("grantsapp-dev-post_confirmation", "kms:") == []

    # the sender's role: kms:Decrypt on the key, for codes of this pool only; no cognito-idp
    (decrypt,) = matching("grantsapp-dev-send_email", "kms:")
    assert listed(decrypt["Action"]) == ["kms:Decrypt"]
    assert listed(decrypt["Resource"]) == [key]
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:userpool-id": pool["Id"]}
    }
    assert matching("grantsapp-dev-send_email", "cognito-idp:") == []

    # the shared role holds neither grant, and no Cognito action on "*" (the
    # analysis found admin_add_user_to_group; it is granted on the pool above only)
    assert matching("grantsapp-dev", "cognito-idp:") == []
    assert matching("grantsapp-dev", "kms:") == []
    for role in ("grantsapp-dev", *roles.values()):
        for statement in matching(role, "cognito-idp:"):
            assert "*" not in listed(statement["Resource"])

    # the output names each function's own role, no "(shared)" caveat
    assert "grantsapp-dev-post_confirmation" in result.out
    assert "(shared)" not in result.out

    # a second deploy changes no role or policy
    before = {r: role_policies(r) for r in ("grantsapp-dev", *roles.values())}
    again = run_cli(project, "deploy", "--stage", "dev")
    assert again.exit_code == 0, again.err + again.out
    assert {r: role_policies(r) for r in before} == before

    # delete removes the per-function roles too
    deleted = run_cli(project, "delete", "--stage", "dev")
    assert deleted.exit_code == 0, deleted.err + deleted.out
    names = {r["RoleName"] for r in boto3.client("iam", region_name=REGION).list_roles()["Roles"]}
    assert not {"grantsapp-dev", *roles.values()} & names


def test_an_undeclared_cognito_call_is_not_granted_and_the_user_is_told(
    tmp_path, run_cli, h
) -> None:
    pool = h.create_pool()
    key = create_key()
    _, result = deploy(
        tmp_path, run_cli, h, UNDECLARED_APP, {"user_pool_id": pool["Id"], "kms_key_arn": key}
    )
    assert result.exit_code == 0, result.err + result.out
    iam = boto3.client("iam", region_name=REGION)
    for role in iam.list_roles()["Roles"]:
        for document in role_policies(role["RoleName"]).values():
            assert "AdminDeleteUser" not in json.dumps(document), role["RoleName"]
    warnings = [line for line in result.err.splitlines() if line.startswith("Warning:")]
    assert any(
        "cognito-idp:AdminDeleteUser" in w
        and "access= does not declare" in w
        and "access=['AdminDeleteUser']" in w
        for w in warnings
    ), result.err


def test_trigger_roles_shared_keeps_one_role_with_the_same_scoped_statements(
    tmp_path, run_cli, h
) -> None:
    pool = h.create_pool()
    key = create_key()
    _, result = deploy(
        tmp_path,
        run_cli,
        h,
        apps.GRANTS_APP,
        {"user_pool_id": pool["Id"], "kms_key_arn": key, "trigger_roles": "shared"},
    )
    assert result.exit_code == 0, result.err + result.out
    names = ("post_confirmation", "send_email", "pre_sign_up")
    assert {function_role(f"grantsapp-dev-{n}") for n in names} == {"grantsapp-dev"}
    (access,) = matching("grantsapp-dev", "cognito-idp:")
    assert listed(access["Resource"]) == [pool["Arn"]]
    (decrypt,) = matching("grantsapp-dev", "kms:")
    assert decrypt["Condition"]["StringEquals"]["kms:EncryptionContext:userpool-id"] == pool["Id"]
    assert "(shared)" in result.out and '"trigger_roles": "shared"' in result.out


def test_moving_an_existing_stage_from_the_shared_role_to_own_roles(tmp_path, run_cli, h) -> None:
    """A stage deployed with one role gets the per-function roles on its next deploy."""
    pool = h.create_pool()
    key = create_key()
    cognito = {"user_pool_id": pool["Id"], "kms_key_arn": key, "trigger_roles": "shared"}
    project, result = deploy(tmp_path, run_cli, h, apps.GRANTS_APP, cognito)
    assert result.exit_code == 0, result.err + result.out
    assert matching("grantsapp-dev", "kms:")  # the shared role held the sender's grant

    del cognito["trigger_roles"]
    h.write_project(project, apps.GRANTS_APP, {"dev": {"cognito": cognito}}, app_name="grantsapp")
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert function_role("grantsapp-dev-send_email") == "grantsapp-dev-send_email"
    assert function_role("grantsapp-dev-post_confirmation") == "grantsapp-dev-post_confirmation"
    # the shared role lost both grants; each is on its own trigger's role only
    assert matching("grantsapp-dev", "kms:") == []
    assert matching("grantsapp-dev", "cognito-idp:") == []
    assert len(matching("grantsapp-dev-send_email", "kms:")) == 1
    assert len(matching("grantsapp-dev-post_confirmation", "cognito-idp:")) == 1
    # and the pool still points at the same functions
    arn = "arn:aws:lambda:us-east-1:123456789012:function:grantsapp-dev-{}".format
    assert h.lambda_config(pool["Id"])["PostConfirmation"] == arn("post_confirmation")
