"""The collaborators chalice-cognito hands Chalice's ``Deployer``, on moto with Chalice's own classes.

The sweeper is the stock one whose deletions are held back; the client is the
stock one whose deletions treat "already gone" as done; the executor runs the
main plan, then the checks and the wiring, then the held-back deletions.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any, Dict, List

import boto3
import botocore.session
import pytest
from chalice.awsclient import ResourceDoesNotExistError, TypedAWSClient
from chalice.config import Config
from chalice.deploy import models
from chalice.deploy.sweeper import ResourceSweeper
from chalice.utils import UI
from moto import mock_aws

from chalice_cognito.deploy import chalice_hooks
from tests.support import aws as support_aws

OLD = {
    "name": "old_fn",
    "resource_type": "lambda_function",
    "lambda_arn": "arn:aws:lambda:us-east-1:123456789012:function:a-dev-old_fn",
}
KEPT = {
    "name": "kept_fn",
    "resource_type": "lambda_function",
    "lambda_arn": "arn:aws:lambda:us-east-1:123456789012:function:a-dev-kept_fn",
}


def _config(project: Path, *records: Dict[str, Any]) -> Config:
    """A Chalice config whose stage ``dev`` was deployed with ``records`` (its deployed record)."""
    deployed = project / ".chalice" / "deployed"
    deployed.mkdir(parents=True, exist_ok=True)
    (deployed / "dev.json").write_text(
        json.dumps({"resources": list(records), "schema_version": "2.0", "backend": "api"})
    )
    return Config.create(chalice_stage="dev", project_dir=str(project))


def _session() -> Any:
    session = botocore.session.get_session()
    session.set_config_variable("region", support_aws.REGION)
    return session


def test_sweeper_holds_back_exactly_the_stock_deletions(tmp_path: Path) -> None:
    kept = models.RecordResource("lambda_function", "kept_fn", "lambda_arn")
    plan = models.Plan(instructions=[kept])
    sweeper = chalice_hooks.HoldBackSweeper()

    sweeper.execute(plan, _config(tmp_path, KEPT, OLD))

    assert plan.instructions == [kept]
    assert plan.messages == {}
    calls = [i for i in sweeper.held_back.instructions if isinstance(i, models.APICall)]
    assert [(c.method_name, c.params) for c in calls] == [
        ("delete_function", {"function_name": OLD["lambda_arn"]})
    ]
    assert "Deleting function" in next(iter(sweeper.held_back.messages.values()))


def test_a_stage_without_deletions_holds_nothing_back(tmp_path: Path) -> None:
    plan = models.Plan(instructions=[models.RecordResource("lambda_function", "kept_fn", "x")])
    sweeper = chalice_hooks.HoldBackSweeper()
    sweeper.execute(plan, _config(tmp_path, KEPT))
    assert sweeper.held_back.instructions == []
    assert len(plan.instructions) == 1


def test_deleting_a_function_that_is_gone_is_done() -> None:
    with mock_aws():
        # the stock client's error, which wedged every later deploy and delete
        with pytest.raises(ResourceDoesNotExistError):
            TypedAWSClient(_session()).delete_function(OLD["lambda_arn"])
        chalice_hooks.GoneIsDoneClient(_session()).delete_function(OLD["lambda_arn"])
        chalice_hooks.GoneIsDoneClient(_session()).delete_role("no-such-role")


def test_other_deletion_errors_still_fail() -> None:
    with mock_aws():
        support_aws.ensure_role("busy")
        iam = boto3.client("iam", region_name=support_aws.REGION)
        iam.create_instance_profile(InstanceProfileName="p")
        iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="busy")
        with pytest.raises(Exception) as raised:  # DeleteConflict: the role is in use
            chalice_hooks.GoneIsDoneClient(_session()).delete_role("busy")
        assert not chalice_hooks.already_gone(raised.value)


def test_every_deletion_the_sweeper_plans_is_tolerant() -> None:
    """Every client method Chalice's sweeper can plan (read from its source) treats gone as done."""
    source = inspect.getsource(ResourceSweeper)
    planned = set(re.findall(r"method_name=['\"](\w+)['\"]", source))
    assert "delete_function" in planned and "delete_role" in planned
    assert planned <= set(chalice_hooks.TOLERANT_DELETIONS), planned


def test_executor_order_and_a_failed_step(tmp_path: Path) -> None:
    """main plan -> steps in order; a failing step stops before the held-back deletions."""
    calls: List[str] = []
    config = _config(tmp_path, KEPT, OLD)
    sweeper = chalice_hooks.HoldBackSweeper()
    plan = models.Plan(
        instructions=[models.RecordResourceValue("lambda_function", "kept_fn", "lambda_arn", "x")]
    )
    sweeper.execute(plan, config)

    def check(_c: Config, deployed: Dict[str, Any]) -> None:
        calls.append(f"check {len(deployed['resources'])}")

    def smoke(_c: Config, deployed: Dict[str, Any]) -> None:
        calls.append(f"smoke {[r['name'] for r in deployed['resources']]}")
        raise RuntimeError("smoke failed")

    def wire(_c: Config, deployed: Dict[str, Any]) -> None:
        calls.append("wire")

    with mock_aws():
        executor = chalice_hooks.WiringExecutor(
            chalice_hooks.GoneIsDoneClient(_session()),
            UI(),
            config,
            sweeper,
            steps=[smoke, wire],
            checks=[check],
        )
        executor.execute(plan)
    assert calls == ["check 0", "smoke ['kept_fn']"]
    assert isinstance(executor.failure, RuntimeError)
    # the record keeps what was due for deletion
    assert [r["name"] for r in executor.resource_values] == ["kept_fn", "old_fn"]
