"""UserMigration from the legacy store and InboundFederation attribute mapping."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any, Callable, Dict

import pytest

from chalice_cognito.testing import DELETE, Replace, sample_event

Invoke = Callable[[str, Dict[str, Any]], Dict[str, Any]]

LEGACY_USER = "legacy@example.com"
LEGACY_PASSWORD = "Legacy-Passw0rd!"  # documented demo credentials


def migration(source: str, user: str, password: Any = DELETE) -> Dict[str, Any]:
    return sample_event(source, user_name=user, request={"password": password})


def test_legacy_user_signs_in_and_is_migrated_confirmed_without_welcome(invoke: Invoke) -> None:
    response = invoke(
        "user_migration",
        migration("UserMigration_Authentication", "Legacy@Example.com ", LEGACY_PASSWORD),
    )["response"]
    assert response["userAttributes"] == {
        "email": "legacy@example.com",
        "email_verified": "true",
        "name": "Lee Gacy",
        "locale": "en",
    }
    assert response["finalUserStatus"] == "CONFIRMED"
    assert response["messageAction"] == "SUPPRESS"


@pytest.mark.parametrize(
    ("user", "password"),
    [
        (LEGACY_USER, "legacy-passw0rd!"),
        (LEGACY_USER, ""),
        (LEGACY_USER, DELETE),
        ("nobody@example.com", LEGACY_PASSWORD),
    ],
)
def test_wrong_password_or_unknown_user_is_refused_without_logging_the_password(
    invoke: Invoke, caplog: pytest.LogCaptureFixture, user: str, password: Any
) -> None:
    event = migration("UserMigration_Authentication", user, password)
    refused = pytest.raises(ValueError, match="Incorrect username or password")
    with caplog.at_level(logging.DEBUG), refused:
        invoke("user_migration", event)
    assert "Incorrect username or password" in caplog.text  # the failure is logged...
    assert LEGACY_PASSWORD not in caplog.text  # ...without the password
    if isinstance(password, str) and password:
        assert password not in caplog.text


def test_forgot_password_migrates_without_a_password(invoke: Invoke) -> None:
    event = migration("UserMigration_ForgotPassword", LEGACY_USER)
    assert "password" not in event["request"]
    response = invoke("user_migration", event)["response"]
    # A verified email lets Cognito send the reset code; Cognito sets RESET_REQUIRED.
    assert response["userAttributes"]["email_verified"] == "true"
    assert response["messageAction"] == "SUPPRESS"
    assert response["finalUserStatus"] is None


def test_forgot_password_for_an_unknown_user_is_refused(invoke: Invoke) -> None:
    with pytest.raises(ValueError, match="Incorrect username or password"):
        invoke("user_migration", migration("UserMigration_ForgotPassword", "nobody@example.com"))


def test_the_legacy_store_is_pluggable(invoke: Invoke, shop: SimpleNamespace) -> None:
    legacy = shop.legacy_users
    salt = "00112233445566778899aabbccddeeff"
    user = legacy.LegacyUser(
        "old.timer",
        salt,
        1000,
        legacy.hash_password("s3cret!", salt, 1000),
        {"email": "old@example.com"},
    )
    legacy.use_legacy_store(legacy.LegacyUserStore({"old.timer": user}))
    response = invoke(
        "user_migration", migration("UserMigration_Authentication", "old.timer", "s3cret!")
    )["response"]
    assert response["userAttributes"] == {"email": "old@example.com", "email_verified": "true"}
    with pytest.raises(ValueError):
        invoke(
            "user_migration",
            migration("UserMigration_Authentication", LEGACY_USER, LEGACY_PASSWORD),
        )


# -- InboundFederation -----------------------------------------------------------


def test_oidc_claims_are_mapped_to_a_complete_profile_without_tokens(invoke: Invoke) -> None:
    event = sample_event(
        "InboundFederation_ExternalProvider",
        request={
            "attributes": {
                "idToken": Replace(
                    {"sub": "12345", "email": "Jane.Doe@Example.COM", "email_verified": "true"}
                ),
                "userInfo": Replace(
                    {
                        "email": "other@example.com",
                        "given_name": "Jane",
                        "family_name": "Doe",
                        "locale": "fr",
                    }
                ),
            }
        },
    )
    result = invoke("inbound_federation", event)
    assert result["response"]["userAttributesToMap"] == {
        "email": "jane.doe@example.com",  # the ID token wins over UserInfo
        "email_verified": "true",
        "given_name": "Jane",
        "family_name": "Doe",
        "locale": "fr",
        "name": "Jane Doe",
    }
    assert result["request"] == event["request"]
    assert "EXAMPLE-access-token" not in str(result["response"])


def test_saml_assertion_attributes_are_mapped(invoke: Invoke) -> None:
    ns = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
    event = sample_event(
        "InboundFederation_ExternalProvider",
        user_name="ExampleSAML_jane.doe@example.com",
        request={
            "providerName": "ExampleSAML",
            "providerType": "SAML",
            "attributes": Replace(
                {
                    "samlResponse": {
                        f"{ns}emailaddress": "jane.doe@example.com",
                        f"{ns}givenname": "Jane",
                        f"{ns}surname": "Doe",
                        "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups": "eng",
                    }
                }
            ),
        },
    )
    mapped = invoke("inbound_federation", event)["response"]["userAttributesToMap"]
    assert mapped == {
        "email": "jane.doe@example.com",
        "given_name": "Jane",
        "family_name": "Doe",
        "name": "Jane Doe",
    }


def test_overlong_values_are_cut_to_cognitos_limit(invoke: Invoke) -> None:
    event = sample_event(
        "InboundFederation_ExternalProvider",
        request={"attributes": {"userInfo": {"picture": "https://x.test/" + "a" * 3000}}},
    )
    mapped = invoke("inbound_federation", event)["response"]["userAttributesToMap"]
    assert len(mapped["picture"]) == 2048
