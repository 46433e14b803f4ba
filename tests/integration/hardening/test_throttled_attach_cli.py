"""The issue's throttled concurrent attach, with the real console script (issue 10, defect 1).

tests/integration/wiring/test_throttled_writes.py holds the engine to it in
process; this runs it as users hit it: two ``chalice-cognito attach``
processes against a moto server, through the fault proxy.  App 1 attaches
PreSignUp + PostConfirmation; its first UpdateUserPool is held 2.5 s and then
refused with TooManyRequestsException; meanwhile an admin changes the
password policy, and app 2 starts one second after app 1 to attach
PreAuthentication + PostAuthentication.  Every round, all four triggers and
the admin's policy must be in the pool and the refused body is never resent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

from tests.integration.hardening.harness import World, write_project
from tests.support import aws as support_aws
from tests.support.faults import Rule

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("hardening-throttled-attach")]

ROUNDS = 3

APP = """
from chalice_cognito import Chalice

app = Chalice(app_name="{name}")


@app.cognito_trigger("{first}")
def first(event):
    return event


@app.cognito_trigger("{second}")
def second(event):
    return event
"""

APPS = {
    "thr1": ("PreSignUp", "PostConfirmation"),
    "thr2": ("PreAuthentication", "PostAuthentication"),
}


def _arn(app: str, function: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:{app}-dev-{function}"


@pytest.fixture(scope="module")
def deployed(
    world: World, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tuple[str, Dict[str, Path], Any]]:
    """Both apps deployed with stock ``chalice deploy`` (functions only), the pool empty."""
    idp = support_aws.client("cognito-idp", world.upstream)
    pool_id = idp.create_user_pool(PoolName="throttled-cli")["UserPool"]["Id"]
    root = tmp_path_factory.mktemp("throttled")
    projects = {}
    stock = str(Path(sys.executable).with_name("chalice"))
    for name, (first, second) in APPS.items():
        project = write_project(
            root / name,
            APP.format(name=name, first=first, second=second),
            name,
            {"user_pool_id": pool_id},
        )
        done = subprocess.run(
            [stock, "deploy", "--stage", "dev"],
            cwd=project,
            env=world.env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        projects[name] = project
    yield pool_id, projects, world.state.save()


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_throttled_concurrent_attach_loses_nothing(
    world: World, deployed: Tuple[str, Dict[str, Path], Any], round_: int
) -> None:
    pool_id, projects, saved = deployed
    world.state.restore(saved)
    for project in projects.values():
        (project / ".chalice" / "cognito" / "dev.json").unlink(missing_ok=True)
    idp = support_aws.client("cognito-idp", world.upstream)
    world.proxy.reset()
    held = Rule(
        "throttle",
        operation="UpdateUserPool",
        contains=json.dumps(_arn("thr1", "first")).encode(),
        seconds=2.5,
    )
    world.proxy.add(held)

    started = time.monotonic()
    app1 = world.start(projects["thr1"], "attach", "--stage", "dev")
    while held.fired == 0 and time.monotonic() < started + 60:
        time.sleep(0.02)
    assert held.fired == 1, "app 1 never sent its update"
    # An admin changes a setting while app 1's update is held (straight to moto).
    described = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    idp.update_user_pool(
        UserPoolId=pool_id,
        LambdaConfig=described.get("LambdaConfig") or {},
        Policies={"PasswordPolicy": {"MinimumLength": 17}},
    )
    time.sleep(max(0.0, started + 1.0 - time.monotonic()))
    app2 = world.start(projects["thr2"], "attach", "--stage", "dev")
    first, second = app1(), app2()

    assert first.exit_code == 0, first.text
    assert second.exit_code == 0, second.text
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["LambdaConfig"] == {
        "PreSignUp": _arn("thr1", "first"),
        "PostConfirmation": _arn("thr1", "second"),
        "PreAuthentication": _arn("thr2", "first"),
        "PostAuthentication": _arn("thr2", "second"),
    }, f"round {round_}: a trigger was lost"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 17
    refused = next(r for r in world.proxy.log if r.action == "throttle")
    updates = [r.body for r in world.proxy.log if r.operation == "UpdateUserPool"]
    assert updates.count(refused.body) == 1, "the refused body was sent again"
