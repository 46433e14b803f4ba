"""Retry classification and backoff of the AWS plumbing (no calls made)."""

from __future__ import annotations

import threading
from typing import Any, List, Tuple

import boto3.session
import botocore.session
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from chalice.cli.factory import create_botocore_session

from chalice_cognito.deploy.aws import NO_SDK_RETRIES, AwsClients, _snake, is_retryable


def error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "UpdateUserPool")


def test_retryable_errors() -> None:
    assert is_retryable(error("ConcurrentModificationException"))
    assert is_retryable(error("TooManyRequestsException"))
    assert is_retryable(error("ThrottlingException"))
    assert is_retryable(
        error(
            "InvalidParameterException",
            "Only one request to update this UserPool can be processed at a time",
        )
    )
    assert is_retryable(error("ResourceConflictException", "An update is in progress for x"))
    assert not is_retryable(error("ResourceConflictException", "The statement id already exists"))
    assert not is_retryable(error("InvalidParameterException", "bad value"))
    assert not is_retryable(error("AccessDeniedException"))


def test_server_failures_and_lost_connections_are_retryable() -> None:
    # The SDK's retries are off, so these reach the engine: it retries them itself.
    failure = ClientError(
        {"Error": {"Code": "InternalFailure"}, "ResponseMetadata": {"HTTPStatusCode": 503}},
        "DescribeUserPool",
    )
    assert is_retryable(failure)
    assert is_retryable(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert is_retryable(ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"))
    assert is_retryable(ReadTimeoutError(endpoint_url="http://127.0.0.1:1"))
    assert not is_retryable(ValueError("not an AWS error"))
    refused = ClientError(
        {
            "Error": {"Code": "InvalidParameterException"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "UpdateUserPool",
    )
    assert not is_retryable(refused)


# -- no SDK-level retries ----------------------------------------------------------


@pytest.mark.parametrize(
    "session",
    [
        pytest.param(lambda: boto3.session.Session(region_name="us-east-1"), id="boto3"),
        pytest.param(botocore.session.get_session, id="botocore"),
        # What Chalice's CLI factory makes (``--max-retries``): a default client
        # config asking for retries, which the engine's config must override.
        pytest.param(lambda: create_botocore_session(max_retries=7), id="chalice-cli"),
    ],
)
@pytest.mark.parametrize("service", ["cognito-idp", "lambda"])
def test_clients_made_from_a_session_never_retry_in_the_sdk(session: Any, service: str) -> None:
    clients = AwsClients(session(), region="us-east-1")
    client = clients.client(service, "us-east-1")
    # One attempt per call: a retry is the engine's decision (rebuilt from a new read).
    assert client.meta.config.retries == {"total_max_attempts": 1, "mode": "standard"}
    assert NO_SDK_RETRIES.retries == client.meta.config.retries


def test_the_sdk_retry_mode_from_the_environment_does_not_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "adaptive" adds a client-side rate limiter that holds requests back.
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "10")
    client = AwsClients(boto3.session.Session(), region="us-east-1").client("lambda", "us-east-1")
    assert client.meta.config.retries == {"total_max_attempts": 1, "mode": "standard"}


def test_backoff_grows_and_is_capped() -> None:
    clients = AwsClients(region="us-east-1", base_delay=0.25, max_delay=2.0)
    assert 0.125 <= clients.backoff(1) <= 0.25
    assert 1.0 <= clients.backoff(4) <= 2.0
    assert 1.0 <= clients.backoff(20) <= 2.0


def test_operation_names_map_to_client_methods() -> None:
    assert _snake("UpdateUserPool") == "update_user_pool"
    assert _snake("GetPolicy") == "get_policy"
    assert _snake("ListUserPools") == "list_user_pools"


# -- batches of independent calls ------------------------------------------------


def test_map_overlaps_calls_and_keeps_input_order() -> None:
    clients = AwsClients(region="us-east-1", max_workers=3)
    # Each call waits until all three are in flight: only concurrent calls pass.
    barrier = threading.Barrier(3, timeout=30)

    def call(item: int) -> int:
        barrier.wait()
        return item * 10

    assert clients.map(call, [3, 1, 2]) == [30, 10, 20]


def test_map_finishes_every_call_before_raising_the_first_error() -> None:
    clients = AwsClients(region="us-east-1", max_workers=4)
    done: List[int] = []
    lock = threading.Lock()

    def call(item: int) -> int:
        if item in (1, 2):
            raise ValueError(f"failed {item}")
        with lock:
            done.append(item)
        return item

    with pytest.raises(ValueError, match="failed 1"):
        clients.map(call, [0, 1, 2, 3])
    assert sorted(done) == [0, 3]


def test_map_with_one_worker_is_sequential() -> None:
    clients = AwsClients(region="us-east-1", max_workers=1)
    threads: List[str] = []
    clients.map(lambda _item: threads.append(threading.current_thread().name), [1, 2, 3])
    assert threads == [threading.main_thread().name] * 3


def test_clients_are_created_once_per_service_and_region_across_threads() -> None:
    made: List[Tuple[str, str]] = []
    barrier = threading.Barrier(4, timeout=30)

    def factory(service: str, region: str) -> object:
        made.append((service, region))
        return object()

    clients = AwsClients(client_factory=factory, max_workers=4)

    def call(_item: int) -> object:
        barrier.wait()  # all four ask for the client at once
        return clients.client("lambda", "us-east-1")

    assert len(set(map(id, clients.map(call, range(4))))) == 1
    assert made == [("lambda", "us-east-1")]
