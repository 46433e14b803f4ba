"""Cognito wiring for Chalice's SAM template (``sam.json`` / ``sam.yaml``).

:func:`add_to_template` edits the template dict that ``chalice package`` wrote
(merge template already applied):

* pool in the template (``user_pool_resource``): the pool's ``LambdaConfig``
  gets one entry per trigger (``Fn::GetAtt`` ARNs, shapes from the catalogue),
  and each function one ``AWS::Lambda::Permission`` whose ``SourceArn`` is the
  pool's ARN and ``SourceAccount`` the stack's account;
* existing pool (``user_pool_id`` / ``user_pool_name`` / ``user_pool_parameter``):
  one ``Custom::CognitoTriggers`` resource per pool, served by the attach
  Lambda (:mod:`chalice_cognito.iac.custom_resource`) that this module adds
  with a least-privilege role;
* every trigger function's ARN as an Output (exported as
  ``<stack name>-<LogicalId>Arn``), and the access grants as
  ``AWS::IAM::Policy`` resources on the function's role.  The grant policies
  are separate resources (not inline in the role) so that a function whose
  grant names its own pool creates no dependency cycle (CDK #7016).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from chalice.utils import to_cfn_resource_name

from chalice_cognito.catalogue import KMS_KEY_CONFIG_KEY
from chalice_cognito.deploy.model import COGNITO_PRINCIPAL
from chalice_cognito.iac.shapes import (
    ATTACH_HANDLER,
    ATTACH_TIMEOUT,
    attach_statements,
    cfn_entries,
    lambda_trust_policy,
)
from chalice_cognito.iac.targets import Binding, IaCConfigError, PoolTarget, group_by_pool

#: Logical ids of what this module adds once per template.
ATTACH_FUNCTION_ID = "CognitoAttachFunction"
ATTACH_ROLE_ID = "CognitoAttachRole"
#: ``Custom::`` type name of the per-pool custom resource.
CUSTOM_RESOURCE_TYPE = "Custom::CognitoTriggers"

#: (binding, pool ARN value, KMS key value) -> IAM statements for the function's role.
GrantProvider = Callable[[Binding, Any, Any], Sequence[Mapping[str, Any]]]


def function_logical_id(function_name: str) -> str:
    """Chalice's logical id of a function resource (``pre_sign_up`` -> ``PreSignUp``)."""
    return str(to_cfn_resource_name(function_name))


def add_to_template(
    template: Dict[str, Any],
    bindings: Sequence[Binding],
    *,
    owner: str,
    attach_code_uri: str = "./cognito-attach.zip",
    grants: Optional[GrantProvider] = None,
) -> List[str]:
    """Add the Cognito wiring for ``bindings`` to ``template`` in place.

    ``owner`` (``<app>-<stage>``) labels the custom resources.  Returns
    warnings (e.g. a grant that could not be attached to a pre-created role).
    Raises :class:`IaCConfigError` for what cannot be wired.
    """
    resources: Dict[str, Any] = template.setdefault("Resources", {})
    outputs: Dict[str, Any] = template.setdefault("Outputs", {}) or {}
    template["Outputs"] = outputs
    warnings: List[str] = []
    for b in bindings:
        fid = function_logical_id(b.function_name)
        if fid not in resources:
            raise IaCConfigError(
                f"Function {b.function_name} ({fid}) of trigger {b.spec.name} is not in the "
                "packaged template."
            )
        outputs[f"{fid}Arn"] = {
            "Description": f"ARN of the Cognito {b.spec.name} trigger function",
            "Value": _arn(fid),
            "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{fid}Arn"}},
        }

    existing: List[PoolTarget] = []
    for pool, group in group_by_pool(bindings):
        if pool.in_template:
            pool_arn, kms_key = _wire_pool_in_template(resources, pool, group)
        else:
            pool_arn = _existing_pool_arn(template, pool)
            kms_key = _kms_value(pool, resources)
            _add_custom_resource(template, pool, group, owner)
            existing.append(pool)
            if not (pool.parameter or pool.pool_id):
                # Found by name at deploy time: grants use the ARN the custom
                # resource resolved, not the attach role's account-wide pattern.
                pool_arn = {"Fn::GetAtt": [custom_resource_id(pool), "UserPoolArn"]}
        for b in group:
            warnings.extend(_add_grants(resources, b, pool_arn, kms_key, grants))
            if b.spec.requires_kms and kms_key is not None:
                _add_sender_environment(resources[function_logical_id(b.function_name)], kms_key)

    if existing:
        _add_attach_function(template, existing, bindings, attach_code_uri)
    return warnings


# -- pool in the template -------------------------------------------------------


def _wire_pool_in_template(
    resources: Dict[str, Any], pool: PoolTarget, group: Sequence[Binding]
) -> Tuple[Any, Any]:
    """Fill the pool's LambdaConfig and add the permissions; return (pool ARN, KMS key)."""
    assert pool.resource is not None
    pool_res = resources.get(pool.resource)
    if not isinstance(pool_res, dict) or pool_res.get("Type") != "AWS::Cognito::UserPool":
        raise IaCConfigError(
            f"cognito user_pool_resource {pool.resource!r} is not an AWS::Cognito::UserPool "
            "of the template: define it in the --merge-template file."
        )
    props = pool_res.setdefault("Properties", {})
    lambda_config: Dict[str, Any] = props.setdefault("LambdaConfig", {})
    kms_key = _kms_value(pool, resources)
    if kms_key is None and any(b.spec.requires_kms for b in group):
        # The merge template may already name the key on the pool.
        kms_key = lambda_config.get(KMS_KEY_CONFIG_KEY)
        if kms_key is None:
            raise IaCConfigError(
                f"Custom sender triggers need a KMS key on {pool.label}: set kms_key_arn or "
                f"kms_key_resource, or LambdaConfig.KMSKeyID on {pool.resource}."
            )
    pool_arn = {"Fn::GetAtt": [pool.resource, "Arn"]}
    for b in group:
        fid = function_logical_id(b.function_name)
        for key, value in cfn_entries(b.spec, b.lambda_version, _arn(fid), kms_key).items():
            present = lambda_config.get(key)
            if present is not None and present != value and pool.on_conflict != "replace":
                raise IaCConfigError(
                    f"{pool.resource}.LambdaConfig.{key} is already set in the merge template "
                    f"to {present!r}; the app declares {b.spec.name} ({b.function_name}) for "
                    'it. Remove it from the template or set "on_conflict": "replace".'
                )
            lambda_config[key] = value
        resources[f"{fid}CognitoPermission{pool.logical_suffix}"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": _arn(fid),
                "Principal": COGNITO_PRINCIPAL,
                "SourceArn": pool_arn,
                "SourceAccount": {"Ref": "AWS::AccountId"},
            },
        }
    return pool_arn, kms_key


# -- existing pool: custom resource ---------------------------------------------


def _existing_pool_arn(template: Dict[str, Any], pool: PoolTarget) -> Any:
    """The pool's ARN as a template value (a wildcard over the account's pools for a name).

    A pool id starts with its region (``eu-west-1_AbC``), which may differ
    from the stack's: the ARN uses the id's region.
    """
    arn = "arn:${AWS::Partition}:cognito-idp:${PoolRegion}:${AWS::AccountId}:userpool/${PoolId}"
    if pool.parameter:
        params = template.setdefault("Parameters", {})
        params.setdefault(
            pool.parameter,
            {
                "Type": "String",
                "Description": f"Id of the existing Cognito user pool ({pool.label})",
                "AllowedPattern": "[\\w-]+_[0-9a-zA-Z]+",
            },
        )
        ref = {"Ref": pool.parameter}
        return {
            "Fn::Sub": [
                arn,
                {"PoolRegion": {"Fn::Select": [0, {"Fn::Split": ["_", ref]}]}, "PoolId": ref},
            ]
        }
    if pool.pool_id:
        region = pool.pool_id.split("_", 1)[0]
        return {"Fn::Sub": [arn, {"PoolRegion": region, "PoolId": pool.pool_id}]}
    # A name is resolved at deploy time by the attach Lambda (in the stack's
    # region): the template cannot know the id, so the role covers the account's pools.
    return {
        "Fn::Sub": "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/*"
    }


def _pool_id_value(pool: PoolTarget) -> Any:
    if pool.parameter:
        return {"Ref": pool.parameter}
    return pool.pool_id


def custom_resource_id(pool: PoolTarget) -> str:
    """Logical id of the custom resource wiring ``pool``."""
    return f"CognitoTriggers{pool.logical_suffix}"


def _add_custom_resource(
    template: Dict[str, Any], pool: PoolTarget, group: Sequence[Binding], owner: str
) -> None:
    resources = template["Resources"]
    props: Dict[str, Any] = {
        "ServiceToken": _arn(ATTACH_FUNCTION_ID),
        "Owner": owner,
        "OnConflict": pool.on_conflict,
        "Triggers": [
            {
                "Trigger": b.spec.name,
                "FunctionName": b.function_name,
                "FunctionArn": _arn(function_logical_id(b.function_name)),
                **({"LambdaVersion": b.lambda_version} if b.lambda_version else {}),
            }
            for b in group
        ],
    }
    pool_id = _pool_id_value(pool)
    if pool_id is not None:
        props["UserPoolId"] = pool_id
    else:
        props["UserPoolName"] = pool.pool_name
    kms = _kms_value(pool, resources)
    if kms is not None:
        props["KmsKeyArn"] = kms
    resources[custom_resource_id(pool)] = {
        "Type": CUSTOM_RESOURCE_TYPE,
        "Properties": props,
    }


def _add_attach_function(
    template: Dict[str, Any],
    pools: Sequence[PoolTarget],
    bindings: Sequence[Binding],
    code_uri: str,
) -> None:
    resources = template["Resources"]
    runtime = next(
        (
            r["Properties"]["Runtime"]
            for r in resources.values()
            if isinstance(r, dict)
            and r.get("Type") == "AWS::Serverless::Function"
            and "Runtime" in r.get("Properties", {})
        ),
        "python3.12",
    )
    pool_arns = [_existing_pool_arn(template, p) for p in pools]
    function_arns = [
        _arn(function_logical_id(b.function_name)) for b in bindings if not b.pool.in_template
    ]
    kms_keys = [
        key
        for p in pools
        if any(b.pool == p and b.spec.requires_kms for b in bindings)
        and (key := _kms_value(p, resources)) is not None
    ]
    statements = attach_statements(pool_arns, function_arns, kms_keys)
    if any(p.pool_name and not (p.parameter or p.pool_id) for p in pools):
        # Resolving a pool name needs ListUserPools, which IAM cannot scope.
        statements.append(
            {"Effect": "Allow", "Action": "cognito-idp:ListUserPools", "Resource": "*"}
        )
    resources[ATTACH_ROLE_ID] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": lambda_trust_policy(),
            "ManagedPolicyArns": [
                {
                    "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                    "AWSLambdaBasicExecutionRole"
                }
            ],
            "Policies": [
                {
                    "PolicyName": "CognitoAttach",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }
    resources[ATTACH_FUNCTION_ID] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Runtime": runtime,
            "Handler": ATTACH_HANDLER,
            "CodeUri": code_uri,
            "Timeout": ATTACH_TIMEOUT,
            "MemorySize": 256,
            "Role": {"Fn::GetAtt": [ATTACH_ROLE_ID, "Arn"]},
            "Description": "chalice-cognito: attaches this stack's trigger functions to an "
            "existing Cognito user pool (custom resource)",
        },
    }


# -- grants and helpers -----------------------------------------------------------


def _add_grants(
    resources: Dict[str, Any],
    binding: Binding,
    pool_arn: Any,
    kms_key: Any,
    grants: Optional[GrantProvider],
) -> List[str]:
    provider = grants or default_grant_statements
    statements = [dict(s) for s in provider(binding, pool_arn, kms_key)]
    if not statements:
        return []
    fid = function_logical_id(binding.function_name)
    role = resources[fid].get("Properties", {}).get("Role")
    if not (isinstance(role, dict) and "Fn::GetAtt" in role):
        return [
            f"{binding.function_name} uses a pre-created IAM role: grant it these statements "
            f"yourself: {statements}"
        ]
    role_id = role["Fn::GetAtt"][0]
    policy_id = f"{fid}CognitoAccess{binding.pool.logical_suffix}"
    resources[policy_id] = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": policy_id,
            "Roles": [{"Ref": role_id}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        },
    }
    return []


def default_grant_statements(binding: Binding, pool_arn: Any, kms_key: Any) -> List[Dict[str, Any]]:
    """IAM statements a trigger function needs on its pool: the deploy's own builder.

    :func:`chalice_cognito.deploy.grants.statements_for` (``access=`` actions on
    exactly the pool's ARN, ``kms:Decrypt`` on exactly the pool's key for the
    custom senders), so a template grants what ``chalice-cognito deploy``
    grants and nothing looser.  Used when no other provider is given.
    """
    from chalice_cognito.deploy.grants import statements_for

    return [dict(s) for s in statements_for(binding.registration, [pool_arn], kms_key)]


def _add_sender_environment(function: Dict[str, Any], kms_key: Any) -> None:
    """The sender helper (:mod:`chalice_cognito.senders`) reads the key ARN from the environment."""
    from chalice_cognito.senders import KMS_KEY_ARN_ENV

    props = function.setdefault("Properties", {})
    variables = props.setdefault("Environment", {}).setdefault("Variables", {})
    variables.setdefault(KMS_KEY_ARN_ENV, kms_key)


def _kms_value(pool: PoolTarget, resources: Mapping[str, Any]) -> Any:
    if pool.kms_key_resource:
        if pool.kms_key_resource not in resources:
            raise IaCConfigError(
                f"cognito kms_key_resource {pool.kms_key_resource!r} is not a resource of the "
                "template: define the AWS::KMS::Key in the --merge-template file."
            )
        return {"Fn::GetAtt": [pool.kms_key_resource, "Arn"]}
    return pool.kms_key_arn


def _arn(logical_id: str) -> Dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}
