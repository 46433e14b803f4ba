"""The attach Lambda's zip: only what it needs, and it runs with only stdlib + boto3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from chalice_cognito.iac import bundle

# Runs the zip's handler in a fresh interpreter where the runtime half's
# dependencies cannot be imported, as in a Lambda that only has boto3.
RUNNER = r"""
import importlib.abc, json, sys

BLOCKED = {"chalice", "pydantic", "click", "moto"}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not available in the attach Lambda")
        return None

sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1])
from chalice_cognito.iac.custom_resource import handler
outside = [m.__file__ for n, m in list(sys.modules.items())
           if n.startswith("chalice_cognito") and getattr(m, "__file__", None)
           and not m.__file__.startswith(sys.argv[1])]
assert not outside, outside
print(json.dumps(handler(json.loads(sys.argv[2]), None)))
"""


def test_closure_is_the_engine_and_catalogue_only() -> None:
    modules = set(bundle.module_closure())
    assert "chalice_cognito.iac.custom_resource" in modules
    assert "chalice_cognito.deploy.wiring" in modules
    assert "chalice_cognito.catalogue" in modules
    assert not modules & {
        "chalice_cognito.app",
        "chalice_cognito.dispatch",
        "chalice_cognito.cli",
        "chalice_cognito.iac.package",
        "chalice_cognito.deploy.grants",
    }
    assert not any(m.startswith("chalice_cognito.events") for m in modules)


def test_zip_is_deterministic_with_stub_inits(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    names = bundle.write_bundle(str(first))
    bundle.write_bundle(str(second))
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert sorted(archive.namelist()) == sorted(names)
        init = archive.read("chalice_cognito/__init__.py").decode()
    assert "import" not in init  # the real one imports the runtime half


def test_an_import_the_lambda_lacks_fails_packaging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "RUNTIME_PROVIDED", frozenset({"boto3"}))
    with pytest.raises(bundle.BundleError, match="botocore") as info:
        bundle.module_closure()
    assert "chalice_cognito.iac.custom_resource" in str(info.value)


def test_zip_attaches_and_detaches_in_a_bare_interpreter(tmp_path: Path) -> None:
    zip_path = tmp_path / "cognito-attach.zip"
    bundle.write_bundle(str(zip_path))
    code = tmp_path / "code"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(code)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        session = boto3.session.Session(
            region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        idp = session.client("cognito-idp", endpoint_url=endpoint)
        lam = session.client("lambda", endpoint_url=endpoint)
        iam = session.client("iam", endpoint_url=endpoint)
        pool = idp.create_user_pool(PoolName="bare")["UserPool"]["Id"]
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        fn = lam.create_function(
            FunctionName="shop-dev-pre_sign_up",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": zip_path.read_bytes()},
        )["FunctionArn"]

        def run(action: str) -> dict:
            props = {"UserPoolId": pool, "Owner": "shop-dev", "OwnerPrefix": "shop-dev-"}
            if action == "attach":
                props["Triggers"] = [{"Trigger": "PreSignUp", "FunctionArn": fn}]
            event = {"ChaliceCognito": action, "ResourceProperties": props}
            done = subprocess.run(
                [sys.executable, "-c", RUNNER, str(code), json.dumps(event)],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            return dict(json.loads(done.stdout.strip().splitlines()[-1]))

        assert run("attach")["changed"] is True
        assert idp.describe_user_pool(UserPoolId=pool)["UserPool"]["LambdaConfig"] == {
            "PreSignUp": fn
        }
        assert run("detach")["changed"] is True
        assert idp.describe_user_pool(UserPoolId=pool)["UserPool"].get("LambdaConfig", {}) == {}
    finally:
        server.stop()
