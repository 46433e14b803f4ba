"""attach / detach / plan / status / package, driven through the real command against moto.

The functions are deployed with plain ``chalice deploy`` (stock Chalice, in
process); ``chalice-cognito`` then only wires them, reading their ARNs from
``.chalice/deployed/<stage>.json``.
"""

from __future__ import annotations

import json
import zipfile

import boto3
import pytest

pytestmark = pytest.mark.usefixtures("aws")

ARN = "arn:aws:lambda:us-east-1:123456789012:function:tiny-dev-validate_sign_up"


def _writes(recorder, h) -> list:
    return [n for n in recorder.names() if n.startswith(h.WRITE_PREFIXES)]


def test_attach_plan_status_detach(tmp_path, run_cli, recorder, h, monkeypatch) -> None:
    pool = h.create_pool()
    pool_id = pool["Id"]
    # No cognito section: the pool comes from --user-pool-id or the environment.
    project = h.write_project(tmp_path / "tiny", h.TINY_APP_V2)
    stock = run_cli(project, "deploy", "--stage", "dev", stock=True)
    assert stock.exit_code == 0, stock.err + stock.out
    assert h.lambda_config(pool_id) == {}

    # status before attach: declared but missing -> exit 1
    result = run_cli(project, "status", "--json", "--user-pool-id", pool_id)
    assert result.exit_code == 1, result.err
    status = json.loads(result.out)
    assert status["healthy"] is False
    rows = {r["trigger"]: r for r in status["pools"][0]["rows"]}
    assert rows["PreSignUp"]["state"] == "missing"

    # plan: no write call, shows the attach
    recorder.clear()
    result = run_cli(project, "plan", "--json", "--user-pool-id", pool_id)
    assert result.exit_code == 0, result.err
    plan = json.loads(result.out)
    assert plan["refused"] is False and plan["noop"] is False
    slots = {s["trigger"]: s for s in plan["pools"][0]["slots"]}
    assert slots["PreSignUp"]["action"] == "attach"
    assert slots["PreSignUp"]["after"]["arn"] == ARN
    assert recorder.names() and _writes(recorder, h) == []
    assert h.lambda_config(pool_id) == {}

    # attach, with the pool id from the environment variable
    monkeypatch.setenv("CHALICE_COGNITO_USER_POOL_ID", pool_id)
    result = run_cli(project, "attach", "--stage", "dev")
    assert result.exit_code == 0, result.err
    assert "PreSignUp" in result.out and "attach" in result.out
    assert h.lambda_config(pool_id) == {"PreSignUp": ARN}
    monkeypatch.delenv("CHALICE_COGNITO_USER_POOL_ID")

    # status: healthy, permission present; plan: nothing to do
    result = run_cli(project, "status", "--json", "--user-pool-id", pool_id)
    assert result.exit_code == 0, result.err
    row = json.loads(result.out)["pools"][0]["rows"][0]
    assert (row["trigger"], row["state"], row["permission_ok"]) == ("PreSignUp", "attached", True)
    assert row["actual"]["arn"] == ARN
    result = run_cli(project, "plan", "--json", "--user-pool-id", pool_id)
    assert result.exit_code == 0 and json.loads(result.out)["noop"] is True

    # the permission removed behind our back: status says so, exit 1
    client = boto3.client("lambda", region_name="us-east-1")
    statement = json.loads(client.get_policy(FunctionName=ARN)["Policy"])["Statement"][0]
    client.remove_permission(FunctionName=ARN, StatementId=statement["Sid"])
    result = run_cli(project, "status", "--user-pool-id", pool_id)
    assert result.exit_code == 1
    assert "MISSING" in result.out and "NOT healthy" in result.out

    # detach: back to an empty pool; the functions stay
    result = run_cli(project, "detach", "--stage", "dev")
    assert result.exit_code == 0, result.err
    assert h.lambda_config(pool_id) == {}
    assert h.function_names() == ["tiny-dev-validate_sign_up"]


def test_attach_refuses_undeployed_functions(tmp_path, run_cli, h) -> None:
    pool = h.create_pool()
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP_V2, {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    )
    result = run_cli(project, "attach", "--stage", "dev")
    assert result.exit_code == 1
    assert "validate_sign_up" in result.err and "chalice deploy" in result.err
    assert h.lambda_config(pool["Id"]) == {}


def test_plan_reports_conflict_with_exit_1(tmp_path, run_cli, h) -> None:
    foreign = "arn:aws:lambda:us-east-1:123456789012:function:someone-elses"
    pool = h.create_pool(LambdaConfig={"PreSignUp": foreign})
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP_V2, {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    )
    result = run_cli(project, "plan", "--json")
    assert result.exit_code == 1
    plan = json.loads(result.out)
    assert plan["refused"] is True
    assert plan["undeployed_functions"] == ["validate_sign_up"]
    assert plan["pools"][0]["refusals"][0]["holder_arn"] == foreign


def test_local_stage_refuses_attach(tmp_path, run_cli, h) -> None:
    project = h.write_project(
        tmp_path / "tiny",
        h.TINY_APP_V2,
        {"local": {"cognito": {"local": True, "user_pool_name": "x"}}},
    )
    result = run_cli(project, "attach", "--stage", "local")
    assert result.exit_code == 1
    assert "local stage" in result.err


def test_local_flag_keeps_the_records_of_a_stage_deployed_to_aws(tmp_path, run_cli, h) -> None:
    """``deploy --local`` on an AWS stage must not overwrite (and then drop) its real records."""
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP_V2, {"dev": {"cognito": {"user_pool_id": "us-east-1_AbC123"}}}
    )
    deployed = project / ".chalice" / "deployed" / "dev.json"
    deployed.parent.mkdir(parents=True)
    record = '{"resources": [], "schema_version": "2.0", "backend": "api"}'
    deployed.write_text(record)
    result = run_cli(project, "deploy", "--stage", "dev", "--local")
    assert result.exit_code == 1
    assert "records of a deploy to AWS" in result.err and "deployed/dev.json" in result.err
    assert deployed.read_text() == record


def test_package_ships_runtime_half_only(tmp_path, run_cli, h) -> None:
    pool = h.create_pool()
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP_V2, {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    )
    out = tmp_path / "out"
    result = run_cli(project, "package", "--stage", "dev", str(out))
    assert result.exit_code == 0, result.err + result.out
    with zipfile.ZipFile(out / "deployment.zip") as archive:
        names = set(archive.namelist())
    assert {
        "app.py",
        "chalice/app.py",
        "chalice_cognito/app.py",
        "chalice_cognito/dispatch.py",
    } <= names
    assert any(n.startswith("pydantic_core/_pydantic_core.") for n in names)
    assert not any(
        n.startswith(("chalice_cognito/deploy/", "chalice_cognito/cli", "click/")) for n in names
    )
    template = json.loads((out / "sam.json").read_text())
    assert "ValidateSignUp" in template["Resources"]


def test_stock_app_without_triggers_deploys_like_chalice(tmp_path, run_cli, recorder, h) -> None:
    """No trigger, no cognito config: exactly a `chalice deploy`, no Cognito call at all."""
    app = """
from chalice import Chalice

app = Chalice(app_name="tiny")


@app.lambda_function()
def worker(event, context):
    return {"ok": True}
"""
    project = h.write_project(tmp_path / "tiny", app)
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert h.function_names() == ["tiny-dev-worker"]
    assert "Cognito triggers" not in result.out
    assert not [s for s, _, _ in recorder.calls if s in ("cognito-idp", "sts")]
    result = run_cli(project, "status", "--json")
    assert result.exit_code == 0, result.err
    assert json.loads(result.out) == {
        "stage": "dev",
        "healthy": True,
        "undeployed_functions": [],
        "pending": [],
        "pools": [],
    }


def test_stock_commands_are_chalices_own_and_behave_the_same(tmp_path, run_cli, h) -> None:
    """A drop-in: every stock subcommand is there, and one run side by side prints the same."""
    from chalice import cli as chalice_cli

    from chalice_cognito import cli as cli_module

    stock = set(chalice_cli.cli.commands)
    assert stock <= set(cli_module.cli.commands)
    replaced = {"deploy", "delete", "package", "local"}
    for name in stock - replaced:
        assert cli_module.cli.commands[name] is chalice_cli.cli.commands[name], name
    project = h.write_project(tmp_path / "tiny", h.TINY_APP)
    ours = run_cli(project, "gen-policy")
    theirs = run_cli(project, "gen-policy", stock=True)
    assert ours.exit_code == theirs.exit_code == 0
    assert ours.out == theirs.out and '"Version": "2012-10-17"' in ours.out


@pytest.mark.parametrize(
    "command",
    [("deploy",), ("plan",), ("package", "out")],
)
def test_a_bad_declaration_is_one_line_naming_the_app_line_and_the_fix(
    tmp_path, run_cli, h, aws, command
) -> None:
    pool = h.create_pool()
    project = h.write_project(
        tmp_path / "tiny",
        """
        from chalice_cognito import Chalice

        app = Chalice(app_name="tiny")


        @app.cognito_trigger("PreSignup")
        def pre_sign_up(event):
            return event
        """,
        {"dev": {"cognito": {"user_pool_id": pool["Id"]}}},
    )
    result = run_cli(project, *command)
    assert result.exit_code == 1  # a user error (2 is a crash)
    # the command runs in the project directory: app.py, line of the decorator
    assert result.err.startswith("Error: app.py:7: Unknown Cognito trigger 'PreSignup'."), (
        result.err
    )
    assert "Did you mean 'PreSignUp'?" in result.err
    assert "Traceback" not in result.err
    assert h.lambda_config(pool["Id"]) == {}
    assert not (project / "out").exists()
