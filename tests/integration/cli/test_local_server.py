"""``chalice-cognito local`` as users run it: the console script, autoreload on (the default).

One server process tree (the reloader parent and its worker) on ``--port 0``:
the stock HTTP route and the Lambda Invoke API answer on the same port, and an
edit of ``chalicelib/`` is picked up by a worker restart on that same port.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

from chalice_cognito.testing import sample_event

from .conftest import SCRIPT, clean_env

pytestmark = [pytest.mark.integration]

APP = """
from chalice_cognito import Chalice
from chalicelib import policy

app = Chalice(app_name="demo")


@app.route("/hello")
def hello():
    return {"hello": "world"}


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    email = event.request.user_attributes.get("email", "")
    if not email.endswith("@" + policy.DOMAIN):
        raise ValueError("Sign-ups are limited to " + policy.DOMAIN)
    event.response.auto_confirm_user = True
"""


def _wait_for(path: Path, pattern: str, process: subprocess.Popen[bytes]) -> re.Match[str]:
    # Readiness wait, not a timing assertion.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        match = re.search(pattern, text)
        if match:
            return match
        if process.poll() is not None:
            raise RuntimeError(f"chalice-cognito local exited with {process.returncode}:\n{text}")
        time.sleep(0.1)
    raise TimeoutError(f"no {pattern!r} in the server output")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Tuple[str, Path, Path]]:
    project = tmp_path / "demo"
    (project / "chalicelib").mkdir(parents=True)
    (project / ".chalice").mkdir()
    (project / "app.py").write_text(textwrap.dedent(APP))
    (project / "chalicelib" / "__init__.py").write_text("")
    (project / "chalicelib" / "policy.py").write_text('DOMAIN = "example.com"\n')
    (project / ".chalice" / "config.json").write_text(
        json.dumps({"version": "2.0", "app_name": "demo", "stages": {"dev": {}}})
    )
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [SCRIPT, "--project-dir", str(project), "local", "--port", "0"],
            env=clean_env({"PYTHONUNBUFFERED": "1"}),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the reloader parent and its worker stop together
        )
    try:
        match = _wait_for(log, r"Serving on (http://127\.0\.0\.1:\d+)", process)
        _wait_for(log, r"Lambda Invoke API for 1 Cognito trigger", process)
        yield match.group(1), project, log
    finally:
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


def invoke(url: str, email: str) -> Dict[str, Any]:
    event = sample_event("PreSignUp_SignUp")
    event["request"]["userAttributes"]["email"] = email
    request = urllib.request.Request(
        url + "/2015-03-31/functions/pre_sign_up/invocations",
        data=json.dumps(event).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return {
            "error": response.headers.get("X-Amz-Function-Error"),
            "body": json.loads(response.read()),
        }


def test_route_invoke_and_autoreload_on_one_port(server: Tuple[str, Path, Path]) -> None:
    url, project, log = server
    with urllib.request.urlopen(url + "/hello") as response:
        assert json.loads(response.read()) == {"hello": "world"}
    refused = invoke(url, "bob@corp.test")
    assert refused["error"] == "Unhandled"
    assert refused["body"]["errorMessage"] == "Sign-ups are limited to example.com"

    (project / "chalicelib" / "policy.py").write_text('DOMAIN = "corp.test"\n')
    # The worker restarts on the same port; wait until the new code answers.
    deadline = time.monotonic() + 120
    answer: Dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            answer = invoke(url, "bob@corp.test")
        except (urllib.error.URLError, ConnectionError):
            answer = {}
        if answer and answer["error"] is None:
            break
        time.sleep(0.2)
    assert answer and answer["error"] is None, answer
    assert answer["body"]["response"]["autoConfirmUser"] is True
    # The invocation may have re-imported the app in place; the watcher also
    # restarts the worker, which serves the same port again.
    while time.monotonic() < deadline and log.read_text().count(f"Serving on {url}") < 2:
        time.sleep(0.2)
    text = log.read_text()
    assert "Code changed: restarting the local server." in text
    assert text.count(f"Serving on {url}") == 2
    with urllib.request.urlopen(url + "/hello") as response:
        assert response.status == 200
    assert invoke(url, "bob@corp.test")["error"] is None
