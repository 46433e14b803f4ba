"""``status`` shows what an interrupted run left pending (issue 10, defect 9, status part).

A changed deploy (PostConfirmation removed, PreAuthentication added) is killed
by the fault proxy at two boundaries: right before the held-back DeleteFunction
of the removed function, and right after the UpdateUserPool was applied (before
the ownership record is written).  ``status`` then names each leftover (text
and ``--json``), and after the same command is re-run it names none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List

import pytest

from tests.integration.hardening.harness import World, write_project
from tests.support import aws as support_aws
from tests.support.faults import Rule

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("hardening-status-pending")]

APP_V1 = """
from chalice_cognito import Chalice

app = Chalice(app_name="{name}")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    return event


@app.cognito_trigger("PostConfirmation")
def post_confirmation(event):
    return event
"""

APP_V2 = """
from chalice_cognito import Chalice

app = Chalice(app_name="{name}")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    return event


@app.cognito_trigger("PreAuthentication")
def pre_authentication(event):
    return event
"""


def _pending(world: World, project: Path) -> List[str]:
    result = world.run(project, "status", "--stage", "dev", "--json")
    assert result.exit_code in (0, 1), result.text
    return list(json.loads(result.out)["pending"])


def _interrupted(world: World, tmp_path: Path, name: str, rule: Rule) -> Path:
    idp = support_aws.client("cognito-idp", world.upstream)
    pool_id = idp.create_user_pool(PoolName=name)["UserPool"]["Id"]
    project = write_project(
        tmp_path / name, APP_V1.format(name=name), name, {"user_pool_id": pool_id}
    )
    result = world.run(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.text
    assert _pending(world, project) == []
    (project / "app.py").write_text(APP_V2.format(name=name))
    world.proxy.reset()
    world.proxy.add(rule)
    killed = world.run(project, "deploy", "--stage", "dev")
    assert killed.exit_code == -9, killed.text
    world.proxy.reset()
    return project


def _converges(world: World, project: Path) -> None:
    result = world.run(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.text
    assert _pending(world, project) == []
    status = world.run(project, "status", "--stage", "dev")
    assert "Pending" not in status.out


def test_a_held_back_deletion_that_did_not_happen(world: World, tmp_path: Path) -> None:
    project = _interrupted(world, tmp_path, "heldback", Rule("kill_before", "DeleteFunction"))
    assert _pending(world, project) == [
        "held-back deletion: function heldback-dev-post_confirmation is no longer in the app "
        "and still exists"
    ]
    text = world.run(project, "status", "--stage", "dev").out
    assert "Pending (an interrupted run left these; re-run the same command):" in text
    assert "  held-back deletion: function heldback-dev-post_confirmation" in text
    _converges(world, project)


def test_a_slot_written_but_not_recorded(world: World, tmp_path: Path) -> None:
    project = _interrupted(world, tmp_path, "unrecorded", Rule("kill_after", "UpdateUserPool"))
    pending = _pending(world, project)
    record = ".chalice/cognito/dev.json"
    assert any(
        p.startswith(f"unreleased slot: {record} records PostConfirmation of pool ")
        and p.endswith("as unrecorded-dev-post_confirmation; the pool holds nothing")
        for p in pending
    ), pending
    assert any(
        p.startswith("unrecorded slot: PreAuthentication of pool ")
        and "holds unrecorded-dev-pre_authentication" in p
        for p in pending
    ), pending
    assert any(
        p.startswith("held-back deletion: function unrecorded-dev-post_conf") for p in pending
    )
    _converges(world, project)
