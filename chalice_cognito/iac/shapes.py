"""LambdaConfig entries in the shapes each format wants, read from the catalogue,
and the attach Lambda's IAM documents both formats embed.

One function per format, no per-trigger case: a plain trigger is
``{config_key: arn}``, a versioned one ``{config_key: {LambdaArn, LambdaVersion}}``,
and a trigger that ``requires_kms`` adds the pool-wide ``KMSKeyID``.  The ARN
(and key) are whatever the format uses to refer to them: a CloudFormation
intrinsic, or a Terraform interpolation string.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence

from chalice_cognito.catalogue import KMS_KEY_CONFIG_KEY, TriggerSpec

#: Handler of the attach Lambda inside its zip (both formats deploy the same code).
ATTACH_HANDLER = "chalice_cognito.iac.custom_resource.handler"
#: Seconds the attach Lambda may run: the engine retries throttling and
#: concurrent-update errors with backoff.
ATTACH_TIMEOUT = 300

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(key: str) -> str:
    """Terraform's spelling of a LambdaConfig key: ``KMSKeyID`` -> ``kms_key_id``."""
    return _WORD_BOUNDARY.sub("_", key).lower()


def cfn_entries(
    spec: TriggerSpec, version: Optional[str], arn: Any, kms_key: Any = None
) -> Dict[str, Any]:
    """CloudFormation ``LambdaConfig`` properties for one trigger."""
    entries: Dict[str, Any] = {}
    if spec.versioned:
        entries[spec.config_key] = {
            "LambdaArn": arn,
            "LambdaVersion": version or spec.default_version,
        }
    else:
        entries[spec.config_key] = arn
    if spec.requires_kms:
        if kms_key is None:
            raise ValueError(f"{spec.name} needs the pool's KMS key (KMSKeyID).")
        entries[KMS_KEY_CONFIG_KEY] = kms_key
    return entries


def terraform_attributes(
    spec: TriggerSpec, arn: str, kms_key: Optional[str], version: Optional[str] = None
) -> Dict[str, str]:
    """Plain ``lambda_config`` attributes of ``aws_cognito_user_pool`` for one trigger.

    A versioned trigger with a legacy plain key (PreTokenGeneration) also gets
    that key when its version is the default (V1_0): provider 4 only knows
    ``pre_token_generation``, which Cognito treats as V1_0.  For V2_0/V3_0 the
    legacy key would silently downgrade the events, so only the block is given.
    """
    attrs: Dict[str, str] = {}
    if not spec.versioned:
        attrs[snake(spec.config_key)] = arn
    elif spec.legacy_key and (version or spec.default_version) == spec.default_version:
        attrs[snake(spec.legacy_key)] = arn
    if spec.requires_kms and kms_key is not None:
        attrs[snake(KMS_KEY_CONFIG_KEY)] = kms_key
    return attrs


def terraform_blocks(spec: TriggerSpec, version: Optional[str], arn: str) -> Dict[str, Any]:
    """Nested ``lambda_config`` blocks (``{lambda_arn, lambda_version}``) for versioned triggers."""
    if not spec.versioned:
        return {}
    return {
        snake(spec.config_key): {
            "lambda_arn": arn,
            "lambda_version": version or spec.default_version,
        }
    }


def lambda_trust_policy() -> Dict[str, Any]:
    """The attach Lambda role's trust policy (a fresh document per call)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def attach_statements(
    pool_arns: Sequence[Any], function_arns: Sequence[Any], kms_keys: Sequence[Any] = ()
) -> List[Dict[str, Any]]:
    """What the attach Lambda may do: read and update the pools, manage the functions'
    invoke permissions (ARNs as the format refers to them), and, for pools whose
    custom senders use a KMS key, create the grant through which Cognito uses
    that key (``UpdateUserPool`` with ``KMSKeyID`` needs ``kms:CreateGrant`` on
    exactly that key)."""
    statements: List[Dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": ["cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool"],
            "Resource": list(pool_arns),
        },
        {
            "Effect": "Allow",
            "Action": ["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"],
            "Resource": list(function_arns),
        },
    ]
    if kms_keys:
        statements.append(
            {"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": list(kms_keys)}
        )
    return statements
