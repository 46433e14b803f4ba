"""Fixtures of the IaC tests: moto AWS, a local ResponseURL server, a packaged test app."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Optional

import boto3
import pytest
from moto import mock_aws

from chalice_cognito.deploy.wiring import Wiring

REGION = "us-east-1"
WRITES = frozenset({"UpdateUserPool", "AddPermission", "RemovePermission"})


class ResponseServer:
    """A stand-in for CloudFormation's pre-signed S3 URL: records every PUT."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
                )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        host, port = self.httpd.server_address[:2]
        self.url = f"http://{host}:{port}/response"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def last(self) -> Dict[str, Any]:
        return dict(self.requests[-1]["body"])

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def response_server() -> Iterator[ResponseServer]:
    server = ResponseServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


class Calls:
    """A client factory for :class:`Wiring` that records operation names."""

    def __init__(self) -> None:
        self.names: List[str] = []
        self.session = boto3.session.Session(region_name=REGION)

    def factory(self, service: str, region: str) -> Any:
        client = self.session.client(service, region_name=region)
        client.meta.events.register(
            "before-call.*.*", lambda model, **_: self.names.append(model.name)
        )
        return client

    @property
    def writes(self) -> List[str]:
        return [n for n in self.names if n in WRITES]

    def wiring(self) -> Wiring:
        # confirm_delay=0: no re-read after a pause (no concurrent writer here).
        return Wiring(client_factory=self.factory, confirm_delay=0)


@pytest.fixture
def calls(aws: None) -> Calls:
    return Calls()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def create_function(name: str) -> str:
    """A moto Lambda function (never invoked); returns its ARN."""
    iam = boto3.client("iam", region_name=REGION)
    try:
        role = iam.get_role(RoleName="iac-test-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(
            RoleName="iac-test-role",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
    answer = boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": _zip()},
    )
    return str(answer["FunctionArn"])


def create_pool(name: str = "shop-users", lambda_config: Optional[Dict[str, Any]] = None) -> str:
    """A pool with non-default settings that an UpdateUserPool without them would reset."""
    pool = boto3.client("cognito-idp", region_name=REGION).create_user_pool(
        PoolName=name,
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 12,
                "RequireUppercase": True,
                "RequireLowercase": False,
                "RequireNumbers": True,
                "RequireSymbols": False,
                "TemporaryPasswordValidityDays": 3,
            }
        },
        AutoVerifiedAttributes=["email"],
        VerificationMessageTemplate={
            "EmailSubject": "Your shop code",
            "EmailMessage": "Code: {####}",
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
        },
        UserPoolTags={"team": "shop"},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        LambdaConfig=lambda_config or {},
    )
    return str(pool["UserPool"]["Id"])


def describe(pool_id: str) -> Dict[str, Any]:
    return dict(
        boto3.client("cognito-idp", region_name=REGION).describe_user_pool(UserPoolId=pool_id)[
            "UserPool"
        ]
    )


def policy(function_arn: str) -> List[Dict[str, Any]]:
    client = boto3.client("lambda", region_name=REGION)
    try:
        return list(json.loads(client.get_policy(FunctionName=function_arn)["Policy"])["Statement"])
    except client.exceptions.ResourceNotFoundException:
        return []


class Kit:
    """The helpers above, handed to tests as a fixture (importlib mode: no conftest imports)."""

    region = REGION
    create_function = staticmethod(create_function)
    create_pool = staticmethod(create_pool)
    describe = staticmethod(describe)
    policy = staticmethod(policy)


@pytest.fixture
def kit(aws: None) -> Kit:
    return Kit()
