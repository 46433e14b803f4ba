"""CustomMessage (localized texts with Cognito's placeholders) and PreTokenGeneration (V2 and V1)."""

from __future__ import annotations

from typing import Any, Callable, Dict

import pytest

from chalice_cognito.catalogue import BY_NAME
from chalice_cognito.testing import sample_event

Invoke = Callable[[str, Dict[str, Any]], Dict[str, Any]]

MESSAGE_SOURCES = BY_NAME["CustomMessage"].trigger_sources


def message_event(source: str, locale: str | None = None) -> Dict[str, Any]:
    attributes = {"locale": locale} if locale else {}
    return sample_event(source, request={"userAttributes": attributes})


@pytest.mark.parametrize("source", MESSAGE_SOURCES)
@pytest.mark.parametrize("locale", [None, "fr", "de-DE"])
def test_every_message_carries_the_placeholders_and_fits_an_sms(
    invoke: Invoke, source: str, locale: str | None
) -> None:
    event = message_event(source, locale)
    response = invoke("custom_message", event)["response"]
    code = event["request"]["codeParameter"]
    for text in (response["smsMessage"], response["emailMessage"]):
        assert code in text
        if source == "CustomMessage_AdminCreateUser":
            assert event["request"]["usernameParameter"] in text
    assert len(response["smsMessage"]) <= 140
    assert response["emailSubject"]


@pytest.mark.parametrize(
    ("locale", "subject"),
    [
        ("fr", "Votre code de vérification Shop"),
        ("fr_CA", "Votre code de vérification Shop"),
        ("de", "Ihr Shop-Bestätigungscode"),
        ("EN-gb", "Your Shop verification code"),
        ("pt-BR", "Your Shop verification code"),  # unsupported: English
        (None, "Your Shop verification code"),
    ],
)
def test_language_comes_from_the_locale_attribute(
    invoke: Invoke, locale: str | None, subject: str
) -> None:
    response = invoke("custom_message", message_event("CustomMessage_SignUp", locale))["response"]
    assert response["emailSubject"] == subject


def test_invitation_names_the_username_and_temporary_password(invoke: Invoke) -> None:
    response = invoke("custom_message", message_event("CustomMessage_AdminCreateUser", "de"))[
        "response"
    ]
    assert response["emailMessage"] == (
        "Melden Sie sich bei Shop als {username} mit dem temporären Passwort {####} an."
    )


def test_email_can_be_left_to_the_pool_template(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTOM_EMAIL_MESSAGES", "false")
    response = invoke("custom_message", message_event("CustomMessage_ForgotPassword", "fr"))[
        "response"
    ]
    assert response["emailMessage"] is None and response["emailSubject"] is None
    assert response["smsMessage"] == "Votre code de réinitialisation Shop est {####}"


# -- PreTokenGeneration ------------------------------------------------------------


def test_v2_event_gets_the_tier_claim_in_both_tokens_and_the_orders_scope(invoke: Invoke) -> None:
    event = sample_event(
        "TokenGeneration_Authentication",
        version="V2_0",
        request={"userAttributes": {"custom:tier": "gold"}},
    )
    assert event["version"] == "2"
    result = invoke("pre_token_generation", event)
    assert result["response"] == {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {"claimsToAddOrOverride": {"shop:tier": "gold"}},
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"shop:tier": "gold"},
                "scopesToAdd": ["shop/orders.read"],
            },
        }
    }
    # Everything but the response is echoed unchanged.
    assert {k: v for k, v in result.items() if k != "response"} == {
        k: v for k, v in event.items() if k != "response"
    }


@pytest.mark.parametrize("source", BY_NAME["PreTokenGeneration"].sources_for("V2_0"))
def test_every_v2_source_keeps_the_users_groups(invoke: Invoke, source: str) -> None:
    event = sample_event(source, version="V2_0")
    details = invoke("pre_token_generation", event)["response"]["claimsAndScopeOverrideDetails"]
    # groupOverrideDetails would *replace* cognito:groups; leaving it out keeps them.
    assert "groupOverrideDetails" not in details
    assert details["idTokenGeneration"]["claimsToAddOrOverride"] == {"shop:tier": "standard"}


@pytest.mark.parametrize("version", ["1", "0"])
def test_v1_shaped_events_get_the_id_token_claim_only(invoke: Invoke, version: str) -> None:
    # "1": a pool still wired with V1_0; "0": the cognito-local emulator.
    event = sample_event("TokenGeneration_Authentication")
    event["version"] = version
    result = invoke("pre_token_generation", event)
    assert result["version"] == version
    assert result["response"] == {
        "claimsOverrideDetails": {"claimsToAddOrOverride": {"shop:tier": "standard"}}
    }


def test_the_cognito_local_event_shape_is_served(invoke: Invoke) -> None:
    # As cognito-local 5.3.0 sends it: version "0", region "local", empty
    # groupConfiguration and claimsOverrideDetails objects.
    event: Dict[str, Any] = {
        "version": "0",
        "callerContext": {"awsSdkVersion": "5.3.0", "clientId": "bmyexamplelocalclient00"},
        "region": "local",
        "userPoolId": "local_5uB3Nzsq",
        "triggerSource": "TokenGeneration_Authentication",
        "userName": "jane.doe",
        "request": {
            "userAttributes": {"sub": "a1b2c3d4", "custom:tier": "silver"},
            "groupConfiguration": {},
        },
        "response": {"claimsOverrideDetails": {}},
    }
    result = invoke("pre_token_generation", event)
    assert result["request"] == event["request"]
    assert result["response"] == {
        "claimsOverrideDetails": {"claimsToAddOrOverride": {"shop:tier": "silver"}}
    }
