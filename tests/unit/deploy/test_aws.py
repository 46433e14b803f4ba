"""Retry classification and backoff of the AWS plumbing (no calls made)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from chalice_cognito.deploy.aws import AwsClients, _snake, is_retryable


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


def test_backoff_grows_and_is_capped() -> None:
    clients = AwsClients(region="us-east-1", base_delay=0.25, max_delay=2.0)
    assert 0.125 <= clients.backoff(1) <= 0.25
    assert 1.0 <= clients.backoff(4) <= 2.0
    assert 1.0 <= clients.backoff(20) <= 2.0


def test_operation_names_map_to_client_methods() -> None:
    assert _snake("UpdateUserPool") == "update_user_pool"
    assert _snake("GetPolicy") == "get_policy"
    assert _snake("ListUserPools") == "list_user_pools"
