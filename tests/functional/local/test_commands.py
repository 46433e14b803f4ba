"""``invoke-local`` and ``events generate`` through click, on tmp Chalice projects."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner, Result

from chalice_cognito.local import cognito_local
from chalice_cognito.local.commands import COMMANDS, events, invoke_local
from chalice_cognito.testing import sample_event


def run_invoke(project_dir: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        invoke_local, list(args), obj={"project_dir": str(project_dir)}, input=stdin
    )


def test_commands_exposed_for_the_cli() -> None:
    assert [c.name for c in COMMANDS] == ["local", "events", "invoke-local", "local-cognito"]
    assert isinstance(events, click.Group) and "generate" in events.commands


def test_invoke_local_default_event_prints_the_response(project_dir: Path) -> None:
    result = run_invoke(project_dir, "pre_sign_up")
    assert result.exit_code == 0, result.output
    response = json.loads(result.output)
    assert response["triggerSource"] == "PreSignUp_SignUp"
    assert response["response"]["autoConfirmUser"] is True


def test_invoke_local_event_file_and_failure(project_dir: Path, tmp_path: Path) -> None:
    event = sample_event("PreSignUp_SignUp")
    event["request"]["userAttributes"]["email"] = "eve@evil.test"
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    result = run_invoke(project_dir, "demo-dev-pre_sign_up", "--event", str(path))
    assert result.exit_code == 1
    assert "ValueError: Sign-ups are limited to example.com" in result.output


def test_invoke_local_event_from_stdin_with_stage(project_dir: Path) -> None:
    result = run_invoke(
        project_dir,
        "custom_message",
        "--event",
        "-",
        "--stage",
        "prod",
        stdin=json.dumps(sample_event("CustomMessage_ForgotPassword")),
    )
    assert result.exit_code == 0, result.output
    message = json.loads(result.output)["response"]["emailMessage"]
    assert message.startswith("prod-stage|prod-stage|<unset>|")


def test_invoke_local_unknown_function_and_bad_json(project_dir: Path) -> None:
    missing = run_invoke(project_dir, "nope")
    assert missing.exit_code == 1
    assert "Function not found: nope" in missing.output
    bad = run_invoke(project_dir, "pre_sign_up", "--event", "-", stdin="{oops")
    assert bad.exit_code == 1
    assert "not valid JSON" in bad.output


def test_invoke_local_reports_an_app_that_does_not_import(project_dir: Path) -> None:
    (project_dir / "app.py").write_text("import no_such_module_here\n")
    result = run_invoke(project_dir, "pre_sign_up")
    assert result.exit_code == 1
    assert "Unable to load the Chalice app" in result.output


def test_events_generate_with_assignments() -> None:
    result = CliRunner().invoke(
        events,
        [
            "generate",
            "TokenGeneration_Authentication",
            "--version",
            "V2_0",
            "--set",
            "request.userAttributes.email=a@b.c",
            "--set",
            "userName=bob",
        ],
    )
    assert result.exit_code == 0, result.output
    event = json.loads(result.output)
    assert event["version"] == "2"
    assert event["userName"] == "bob"
    assert event["request"]["userAttributes"]["email"] == "a@b.c"


def test_events_generate_errors_exit_1() -> None:
    unknown = CliRunner().invoke(events, ["generate", "PreSignUp_Signup"])
    assert unknown.exit_code == 1
    assert "Did you mean 'PreSignUp_SignUp'" in unknown.output
    bad_version = CliRunner().invoke(
        events, ["generate", "TokenGeneration_ClientCredentials", "--version", "V2_0"]
    )
    assert bad_version.exit_code == 1


def test_write_config_merges_into_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / ".cognito" / "config.json"
    path.parent.mkdir()
    path.write_text(
        json.dumps(
            {
                "UserPoolDefaults": {"UsernameAttributes": ["email"]},
                "LambdaClient": {"endpoint": "http://old", "maxRetries": 0},
                "TriggerFunctions": {"PreAuthentication": "someone-else"},
            }
        )
    )
    cognito_local.write_config(
        str(tmp_path), "http://127.0.0.1:4000", {"PreSignUp": "demo-dev-pre_sign_up"}, "eu-west-1"
    )
    written = json.loads(path.read_text())
    assert written == {
        "UserPoolDefaults": {"UsernameAttributes": ["email"]},
        "LambdaClient": {
            "endpoint": "http://127.0.0.1:4000",
            "region": "eu-west-1",
            "maxRetries": 0,
            "credentials": cognito_local.DUMMY_CREDENTIALS,
        },
        "TriggerFunctions": {"PreSignUp": "demo-dev-pre_sign_up"},
    }


def test_write_config_refuses_to_overwrite_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{broken")
    try:
        cognito_local.write_config(str(path), "http://127.0.0.1:1", {})
    except ValueError as exc:
        assert "not valid JSON" in str(exc)
    else:
        raise AssertionError("invalid JSON was overwritten")
    assert path.read_text() == "{broken"


def test_write_config_into_a_new_directory(tmp_path: Path) -> None:
    target = tmp_path / ".cognito-local"
    cognito_local.write_config(str(target), "http://127.0.0.1:5", {"PreSignUp": "f"})
    written = json.loads((target / ".cognito" / "config.json").read_text())
    assert written["TriggerFunctions"] == {"PreSignUp": "f"}
