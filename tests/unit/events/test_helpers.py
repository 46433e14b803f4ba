"""The typed helpers: token override builders, last challenge, the ATO view."""

from __future__ import annotations

from typing import Any, Callable, Dict

import pytest
from pydantic import ValidationError

from chalice_cognito.catalogue import BY_NAME
from chalice_cognito.dispatch import TriggerDispatcher
from chalice_cognito.events import parse_event
from chalice_cognito.events.challenge import CreateAuthChallengeEvent, DefineAuthChallengeEvent
from chalice_cognito.events.sender import (
    AccountTakeoverNotification,
    CustomEmailSenderEvent,
    CustomSMSSenderEvent,
)
from chalice_cognito.events.token import PreTokenGenerationV1Event, PreTokenGenerationV2Event

Loader = Callable[[str], Dict[str, Any]]


def _v2(load_event: Loader) -> PreTokenGenerationV2Event:
    event = parse_event(load_event("TokenGeneration_Authentication.v2"))
    assert isinstance(event, PreTokenGenerationV2Event)
    return event


def test_v2_helpers_build_the_override_details_from_null(load_event: Loader) -> None:
    event = _v2(load_event)
    assert event.response.claims_and_scope_override_details is None
    event.add_id_token_claims({"tenant": "a"})
    event.add_id_token_claims({"roles": ["x", "y"]})
    event.add_access_token_claims({"tenant": {"id": 1}})
    event.add_scopes("orders/read", "orders/write")
    event.add_scopes("orders/read")
    event.suppress_scopes("aws.cognito.signin.user.admin")
    event.suppress_claims("email")
    event.suppress_claims("phone_number", id_token=False)
    event.override_groups(["admins"], ["arn:aws:iam::123456789012:role/admin"])
    assert event.to_dict()["response"] == {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": "a", "roles": ["x", "y"]},
                "claimsToSuppress": ["email"],
            },
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": {"id": 1}},
                "scopesToAdd": ["orders/read", "orders/write"],
                "scopesToSuppress": ["aws.cognito.signin.user.admin"],
                "claimsToSuppress": ["email", "phone_number"],
            },
            "groupOverrideDetails": {
                "groupsToOverride": ["admins"],
                "iamRolesToOverride": ["arn:aws:iam::123456789012:role/admin"],
                "preferredRole": None,
            },
        }
    }
    assert event.response_violations() == []


def test_v2_helpers_keep_what_the_event_already_had(load_event: Loader) -> None:
    raw = load_event("TokenGeneration_Authentication.v2")
    raw["response"]["claimsAndScopeOverrideDetails"] = {
        "accessTokenGeneration": {"scopesToAdd": ["a/b"], "claimsToAddOrOverride": None}
    }
    event = parse_event(raw)
    assert isinstance(event, PreTokenGenerationV2Event)
    event.add_scopes("c/d")
    details = event.to_dict()["response"]["claimsAndScopeOverrideDetails"]
    assert details == {
        "accessTokenGeneration": {"scopesToAdd": ["a/b", "c/d"], "claimsToAddOrOverride": None}
    }


def test_v2_helpers_output_is_checked_by_the_rules(load_event: Loader) -> None:
    event = _v2(load_event)
    event.add_scopes("has space")
    event.add_access_token_claims({"sub": "other"})
    assert len(event.response_violations()) == 2


def test_v1_helpers(load_event: Loader) -> None:
    event = parse_event(load_event("TokenGeneration_Authentication"))
    assert isinstance(event, PreTokenGenerationV1Event)
    event.add_claims({"tier": "gold"})
    event.suppress_claims("email")
    event.override_groups([])
    assert event.to_dict()["response"] == {
        "claimsOverrideDetails": {
            "claimsToAddOrOverride": {"tier": "gold"},
            "claimsToSuppress": ["email"],
            "groupOverrideDetails": {
                "groupsToOverride": [],
                "iamRolesToOverride": [],
                "preferredRole": None,
            },
        }
    }


def test_last_challenge(load_event: Loader) -> None:
    define = parse_event(load_event("DefineAuthChallenge_Authentication"))
    assert isinstance(define, DefineAuthChallengeEvent)
    last = define.last_challenge
    assert last is not None
    assert (last.challenge_name, last.challenge_result, last.challenge_metadata) == (
        "CUSTOM_CHALLENGE",
        True,
        "CAPTCHA_CHALLENGE",
    )
    first = parse_event(load_event("DefineAuthChallenge_Authentication.empty-session"))
    assert isinstance(first, DefineAuthChallengeEvent)
    assert first.last_challenge is None
    create = parse_event(load_event("CreateAuthChallenge_Authentication"))
    assert isinstance(create, CreateAuthChallengeEvent)
    assert create.last_challenge is not None
    assert create.last_challenge.challenge_name == "PASSWORD_VERIFIER"


def test_account_takeover_view(load_event: Loader) -> None:
    event = parse_event(load_event("CustomEmailSender_AccountTakeOverNotification"))
    assert isinstance(event, CustomEmailSenderEvent)
    assert event.is_account_takeover_notification
    ato = event.account_takeover
    assert isinstance(ato, AccountTakeoverNotification)
    assert ato.account_take_over_action == "BLOCK"
    assert ato.ip_address == "192.0.2.1"
    assert ato.city == "Seattle" and ato.country is None


def test_no_account_takeover_view_for_code_messages(load_event: Loader) -> None:
    email = parse_event(load_event("CustomEmailSender_SignUp"))
    assert isinstance(email, CustomEmailSenderEvent)
    assert not email.is_account_takeover_notification and email.account_takeover is None
    sms = parse_event(load_event("CustomSMSSender_SignUp"))
    assert isinstance(sms, CustomSMSSenderEvent)
    assert not sms.is_account_takeover_notification


def test_helpers_validate_what_is_not_a_plain_string(load_event: Loader) -> None:
    event = _v2(load_event)
    with pytest.raises(ValidationError):
        event.add_access_token_claims({1: "x"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError):
        event.add_scopes(5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        event.suppress_claims(None)  # type: ignore[arg-type]
    v1 = parse_event(load_event("TokenGeneration_Authentication"))
    assert isinstance(v1, PreTokenGenerationV1Event)
    with pytest.raises(ValidationError):
        v1.add_claims({("a", "b"): "x"})  # type: ignore[dict-item]


def test_helper_built_models_are_full_models(load_event: Loader) -> None:
    event = _v2(load_event)
    event.add_id_token_claims({"tenant": "a"})
    details = event.response.claims_and_scope_override_details
    assert details is not None and details.id_token_generation is not None
    # Only what the helper filled is echoed; the sibling generation stays absent.
    assert details.access_token_generation is None
    assert event.to_dict()["response"] == {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {"claimsToAddOrOverride": {"tenant": "a"}}
        }
    }
    # The attached models still validate later assignments.
    with pytest.raises(ValidationError):
        details.id_token_generation.claims_to_suppress = "email"  # type: ignore[assignment]


def test_dispatcher_echo_of_a_v2_helper_response(load_event: Loader) -> None:
    def handler(event: PreTokenGenerationV2Event) -> None:
        event.add_access_token_claims({"tenant": "acme"})
        event.add_scopes("shop/read")

    raw = load_event("TokenGeneration_Authentication.v2")
    out = TriggerDispatcher(handler, BY_NAME["PreTokenGeneration"])(dict(raw))
    assert out == {
        **raw,
        "response": {
            "claimsAndScopeOverrideDetails": {
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {"tenant": "acme"},
                    "scopesToAdd": ["shop/read"],
                }
            }
        },
    }
