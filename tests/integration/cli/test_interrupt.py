"""Ctrl-C names the step that was running and says how to finish (issue 10, defect 9).

The console script deploys in a subprocess to a moto server behind the fault
proxy (tests/support/faults.py), which holds one chosen request: as soon as
the proxy has that request, the test sends SIGINT, exactly as a terminal's
Ctrl-C would, while the command is inside that step.  The command must exit
130 with one message (no ``Aborted!``, no traceback) naming the step and the
command to re-run; re-running it then finishes the job.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Iterator, Tuple

import boto3
import pytest

from tests.support.faults import FaultProxy, Rule, moto_server

SCRIPT = str(Path(sys.executable).with_name("chalice-cognito"))

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("cli-interrupt")]

APP = """
from chalice_cognito import Chalice

app = Chalice(app_name="intr")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    event.response.auto_confirm_user = True
"""


@pytest.fixture(scope="module")
def servers() -> Iterator[Tuple[str, FaultProxy]]:
    with moto_server() as upstream, FaultProxy(upstream) as proxy:
        yield upstream, proxy


def _idp(url: str):
    return boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.mark.parametrize(
    ("held", "step"),
    [
        (
            "CreateFunction",
            (
                "deploying with Chalice (functions and roles, then the wiring, then deleting "
                "the functions that left the app)"
            ),
        ),
        ("UpdateUserPool", "wiring the triggers into the user pools (the new functions exist)"),
    ],
)
def test_ctrl_c_names_the_step_and_a_rerun_finishes(
    servers, tmp_path: Path, script, held: str, step: str
) -> None:
    upstream, proxy = servers
    proxy.reset()
    idp = _idp(upstream)
    pool_id = idp.create_user_pool(PoolName=f"intr-{held}")["UserPool"]["Id"]
    project = tmp_path / "intr"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text(textwrap.dedent(APP))
    (project / ".chalice" / "config.json").write_text(
        json.dumps(
            {
                "version": "2.0",
                "app_name": "intr",
                "stages": {"dev": {}},
                "cognito": {"user_pool_id": pool_id},
            }
        )
    )
    env = script.clean_env({"AWS_ENDPOINT_URL": proxy.url})
    proxy.add(Rule(action="delay", operation=held, seconds=2.0))
    proc = subprocess.Popen(
        [SCRIPT, "deploy", "--stage", "dev"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while held not in proxy.operations():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the held request never came"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)  # Ctrl-C, while the request is held
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err and "Aborted!" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == (
        f"Interrupted while {step}; that step may be half done. Re-running the same command "
        "(chalice-cognito deploy --stage dev) finishes the job; `chalice-cognito status "
        "--stage dev` shows what is still pending."
    ), err

    # the held request is still answered by the proxy after the client left: wait for it
    time.sleep(2.5)
    proxy.reset()
    rerun = script.run(project, "deploy", "--stage", "dev", env=env)
    assert rerun.exit_code == 0, rerun.err + rerun.out
    config = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["LambdaConfig"]
    assert (
        config["PreSignUp"] == "arn:aws:lambda:us-east-1:123456789012:function:intr-dev-pre_sign_up"
    )
    status = script.run(project, "status", "--stage", "dev", env=env)
    assert status.exit_code == 0, status.err + status.out
