"""The fault-injection proxy itself (tests/support/faults.py), with boto3 as its client.

Each fault must reach the client as the real service would send it, so that
the tests built on the proxy exercise the code paths real AWS would.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any, Iterator

import boto3
import botocore.config
import botocore.exceptions
import pytest

from tests.support import aws as support_aws
from tests.support.faults import FaultProxy, Rule, moto_server

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("hardening-fault-proxy")]

NO_RETRY = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def proxy(upstream: str) -> Iterator[FaultProxy]:
    with FaultProxy(upstream) as running:
        yield running


def _client(service: str, url: str) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=url, config=NO_RETRY)


def test_names_json_query_and_rest_operations(proxy: FaultProxy) -> None:
    idp = _client("cognito-idp", proxy.url)
    pool_id = idp.create_user_pool(PoolName="names")["UserPool"]["Id"]
    idp.describe_user_pool(UserPoolId=pool_id)
    arn = support_aws.create_function("names-fn", endpoint_url=proxy.url)
    lam = _client("lambda", proxy.url)
    lam.add_permission(
        FunctionName=arn,
        StatementId="s1",
        Action="lambda:InvokeFunction",
        Principal="cognito-idp.amazonaws.com",
    )
    lam.get_policy(FunctionName=arn)
    lam.remove_permission(FunctionName=arn, StatementId="s1")
    lam.delete_function(FunctionName=arn)
    assert proxy.operations() == [
        "CreateUserPool",
        "DescribeUserPool",
        "GetRole",
        "CreateRole",
        "CreateFunction",
        "AddPermission",
        "GetPolicy",
        "RemovePermission",
        "DeleteFunction",
    ]
    assert proxy.writes("lambda") == [
        "CreateFunction",
        "AddPermission",
        "RemovePermission",
        "DeleteFunction",
    ]
    assert [r.service for r in proxy.log][:3] == ["cognito-idp", "cognito-idp", "iam"]


def test_throttle_is_the_services_own_error_after_the_hold(proxy: FaultProxy) -> None:
    idp = _client("cognito-idp", proxy.url)
    pool_id = idp.create_user_pool(PoolName="throttled")["UserPool"]["Id"]
    proxy.add(Rule("throttle", operation="UpdateUserPool", seconds=0.5))
    started = time.monotonic()
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        idp.update_user_pool(UserPoolId=pool_id, Policies={})
    assert time.monotonic() - started >= 0.5
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Fired once: the next one goes through.
    idp.update_user_pool(UserPoolId=pool_id, Policies={})
    assert [r.forwarded for r in proxy.log[-2:]] == [False, True]

    lam = _client("lambda", proxy.url)
    proxy.add(Rule("throttle", operation="ListFunctions"))
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.list_functions()
    iam = _client("iam", proxy.url)
    proxy.add(Rule("throttle", operation="ListRoles"))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        iam.list_roles()
    assert raised.value.response["Error"]["Code"] == "Throttling"


def test_error_and_drop(proxy: FaultProxy) -> None:
    idp = _client("cognito-idp", proxy.url)
    proxy.add(Rule("error", operation="ListUserPools", status=503))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        idp.list_user_pools(MaxResults=10)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    proxy.add(Rule("drop", operation="ListUserPools"))
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        idp.list_user_pools(MaxResults=10)
    assert idp.list_user_pools(MaxResults=10)["UserPools"] is not None
    assert [r.forwarded for r in proxy.log] == [False, False, True]
    # drop_after: applied by moto, the answer lost on the way back
    proxy.add(Rule("drop_after", operation="CreateUserPool"))
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        idp.create_user_pool(PoolName="applied-unseen")
    assert proxy.log[-1].forwarded and proxy.log[-1].status == 0
    names = [p["Name"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]]
    assert "applied-unseen" in names


def test_selects_by_body_and_skip(proxy: FaultProxy) -> None:
    idp = _client("cognito-idp", proxy.url)
    proxy.add(Rule("throttle", operation="CreateUserPool", contains=b'"second"', skip=0))
    idp.create_user_pool(PoolName="first")
    with pytest.raises(botocore.exceptions.ClientError):
        idp.create_user_pool(PoolName="second")
    proxy.add(Rule("error", operation="ListUserPools", skip=1, times=None))
    idp.list_user_pools(MaxResults=1)
    for _ in range(2):
        with pytest.raises(botocore.exceptions.ClientError):
            idp.list_user_pools(MaxResults=1)


#: a client process making numbered requests: ``ListUserPools`` with MaxResults = 1, 2, ...
CLIENT = """
import sys, boto3, botocore.config
idp = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=sys.argv[1],
                   aws_access_key_id="t", aws_secret_access_key="t",
                   config=botocore.config.Config(retries={"total_max_attempts": 1}))
for n in range(1, 6):
    idp.list_user_pools(MaxResults=n)
    print(n, flush=True)
"""


@pytest.mark.parametrize(("action", "done"), [("kill_before", 2), ("kill_after", 3)])
def test_kill_at_a_request_boundary(proxy: FaultProxy, action: str, done: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CLIENT, proxy.url], stdout=subprocess.PIPE, text=True
    )
    proxy.watch(proc.pid)
    proxy.add(Rule(action, index=3))
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == -9
    # before 3: requests 1 and 2 answered; after 3: the third reached moto, unseen.
    assert out.split() == ["1", "2"]
    assert sum(r.forwarded for r in proxy.log) == done


def test_add_permission_of_an_existing_statement_id_conflicts_as_in_lambda(
    proxy: FaultProxy,
) -> None:
    arn = support_aws.create_function("sid-fn", endpoint_url=proxy.url)
    lam = _client("lambda", proxy.url)
    grant = {
        "FunctionName": arn,
        "StatementId": "same",
        "Action": "lambda:InvokeFunction",
        "Principal": "cognito-idp.amazonaws.com",
    }
    lam.add_permission(**grant)
    with pytest.raises(lam.exceptions.ResourceConflictException, match="already exists"):
        lam.add_permission(**grant)
    assert len(support_aws.policy_statements(arn, endpoint_url=proxy.url)) == 1
