"""Safe rollout in the SAM template: ``AutoPublishAlias``, ``DeploymentPreference``, alarms.

With ``"alias"`` in the stage's ``cognito`` config, ``chalice-cognito package``
(CloudFormation) gives every trigger function ``AutoPublishAlias`` (SAM
publishes a version on each change and moves the alias) and points the pool
at the alias instead of the function: the in-template pool's ``LambdaConfig``,
the invoke permissions and the custom resource's ``FunctionArn`` get
``{"Ref": "<Function>Alias<alias>"}`` (SAM's logical id of the alias; its
``Ref`` is the alias ARN).  The attach Lambda's role may then manage the
permissions of the aliases too.

``"canary": {"percent", "minutes"}`` adds a ``DeploymentPreference`` so
CodeDeploy shifts that share first and rolls back on an alarm: a predefined
``Canary<p>Percent<m>Minutes`` (``"type": "linear"``: ``Linear<p>PercentEvery<m>Minutes``)
when CodeDeploy has it, else an
``AWS::CodeDeploy::DeploymentConfig`` of this template.  ``"alarms"`` adds the
three alarms of :mod:`chalice_cognito.deploy.alarms` per trigger function
(named ``<function name>-cognito-<metric>``), also listed in the
``DeploymentPreference``.

Package-time module (no AWS call).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence

from chalice_cognito.deploy.alarms import SPECS, alarm_params
from chalice_cognito.deploy.config import AlarmSettings, CanarySettings
from chalice_cognito.iac.cloudformation import (
    ATTACH_ROLE_ID,
    CUSTOM_RESOURCE_TYPE,
    function_logical_id,
)
from chalice_cognito.iac.targets import Binding, IaCConfigError

#: CodeDeploy's predefined Lambda canary configurations: (percent, minutes)
PREDEFINED_CANARIES = {(10, 5), (10, 10), (10, 15), (10, 30)}
#: CodeDeploy's predefined Lambda linear configurations: (percent, minutes)
PREDEFINED_LINEARS = {(10, 1), (10, 2), (10, 3), (10, 10)}
#: logical id of the template's own canary configuration (when not predefined)
CANARY_CONFIG_ID = "CognitoCanaryDeploymentConfig"


def alias_logical_id(function_id: str, alias: str) -> str:
    """SAM's logical id of an ``AutoPublishAlias`` alias (``-`` -> ``D``, ``_`` -> ``U``)."""
    return f"{function_id}Alias{alias.replace('-', 'D').replace('_', 'U')}"


def alarm_logical_id(function_id: str, suffix: str) -> str:
    return f"{function_id}Cognito{suffix.capitalize()}Alarm"


def add_rollout_to_template(
    template: Dict[str, Any],
    bindings: Sequence[Binding],
    *,
    alias: Optional[str],
    canary: Optional[CanarySettings] = None,
    alarms: Optional[AlarmSettings] = None,
) -> None:
    """Edit ``template`` in place (after :func:`.cloudformation.add_to_template`)."""
    resources: Dict[str, Any] = template["Resources"]
    function_ids = sorted({function_logical_id(b.function_name) for b in bindings})
    alarm_refs: Dict[str, List[Dict[str, str]]] = {fid: [] for fid in function_ids}
    if alarms is not None:
        for fid in function_ids:
            for spec in SPECS:
                params = alarm_params("${" + fid + "}", spec, alarms.sns_topic_arn)
                params["AlarmName"] = {"Fn::Sub": params["AlarmName"]}
                params["AlarmDescription"] = {"Fn::Sub": params["AlarmDescription"]}
                params["Dimensions"] = [{"Name": "FunctionName", "Value": {"Ref": fid}}]
                logical = alarm_logical_id(fid, spec.suffix)
                resources[logical] = {"Type": "AWS::CloudWatch::Alarm", "Properties": params}
                alarm_refs[fid].append({"Ref": logical})
    if not alias:
        return
    deployment_type = _deployment_type(resources, canary) if canary else None
    targets: Dict[str, Dict[str, Any]] = {}
    for fid in function_ids:
        props = resources[fid].setdefault("Properties", {})
        props["AutoPublishAlias"] = alias
        if deployment_type is not None:
            preference: Dict[str, Any] = {"Type": deployment_type}
            if alarm_refs[fid]:
                preference["Alarms"] = alarm_refs[fid]
            props["DeploymentPreference"] = preference
        targets[fid] = {"Ref": alias_logical_id(fid, alias)}
    for logical, resource in resources.items():
        kind = resource.get("Type") if isinstance(resource, dict) else None
        if kind == "AWS::Cognito::UserPool":
            props = resource.get("Properties", {})
            if "LambdaConfig" in props:
                props["LambdaConfig"] = _swap(props["LambdaConfig"], targets)
        elif kind == "AWS::Lambda::Permission":
            resource["Properties"]["FunctionName"] = _swap(
                resource["Properties"]["FunctionName"], targets
            )
        elif kind == CUSTOM_RESOURCE_TYPE:
            for trigger in resource["Properties"].get("Triggers", []):
                trigger["FunctionArn"] = _swap(trigger["FunctionArn"], targets)
        elif logical == ATTACH_ROLE_ID:
            _also_aliases(resource, targets)


def _deployment_type(resources: Dict[str, Any], canary: CanarySettings) -> Any:
    """``Canary10Percent10Minutes``/``Linear10PercentEvery1Minute`` or a Ref to this template's
    own DeploymentConfig (``TimeBasedCanary``/``TimeBasedLinear``)."""
    percent, minutes = canary.percent, canary.minutes
    if not (float(percent).is_integer() and float(minutes).is_integer() and minutes >= 1):
        raise IaCConfigError(
            "cognito canary: CodeDeploy takes whole numbers (percent 1-99, minutes >= 1); "
            f"got percent {percent:g}, minutes {minutes:g}."
        )
    step = (int(percent), int(minutes))
    if canary.type == "linear":
        if step in PREDEFINED_LINEARS:
            return f"Linear{step[0]}PercentEvery{step[1]}Minute{'s' if step[1] > 1 else ''}"
        routing = {
            "Type": "TimeBasedLinear",
            "TimeBasedLinear": {"LinearPercentage": step[0], "LinearInterval": step[1]},
        }
    else:
        if step in PREDEFINED_CANARIES:
            return f"Canary{step[0]}Percent{step[1]}Minutes"
        routing = {
            "Type": "TimeBasedCanary",
            "TimeBasedCanary": {"CanaryPercentage": step[0], "CanaryInterval": step[1]},
        }
    resources[CANARY_CONFIG_ID] = {
        "Type": "AWS::CodeDeploy::DeploymentConfig",
        "Properties": {"ComputePlatform": "Lambda", "TrafficRoutingConfig": routing},
    }
    return {"Ref": CANARY_CONFIG_ID}


def _swap(value: Any, targets: Mapping[str, Dict[str, Any]]) -> Any:
    """``{"Fn::GetAtt": [fid, "Arn"]}`` of a trigger function -> its alias's Ref, recursively."""
    if isinstance(value, dict):
        getatt = value.get("Fn::GetAtt")
        if (
            len(value) == 1
            and isinstance(getatt, list)
            and len(getatt) == 2
            and getatt[1] == "Arn"
            and getatt[0] in targets
        ):
            return dict(targets[getatt[0]])
        return {k: _swap(v, targets) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, targets) for v in value]
    return value


def _also_aliases(node: Any, targets: Mapping[str, Dict[str, Any]]) -> None:
    """Every list naming a trigger function's ARN also names its alias (the attach role)."""
    if isinstance(node, dict):
        for value in node.values():
            _also_aliases(value, targets)
    elif isinstance(node, list):
        extra = [
            dict(targets[item["Fn::GetAtt"][0]])
            for item in node
            if isinstance(item, dict)
            and isinstance(item.get("Fn::GetAtt"), list)
            and item["Fn::GetAtt"][0] in targets
        ]
        for item in node:
            _also_aliases(item, targets)
        node.extend(e for e in extra if e not in node)


# -- Terraform -------------------------------------------------------------------------


def add_rollout_to_terraform(
    doc: Dict[str, Any],
    chalice_tf: Dict[str, Any],
    bindings: Sequence[Binding],
    *,
    alias: Optional[str],
    canary: Optional[CanarySettings] = None,
    alarms: Optional[AlarmSettings] = None,
) -> List[str]:
    """Versions, the alias and the alarms in ``chalice-cognito.tf.json``; returns warnings.

    ``chalice_tf`` (Chalice's file) gets ``publish = true`` on every trigger
    function (edited in place: the caller writes it back).  The pool wiring
    (the ``lambda_config`` locals, the attach Lambda's input) names
    ``aws_lambda_alias.<function>_cognito``; the permissions get its
    ``qualifier``; the attach role may manage the aliases' permissions too.
    Terraform has no traffic shifting of its own: ``canary`` is not emitted
    (a warning says so).
    """
    from chalice_cognito.iac.terraform import ATTACH, function_ref, ref

    res: Dict[str, Any] = doc.setdefault("resource", {})
    names = sorted({b.function_name for b in bindings})
    warnings: List[str] = []
    if alarms is not None:
        for name in names:
            for spec in SPECS:
                params = alarm_params(
                    ref(f"aws_lambda_function.{name}.function_name"), spec, alarms.sns_topic_arn
                )
                alarm: Dict[str, Any] = {
                    "alarm_name": params["AlarmName"],
                    "alarm_description": params["AlarmDescription"],
                    "namespace": params["Namespace"],
                    "metric_name": params["MetricName"],
                    "dimensions": {
                        "FunctionName": ref(f"aws_lambda_function.{name}.function_name")
                    },
                    "period": params["Period"],
                    "evaluation_periods": params["EvaluationPeriods"],
                    "threshold": params["Threshold"],
                    "comparison_operator": params["ComparisonOperator"],
                    "treat_missing_data": params["TreatMissingData"],
                    "alarm_actions": params["AlarmActions"],
                }
                if "ExtendedStatistic" in params:
                    alarm["extended_statistic"] = params["ExtendedStatistic"]
                else:
                    alarm["statistic"] = params["Statistic"]
                res.setdefault("aws_cloudwatch_metric_alarm", {})[
                    f"{name}_cognito_{spec.suffix}"
                ] = alarm
    if not alias:
        return warnings
    if canary is not None:
        warnings.append(
            "Terraform: canary is not emitted (Terraform has no traffic shifting of its own); "
            "the alias moves to each new version at once. Use `chalice-cognito deploy` or the "
            "CloudFormation package (CodeDeploy) for a canary."
        )
    functions = chalice_tf.get("resource", {}).get("aws_lambda_function", {})
    swap: Dict[str, str] = {}
    for name in names:
        functions[name]["publish"] = True
        res.setdefault("aws_lambda_alias", {})[f"{name}_cognito"] = {
            "name": alias,
            "description": "chalice-cognito: the version the user pool invokes",
            "function_name": ref(f"aws_lambda_function.{name}.function_name"),
            "function_version": ref(f"aws_lambda_function.{name}.version"),
        }
        swap[function_ref(name)] = ref(f"aws_lambda_alias.{name}_cognito.arn")
    for permission in res.get("aws_lambda_permission", {}).values():
        for name in names:
            if permission.get("function_name") == function_ref(name):
                permission["qualifier"] = ref(f"aws_lambda_alias.{name}_cognito.name")
    for key, value in list(doc.get("locals", {}).items()):
        doc["locals"][key] = _swap_strings(value, swap)
    for invocation in res.get("aws_lambda_invocation", {}).values():
        invocation["input"] = _swap_strings(invocation["input"], swap)
        if "wiring" in invocation.get("triggers", {}):
            invocation["triggers"]["wiring"] = hashlib.sha256(
                invocation["input"].encode()
            ).hexdigest()
    policy = res.get("aws_iam_role_policy", {}).get(ATTACH)
    if policy is not None:
        document = json.loads(policy["policy"])
        for statement in document.get("Statement", []):
            resources = statement.get("Resource")
            if isinstance(resources, list):
                statement["Resource"] = resources + [
                    swap[r] for r in resources if r in swap and swap[r] not in resources
                ]
        policy["policy"] = json.dumps(document)
    return warnings


def _swap_strings(value: Any, swap: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for old, new in swap.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: _swap_strings(v, swap) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap_strings(v, swap) for v in value]
    return value
