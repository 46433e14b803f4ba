"""``chalice-cognito deploy``/``delete`` against moto: call order, wiring, IAM, refusals.

One scenario, deployed for real (Chalice's packager builds the zip, its
deployer creates the functions; the wiring engine updates the pool), with every
AWS call of the command recorded in order:

1. deploy v1 (PreSignUp + PostConfirmation): both attached, each with a
   permission; the role policy holds the IAM action of the boto3 call made in
   a trigger body (Chalice's analyzer sees @app.cognito_trigger bodies);
2. deploy v2 (PreSignUp moved to a new function, PostConfirmation removed):
   the new function is created, then ONE UpdateUserPool points PreSignUp at it
   and detaches PostConfirmation, and only then are the old functions deleted;
3. delete: the pool is detached before Chalice deletes anything.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from chalice import policy as chalice_policy

pytestmark = pytest.mark.usefixtures("aws")


def _role_policy(app: str, stage: str) -> Any:
    iam = boto3.client("iam", region_name="us-east-1")
    role = f"{app}-{stage}"
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    doc = iam.get_role_policy(RoleName=role, PolicyName=names[0])["PolicyDocument"]
    return json.loads(doc) if isinstance(doc, str) else doc


def _actions(document: Any) -> set[str]:
    found: set[str] = set()
    for statement in document["Statement"]:
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def test_deploy_update_delete_order(tmp_path, run_cli, recorder, h) -> None:
    pool = h.create_pool()
    pool_id = pool["Id"]
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP, {"dev": {"cognito": {"user_pool_id": pool_id}}}
    )
    arn = "arn:aws:lambda:us-east-1:123456789012:function:tiny-dev-{}".format

    # -- 1. first deploy ----------------------------------------------------------
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    config = h.lambda_config(pool_id)
    assert config["PreSignUp"] == arn("pre_sign_up")
    assert config["PostConfirmation"] == arn("post_confirmation")
    # The table: pool, trigger, function, permission.
    assert "Cognito triggers:" in result.out
    assert "PreSignUp" in result.out and "tiny-dev-pre_sign_up" in result.out
    assert "added" in result.out

    calls = recorder
    first_update = calls.index("UpdateUserPool")
    assert calls.index("CreateFunction", FunctionName="tiny-dev-pre_sign_up") < first_update
    assert calls.index("CreateFunction", FunctionName="tiny-dev-post_confirmation") < first_update
    # Each function got an invoke permission scoped to the pool and account.
    for name in ("pre_sign_up", "post_confirmation"):
        policy = json.loads(
            boto3.client("lambda", region_name="us-east-1").get_policy(
                FunctionName=f"tiny-dev-{name}"
            )["Policy"]
        )
        conditions = [s.get("Condition", {}) for s in policy["Statement"]]
        assert any(
            c.get("ArnLike", {}).get("AWS:SourceArn") == pool["Arn"]
            and c.get("StringEquals", {}).get("AWS:SourceAccount") == "123456789012"
            for c in conditions
        ), policy

    # Chalice's policy autogeneration saw the boto3 call inside the trigger; access= does
    # not declare it, so it is not granted on "*" and a warning says how to declare it
    # (issue 10.11).
    assert "cognito-idp:AdminAddUserToGroup" not in _actions(_role_policy("tiny", "dev"))
    assert "cognito-idp:AdminAddUserToGroup" in result.err
    assert "access=['AdminAddUserToGroup']" in result.err
    # ... a call stock Chalice misses (so the warning shows the trigger body was read).
    stock = chalice_policy.policy_from_source_code(h.TINY_APP)
    assert "cognito-idp:AdminAddUserToGroup" not in _actions(stock)

    # -- 2. rename PreSignUp's function, drop PostConfirmation ------------------------
    (project / "app.py").write_text(h.TINY_APP_V2)
    recorder.clear()
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    names = calls.names()
    assert names.count("UpdateUserPool") == 1, names
    update = calls.index("UpdateUserPool")
    assert calls.index("CreateFunction", FunctionName="tiny-dev-validate_sign_up") < update
    assert update < calls.index("DeleteFunction", FunctionName=arn("pre_sign_up"))
    assert update < calls.index("DeleteFunction", FunctionName=arn("post_confirmation"))
    assert h.lambda_config(pool_id) == {"PreSignUp": arn("validate_sign_up")}
    assert h.function_names() == ["tiny-dev-validate_sign_up"]
    deployed = json.loads((project / ".chalice" / "deployed" / "dev.json").read_text())
    assert [
        r["name"] for r in deployed["resources"] if r["resource_type"] == "lambda_function"
    ] == ["validate_sign_up"]

    # -- 3. delete: detach first -----------------------------------------------------
    recorder.clear()
    result = run_cli(project, "delete", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert calls.index("UpdateUserPool") < calls.index("DeleteFunction")
    assert h.lambda_config(pool_id) == {}
    assert h.function_names() == []
    assert not (project / ".chalice" / "cognito" / "dev.json").exists()


def test_refused_wiring_creates_nothing(tmp_path, run_cli, recorder, h) -> None:
    """A slot held by another owner's function refuses the deploy before any write call."""
    foreign = "arn:aws:lambda:us-east-1:123456789012:function:someone-elses"
    pool = h.create_pool(LambdaConfig={"PreSignUp": foreign})
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP_V2, {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    )
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 1
    assert "someone-elses" in result.err and "PreSignUp" in result.err
    writes = [n for n in recorder.names() if n.startswith(h.WRITE_PREFIXES)]
    assert writes == []
    assert h.function_names() == []
    assert h.lambda_config(pool["Id"]) == {"PreSignUp": foreign}


def test_missing_pool_config_is_refused(tmp_path, run_cli, h) -> None:
    project = h.write_project(tmp_path / "tiny", h.TINY_APP_V2)
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 1
    assert "No Cognito user pool configured" in result.err
    assert h.function_names() == []


def test_failed_wiring_deletes_nothing_and_keeps_records(
    tmp_path, run_cli, recorder, h, monkeypatch
) -> None:
    """If wiring fails after the new functions exist, the old ones stay (and stay recorded).

    The pool keeps pointing at a function that exists, and the next deploy
    still knows which functions to clean up.
    """
    from chalice_cognito import cli as cli_module
    from chalice_cognito.deploy.errors import WiringError

    pool = h.create_pool()
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP_V2, {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    )
    assert run_cli(project, "deploy").exit_code == 0
    old_arn = "arn:aws:lambda:us-east-1:123456789012:function:tiny-dev-validate_sign_up"
    (project / "app.py").write_text(h.TINY_APP_V2.replace("validate_sign_up", "check_sign_up"))

    def broken_wire(self, function_arns, created=()):
        raise WiringError("simulated: UpdateUserPool denied")

    original_wire = cli_module.StageWiring.wire
    monkeypatch.setattr(cli_module.StageWiring, "wire", broken_wire)
    recorder.clear()
    result = run_cli(project, "deploy")
    assert result.exit_code == 1
    assert "simulated" in result.err
    assert "DeleteFunction" not in recorder.names()
    assert h.function_names() == ["tiny-dev-check_sign_up", "tiny-dev-validate_sign_up"]
    assert h.lambda_config(pool["Id"]) == {"PreSignUp": old_arn}
    deployed = json.loads((project / ".chalice" / "deployed" / "dev.json").read_text())
    names = sorted(
        r["name"] for r in deployed["resources"] if r["resource_type"] == "lambda_function"
    )
    assert names == ["check_sign_up", "validate_sign_up"]

    # The next deploy wires, then removes the leftover.
    monkeypatch.setattr(cli_module.StageWiring, "wire", original_wire)
    recorder.clear()
    result = run_cli(project, "deploy")
    assert result.exit_code == 0, result.err
    assert recorder.index("UpdateUserPool") < recorder.index("DeleteFunction", FunctionName=old_arn)
    assert h.function_names() == ["tiny-dev-check_sign_up"]


def _lose_ownership_record(project: Any) -> None:
    record = project / ".chalice" / "cognito" / "dev.json"
    assert record.exists()
    record.unlink()


def test_lost_ownership_record_still_leaves_no_trigger_on_a_deleted_function(
    tmp_path, run_cli, h
) -> None:
    """Chalice's deployed record proves which functions are the stage's: their slots are ours."""
    pool = h.create_pool()
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP, {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    )
    assert run_cli(project, "deploy", "--stage", "dev").exit_code == 0
    assert "PostConfirmation" in h.lambda_config(pool["Id"])
    _lose_ownership_record(project)
    # v2 drops post_confirmation: its function is deleted, so its slot must go too.
    (project / "app.py").write_text(h.TINY_APP.split('@app.cognito_trigger("PostConfirmation")')[0])
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    config = h.lambda_config(pool["Id"])
    assert "PostConfirmation" not in config
    assert config["PreSignUp"].endswith(":function:tiny-dev-pre_sign_up")
    assert "tiny-dev-post_confirmation" not in h.function_names()


def test_lost_ownership_record_delete_still_detaches_first(tmp_path, run_cli, h) -> None:
    pool = h.create_pool()
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP, {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    )
    assert run_cli(project, "deploy", "--stage", "dev").exit_code == 0
    _lose_ownership_record(project)
    result = run_cli(project, "delete", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    config = h.lambda_config(pool["Id"])
    assert "PreSignUp" not in config and "PostConfirmation" not in config


def test_redeploy_of_an_unchanged_app_makes_no_wiring_write(tmp_path, run_cli, recorder, h) -> None:
    pool = h.create_pool()
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP, {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    )
    assert run_cli(project, "deploy", "--stage", "dev").exit_code == 0
    recorder.clear()
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    writes = {"UpdateUserPool", "AddPermission", "RemovePermission"} & set(recorder.names())
    assert writes == set()
    assert "DescribeUserPool" in recorder.names()  # it did look


def test_a_new_stage_reads_its_pool_three_times(tmp_path, run_cli, recorder, h) -> None:
    """Resolve (shared by the preflight plan and the wiring plan), then apply's two reads.

    The read the update is built from comes after the permission writes (the
    engine's rule), and a verifying read follows the update.
    """
    pool = h.create_pool()
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP, {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    )
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    names = [n for n in recorder.names() if n in ("DescribeUserPool", "UpdateUserPool")]
    assert names == ["DescribeUserPool", "DescribeUserPool", "UpdateUserPool", "DescribeUserPool"]
    last_add = max(i for i, n in enumerate(recorder.names()) if n == "AddPermission")
    reads = [i for i, n in enumerate(recorder.names()) if n == "DescribeUserPool"]
    assert reads[0] < recorder.index("CreateFunction") < last_add < reads[1]
