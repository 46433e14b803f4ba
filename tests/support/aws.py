"""Moto-backed AWS helpers: functions, roles, pools, keys, and reading them back.

Every helper talks to whatever AWS the caller set up: moto in-process
(``moto.mock_aws``) by default, or a moto server when given ``endpoint_url``.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any, Dict, List, Optional

import boto3

REGION = "us-east-1"
#: A real-shaped customer managed key ARN (the config parser refuses elided ones):
#: what the tests that only need *a* key for senders configure.
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

#: the trust policy Chalice gives a Lambda role
LAMBDA_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

#: a Chalice policy file that only allows logging (what the grants add is then visible)
LOGS_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:*:logs:*:*:*",
        }
    ],
}


def client(service: str, endpoint_url: Optional[str] = None, region: str = REGION) -> Any:
    """A boto3 client of the mocked AWS (or of the moto server at ``endpoint_url``)."""
    return boto3.client(service, region_name=region, endpoint_url=endpoint_url)


def lambda_zip() -> bytes:
    """A deployment package whose ``app.handler`` returns the event."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def ensure_role(role_name: str, endpoint_url: Optional[str] = None, region: str = REGION) -> str:
    """The ARN of a Lambda execution role, created on first use."""
    iam = client("iam", endpoint_url, region)
    try:
        return str(iam.get_role(RoleName=role_name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        created = iam.create_role(
            RoleName=role_name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY)
        )
        return str(created["Role"]["Arn"])


def create_function(
    name: str,
    role_name: str = "test-lambda-role",
    endpoint_url: Optional[str] = None,
    region: str = REGION,
) -> str:
    """A real moto Lambda function (so GetPolicy/AddPermission work); returns its ARN."""
    answer = client("lambda", endpoint_url, region).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ensure_role(role_name, endpoint_url, region),
        Handler="app.handler",
        Code={"ZipFile": lambda_zip()},
    )
    return str(answer["FunctionArn"])


def policy_statements(
    function_arn: str, endpoint_url: Optional[str] = None
) -> List[Dict[str, Any]]:
    """The statements of a function's resource policy (``[]`` when it has none)."""
    lam = client("lambda", endpoint_url)
    try:
        policy = lam.get_policy(FunctionName=function_arn)["Policy"]
    except lam.exceptions.ResourceNotFoundException:
        return []
    return list(json.loads(policy)["Statement"])


def describe_pool(pool_id: str) -> Dict[str, Any]:
    """DescribeUserPool's ``UserPool``."""
    return dict(client("cognito-idp").describe_user_pool(UserPoolId=pool_id)["UserPool"])


def lambda_config(pool_id: str) -> Dict[str, Any]:
    """The pool's ``LambdaConfig`` (``{}`` when no trigger is set)."""
    return dict(describe_pool(pool_id).get("LambdaConfig") or {})


def function_names() -> List[str]:
    """Every Lambda function name, sorted."""
    return sorted(f["FunctionName"] for f in client("lambda").list_functions()["Functions"])


def function_role(name: str) -> str:
    """The name of a function's execution role."""
    config = client("lambda").get_function_configuration(FunctionName=name)
    return str(config["Role"]).rsplit("/", 1)[-1]


def function_environment(name: str) -> Dict[str, str]:
    """A function's environment variables."""
    config = client("lambda").get_function_configuration(FunctionName=name)
    return dict((config.get("Environment") or {}).get("Variables") or {})


def role_policies(role_name: str) -> Dict[str, Any]:
    """Every inline policy document of a role, by policy name."""
    iam = client("iam")
    out = {}
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        out[name] = json.loads(doc) if isinstance(doc, str) else doc
    return out


def create_key() -> str:
    """A KMS key's ARN."""
    return str(client("kms").create_key()["KeyMetadata"]["Arn"])
