"""A stage stays recoverable (issue 10, defects 5 and 10), on moto with the real Chalice deployer.

Defect 5: a resource that is already gone is done, not an error.  A function
deleted out of band, or by a run killed during the held-back deletions, must
not make every later ``deploy`` and ``delete`` fail; ``delete`` still removes
the other functions and the role; a failed deploy does not write a record that
keeps failing.

Defect 10: ``--smoke`` runs on the built zip before anything is wired: a
handler that fails the smoke run leaves the pool's LambdaConfig as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List

import boto3
import pytest

from chalice_cognito.deploy import chalice_hooks

pytestmark = pytest.mark.usefixtures("aws")

ARN = "arn:aws:lambda:us-east-1:123456789012:function:tiny-dev-{}".format


def _role_names() -> List[str]:
    iam = boto3.client("iam", region_name="us-east-1")
    return sorted(r["RoleName"] for r in iam.list_roles()["Roles"])


def _recorded_functions(project: Path) -> List[str]:
    deployed = json.loads((project / ".chalice" / "deployed" / "dev.json").read_text())
    return sorted(
        r["name"] for r in deployed["resources"] if r["resource_type"] == "lambda_function"
    )


def _deploy_v1(tmp_path: Path, run_cli: Any, h: Any) -> tuple[Path, str]:
    pool = h.create_pool()
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP, {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    )
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert "tiny-dev" in _role_names()
    return project, str(pool["Id"])


def _delete_out_of_band(name: str) -> None:
    boto3.client("lambda", region_name="us-east-1").delete_function(FunctionName=name)


def test_a_held_back_function_deleted_out_of_band_does_not_wedge_deploy_or_delete(
    tmp_path: Path, run_cli: Any, recorder: Any, h: Any
) -> None:
    project, pool_id = _deploy_v1(tmp_path, run_cli, h)
    # v2 renames pre_sign_up and drops post_confirmation: both are held-back
    # deletions.  One of them is already gone when the deploy gets there.
    _delete_out_of_band("tiny-dev-post_confirmation")
    (project / "app.py").write_text(h.TINY_APP_V2)

    result = run_cli(project, "deploy", "--stage", "dev")

    assert result.exit_code == 0, result.err + result.out
    # the deletion was attempted (and found nothing), then the rest went on
    assert recorder.index("DeleteFunction", FunctionName=ARN("post_confirmation")) >= 0
    assert h.function_names() == ["tiny-dev-validate_sign_up"]
    assert h.lambda_config(pool_id) == {"PreSignUp": ARN("validate_sign_up")}
    assert _recorded_functions(project) == ["validate_sign_up"]

    result = run_cli(project, "delete", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert h.function_names() == []
    assert "tiny-dev" not in _role_names()
    assert h.lambda_config(pool_id) == {}


def test_delete_removes_the_other_functions_and_the_role_when_one_is_gone(
    tmp_path: Path, run_cli: Any, h: Any
) -> None:
    project, pool_id = _deploy_v1(tmp_path, run_cli, h)
    _delete_out_of_band("tiny-dev-pre_sign_up")

    result = run_cli(project, "delete", "--stage", "dev")

    assert result.exit_code == 0, result.err + result.out
    assert h.function_names() == []
    assert "tiny-dev" not in _role_names()
    assert h.lambda_config(pool_id) == {}
    assert not (project / ".chalice" / "deployed" / "dev.json").read_text().count("lambda_arn")


def _interrupt_after_first_delete(monkeypatch: pytest.MonkeyPatch) -> List[str]:
    """Ctrl-C right after the first DeleteFunction of the held-back deletions went through."""
    deleted: List[str] = []
    original = chalice_hooks.GoneIsDoneClient.delete_function

    def delete_function(self: Any, function_name: str) -> None:
        original(self, function_name)
        deleted.append(function_name)
        raise KeyboardInterrupt

    monkeypatch.setattr(chalice_hooks.GoneIsDoneClient, "delete_function", delete_function)
    return deleted


def test_interrupted_held_back_deletions_then_delete(
    tmp_path: Path, run_cli: Any, h: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, pool_id = _deploy_v1(tmp_path, run_cli, h)
    (project / "app.py").write_text(h.TINY_APP_V2)
    with monkeypatch.context() as patch:
        deleted = _interrupt_after_first_delete(patch)
        result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code != 0
    assert len(deleted) == 1
    # The pool was re-pointed before any deletion; the record knows the new
    # function AND every resource still due for deletion (the deleted one too).
    assert h.lambda_config(pool_id) == {"PreSignUp": ARN("validate_sign_up")}
    assert _recorded_functions(project) == ["post_confirmation", "pre_sign_up", "validate_sign_up"]

    result = run_cli(project, "delete", "--stage", "dev")

    assert result.exit_code == 0, result.err + result.out
    assert h.function_names() == []
    assert "tiny-dev" not in _role_names()
    assert h.lambda_config(pool_id) == {}


def test_killed_during_held_back_deletions_redeploy_converges(
    tmp_path: Path, run_cli: Any, h: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hard kill writes no record at all: the previous deploy's record is what is left."""
    project, pool_id = _deploy_v1(tmp_path, run_cli, h)
    record = project / ".chalice" / "deployed" / "dev.json"
    before_kill = record.read_text()
    (project / "app.py").write_text(h.TINY_APP_V2)
    with monkeypatch.context() as patch:
        _interrupt_after_first_delete(patch)
        assert run_cli(project, "deploy", "--stage", "dev").exit_code != 0
    record.write_text(before_kill)  # what a SIGKILL before the record write leaves

    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert h.function_names() == ["tiny-dev-validate_sign_up"]
    assert h.lambda_config(pool_id) == {"PreSignUp": ARN("validate_sign_up")}
    assert _recorded_functions(project) == ["validate_sign_up"]

    result = run_cli(project, "delete", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert h.function_names() == []
    assert "tiny-dev" not in _role_names()


#: v2 of the tiny app whose renamed handler fails the smoke run: it imports a
#: module the deployment zip does not hold (moto is only in the test environment).
BROKEN_V2 = """
from chalice_cognito import Chalice

app = Chalice(app_name="tiny")


@app.cognito_trigger("PreSignUp")
def validate_sign_up(event):
    import moto  # noqa: F401 - not in the zip: the smoke run finds it missing
    event.response.auto_confirm_user = True
"""


def test_a_failing_smoke_run_changes_nothing(
    tmp_path: Path, run_cli: Any, recorder: Any, h: Any
) -> None:
    project, pool_id = _deploy_v1(tmp_path, run_cli, h)
    config_before = h.lambda_config(pool_id)
    record_before = (project / ".chalice" / "deployed" / "dev.json").read_text()
    (project / "app.py").write_text(BROKEN_V2)
    recorder.clear()

    result = run_cli(project, "deploy", "--stage", "dev", "--smoke")

    assert result.exit_code == 1, result.err + result.out
    assert "Smoke test failed" in result.err
    assert "BROKEN" in result.out and "moto" in result.out
    # Checked on the built zip before any AWS write: no function created or
    # updated, nothing wired, nothing deleted, the record as it was.
    writes = [n for n in recorder.names() if n.startswith(h.WRITE_PREFIXES)]
    assert writes == []
    assert h.lambda_config(pool_id) == config_before
    assert h.function_names() == ["tiny-dev-post_confirmation", "tiny-dev-pre_sign_up"]
    assert (project / ".chalice" / "deployed" / "dev.json").read_text() == record_before


def test_a_passing_smoke_run_is_followed_by_the_wiring(
    tmp_path: Path, run_cli: Any, recorder: Any, h: Any
) -> None:
    project, pool_id = _deploy_v1(tmp_path, run_cli, h)
    (project / "app.py").write_text(h.TINY_APP_V2)

    result = run_cli(project, "deploy", "--stage", "dev", "--smoke")

    assert result.exit_code == 0, result.err + result.out
    assert result.out.index("Smoke test") < result.out.index("Cognito triggers:")
    assert h.lambda_config(pool_id) == {"PreSignUp": ARN("validate_sign_up")}
    assert h.function_names() == ["tiny-dev-validate_sign_up"]


def test_in_the_emulator_a_failing_smoke_run_stops_before_the_wiring(
    tmp_path: Path, run_cli: Any, recorder: Any, h: Any
) -> None:
    """``--stage local --smoke`` runs the deployed functions' settings: after they exist, before wiring."""
    project = h.write_project(
        tmp_path / "tiny",
        BROKEN_V2,
        {"local": {"cognito": {"local": True, "user_pool_name": "tiny-local"}}},
    )

    result = run_cli(project, "deploy", "--stage", "local", "--smoke")

    assert result.exit_code == 1, result.err + result.out
    assert "Smoke test failed" in result.err and "not rewired" in result.err
    assert "BROKEN" in result.out and "moto" in result.out
    names = recorder.names()
    assert "CreateFunction" in names  # the functions existed for the run
    assert "UpdateUserPool" not in names and "AddPermission" not in names  # nothing wired
