"""Safe rollout (issue 14) with the real ``chalice-cognito`` command against moto.

Versions and an alias (``"alias": "live"``), canary weights, ``promote``,
``rollback``, ``verify``, alarms, the 5-second budget warning and
``deploy --wait``: every AWS call of the command is recorded (the ``recorder``
fixture), so the order that makes a switch gap-free and the call counts of a
rollback are checked on the real calls.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, List

import boto3
import pytest

from chalice_cognito.deploy import rollout_commands

pytestmark = pytest.mark.usefixtures("aws")

ARN = "arn:aws:lambda:us-east-1:123456789012:function:tiny-dev-{}".format
FUNCTIONS = ("pre_sign_up", "post_confirmation")

#: TINY_APP with a different body in both functions (new code, same names)
TINY_APP_CHANGED = """
from chalice_cognito import Chalice

app = Chalice(app_name="tiny")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    event.response.auto_confirm_user = False


@app.cognito_trigger("PostConfirmation")
def post_confirmation(event):
    return None
"""


def _lambda() -> Any:
    return boto3.client("lambda", region_name="us-east-1")


def _alias(name: str) -> Dict[str, Any]:
    answer = _lambda().get_alias(FunctionName=f"tiny-dev-{name}", Name="live")
    weights = (answer.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return {"version": answer["FunctionVersion"], "weights": dict(weights)}


def _statements(name: str) -> List[Dict[str, Any]]:
    return list(
        json.loads(_lambda().get_policy(FunctionName=f"tiny-dev-{name}")["Policy"])["Statement"]
    )


def _project(h: Any, tmp_path: Any, pool_id: str, source: str, **cognito: Any) -> Any:
    stage = {"cognito": {"user_pool_id": pool_id, **cognito}}
    return h.write_project(tmp_path / "tiny", source, {"dev": stage})


def _deploy(run_cli: Any, project: Any, *args: str) -> Any:
    result = run_cli(project, "deploy", "--stage", "dev", *args)
    assert result.exit_code == 0, result.err + result.out
    return result


def test_alias_wiring_versions_and_rollback(tmp_path, run_cli, recorder, h) -> None:
    pool = h.create_pool()
    project = _project(h, tmp_path, pool["Id"], h.TINY_APP, alias="live", keep_versions=1)

    # 1. first deploy: version 1 of each function, alias live -> 1, the pool on the alias
    result = _deploy(run_cli, project)
    config = h.lambda_config(pool["Id"])
    assert config["PreSignUp"] == ARN("pre_sign_up") + ":live"
    assert config["PostConfirmation"] == ARN("post_confirmation") + ":live"
    assert all(_alias(f) == {"version": "1", "weights": {}} for f in FUNCTIONS)
    assert "live -> 1" in result.out
    # the invoke permission is on the alias, with SourceArn and SourceAccount
    for name in FUNCTIONS:
        [statement] = [s for s in _statements(name) if s["Resource"].endswith(":live")]
        assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == pool["Arn"]
        assert statement["Condition"]["StringEquals"]["AWS:SourceAccount"] == "123456789012"
    # the alias exists before the pool points at it
    assert recorder.index("CreateAlias") < recorder.index("UpdateUserPool")

    # 2. the same code again: nothing published, nothing moved, the pool untouched
    recorder.clear()
    _deploy(run_cli, project)
    assert "PublishVersion" not in recorder.names()
    assert "UpdateAlias" not in recorder.names()
    assert "UpdateUserPool" not in recorder.names()

    # 3. new code: version 2 behind the alias, the pool still on the alias (no pool write)
    h.write_project(
        tmp_path / "tiny",
        TINY_APP_CHANGED,
        json.loads((project / ".chalice" / "config.json").read_text())["stages"],
    )
    recorder.clear()
    _deploy(run_cli, project)
    assert recorder.names().count("PublishVersion") == 2
    assert all(_alias(f) == {"version": "2", "weights": {}} for f in FUNCTIONS)
    assert "UpdateUserPool" not in recorder.names()
    assert h.lambda_config(pool["Id"])["PreSignUp"] == ARN("pre_sign_up") + ":live"

    # 4. a third version prunes beyond keep_versions=1 (never the alias's or the previous)
    source = TINY_APP_CHANGED.replace("return None", "return event")
    (project / "app.py").write_text(source)
    _deploy(run_cli, project)
    versions = [
        v["Version"]
        for v in _lambda().list_versions_by_function(FunctionName="tiny-dev-post_confirmation")[
            "Versions"
        ]
    ]
    assert versions == ["$LATEST", "2", "3"]

    # 5. rollback: one UpdateAlias per function and one verifying pool read, no upload
    recorder.clear()
    result = run_cli(project, "rollback", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert _alias("post_confirmation") == {"version": "2", "weights": {}}
    # one zip serves every function of the app: both had a version 3
    assert _alias("pre_sign_up") == {"version": "2", "weights": {}}
    names = recorder.names()
    assert names == ["UpdateAlias", "UpdateAlias", "DescribeUserPool"], names
    assert h.lambda_config(pool["Id"])["PreSignUp"] == ARN("pre_sign_up") + ":live"


def test_switch_between_unqualified_and_alias_has_no_gap(tmp_path, run_cli, recorder, h) -> None:
    pool = h.create_pool()
    project = _project(h, tmp_path, pool["Id"], h.TINY_APP)
    _deploy(run_cli, project)
    assert h.lambda_config(pool["Id"])["PreSignUp"] == ARN("pre_sign_up")

    def order(qualifier: Any, removes_from: str) -> None:
        for name in FUNCTIONS:
            [add] = [
                i
                for i, (_, op, params) in enumerate(recorder.calls)
                if op == "AddPermission"
                and params["FunctionName"] == ARN(name)
                and params.get("Qualifier") == qualifier
                and "SourceArn" in params
                and "SourceAccount" in params
            ]
            update = recorder.index("UpdateUserPool")
            remove = recorder.index("RemovePermission", FunctionName=removes_from.format(name))
            assert add < update < remove, recorder.names()

    # unqualified -> alias: the alias's permission exists before the pool points at it
    _project(h, tmp_path, pool["Id"], h.TINY_APP, alias="live")
    recorder.clear()
    _deploy(run_cli, project)
    assert h.lambda_config(pool["Id"])["PreSignUp"] == ARN("pre_sign_up") + ":live"
    order("live", ARN("{}"))
    assert [s["Resource"] for s in _statements("pre_sign_up")] == [ARN("pre_sign_up") + ":live"]

    # and back: the unqualified permission first, the alias's removed after
    _project(h, tmp_path, pool["Id"], h.TINY_APP)
    recorder.clear()
    _deploy(run_cli, project)
    assert h.lambda_config(pool["Id"])["PreSignUp"] == ARN("pre_sign_up")
    order(None, ARN("{}") + ":live")
    assert [s["Resource"] for s in _statements("pre_sign_up")] == [ARN("pre_sign_up")]


def test_canary_promote_and_rollback_mid_canary(tmp_path, run_cli, recorder, h) -> None:
    pool = h.create_pool()
    canary = {"percent": 10, "minutes": 10}
    project = _project(h, tmp_path, pool["Id"], h.TINY_APP, alias="live", canary=canary)
    _deploy(run_cli, project)
    assert _alias("pre_sign_up") == {"version": "1", "weights": {}}

    (project / "app.py").write_text(TINY_APP_CHANGED)
    result = _deploy(run_cli, project)
    assert all(_alias(f) == {"version": "1", "weights": {"2": 0.1}} for f in FUNCTIONS)
    assert "chalice-cognito promote --stage dev" in result.out
    assert "chalice-cognito rollback --stage dev" in result.out
    # status shows each function's alias, versions and weights
    status = run_cli(project, "status", "--stage", "dev")
    assert status.exit_code == 0, status.err + status.out
    assert "Aliases (live):" in status.out
    row = next(ln.split(None, 1) for ln in status.out.splitlines() if "tiny-dev-pre_sign_up " in ln)
    assert row[1].split("  ")[0] == "live -> 1 (90%), 2 (10%, canary)", status.out

    recorder.clear()
    result = run_cli(project, "promote", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert all(_alias(f) == {"version": "2", "weights": {}} for f in FUNCTIONS)
    assert recorder.names() == ["UpdateAlias", "UpdateAlias"]

    # a third version as canary, rolled back in the middle: the weight is dropped
    (project / "app.py").write_text(TINY_APP_CHANGED.replace("return None", "return event"))
    _deploy(run_cli, project)
    assert _alias("post_confirmation") == {"version": "2", "weights": {"3": 0.1}}
    result = run_cli(project, "rollback", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert _alias("post_confirmation") == {"version": "2", "weights": {}}

    # and a plain rollback after that goes to the version before 2
    result = run_cli(project, "rollback", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert _alias("post_confirmation") == {"version": "1", "weights": {}}


def test_verify_finds_drift_and_deploy_repairs_it(tmp_path, run_cli, h) -> None:
    pool = h.create_pool()
    project = _project(h, tmp_path, pool["Id"], h.TINY_APP, alias="live")
    _deploy(run_cli, project)
    (project / "app.py").write_text(TINY_APP_CHANGED)
    _deploy(run_cli, project)
    assert run_cli(project, "verify", "--stage", "dev").exit_code == 0

    # an alias moved by hand
    _lambda().update_alias(FunctionName="tiny-dev-pre_sign_up", Name="live", FunctionVersion="1")
    result = run_cli(project, "verify", "--stage", "dev")
    assert result.exit_code == 1
    assert "DRIFT: alias of tiny-dev-pre_sign_up routes live -> 1" in result.out
    _deploy(run_cli, project)
    assert _alias("pre_sign_up") == {"version": "2", "weights": {}}
    assert run_cli(project, "verify", "--stage", "dev").exit_code == 0

    # a trigger pointing elsewhere, a missing permission
    idp = boto3.client("cognito-idp", region_name="us-east-1")
    idp.update_user_pool(
        UserPoolId=pool["Id"],
        LambdaConfig={**h.lambda_config(pool["Id"]), "PreSignUp": ARN("pre_sign_up")},
    )
    sid = next(s["Sid"] for s in _statements("post_confirmation"))
    _lambda().remove_permission(FunctionName=ARN("post_confirmation") + ":live", StatementId=sid)
    result = run_cli(project, "verify", "--stage", "dev")
    assert result.exit_code == 1
    assert "PreSignUp of pool" in result.out and "permission" in result.out
    # the slot holds the stage's own function, unqualified: still its own to the
    # engine (any qualifier of the recorded function), so a plain deploy repairs it
    _deploy(run_cli, project)
    assert run_cli(project, "verify", "--stage", "dev").exit_code == 0
    assert h.lambda_config(pool["Id"])["PreSignUp"] == ARN("pre_sign_up") + ":live"


def test_alarms_are_created_and_deleted_with_the_stage(tmp_path, run_cli, h) -> None:
    pool = h.create_pool()
    topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="auth")["TopicArn"]
    project = _project(
        h, tmp_path, pool["Id"], h.TINY_APP, alias="live", alarms={"sns_topic_arn": topic}
    )
    _deploy(run_cli, project)
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert sorted(alarms) == sorted(
        f"tiny-dev-{f}-cognito-{m}" for f in FUNCTIONS for m in ("errors", "throttles", "duration")
    )
    duration = alarms["tiny-dev-pre_sign_up-cognito-duration"]
    assert (duration["ExtendedStatistic"], duration["Threshold"]) == ("p99", 4000.0)
    assert duration["AlarmActions"] == [topic]

    # a refactoring: the alarms follow the trigger functions
    h.write_project(
        tmp_path / "tiny",
        h.TINY_APP_V2,
        json.loads((project / ".chalice" / "config.json").read_text())["stages"],
    )
    _deploy(run_cli, project)
    assert sorted(a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]) == sorted(
        f"tiny-dev-validate_sign_up-cognito-{m}" for m in ("errors", "throttles", "duration")
    )

    result = run_cli(project, "delete", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []


def test_timeout_above_cognitos_budget_is_reported(tmp_path, run_cli, h) -> None:
    pool = h.create_pool()
    stages = {
        "dev": {
            "cognito": {"user_pool_id": pool["Id"]},
            "lambda_functions": {"pre_sign_up": {"lambda_timeout": 10}},
        }
    }
    project = h.write_project(tmp_path / "tiny", h.TINY_APP, stages)
    result = _deploy(run_cli, project)
    assert "trigger function pre_sign_up has lambda_timeout 10 s" in result.err
    assert "Cognito's 5-second limit" in result.err
    # Chalice's default (60 s) applies to the other one
    assert "trigger function post_confirmation has lambda_timeout 60 s" in result.err

    stages["dev"]["lambda_timeout"] = 5
    stages["dev"]["lambda_functions"]["pre_sign_up"]["lambda_timeout"] = 3
    h.write_project(tmp_path / "tiny", h.TINY_APP, stages)
    assert "lambda_timeout" not in _deploy(run_cli, project).err


def _put_errors(function: str, version: str, value: float) -> None:
    boto3.client("cloudwatch", region_name="us-east-1").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "Errors",
                "Dimensions": [
                    {"Name": "FunctionName", "Value": function},
                    {"Name": "Resource", "Value": f"{function}:live"},
                    {"Name": "ExecutedVersion", "Value": version},
                ],
                "Value": value,
                "Timestamp": datetime.now(timezone.utc),
            }
        ],
    )


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> List[float]:
    slept: List[float] = []
    monkeypatch.setattr(rollout_commands.CLOCK, "sleep", slept.append)
    monkeypatch.setattr(rollout_commands.CLOCK, "interval", 120.0)
    return slept


def test_deploy_wait_promotes_a_clean_canary(tmp_path, run_cli, h, fake_clock) -> None:
    pool = h.create_pool()
    canary = {"percent": 10, "minutes": 5}
    project = _project(h, tmp_path, pool["Id"], h.TINY_APP, alias="live", canary=canary)
    _deploy(run_cli, project)
    (project / "app.py").write_text(TINY_APP_CHANGED)
    # errors of the *current* version do not count against the canary
    _put_errors("tiny-dev-pre_sign_up", "1", 5)
    result = _deploy(run_cli, project, "--wait")
    assert fake_clock == [120.0, 120.0, 60.0]
    assert "baking: 5.0/5 min" in result.out
    assert "Promoted:" in result.out
    assert all(_alias(f) == {"version": "2", "weights": {}} for f in FUNCTIONS)


def test_deploy_wait_shifts_a_linear_canary_step_by_step(tmp_path, run_cli, h, fake_clock) -> None:
    """``"type": "linear"``: percent more every ``minutes`` (30 %: 60 %, 90 %), then promoted."""
    pool = h.create_pool()
    canary = {"percent": 30, "minutes": 5, "type": "linear"}
    project = _project(h, tmp_path, pool["Id"], h.TINY_APP, alias="live", canary=canary)
    _deploy(run_cli, project)
    (project / "app.py").write_text(TINY_APP_CHANGED)
    seen: List[Dict[str, float]] = []

    def sleep(seconds: float) -> None:
        fake_clock.append(seconds)
        seen.append(_alias("post_confirmation")["weights"])

    rollout_commands.CLOCK.sleep = sleep
    result = _deploy(run_cli, project, "--wait")
    assert fake_clock == [120.0, 120.0, 60.0] * 3
    assert seen == [{"2": 0.3}] * 3 + [{"2": 0.6}] * 3 + [{"2": 0.9}] * 3
    assert "shifted: 60% of the traffic" in result.out and "shifted: 90%" in result.out
    assert "baking: 15.0/15 min" in result.out and "Promoted:" in result.out
    assert all(_alias(f) == {"version": "2", "weights": {}} for f in FUNCTIONS)


def test_deploy_wait_rolls_back_on_canary_errors(tmp_path, run_cli, h, fake_clock) -> None:
    pool = h.create_pool()
    canary = {"percent": 10, "minutes": 5}
    project = _project(h, tmp_path, pool["Id"], h.TINY_APP, alias="live", canary=canary)
    _deploy(run_cli, project)
    (project / "app.py").write_text(TINY_APP_CHANGED)

    # the canary fails while it bakes: errors of version 2 after the first look
    def sleep(seconds: float) -> None:
        fake_clock.append(seconds)
        _put_errors("tiny-dev-post_confirmation", "2", 1)

    rollout_commands.CLOCK.sleep = sleep
    result = run_cli(project, "deploy", "--stage", "dev", "--wait")
    assert result.exit_code == 0, result.err + result.out
    assert fake_clock == [120.0]
    assert "Canary errors (tiny-dev-post_confirmation: 1): rolling back." in result.out
    assert all(_alias(f) == {"version": "1", "weights": {}} for f in FUNCTIONS)


def test_smoke_shows_each_functions_cold_start_against_the_budget(tmp_path, run_cli, h) -> None:
    import re

    pool = h.create_pool()
    # (TINY_APP imports boto3 at module level, which a zip-only smoke run lacks)
    project = _project(h, tmp_path, pool["Id"], TINY_APP_CHANGED, alias="live")
    result = _deploy(run_cli, project, "--smoke")
    assert "cold start from the zip (this machine), against Cognito's 5 s:" in result.out
    for name in FUNCTIONS:
        match = re.search(rf"^\s+(?:tiny-dev-)?{name}\s+(\d+\.\d+) s", result.out, flags=re.M)
        assert match, result.out
        assert 0 < float(match.group(1)) < 5


def test_a_cold_start_above_half_the_budget_is_flagged() -> None:
    from chalice_cognito.local.smoke import SmokeCall, SmokeReport, SmokeResult, cold_start_lines

    def result(name: str, seconds: float) -> SmokeResult:
        call = SmokeCall(
            trigger="PreSignUp",
            function_name=name,
            handler=f"app.{name}",
            event={},
            deployed_name=f"tiny-dev-{name}",
        )
        return SmokeResult(call=call, kind="ok", cold_start_seconds=seconds)

    report = SmokeReport(
        zip_path="x.zip", zip_size=1, results=[result("fast", 0.4), result("slow", 2.6)]
    )
    lines = cold_start_lines(report)
    assert lines[1].split() == ["tiny-dev-fast", "0.400", "s"]
    assert lines[2].split()[:3] == ["tiny-dev-slow", "2.600", "s"]
    assert lines[2].endswith("WARNING: above 2.5 s")


def test_a_failed_alias_update_mid_release_converges_on_the_next_deploy(
    tmp_path, run_cli, recorder, h, monkeypatch
) -> None:
    from chalice_cognito import cli as cli_module

    pool = h.create_pool()
    canary = {"percent": 10, "minutes": 10}
    project = _project(h, tmp_path, pool["Id"], h.TINY_APP, alias="live", canary=canary)
    _deploy(run_cli, project)
    wired = h.lambda_config(pool["Id"])

    # the next deploy's first UpdateAlias fails (a non-retryable AWS error)
    failures = ["InvalidParameterValueException"]
    recording = cli_module.CognitoCLIFactory.create_botocore_session

    class Answer:
        status_code = 400
        content = b""

        def __init__(self) -> None:
            self.headers: Dict[str, str] = {}

    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        session = recording(self, *args, **kwargs)

        def before_call(model: Any, **_: Any) -> Any:
            if model.name == "UpdateAlias" and failures:
                code = failures.pop()
                return Answer(), {"Error": {"Code": code, "Message": "injected"}}
            return None

        session.register("before-call.lambda.UpdateAlias", before_call)
        return session

    monkeypatch.setattr(cli_module.CognitoCLIFactory, "create_botocore_session", create)
    (project / "app.py").write_text(TINY_APP_CHANGED)
    failed = run_cli(project, "deploy", "--stage", "dev")
    assert failed.exit_code != 0
    assert "UpdateAlias" in failed.err or "injected" in failed.err, failed.err
    # the pool still invokes the aliases; no alias routes anything but versions 1 and 2
    assert h.lambda_config(pool["Id"]) == wired
    assert sorted(_alias(f)["version"] for f in FUNCTIONS) == ["1", "1"]

    _deploy(run_cli, project)
    for name in FUNCTIONS:
        # the current version stays, the canary is the new code (moto republishes
        # after Chalice's UpdateFunctionCode of the same zip; AWS would reuse 2)
        alias = _alias(name)
        assert alias["version"] == "1"
        [(canary, weight)] = alias["weights"].items()
        assert weight == 0.1
        code = _lambda().get_function_configuration(FunctionName=f"tiny-dev-{name}")
        frozen = _lambda().get_function_configuration(
            FunctionName=f"tiny-dev-{name}", Qualifier=canary
        )
        assert frozen["CodeSha256"] == code["CodeSha256"]
    assert run_cli(project, "verify", "--stage", "dev").exit_code == 0


def test_attach_after_detach_rewires_the_alias(tmp_path, run_cli, recorder, h) -> None:
    """The alias deploy created survives detach; attach wires its ARN back, permission first."""
    pool = h.create_pool()
    project = _project(h, tmp_path, pool["Id"], h.TINY_APP, alias="live")
    _deploy(run_cli, project)
    detached = run_cli(project, "detach", "--stage", "dev")
    assert detached.exit_code == 0, detached.err + detached.out
    assert "PreSignUp" not in h.lambda_config(pool["Id"])
    assert all(_alias(f) == {"version": "1", "weights": {}} for f in FUNCTIONS)

    recorder.clear()
    attached = run_cli(project, "attach", "--stage", "dev")
    assert attached.exit_code == 0, attached.err + attached.out
    config = h.lambda_config(pool["Id"])
    assert config["PreSignUp"] == ARN("pre_sign_up") + ":live"
    assert config["PostConfirmation"] == ARN("post_confirmation") + ":live"
    # the invoke permission is granted on the alias (Qualifier) before the pool points at it
    names = recorder.names()
    assert names.index("AddPermission") < names.index("UpdateUserPool"), names
    for f in FUNCTIONS:
        policy = _lambda().get_policy(FunctionName=f"tiny-dev-{f}", Qualifier="live")
        statement = json.loads(policy["Policy"])["Statement"][0]
        assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == pool["Arn"]
        assert statement["Condition"]["StringEquals"]["AWS:SourceAccount"] == "123456789012"
    assert run_cli(project, "verify", "--stage", "dev").exit_code == 0
