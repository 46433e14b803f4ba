"""A broken environment gets one line and exit 1, never botocore's traceback (issue 10, defect 8).

The console script runs in a subprocess against real endpoints on 127.0.0.1:

* a closed port (connection refused);
* no credentials anywhere (no keys, no profile files, no instance metadata);
* a moto server started with IAM authentication on
  (``INITIAL_NO_AUTH_ACTION_COUNT``): an unknown access key is answered
  ``InvalidClientTokenId``, a user without policies ``AccessDenied``.

Each message names what failed, the endpoint or IAM action, and what to check.
Exit 2 stays reserved for a crash (a bug), which still prints its traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Dict, Iterator, Tuple

import boto3
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("cli-environment-errors")]

POOL_ID = "us-east-1_Abc123"

APP = """
from chalice_cognito import Chalice

app = Chalice(app_name="env")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    event.response.auto_confirm_user = True
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound once, then closed)."""
    return _free_port()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "env"
    (root / ".chalice").mkdir(parents=True)
    (root / "app.py").write_text(textwrap.dedent(APP))
    (root / ".chalice" / "config.json").write_text(
        '{"version": "2.0", "app_name": "env", "stages": {"dev": {}},'
        f' "cognito": {{"user_pool_id": "{POOL_ID}"}}}}'
    )
    return root


@pytest.fixture(scope="module")
def auth_server() -> Iterator[Tuple[str, Dict[str, str]]]:
    """A moto server enforcing IAM; yields its URL and the keys of a user with no policy."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        # the first two requests (CreateUser, CreateAccessKey below) are let through
        "INITIAL_NO_AUTH_ACTION_COUNT": "2",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)
        iam = boto3.client(
            "iam",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        iam.create_user(UserName="dev")
        key = iam.create_access_key(UserName="dev")["AccessKey"]
        yield (
            url,
            {
                "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
            },
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _one_error_line(err: str) -> str:
    # (advice the deploy prints first, e.g. a trigger's lambda_timeout, is not the error)
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("Warning: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("Error: "), err
    return lines[0]


@pytest.mark.parametrize(
    "command", [("status",), ("plan",), ("deploy",), ("plan", "--json"), ("status", "--json")]
)
def test_connection_refused_is_one_line_naming_the_endpoint_and_the_call(
    project: Path, closed_port: int, script, command: Tuple[str, ...]
) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    env = script.clean_env({"AWS_ENDPOINT_URL": url, "AWS_MAX_ATTEMPTS": "1"})
    result = script.run(project, *command, "--stage", "dev", env=env)
    assert result.exit_code == 1, result.err
    line = _one_error_line(result.err)
    assert line.startswith(
        f"Error: Cannot reach {url}/ for cognito-idp:DescribeUserPool: connection refused."
    ), line
    assert "AWS_ENDPOINT_URL" in line  # what to check
    assert result.out == ""


def test_no_credentials_is_one_line_naming_the_call_not_sent(
    project: Path, closed_port: int, script
) -> None:
    env = script.clean_env({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port}"})
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        del env[key]
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # no instance-metadata probe
    for command in ("deploy", "status"):
        result = script.run(project, command, "--stage", "dev", env=env)
        assert result.exit_code == 1, result.err
        line = _one_error_line(result.err)
        assert line.startswith(
            "Error: No usable AWS credentials (cognito-idp:DescribeUserPool was not sent): "
            "Unable to locate credentials;"
        ), line
        assert "AWS_PROFILE" in line and "aws sso login" in line


def test_a_missing_profile_is_one_line(project: Path, script) -> None:
    env = script.clean_env()
    result = script.run(project, "deploy", "--stage", "dev", "--profile", "nope", env=env)
    assert result.exit_code == 1, result.err
    line = _one_error_line(result.err)
    assert "AWS profile 'nope' not found" in line, line


def test_refused_credentials_are_one_line(project: Path, auth_server, script) -> None:
    url, _ = auth_server
    env = script.clean_env(
        {
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000",
            "AWS_SECRET_ACCESS_KEY": "not-a-real-secret",
            "AWS_MAX_ATTEMPTS": "1",
        }
    )
    result = script.run(project, "status", "--stage", "dev", env=env)
    assert result.exit_code == 1, result.err
    line = _one_error_line(result.err)
    assert line.startswith(
        "Error: AWS refused the credentials for cognito-idp:DescribeUserPool "
        "(InvalidClientTokenId: The security token included in the request is invalid)."
    ), line
    assert "not-a-real-secret" not in result.err + result.out


@pytest.mark.parametrize("command", ["status", "deploy"])
def test_access_denied_is_one_line_naming_the_action(
    project: Path, auth_server, script, command: str
) -> None:
    url, keys = auth_server
    env = script.clean_env({"AWS_ENDPOINT_URL": url, "AWS_MAX_ATTEMPTS": "1", **keys})
    result = script.run(project, command, "--stage", "dev", env=env)
    assert result.exit_code == 1, result.err
    line = _one_error_line(result.err)
    assert line.startswith(
        "Error: Access denied for cognito-idp:DescribeUserPool (AccessDenied: "
        "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
        "cognito-idp:DescribeUserPool)."
    ), line
    assert "Allow cognito-idp:DescribeUserPool for the identity" in line
    assert keys["AWS_SECRET_ACCESS_KEY"] not in result.err + result.out


def test_user_errors_exit_1_and_a_crash_exits_2_with_its_traceback(
    project: Path, script, closed_port: int
) -> None:
    env = script.clean_env({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port}"})
    # click's usage error (click's own code is 2): a user error here
    result = script.run(project, "deploy", "--no-such-flag", env=env)
    assert result.exit_code == 1, result.err
    assert "No such option '--no-such-flag'" in result.err
    # stock Chalice's `url` without a Rest API (Chalice's own code is 2)
    result = script.run(project, "url", "--stage", "dev", env=env)
    assert result.exit_code == 1, result.err
    # a crash: anything the CLI does not know as a user or environment error
    (project / "app.py").write_text("raise RuntimeError('boom at import')\n")
    result = script.run(project, "status", "--stage", "dev", env=env)
    assert result.exit_code == 2, result.err
    assert "Traceback" in result.err and "RuntimeError: boom at import" in result.err


def test_debug_adds_the_botocore_traceback_before_the_line(
    project: Path, closed_port: int, script
) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    env = script.clean_env({"AWS_ENDPOINT_URL": url, "AWS_MAX_ATTEMPTS": "1"})
    result = script.run(project, "--debug", "status", "--stage", "dev", env=env)
    assert result.exit_code == 1, result.err
    assert "Traceback" in result.err and "EndpointConnectionError" in result.err
    last = [line for line in result.err.splitlines() if line.strip()][-1]
    assert last.startswith(f"Error: Cannot reach {url}/ for cognito-idp:DescribeUserPool"), last
