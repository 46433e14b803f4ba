"""Fixtures of the wiring engine's moto tests: pools, functions, call recording."""

from __future__ import annotations

from typing import Iterator, Optional

import pytest
from moto import mock_aws

from chalice_cognito.deploy.wiring import AwsClients, WantedTrigger, Wiring
from tests.support import aws as support_aws
from tests.support.recording import CallRecorder

REGION = support_aws.REGION


#: the role of every function these tests create (test_created_functions reads it)
ROLE_NAME = "wiring-test-role"

make_zip = support_aws.lambda_zip
policy_statements = support_aws.policy_statements
describe = support_aws.describe_pool


def create_function(name: str, region: str = REGION) -> str:
    """A real moto Lambda function (so GetPolicy works); returns its ARN."""
    return support_aws.create_function(name, role_name=ROLE_NAME, region=region)


def wanted(trigger: str, arn: str, version: Optional[str] = None) -> WantedTrigger:
    return WantedTrigger(trigger, arn.split(":")[-1], arn, version)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def recorder(aws: None) -> CallRecorder:
    return CallRecorder()


@pytest.fixture
def wiring(recorder: CallRecorder) -> Wiring:
    return Wiring(
        AwsClients(client_factory=recorder.factory, sleep=lambda _s: None), confirm_delay=0
    )
