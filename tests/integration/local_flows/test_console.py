"""``chalice-cognito local-cognito``: the real console script serving LocalCognito on a port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import boto3
import pytest
from botocore.exceptions import ClientError

from .apps import RULES_APP
from .conftest import PIP_CACHE, write_app

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("local-flows-console")]

SCRIPT = str(Path(sys.executable).with_name("chalice-cognito"))


def wait_for(predicate: Any, timeout: float, what: str, output: List[str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; output so far:\n" + "".join(output))


def refusal(details: Dict[str, str]) -> str:
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=details["endpoint_url"],
        region_name=details["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with pytest.raises(ClientError) as caught:
        idp.sign_up(
            ClientId=details["client_id"],
            Username="walk-in",
            Password="Corr3ct-Horse!",
            UserAttributes=[{"Name": "email", "Value": "walk-in@example.com"}],
        )
    return str(caught.value.response["Error"]["Message"])


def test_serves_prints_writes_reloads_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    project = write_app(tmp_path / "flows", RULES_APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PIP_CACHE_DIR"] = str(PIP_CACHE)
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [SCRIPT, "local-cognito", "--port", "0", "--trigger-timeout", "20"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: List[str] = []
    import threading

    reader = threading.Thread(
        target=lambda: output.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
        daemon=True,
    )
    reader.start()
    connection = project / ".chalice" / "local" / "cognito.json"
    try:
        wait_for(connection.exists, 300, "the connection file", output)
        details = json.loads(connection.read_text())
        assert details["endpoint_url"].startswith("http://127.0.0.1:")
        text = "".join(output)
        assert f"Local Cognito on {details['endpoint_url']}" in text
        assert f"user pool id: {details['user_pool_id']}" in text
        assert f"app client id: {details['client_id']}" in text
        assert "not emulated: PreSignUp: PreSignUp_ExternalProvider" in text

        assert refusal(details) == "PreSignUp failed with error An invitation is required."
        wait_for(lambda: "PreSignUp_SignUp" in "".join(output), 10, "the trigger line", output)
        assert "-> FAILED ValueError" in "".join(output)  # the handler's own error type

        # Edit the code: the functions are redeployed, the pool and client stay.
        app = project / "app.py"
        app.write_text(app.read_text().replace("An invitation is required", "Invite only"))
        wait_for(lambda: "Reloaded in" in "".join(output), 300, "the reload", output)
        assert refusal(details) == "PreSignUp failed with error Invite only."
        assert json.loads(connection.read_text()) == details
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        reader.join(timeout=5)
    text = "".join(output)
    assert process.returncode == 0, text
    assert "Local Cognito stopped" in text
    assert "Traceback" not in text
    assert not connection.exists()
    assert "Corr3ct-Horse!" not in text
