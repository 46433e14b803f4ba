"""``chalice-cognito local``: stock ``chalice local`` plus the Lambda Invoke API, one port.

Real parts: Chalice's own ``LocalDevServer``/``ChaliceRequestHandler`` (through
:func:`create_dev_server`), Chalice's CLI factory, boto3's Lambda client for
the Invoke API and plain HTTP for the routes.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator

import boto3
import pytest
from botocore.config import Config as BotoConfig
from chalice.cli import cli as stock_cli
from chalice.cli.factory import CLIFactory

from chalice_cognito.cli import cli as cognito_cli
from chalice_cognito.local import commands
from chalice_cognito.local.dev_server import CognitoLocalDevServer, create_dev_server
from chalice_cognito.testing import sample_event

from .conftest import DEMO_APP, write_project

#: The demo app of conftest plus one HTTP route.
APP_WITH_ROUTE = (
    DEMO_APP
    + """

@app.route("/hello/{name}")
def hello(name):
    return {"hello": name, "stage_var": os.environ.get("STAGE_VAR", "<unset>")}
"""
)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[CognitoLocalDevServer]:
    project = write_project(tmp_path / "demo", app_source=APP_WITH_ROUTE)
    saved = dict(os.environ)
    # As the CLI does: the factory loads the app into the process environment.
    server = create_dev_server(CLIFactory(str(project), environ=os.environ), "127.0.0.1", 0, "dev")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server.server_close()
        thread.join()
        os.environ.clear()
        os.environ.update(saved)


def base_url(server: CognitoLocalDevServer) -> str:
    return f"http://127.0.0.1:{server.bound_port}"


def invoke(server: CognitoLocalDevServer, name: str, event: Any) -> Dict[str, Any]:
    client = boto3.client(
        "lambda",
        endpoint_url=base_url(server),
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=BotoConfig(retries={"max_attempts": 1}),
    )
    response = client.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    response["Body"] = json.loads(response["Payload"].read())
    return response


def sign_up(email: str) -> Dict[str, Any]:
    event = sample_event("PreSignUp_SignUp")
    event["request"]["userAttributes"]["email"] = email
    return event


def test_route_and_invoke_api_on_one_port(running: CognitoLocalDevServer) -> None:
    # The stock HTTP route, answered by Chalice's LocalGateway with the stage's variables.
    with urllib.request.urlopen(base_url(running) + "/hello/ann") as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"hello": "ann", "stage_var": "dev-stage"}
    # The Lambda Invoke API on the same port runs the trigger handler.
    ok = invoke(running, "pre_sign_up", sign_up("ann@example.com"))
    assert ok["StatusCode"] == 200 and "FunctionError" not in ok
    assert ok["Body"]["response"]["autoConfirmUser"] is True
    refused = invoke(running, "demo-dev-pre_sign_up", sign_up("eve@evil.test"))
    assert refused["FunctionError"] == "Unhandled"
    assert refused["Body"]["errorMessage"] == "Sign-ups are limited to example.com"


def test_unknown_route_still_answers_like_stock(running: CognitoLocalDevServer) -> None:
    request = urllib.request.Request(base_url(running) + "/nope", method="GET")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    # API Gateway's (and stock chalice local's) answer for a path without a route.
    assert info.value.code == 403
    assert b"Missing Authentication Token" in info.value.read()


def test_routes_and_triggers_share_one_app(running: CognitoLocalDevServer) -> None:
    # One import of the app: the Invoke API serves the object Chalice's gateway serves.
    assert running.project.app is running.app_object


def test_invocations_see_code_changes_without_autoreload(
    running: CognitoLocalDevServer,
) -> None:
    project = Path(running.project.project_dir)
    assert invoke(running, "pre_sign_up", sign_up("bob@corp.test"))["FunctionError"]
    policy = project / "chalicelib" / "policy.py"
    policy.write_text(policy.read_text().replace('"example.com"', '"corp.test"') + "\n# edited\n")
    changed = invoke(running, "pre_sign_up", sign_up("bob@corp.test"))
    assert "FunctionError" not in changed
    assert changed["Body"]["response"]["autoConfirmUser"] is True


def test_local_replaces_stock_local_with_a_superset_of_its_flags() -> None:
    ours = cognito_cli.commands["local"]
    assert ours is commands.local
    assert "local-lambda" not in cognito_cli.commands
    stock = {p.name: p for p in stock_cli.commands["local"].params}
    mine = {p.name: p for p in ours.params}
    for name, param in stock.items():
        assert name in mine, name
        assert mine[name].default == param.default, name
        assert mine[name].opts == param.opts, name
    assert mine["host"].default == "127.0.0.1"
    assert {"cognito_local_config", "user_pool", "region"} <= set(mine)
