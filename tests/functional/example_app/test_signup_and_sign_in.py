"""Sign-up and sign-in handlers: domain allowlist, customers group, suspension, audit log."""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Dict

import boto3
import pytest

from chalice_cognito.testing import DELETE, sample_event

Invoke = Callable[[str, Dict[str, Any]], Dict[str, Any]]


def sign_up(email: str, source: str = "PreSignUp_SignUp") -> Dict[str, Any]:
    return sample_event(source, request={"userAttributes": {"email": email}})


# -- PreSignUp ------------------------------------------------------------------


def test_allowed_domain_is_auto_confirmed_without_verifying_the_email(invoke: Invoke) -> None:
    result = invoke("pre_sign_up", sign_up("Jane.Doe@Example.COM"))
    assert result["response"]["autoConfirmUser"] is True
    # The domain says who may join, not that this person owns the address.
    assert result["response"]["autoVerifyEmail"] is False


@pytest.mark.parametrize("email", ["eve@evil.test", "eve@sub.example.com", "eve@example.com.evil"])
def test_other_domains_are_refused_with_a_message_for_the_user(invoke: Invoke, email: str) -> None:
    with pytest.raises(ValueError, match="^Sign-ups are limited to example.com$"):
        invoke("pre_sign_up", sign_up(email))


def test_allowed_domains_come_from_the_environment(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOWED_SIGNUP_DOMAINS", "shop.test, @example.org")
    assert invoke("pre_sign_up", sign_up("a@example.org"))["response"]["autoConfirmUser"] is True
    assert invoke("pre_sign_up", sign_up("a@shop.test"))["response"]["autoConfirmUser"] is True
    with pytest.raises(ValueError, match="limited to example.org, shop.test"):
        invoke("pre_sign_up", sign_up("a@example.com"))


def test_sign_up_without_email_is_refused(invoke: Invoke) -> None:
    event = sample_event("PreSignUp_SignUp", request={"userAttributes": {"email": DELETE}})
    assert "email" not in event["request"]["userAttributes"]
    with pytest.raises(ValueError, match="email address is required"):
        invoke("pre_sign_up", event)


def test_federated_sign_ups_are_checked_too(invoke: Invoke) -> None:
    with pytest.raises(ValueError, match="limited to"):
        invoke("pre_sign_up", sign_up("eve@gmail.test", "PreSignUp_ExternalProvider"))


def test_admin_created_users_skip_the_domain_check(invoke: Invoke) -> None:
    result = invoke("pre_sign_up", sign_up("contractor@partner.test", "PreSignUp_AdminCreateUser"))
    assert result["response"]["autoConfirmUser"] is False  # untouched


# -- PostConfirmation (moto cognito-idp) -------------------------------------------


@pytest.fixture
def pool(aws: None) -> Dict[str, str]:
    idp = boto3.client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName="shop")["UserPool"]["Id"]
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username="jane",
        UserAttributes=[{"Name": "email", "Value": "jane@example.com"}],
        MessageAction="SUPPRESS",
    )
    for group in ("customers", "vip"):
        idp.create_group(UserPoolId=pool_id, GroupName=group)
    return {"id": pool_id, "user": "jane"}


def groups_of(pool: Dict[str, str]) -> list[str]:
    idp = boto3.client("cognito-idp")
    found = idp.admin_list_groups_for_user(UserPoolId=pool["id"], Username=pool["user"])
    return [g["GroupName"] for g in found["Groups"]]


def confirmation(pool: Dict[str, str], source: str) -> Dict[str, Any]:
    return sample_event(source, user_pool_id=pool["id"], user_name=pool["user"])


def test_confirmed_user_joins_the_customers_group(invoke: Invoke, pool: Dict[str, str]) -> None:
    assert groups_of(pool) == []
    invoke("post_confirmation", confirmation(pool, "PostConfirmation_ConfirmSignUp"))
    assert groups_of(pool) == ["customers"]


def test_group_name_comes_from_the_environment(
    invoke: Invoke, pool: Dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTOMER_GROUP", "vip")
    invoke("post_confirmation", confirmation(pool, "PostConfirmation_ConfirmSignUp"))
    assert groups_of(pool) == ["vip"]


def test_password_reset_confirmation_adds_no_group(invoke: Invoke, pool: Dict[str, str]) -> None:
    invoke("post_confirmation", confirmation(pool, "PostConfirmation_ConfirmForgotPassword"))
    assert groups_of(pool) == []


def test_missing_group_fails_the_confirmation(
    invoke: Invoke, pool: Dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTOMER_GROUP", "no-such-group")
    with pytest.raises(Exception, match="ResourceNotFound|not found"):
        invoke("post_confirmation", confirmation(pool, "PostConfirmation_ConfirmSignUp"))


# -- PreAuthentication ---------------------------------------------------------------


def sign_in(**attributes: str) -> Dict[str, Any]:
    return sample_event(
        "PreAuthentication_Authentication",
        user_name="jane.doe",
        request={"userAttributes": attributes},
    )


def test_active_user_may_sign_in(invoke: Invoke) -> None:
    assert invoke("pre_authentication", sign_in(**{"custom:status": "active"}))["response"] == {}


def test_suspended_status_attribute_refuses_the_sign_in(invoke: Invoke) -> None:
    with pytest.raises(ValueError, match="account is suspended"):
        invoke("pre_authentication", sign_in(**{"custom:status": "Suspended"}))


@pytest.mark.parametrize("listed", ["JANE.DOE", "jane.doe@example.com"])
def test_users_listed_in_the_environment_are_refused(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, listed: str
) -> None:
    monkeypatch.setenv("SUSPENDED_USERS", f"someone@else.test,{listed}")
    with pytest.raises(ValueError, match="account is suspended"):
        invoke("pre_authentication", sign_in())
    monkeypatch.setenv("SUSPENDED_USERS", "someone@else.test")
    invoke("pre_authentication", sign_in())


# -- PostAuthentication --------------------------------------------------------------


def test_sign_in_is_audited_as_one_json_line_without_secrets_or_contact_details(
    invoke: Invoke, caplog: pytest.LogCaptureFixture
) -> None:
    event = sample_event(
        "PostAuthentication_Authentication",
        request={"newDeviceUsed": True, "clientMetadata": {"otp": "SECRET-123456"}},
    )
    with caplog.at_level(logging.INFO, logger="shop.audit"):
        result = invoke("post_authentication", event)
    assert result == event
    lines = [r.getMessage() for r in caplog.records if r.name == "shop.audit"]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record == {
        "audit": "sign_in",
        "trigger_source": "PostAuthentication_Authentication",
        "user_pool_id": "us-east-1_EXAMPLE",
        "user_sub": event["request"]["userAttributes"]["sub"],
        "client_id": "1example23456789",
        "new_device_used": True,
    }
    for private in ("SECRET-123456", "jane.doe@example.com", "+12065551212"):
        assert private not in caplog.text
