"""Issue 14's call counts on the 13-trigger example app (``app.py`` + ``chalicelib``) against moto.

A canary deploy, ``promote`` and ``rollback`` of the real example app, every
AWS call recorded: the rollback is one UpdateAlias per trigger function plus
one verifying DescribeUserPool, and no build or upload.  The counts are
printed (``pytest -s``) for the issue's note.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any, Dict

import boto3
import pytest

from tests.support.aws import create_key

pytestmark = pytest.mark.usefixtures("aws")

ROOT = Path(__file__).resolve().parents[3]
TRIGGER_FUNCTIONS = 13


def _project(tmp_path: Path, pool_id: str, key: str) -> Path:
    project = tmp_path / "shop"
    project.mkdir()
    shutil.copy(ROOT / "app.py", project / "app.py")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib")
    (project / ".chalice").mkdir()
    cognito = {
        "user_pool_id": pool_id,
        "kms_key_arn": key,
        "confirm_delay_seconds": 0,
        "alias": "live",
        "canary": {"percent": 10, "minutes": 10},
    }
    config = {"version": "2.0", "app_name": "shop", "stages": {"dev": {"cognito": cognito}}}
    (project / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))
    return project


def _counts(recorder: Any) -> Dict[str, int]:
    return dict(sorted(Counter(recorder.names()).items()))


def test_canary_deploy_promote_rollback_call_counts(tmp_path, run_cli, recorder, h) -> None:
    pool = h.create_pool("shop-dev")
    project = _project(tmp_path, pool["Id"], create_key())
    first = run_cli(project, "deploy", "--stage", "dev", "--smoke")
    assert first.exit_code == 0, first.err + first.out
    # each function's cold start from the zip, against Cognito's 5 s
    budget = first.out.split("cold start from the zip (this machine), against Cognito's 5 s:")[1]
    cold = [line.split() for line in budget.splitlines()[1 : 1 + TRIGGER_FUNCTIONS]]
    assert len(cold) == TRIGGER_FUNCTIONS and all(float(c[1]) < 5 for c in cold), budget
    cold_starts = {c[0]: float(c[1]) for c in cold}
    wired = {k: v for k, v in h.lambda_config(pool["Id"]).items() if k != "KMSKeyID"}
    arns = [v["LambdaArn"] if isinstance(v, dict) else v for v in wired.values()]
    assert arns and all(a.endswith(":live") for a in arns), wired
    # both LambdaConfig shapes of PreTokenGeneration hold the same alias ARN
    assert wired["PreTokenGeneration"] == wired["PreTokenGenerationConfig"]["LambdaArn"]
    functions = {a.rsplit(":", 1)[0] for a in arns}
    assert len(functions) == TRIGGER_FUNCTIONS

    # a code change, deployed as a canary: every function (one zip) gets version 2 at 10 %
    with (project / "app.py").open("a") as source:
        source.write("\n# a change\n")
    recorder.clear()
    canary = run_cli(project, "deploy", "--stage", "dev")
    assert canary.exit_code == 0, canary.err + canary.out
    deploy_counts = _counts(recorder)
    lam = boto3.client("lambda", region_name=h.region)
    for arn in functions:
        alias = lam.get_alias(FunctionName=arn, Name="live")
        assert alias["FunctionVersion"] == "1"
        assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1}
    assert deploy_counts["PublishVersion"] == TRIGGER_FUNCTIONS
    assert deploy_counts["UpdateAlias"] == TRIGGER_FUNCTIONS
    assert "UpdateUserPool" not in deploy_counts  # the pool already invokes the aliases

    recorder.clear()
    promoted = run_cli(project, "promote", "--stage", "dev")
    assert promoted.exit_code == 0, promoted.err + promoted.out
    promote_counts = _counts(recorder)
    assert promote_counts == {"UpdateAlias": TRIGGER_FUNCTIONS}

    recorder.clear()
    rolled = run_cli(project, "rollback", "--stage", "dev")
    assert rolled.exit_code == 0, rolled.err + rolled.out
    rollback_counts = _counts(recorder)
    assert rollback_counts == {"DescribeUserPool": 1, "UpdateAlias": TRIGGER_FUNCTIONS}
    for arn in functions:
        alias = lam.get_alias(FunctionName=arn, Name="live")
        assert (alias["FunctionVersion"], alias["RoutingConfig"]["AdditionalVersionWeights"]) == (
            "1",
            {},
        )
    print(
        "\ncold starts (s):",
        cold_starts,
        "\ncanary deploy:",
        sum(deploy_counts.values()),
        deploy_counts,
        "\npromote:",
        sum(promote_counts.values()),
        promote_counts,
        "\nrollback:",
        sum(rollback_counts.values()),
        rollback_counts,
    )
