"""CloudWatch alarms per trigger function: Errors, Throttles, Duration near Cognito's budget.

``"alarms": {"sns_topic_arn": "arn:aws:sns:..."}`` in the ``cognito`` config:
``deploy`` keeps, for every trigger function of the stage, three alarms
notifying that topic, named ``<function>-cognito-<metric>`` (the function
name is Chalice's ``<app>-<stage>-<name>``, so a stage's alarms are found by
the ``<app>-<stage>-`` prefix and the ``-cognito-`` infix):

* ``errors``: any error in a minute (Sum of Errors > 0);
* ``throttles``: any throttle in a minute (Sum of Throttles > 0);
* ``duration``: p99 of Duration above 4000 ms (Cognito gives up at 5 s).

:func:`sync_alarms` creates/updates the wanted ones and deletes the stage's
other ``-cognito-`` alarms (a function that left the app, a stage without the
``alarms`` key any more, ``delete``).  Which stages have alarms is noted in
``.chalice/cognito/<stage>.alarms.json`` so ``delete`` and a deploy that
dropped the key know to look.

Deploy-time module: the engine's AWS clients.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from chalice_cognito.deploy.aws import AwsClients

#: p99 Duration above this many milliseconds raises the ``duration`` alarm
DURATION_THRESHOLD_MS = 4000.0
#: the part of an alarm name that marks it as chalice-cognito's
INFIX = "-cognito-"


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm kind: the name suffix, the Lambda metric, statistic and threshold."""

    suffix: str
    metric: str
    threshold: float
    statistic: Optional[str] = "Sum"
    extended_statistic: Optional[str] = None


#: the alarms of every trigger function
SPECS = (
    AlarmSpec("errors", "Errors", 0.0),
    AlarmSpec("throttles", "Throttles", 0.0),
    AlarmSpec("duration", "Duration", DURATION_THRESHOLD_MS, None, "p99"),
)


def alarm_name(function_name: str, spec: AlarmSpec) -> str:
    """``<function>-cognito-<metric>``."""
    return f"{function_name}{INFIX}{spec.suffix}"


def alarm_names(function_names: Sequence[str]) -> List[str]:
    """Every alarm name of these functions."""
    return [alarm_name(f, s) for f in sorted(function_names) for s in SPECS]


def alarm_params(function_name: str, spec: AlarmSpec, topic_arn: str) -> Dict[str, Any]:
    """PutMetricAlarm's parameters (also what ``package`` writes in a template)."""
    params: Dict[str, Any] = {
        "AlarmName": alarm_name(function_name, spec),
        "AlarmDescription": (
            f"chalice-cognito: {spec.metric} of Cognito trigger function {function_name}"
        ),
        "Namespace": "AWS/Lambda",
        "MetricName": spec.metric,
        "Dimensions": [{"Name": "FunctionName", "Value": function_name}],
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": spec.threshold,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "AlarmActions": [topic_arn],
    }
    if spec.extended_statistic:
        params["ExtendedStatistic"] = spec.extended_statistic
    else:
        params["Statistic"] = spec.statistic
    return params


def marker_path(project_dir: Union[str, Path], stage: str) -> Path:
    """``.chalice/cognito/<stage>.alarms.json``: the stage's alarm names."""
    return Path(project_dir) / ".chalice" / "cognito" / f"{stage}.alarms.json"


def has_alarms(project_dir: Union[str, Path], stage: str) -> bool:
    """Whether a deploy of the stage created alarms (``delete`` then removes them)."""
    return marker_path(project_dir, stage).exists()


def sync_alarms(
    aws: AwsClients,
    region: str,
    prefix: str,
    functions: Sequence[str],
    topic_arn: Optional[str],
    project_dir: Union[str, Path],
    stage: str,
) -> Mapping[str, List[str]]:
    """Make the stage's ``-cognito-`` alarms exactly those of ``functions`` (none without topic).

    ``prefix`` is ``<app>-<stage>-``.  Returns ``{"put": [...], "deleted": [...]}``.
    One DescribeAlarms (all pages), a PutMetricAlarm per wanted alarm, one
    DeleteAlarms per 100 stale ones.
    """
    wanted = alarm_names(functions) if topic_arn else []
    existing: List[str] = []
    token: Optional[str] = None
    while True:
        params: Dict[str, Any] = {"AlarmNamePrefix": prefix, "AlarmTypes": ["MetricAlarm"]}
        if token:
            params["NextToken"] = token
        answer = aws.call("cloudwatch", region, "DescribeAlarms", **params)
        existing += [a["AlarmName"] for a in answer.get("MetricAlarms", [])]
        token = answer.get("NextToken")
        if not token:
            break
    stale = sorted(n for n in existing if INFIX in n and n not in wanted)
    put: List[str] = []
    if topic_arn:
        calls = [(f, s) for f in sorted(functions) for s in SPECS]
        aws.map(
            lambda item: aws.call(
                "cloudwatch", region, "PutMetricAlarm", **alarm_params(item[0], item[1], topic_arn)
            ),
            calls,
        )
        put = wanted
    for start in range(0, len(stale), 100):
        aws.call("cloudwatch", region, "DeleteAlarms", AlarmNames=stale[start : start + 100])
    marker = marker_path(project_dir, stage)
    if put:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"stage": stage, "alarms": put}, indent=2) + "\n")
    else:
        marker.unlink(missing_ok=True)
    return {"put": put, "deleted": stale}
