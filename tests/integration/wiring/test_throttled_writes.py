"""A throttled or failed write is never resent from a stale copy (issue 10, defect 1).

The engine's clients go through a fault proxy (tests/support/faults.py) in
front of a real moto server.  botocore's standard retry mode would resend an
*identical* UpdateUserPool body after TooManyRequestsException or a 5xx,
seconds after the read it was built from, and so write back a copy older than
another writer's change.  The engine's clients make one attempt per call; the
engine alone retries, rebuilding UpdateUserPool from a new DescribeUserPool.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, Iterator, List

import boto3.session
import pytest
from botocore.exceptions import ClientError
from chalice.cli.factory import create_botocore_session

from chalice_cognito.deploy.aws import AwsClients
from chalice_cognito.deploy.wiring import Ownership, PoolResult, WantedTrigger, Wiring
from tests.support.faults import FaultProxy, Request, Rule

from .conftest import client, create_function

pytestmark = pytest.mark.integration

#: how the engine gets its clients in real use: a boto3 session (custom resource,
#: library use) or the botocore session of Chalice's CLI factory (``--max-retries``
#: sets a default client config asking for retries there)
SESSIONS: Dict[str, Callable[[], Any]] = {
    "boto3": lambda: boto3.session.Session(region_name="us-east-1"),
    "chalice-cli": lambda: create_botocore_session(max_retries=5),
}


@pytest.fixture
def proxy(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    with FaultProxy(moto_url) as running:
        # Every client the engine makes from a session now talks to the proxy.
        monkeypatch.setenv("AWS_ENDPOINT_URL", running.url)
        yield running


def wanted(trigger: str, arn: str) -> WantedTrigger:
    return WantedTrigger(trigger, arn.split(":")[-1], arn)


def lambda_config(moto_url: str, pool_id: str) -> Dict[str, Any]:
    answer = client(moto_url, "cognito-idp").describe_user_pool(UserPoolId=pool_id)
    return dict(answer["UserPool"].get("LambdaConfig") or {})


@pytest.mark.parametrize("session", sorted(SESSIONS))
@pytest.mark.parametrize(
    ("service", "operation", "action", "params"),
    [
        ("cognito-idp", "UpdateUserPool", "throttle", {"UserPoolId": "us-east-1_nothing"}),
        ("cognito-idp", "UpdateUserPool", "error", {"UserPoolId": "us-east-1_nothing"}),
        ("lambda", "AddPermission", "throttle", {}),
    ],
)
def test_a_refused_write_is_sent_once(
    proxy: FaultProxy,
    session: str,
    service: str,
    operation: str,
    action: str,
    params: Dict[str, Any],
) -> None:
    # Always refused: an SDK retry would show up as a second request.
    proxy.add(Rule(action=action, operation=operation, times=None, status=503))
    clients = AwsClients(SESSIONS[session](), region="us-east-1")
    if operation == "AddPermission":
        params = {
            "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "StatementId": "s",
            "Action": "lambda:InvokeFunction",
            "Principal": "cognito-idp.amazonaws.com",
        }
    with pytest.raises(ClientError):
        clients.call(service, "us-east-1", operation, retry=False, **params)
    assert proxy.operations() == [operation]


@pytest.mark.parametrize("action", ["throttle", "error", "drop"])
def test_a_refused_or_lost_update_is_rebuilt_from_a_new_read(
    moto_url: str, proxy: FaultProxy, action: str
) -> None:
    # Throttled, a 5xx, or the connection closed without an answer.
    pool_id = client(moto_url, "cognito-idp").create_user_pool(PoolName=f"rebuilt-{action}")[
        "UserPool"
    ]["Id"]
    fn = create_function(moto_url, f"rebuilt-{action}")
    proxy.add(Rule(action=action, operation="UpdateUserPool", times=1, status=503))
    wiring = Wiring(AwsClients(SESSIONS["chalice-cli"]()), confirm_delay=0)
    wiring.wire(wiring.resolve_pool(pool_id), [wanted("PreSignUp", fn)], Ownership())
    calls = proxy.operations("cognito-idp")
    first = calls.index("UpdateUserPool")
    # Refused, then a new read, then one update built from it: nothing resent blind.
    assert calls[first:] == [
        "UpdateUserPool",
        "DescribeUserPool",
        "UpdateUserPool",
        "DescribeUserPool",
    ]
    assert lambda_config(moto_url, pool_id) == {"PreSignUp": fn}


def _held_update(proxy: FaultProxy) -> List[Request]:
    return [r for r in proxy.log if r.operation == "UpdateUserPool" and r.action == "throttle"]


@pytest.mark.parametrize("round_", range(3))
def test_throttled_concurrent_attach_loses_nothing(
    moto_url: str, proxy: FaultProxy, round_: int
) -> None:
    """The issue's scenario: app 1's first update is held 2.5 s and throttled meanwhile app 2
    attaches and an admin changes the password policy; all three changes survive."""
    idp = client(moto_url, "cognito-idp")
    pool_id = idp.create_user_pool(PoolName=f"throttled-{round_}")["UserPool"]["Id"]
    app1 = {
        "PreSignUp": create_function(moto_url, f"app1-{round_}-pre-sign-up"),
        "PostConfirmation": create_function(moto_url, f"app1-{round_}-post-confirmation"),
    }
    app2 = {
        "PreAuthentication": create_function(moto_url, f"app2-{round_}-pre-auth"),
        "PostAuthentication": create_function(moto_url, f"app2-{round_}-post-auth"),
    }
    proxy.add(
        Rule(
            action="throttle",
            operation="UpdateUserPool",
            contains=app1["PreSignUp"].encode(),
            seconds=2.5,
            times=1,
        )
    )
    results: Dict[str, PoolResult] = {}
    errors: List[BaseException] = []

    def attach(app: str, triggers: Dict[str, str]) -> None:
        try:
            # The CLI's way: a botocore session, the default confirm delay (1 s).
            wiring = Wiring(AwsClients(SESSIONS["chalice-cli"]()))
            pool = wiring.resolve_pool(pool_id)
            results[app] = wiring.wire(
                pool, [wanted(t, arn) for t, arn in triggers.items()], Ownership()
            )
        except BaseException as error:  # reported by the test's thread
            errors.append(error)

    started = time.monotonic()
    first = threading.Thread(target=attach, args=("app1", app1))
    first.start()
    deadline = started + 30
    while not _held_update(proxy) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _held_update(proxy), "app 1 never sent its update"
    # An admin changes a setting while app 1's update is held (straight to moto).
    described = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    idp.update_user_pool(
        UserPoolId=pool_id,
        LambdaConfig=described.get("LambdaConfig") or {},
        Policies={"PasswordPolicy": {"MinimumLength": 17}},
    )
    time.sleep(max(0.0, started + 1.0 - time.monotonic()))
    second = threading.Thread(target=attach, args=("app2", app2))
    second.start()
    for thread in (first, second):
        thread.join(timeout=120)
    assert not errors, errors

    assert lambda_config(moto_url, pool_id) == {**app1, **app2}
    policy = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] == 17
    assert results["app1"].owned.slots == app1
    assert results["app2"].owned.slots == app2
    # The refused body was never sent again: app 1's next update was built anew.
    held = _held_update(proxy)[0]
    updates = [r for r in proxy.log if r.operation == "UpdateUserPool"]
    assert [r.body for r in updates].count(held.body) == 1
