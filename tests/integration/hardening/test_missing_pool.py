"""A stage whose pool was deleted is not stuck (issue 10, defect 6).

The pool in ``.chalice/cognito/<stage>.json`` can vanish (deleted by hand,
replaced by a stack, lost with an emulator restart).  Its triggers went with
it, so there is nothing to detach there: ``detach`` and ``delete`` warn and go
on (``delete`` still removes the functions and the role); ``deploy``, ``attach``,
``plan`` and ``status`` resolve the configured pool afresh (by
``user_pool_name``) and say the old one is gone.  The real console script runs
against a moto server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.integration.hardening.harness import World, write_project
from tests.support import aws as support_aws

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("hardening-missing-pool")]

APP = """
from chalice_cognito import Chalice

app = Chalice(app_name="{name}")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    return event
"""


def _idp(world: World) -> Any:
    return support_aws.client("cognito-idp", world.upstream)


def _record(project: Path) -> Dict[str, Any]:
    path = project / ".chalice" / "cognito" / "dev.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _functions(world: World, prefix: str) -> list[str]:
    lam = support_aws.client("lambda", world.upstream)
    return [
        f["FunctionName"]
        for f in lam.list_functions()["Functions"]
        if f["FunctionName"].startswith(prefix)
    ]


def _roles(world: World, name: str) -> list[str]:
    iam = support_aws.client("iam", world.upstream)
    return [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"] == name]


def _deployed(world: World, tmp_path: Path, name: str, cognito: Dict[str, Any]) -> Path:
    project = write_project(tmp_path / name, APP.format(name=name), name, cognito)
    result = world.run(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.text
    assert _record(project)["pools"]
    return project


def test_deploy_by_name_moves_to_the_new_pool_and_says_the_old_one_is_gone(
    world: World, tmp_path: Path
) -> None:
    idp = _idp(world)
    old = idp.create_user_pool(PoolName="renewed")["UserPool"]["Id"]
    project = _deployed(world, tmp_path, "byname", {"user_pool_name": "renewed"})
    idp.delete_user_pool(UserPoolId=old)
    new = idp.create_user_pool(PoolName="renewed")["UserPool"]["Id"]

    for command in ("status", "plan"):
        result = world.run(project, command, "--stage", "dev")
        assert old in result.err and "no longer exists" in result.err, result.text
        assert new in result.out, result.text
    # status/plan only look: the record still names the old pool
    assert list(_record(project)["pools"]) == [old]

    result = world.run(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.text
    assert f"user pool {old} (alias default)" in result.err
    assert f"Using the configured pool {new} instead" in result.err
    config = idp.describe_user_pool(UserPoolId=new)["UserPool"]["LambdaConfig"]
    assert config["PreSignUp"].endswith(":function:byname-dev-pre_sign_up")
    assert list(_record(project)["pools"]) == [new]

    result = world.run(project, "status", "--stage", "dev")
    assert result.exit_code == 0, result.text
    assert "no longer exists" not in result.err


def test_attach_resolves_the_configured_pool_afresh(world: World, tmp_path: Path) -> None:
    idp = _idp(world)
    old = idp.create_user_pool(PoolName="reattach")["UserPool"]["Id"]
    project = _deployed(world, tmp_path, "reattach", {"user_pool_name": "reattach"})
    idp.delete_user_pool(UserPoolId=old)
    new = idp.create_user_pool(PoolName="reattach")["UserPool"]["Id"]

    result = world.run(project, "attach", "--stage", "dev")
    assert result.exit_code == 0, result.text
    assert f"user pool {old}" in result.err and "no longer exists" in result.err
    assert "attach" in result.out
    assert idp.describe_user_pool(UserPoolId=new)["UserPool"]["LambdaConfig"]["PreSignUp"]
    assert list(_record(project)["pools"]) == [new]


@pytest.mark.parametrize("configured_by", ["user_pool_id", "user_pool_name"])
def test_delete_from_a_deleted_pool_warns_and_deletes_the_rest(
    world: World, tmp_path: Path, configured_by: str
) -> None:
    idp = _idp(world)
    name = f"gone-{configured_by.split('_')[-1]}"
    pool_id = idp.create_user_pool(PoolName=name)["UserPool"]["Id"]
    cognito = {configured_by: pool_id if configured_by == "user_pool_id" else name}
    project = _deployed(world, tmp_path, name, cognito)
    assert _functions(world, f"{name}-dev-") and _roles(world, f"{name}-dev")
    idp.delete_user_pool(UserPoolId=pool_id)

    result = world.run(project, "delete", "--stage", "dev")
    assert result.exit_code == 0, result.text
    assert pool_id in result.err and "othing to detach there" in result.err
    assert result.err.count(pool_id) == 1
    assert _functions(world, f"{name}-dev-") == []
    assert _roles(world, f"{name}-dev") == []
    assert _record(project) == {}
    assert not (project / ".chalice" / "deployed" / "dev.json").exists() or not json.loads(
        (project / ".chalice" / "deployed" / "dev.json").read_text()
    ).get("resources")


def test_detach_from_a_deleted_pool_is_a_no_op_with_a_warning(world: World, tmp_path: Path) -> None:
    idp = _idp(world)
    pool_id = idp.create_user_pool(PoolName="detached")["UserPool"]["Id"]
    project = _deployed(world, tmp_path, "detached", {"user_pool_id": pool_id})
    idp.delete_user_pool(UserPoolId=pool_id)
    world.proxy.reset()

    result = world.run(project, "detach", "--stage", "dev")
    assert result.exit_code == 0, result.text
    assert pool_id in result.err and "othing to detach there" in result.err
    assert result.err.count(pool_id) == 1
    assert world.proxy.writes() == []
    assert _record(project) == {}
    # and again: nothing recorded, nothing to do
    result = world.run(project, "detach", "--stage", "dev")
    assert result.exit_code == 0, result.text
    # A configured user_pool_id that no longer exists stays an error for deploy: fix the config.
    result = world.run(project, "deploy", "--stage", "dev")
    assert result.exit_code == 1, result.text
    assert f"User pool {pool_id} does not exist" in result.err and "user_pool_id" in result.err
