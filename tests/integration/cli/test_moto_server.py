"""The console script against a moto server on 127.0.0.1 (an ordinary, non-local stage).

``AWS_ENDPOINT_URL`` points Chalice and the wiring engine at the server, as
it would at any AWS-compatible endpoint: deploy, status, redeploy (no write to
the pool), delete.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("cli-moto-server")]

APP = """
from chalice_cognito import Chalice

app = Chalice(app_name="srv")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    event.response.auto_confirm_user = True


@app.cognito_trigger("PreTokenGeneration", version="V2_0")
def tokens(event):
    return None
"""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    assert host == "127.0.0.1"
    try:
        yield f"http://{host}:{port}"
    finally:
        moto.stop()


def _idp(url: str):
    return boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_deploy_status_delete_on_moto_server(server, tmp_path: Path, script) -> None:
    idp = _idp(server)
    pool_id = idp.create_user_pool(PoolName="srv", UserPoolTier="ESSENTIALS")["UserPool"]["Id"]
    project = tmp_path / "srv"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text(textwrap.dedent(APP))
    (project / ".chalice" / "config.json").write_text(
        json.dumps({"version": "2.0", "app_name": "srv", "stages": {"dev": {}}})
    )
    run, clean_env = script.run, script.clean_env
    env = clean_env({"AWS_ENDPOINT_URL": server, "CHALICE_COGNITO_USER_POOL_ID": pool_id})

    result = run(project, "deploy", "--stage", "dev", env=env)
    assert result.exit_code == 0, result.err + result.out
    config = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["LambdaConfig"]
    arn = "arn:aws:lambda:us-east-1:123456789012:function:srv-dev-{}".format
    assert config["PreSignUp"] == arn("pre_sign_up")
    assert config["PreTokenGenerationConfig"] == {
        "LambdaArn": arn("tokens"),
        "LambdaVersion": "V2_0",
    }
    assert config["PreTokenGeneration"] == arn("tokens")

    result = run(project, "status", "--stage", "dev", "--json", env=env)
    assert result.exit_code == 0, result.err
    status = json.loads(result.out)
    assert status["healthy"] is True
    assert {r["trigger"]: r["state"] for r in status["pools"][0]["rows"]} == {
        "PreSignUp": "attached",
        "PreTokenGeneration": "attached",
    }

    # Redeploy of an unchanged app: the pool is not written.
    result = run(project, "deploy", "--stage", "dev", env=env)
    assert result.exit_code == 0, result.err
    assert "already up to date, no write call" in result.out

    result = run(project, "delete", "--stage", "dev", env=env)
    assert result.exit_code == 0, result.err
    assert "Detached Cognito triggers" in result.out
    assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("LambdaConfig", {}) == {}
