"""The wiring engine against a real moto server: concurrent apps, retries, endpoint settings."""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional

import botocore.session
import pytest

from chalice_cognito.deploy.wiring import AwsClients, Ownership, PoolResult, WantedTrigger, Wiring

from .conftest import Clients, aws_error, client, create_function, policy_sids

pytestmark = pytest.mark.integration


def wanted(trigger: str, arn: str) -> WantedTrigger:
    return WantedTrigger(trigger, arn.split(":")[-1], arn)


def test_two_apps_attaching_at_once_both_end_up_attached(moto_url: str) -> None:
    pool_id = client(moto_url, "cognito-idp").create_user_pool(PoolName="shared")["UserPool"]["Id"]
    shop = create_function(moto_url, "shop-dev-pre_sign_up")
    admin = create_function(moto_url, "admin-dev-post_confirmation")
    # Both apps hold back their first UpdateUserPool until both have read the
    # pool, so each writes a copy without the other's trigger: the classic
    # lost update.  Only read-back verification and re-planning can win it.
    barrier = threading.Barrier(2, timeout=30)
    results: Dict[str, PoolResult] = {}
    errors: List[BaseException] = []

    def run(app: str, trigger: str, arn: str) -> None:
        clients = Clients(moto_url)
        first = [True]

        def hold() -> Optional[Any]:
            if first[0]:
                first[0] = False
                barrier.wait()
            return None

        clients.hooks["UpdateUserPool"] = hold
        wiring = Wiring(AwsClients(client_factory=clients.factory), confirm_delay=0.5)
        try:
            pool = wiring.resolve_pool(pool_id)
            results[app] = wiring.wire(pool, [wanted(trigger, arn)], Ownership())
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=("shop", "PreSignUp", shop)),
        threading.Thread(target=run, args=("admin", "PostConfirmation", admin)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    config = client(moto_url, "cognito-idp").describe_user_pool(UserPoolId=pool_id)["UserPool"][
        "LambdaConfig"
    ]
    assert config == {"PreSignUp": shop, "PostConfirmation": admin}
    # At least one app had to notice the other's overwrite and go again.
    assert max(r.attempts for r in results.values()) >= 2
    assert results["shop"].owned.slots == {"PreSignUp": shop}
    assert results["admin"].owned.slots == {"PostConfirmation": admin}
    assert len(policy_sids(moto_url, shop)) == 1
    assert len(policy_sids(moto_url, admin)) == 1


def test_concurrent_modification_is_retried(moto_url: str) -> None:
    pool_id = client(moto_url, "cognito-idp").create_user_pool(PoolName="busy")["UserPool"]["Id"]
    fn = create_function(moto_url, "busy-fn")
    clients = Clients(moto_url)
    failures = [
        aws_error(
            "ConcurrentModificationException",
            "Only one request to update this UserPool can be processed at a time",
        ),
        aws_error("TooManyRequestsException", "Rate exceeded"),
    ]
    clients.hooks["UpdateUserPool"] = lambda: failures.pop(0) if failures else None
    delays: List[float] = []
    wiring = Wiring(
        AwsClients(client_factory=clients.factory, sleep=delays.append), confirm_delay=0
    )
    wiring.wire(wiring.resolve_pool(pool_id), [wanted("PreSignUp", fn)], Ownership())
    assert clients.calls.count("UpdateUserPool") == 3
    assert len(delays) == 2 and all(d > 0 for d in delays)
    config = client(moto_url, "cognito-idp").describe_user_pool(UserPoolId=pool_id)["UserPool"][
        "LambdaConfig"
    ]
    assert config == {"PreSignUp": fn}


def test_standard_endpoint_variable_is_honoured(
    moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool_id = client(moto_url, "cognito-idp").create_user_pool(PoolName="env")["UserPool"]["Id"]
    fn = create_function(moto_url, "env-fn")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    wiring = Wiring(confirm_delay=0)  # a plain boto3 session: no factory, no endpoint argument
    result = wiring.wire(
        wiring.resolve_pool(pool_id), [wanted("PostAuthentication", fn)], Ownership()
    )
    assert result.changed
    assert policy_sids(moto_url, fn) == [f"chalice-cognito-{pool_id}"]


def test_a_botocore_session_serves_as_well(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # What Chalice's CLI factory makes: the engine needs no boto3 session around it.
    pool_id = client(moto_url, "cognito-idp").create_user_pool(PoolName="botocore")["UserPool"][
        "Id"
    ]
    fn = create_function(moto_url, "botocore-fn")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    session = botocore.session.get_session()
    session.set_config_variable("region", "us-east-1")
    wiring = Wiring(AwsClients(session), confirm_delay=0)
    assert wiring.aws.default_region == "us-east-1"
    result = wiring.wire(wiring.resolve_pool(pool_id), [wanted("PreSignUp", fn)], Ownership())
    assert result.owned.slots == {"PreSignUp": fn}
    assert policy_sids(moto_url, fn) == [f"chalice-cognito-{pool_id}"]
