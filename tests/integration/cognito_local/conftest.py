"""cognito-local invoking the example app's triggers through ``chalice-cognito local``.

Real parts only: the pinned cognito-local (``node_modules/.bin/cognito-local``,
installed by ``make setup``/``make test``) and ``chalice-cognito local`` (stock
``chalice local`` plus the Lambda Invoke API, with its default autoreload: a
parent process and a worker) in a subprocess serving a copy of the
repository's example app (``app.py`` and ``chalicelib/``, unchanged).  The example app's boto3 calls (PostConfirmation
adds the user to a group) go to cognito-local too, through
``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from chalice_cognito.local import commands
from chalice_cognito.local.cognito_local import CognitoLocal, find_binary, free_port

REPO_ROOT = Path(__file__).resolve().parents[3]
BINARY = find_binary(str(REPO_ROOT))

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("cognito_local")]

#: The stage config the copied example app is served with.
EXAMPLE_CONFIG = {
    "version": "2.0",
    "app_name": "shop",
    "stages": {"dev": {"environment_variables": {"CUSTOMER_GROUP": "customers"}}},
}


@dataclass
class Stack:
    """The running pair and a cognito-idp client for cognito-local."""

    cognito: CognitoLocal
    server: subprocess.Popen[bytes]
    server_log: Path
    idp: Any
    pool_id: str
    client_id: str

    def server_output(self) -> str:
        return self.server_log.read_text(errors="replace")


def _local_command_name() -> str:
    """``local``: chalice-cognito's server replaces stock ``chalice local``."""
    from chalice_cognito.cli import cli

    assert cli.commands["local"] is commands.local
    return "local"


def _wait_for_line(path: Path, needle: str, process: subprocess.Popen[bytes]) -> str:
    # Readiness wait (not an assertion on timing): the server prints the line
    # once its socket is bound and the cognito-local config is written.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if needle in text:
            return text
        if process.poll() is not None:
            raise RuntimeError(f"chalice-cognito exited with {process.returncode}:\n{text}")
        time.sleep(0.1)
    raise TimeoutError(f"chalice-cognito did not print {needle!r}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if BINARY is None:
        pytest.skip(
            "cognito-local is not installed (node_modules/.bin/cognito-local): run `make setup`"
        )
    root = tmp_path_factory.mktemp("cognito_local")
    project = root / "shop"
    project.mkdir()
    shutil.copy(REPO_ROOT / "app.py", project / "app.py")
    shutil.copytree(
        REPO_ROOT / "chalicelib",
        project / "chalicelib",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (project / ".chalice").mkdir()
    (project / ".chalice" / "config.json").write_text(json.dumps(EXAMPLE_CONFIG))
    emulator_dir = root / "emulator"
    emulator_dir.mkdir()

    cognito_port = free_port()
    cognito_url = f"http://127.0.0.1:{cognito_port}"
    env = dict(os.environ)
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            # The example app's own boto3 calls go to the emulator.
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": cognito_url,
            "PYTHONUNBUFFERED": "1",
        }
    )
    server_log = root / "server.log"
    with open(server_log, "wb") as log:
        server = subprocess.Popen(
            [
                # The console script: the autoreload parent re-runs its own argv.
                str(Path(sys.executable).parent / "chalice-cognito"),
                "--project-dir",
                str(project),
                _local_command_name(),
                "--port",
                "0",
                "--stage",
                "dev",
                "--cognito-local-config",
                str(emulator_dir),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: the autoreload parent and its worker stop together.
            start_new_session=True,
        )
    cognito = None
    try:
        _wait_for_line(server_log, "Wrote the cognito-local config", server)
        _wait_for_line(server_log, "Lambda Invoke API for", server)
        cognito = CognitoLocal(str(emulator_dir), port=cognito_port, binary=BINARY).start()
        idp = boto3.client("cognito-idp", endpoint_url=cognito_url, region_name="us-east-1")
        pool_id = idp.create_user_pool(PoolName="shop")["UserPool"]["Id"]
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="web",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        idp.create_group(UserPoolId=pool_id, GroupName="customers")
        yield Stack(cognito, server, server_log, idp, pool_id, client_id)
    finally:
        if cognito is not None:
            cognito.stop()
        _stop_group(server)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (the autoreload parent and its worker)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=10)
            break
        except subprocess.TimeoutExpired:
            continue
    process.wait()
