"""The local Lambda Invoke server against real Chalice projects in tmp dirs.

Requests go through boto3's Lambda client (``endpoint_url`` = the server), so
the server is checked against the real Invoke API wire format, the way
cognito-local's AWS SDK client calls it.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from chalice_cognito.local.invoke_server import (
    FunctionNotFoundError,
    InvokeServer,
    LocalProject,
    parse_function_identifier,
)
from chalice_cognito.testing import sample_event

from .conftest import write_project

Serve = Callable[..., InvokeServer]


def lambda_client(server: InvokeServer) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=server.url,
        region_name="us-east-1",
        config=BotoConfig(retries={"max_attempts": 1}),
    )


def invoke(server: InvokeServer, name: str, event: Any, **kwargs: Any) -> Dict[str, Any]:
    response = lambda_client(server).invoke(
        FunctionName=name, Payload=json.dumps(event).encode(), **kwargs
    )
    body = response["Payload"].read()
    response["Body"] = json.loads(body) if body else None
    return response


def sign_up_event(email: str) -> Dict[str, Any]:
    event = sample_event("PreSignUp_SignUp")
    event["request"]["userAttributes"]["email"] = email
    return event


def test_binds_loopback_only(project_dir: Path, serve: Serve) -> None:
    server = serve(project_dir)
    assert server.server_address[0] == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.port}"


def test_handler_result_is_the_invoke_payload(project_dir: Path, serve: Serve) -> None:
    server = serve(project_dir)
    event = sign_up_event("ann@example.com")
    response = invoke(server, "pre_sign_up", event)
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    expected = json.loads(json.dumps(event))
    expected["response"]["autoConfirmUser"] = True
    assert response["Body"] == expected


@pytest.mark.parametrize(
    "name",
    [
        "pre_sign_up",
        "demo-dev-pre_sign_up",
        "demo-dev-pre_sign_up:live",
        "arn:aws:lambda:eu-west-1:123456789012:function:demo-dev-pre_sign_up",
        "arn:aws:lambda:us-east-1:000000000000:function:pre_sign_up:7",
        "123456789012:function:demo-dev-pre_sign_up",
    ],
)
def test_function_found_by_any_lambda_name_form(project_dir: Path, serve: Serve, name: str) -> None:
    server = serve(project_dir)
    response = invoke(server, name, sign_up_event("ann@example.com"))
    assert response["Body"]["response"]["autoConfirmUser"] is True


def test_qualifier_parameter_accepted(project_dir: Path, serve: Serve) -> None:
    server = serve(project_dir)
    response = invoke(
        server, "demo-dev-pre_sign_up", sign_up_event("ann@example.com"), Qualifier="prod"
    )
    assert response["Body"]["response"]["autoConfirmUser"] is True


def test_handler_error_answers_like_lambda(project_dir: Path, serve: Serve) -> None:
    server = serve(project_dir)
    response = invoke(server, "pre_sign_up", sign_up_event("eve@evil.test"))
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    body = response["Body"]
    assert body["errorMessage"] == "Sign-ups are limited to example.com"
    assert body["errorType"] == "ValueError"
    assert isinstance(body["stackTrace"], list) and body["stackTrace"]


@pytest.mark.parametrize("name", ["nope", "demo-prod-pre_sign_up", "not_a_trigger"])
def test_unknown_function_is_resource_not_found(project_dir: Path, serve: Serve, name: str) -> None:
    server = serve(project_dir)
    with pytest.raises(ClientError) as info:
        invoke(server, name, {})
    error = info.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert name in error["Error"]["Message"]


def test_invalid_json_body_is_rejected(project_dir: Path, serve: Serve) -> None:
    server = serve(project_dir)
    request = urllib.request.Request(
        f"{server.url}/2015-03-31/functions/pre_sign_up/invocations",
        data=b"{not json",
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 400
    assert info.value.headers["x-amzn-ErrorType"] == "InvalidRequestContentException"


def test_other_paths_are_not_served(project_dir: Path, serve: Serve) -> None:
    server = serve(project_dir)
    request = urllib.request.Request(
        f"{server.url}/2015-03-31/functions/pre_sign_up", data=b"{}", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 404


def test_dry_run_and_event_invocation_types(
    project_dir: Path, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chalice_cognito.local")
    server = serve(project_dir)
    client = lambda_client(server)
    dry = client.invoke(FunctionName="pre_sign_up", InvocationType="DryRun", Payload=b"{}")
    assert dry["StatusCode"] == 204
    queued = client.invoke(
        FunctionName="pre_sign_up",
        InvocationType="Event",
        Payload=json.dumps(sign_up_event("ann@example.com")).encode(),
    )
    assert queued["StatusCode"] == 202
    # Closing waits for the queued invocation, which then has run once.
    server.shutdown()
    server.server_close()
    lines = [r.getMessage() for r in caplog.records if r.name == "chalice_cognito.local"]
    assert lines == ["invoke pre_sign_up (PreSignUp) PreSignUp_SignUp: ok"]


def test_unserialisable_result_is_a_function_error(project_dir: Path, serve: Serve) -> None:
    server = serve(project_dir)
    response = invoke(
        server, "pre_token_generation", sample_event("TokenGeneration_Authentication")
    )
    assert response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorType"] == "Runtime.MarshalError"
    assert response["Body"]["errorMessage"].startswith("Unable to marshal response")


def test_environment_variables_follow_chalice_merge_rules(project_dir: Path, serve: Serve) -> None:
    before = dict(os.environ)
    server = serve(project_dir)
    response = invoke(server, "custom_message", sample_event("CustomMessage_SignUp"))
    imported_with, stage_var, function_var, code = response["Body"]["response"][
        "emailMessage"
    ].split("|")
    # Stage variables are set while the app is imported and while it runs;
    # function variables only while that function runs (Chalice ignores
    # top-level lambda_functions env, and top-level environment_variables merge).
    assert (imported_with, stage_var, function_var, code) == (
        "dev-stage",
        "dev-stage",
        "fn-dev",
        "{####}",
    )
    assert dict(os.environ) == before


def test_stage_selects_its_environment(project_dir: Path, serve: Serve) -> None:
    server = serve(project_dir, "prod")
    response = invoke(server, "custom_message", sample_event("CustomMessage_SignUp"))
    message = response["Body"]["response"]["emailMessage"]
    assert message.split("|")[:3] == ["prod-stage", "prod-stage", "<unset>"]
    # The deployed name carries the stage.
    assert invoke(server, "demo-prod-pre_sign_up", sign_up_event("a@example.com"))["Body"]


def test_context_is_lambda_shaped(project_dir: Path, serve: Serve, capfd: Any) -> None:
    server = serve(project_dir)
    invoke(server, "welcome", sample_event("PostConfirmation_ConfirmSignUp"))
    assert "welcome demo-dev-welcome" in capfd.readouterr().out


def test_code_changes_are_picked_up_without_restart(project_dir: Path, serve: Serve) -> None:
    server = serve(project_dir)
    event = sign_up_event("bob@shop.test")
    assert invoke(server, "pre_sign_up", event)["FunctionError"] == "Unhandled"
    (project_dir / "chalicelib" / "policy.py").write_text(
        'DOMAIN = "shop.test"\n\n\n'
        + ("def allowed(email):\n    return email.endswith('@' + DOMAIN)\n")
    )
    response = invoke(server, "pre_sign_up", event)
    assert "FunctionError" not in response
    assert response["Body"]["response"]["autoConfirmUser"] is True


def test_new_handlers_appear_and_broken_code_is_reported(project_dir: Path, serve: Serve) -> None:
    server = serve(project_dir)
    app_py = project_dir / "app.py"
    good = app_py.read_text()
    app_py.write_text(good + "\ndef broken(:\n")
    broken = invoke(server, "pre_sign_up", sign_up_event("ann@example.com"))
    assert broken["FunctionError"] == "Unhandled"
    assert broken["Body"]["errorType"] == "Runtime.ImportModuleError"
    assert "SyntaxError" in broken["Body"]["errorMessage"]
    app_py.write_text(
        good
        + '\n\n@app.cognito_trigger("UserMigration")\n'
        + "def user_migration(event):\n"
        + '    event.response.user_attributes = {"email": "ann@example.com"}\n'
        + '    event.response.final_user_status = "CONFIRMED"\n'
    )
    response = invoke(server, "user_migration", sample_event("UserMigration_Authentication"))
    assert response["Body"]["response"]["finalUserStatus"] == "CONFIRMED"


def test_one_log_line_per_invocation_without_event_values(
    project_dir: Path, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chalice_cognito")
    server = serve(project_dir)
    secret = "S3cret-Passw0rd!"
    event = sample_event("UserMigration_Authentication")
    event["request"]["password"] = secret
    invoke(server, "pre_sign_up", sign_up_event("private.person@example.com"))
    invoke(server, "pre_sign_up", sign_up_event("private.person@evil.test"))
    local_lines = [r.getMessage() for r in caplog.records if r.name == "chalice_cognito.local"]
    assert local_lines == [
        "invoke pre_sign_up (PreSignUp) PreSignUp_SignUp: ok",
        "invoke pre_sign_up (PreSignUp) PreSignUp_SignUp: error ValueError",
    ]
    everything = caplog.text
    assert "private.person" not in everything
    assert secret not in everything


def test_local_project_resolution(project_dir: Path) -> None:
    project = LocalProject(str(project_dir), "dev")
    assert sorted(project.functions) == [
        "custom_message",
        "pre_sign_up",
        "pre_token_generation",
        "welcome",
    ]
    assert project.resolve("demo-dev-welcome").trigger == "PostConfirmation"
    # A trigger name finds the one handler of that trigger.
    assert project.resolve("PostConfirmation").name == "welcome"
    with pytest.raises(FunctionNotFoundError, match="This app serves: custom_message"):
        project.resolve("not_a_trigger")
    assert parse_function_identifier("arn:aws:lambda:r:1:function:x:q") == "x"


def test_two_projects_in_one_process_do_not_mix(tmp_path: Path) -> None:
    first = LocalProject(str(write_project(tmp_path / "one")), "dev")
    other_app = (
        "from chalice_cognito import Chalice\n"
        "app = Chalice(app_name='other')\n\n"
        "@app.cognito_trigger('PreSignUp')\n"
        "def other_sign_up(event):\n"
        "    event.response.auto_verify_email = True\n"
    )
    second = LocalProject(str(write_project(tmp_path / "two", app_source=other_app)), "dev")
    assert list(second.functions) == ["other_sign_up"]
    assert "pre_sign_up" in first.functions
    result = second.invoke("other_sign_up", sign_up_event("x@example.com"))
    assert result.ok and result.payload["response"]["autoVerifyEmail"] is True


def test_handler_exit_is_a_function_error(tmp_path: Path) -> None:
    source = (
        "import sys\nfrom chalice_cognito import Chalice\napp = Chalice(app_name='x')\n\n"
        "@app.cognito_trigger('PreSignUp')\ndef bye(event):\n    sys.exit(3)\n"
    )
    project = LocalProject(str(write_project(tmp_path / "x", app_source=source)))
    result = project.invoke("bye", sign_up_event("a@example.com"))
    assert result.error_type == "Runtime.ExitError"
    assert result.error_message == "Handler called exit(3)"


def test_trigger_name_is_ambiguous_with_two_pools(tmp_path: Path) -> None:
    source = (
        "from chalice_cognito import Chalice\napp = Chalice(app_name='x')\n\n"
        "@app.cognito_trigger('PreSignUp')\ndef shoppers(event):\n    pass\n\n"
        "@app.cognito_trigger('PreSignUp', user_pool='partners')\ndef partners(event):\n"
        "    pass\n"
    )
    project = LocalProject(str(write_project(tmp_path / "x", app_source=source)))
    with pytest.raises(FunctionNotFoundError):
        project.resolve("PreSignUp")
    assert project.resolve("demo-dev-partners").name == "partners"
