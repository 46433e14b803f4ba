"""Every event parses to its trigger's model and echoes back exactly."""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict

import pytest

from chalice_cognito.catalogue import trigger_for_source
from chalice_cognito.events import EventParseError, parse_event
from chalice_cognito.events.challenge import DefineAuthChallengeEvent
from chalice_cognito.events.sender import CustomEmailSenderEvent
from chalice_cognito.events.token import PreTokenGenerationV1Event, PreTokenGenerationV2Event

Loader = Callable[[str], Dict[str, Any]]


def test_every_data_event_parses_and_echoes(load_event: Loader, data_event_name: str) -> None:
    raw = load_event(data_event_name)
    event = parse_event(raw)
    assert event.trigger == trigger_for_source(raw["triggerSource"]).name
    assert event.to_dict() == raw
    assert event.response_violations() == []


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("TokenGeneration_Authentication", PreTokenGenerationV1Event),
        ("TokenGeneration_Authentication.v2", PreTokenGenerationV2Event),
        ("TokenGeneration_ClientCredentials.v3", PreTokenGenerationV2Event),
        ("cognito-local.TokenGeneration_Authentication", PreTokenGenerationV1Event),
    ],
)
def test_token_model_follows_event_version(load_event: Loader, name: str, model: type) -> None:
    assert type(parse_event(load_event(name))) is model


def test_unknown_fields_echo_at_every_level(load_event: Loader) -> None:
    raw = load_event("DefineAuthChallenge_Authentication")
    raw["newTopLevel"] = {"nested": [1, 2]}
    raw["callerContext"]["newContext"] = "x"
    raw["request"]["newRequestField"] = None
    raw["request"]["session"][0]["newSessionField"] = True
    raw["response"]["newResponseField"] = "keep"
    event = parse_event(raw)
    event.response.issue_tokens = True
    out = event.to_dict()
    expected = copy.deepcopy(raw)
    expected["response"]["issueTokens"] = True
    assert out == expected


def test_unknown_fields_inside_v2_override_details_echo(load_event: Loader) -> None:
    raw = load_event("TokenGeneration_Authentication.v2")
    raw["response"]["claimsAndScopeOverrideDetails"] = {
        "idTokenGeneration": {"claimsToAddOrOverride": {"a": {"b": [1]}}, "futureKey": 1},
        "accessTokenGeneration": {"scopesToAdd": ["x/y"]},
        "groupOverrideDetails": None,
    }
    event = parse_event(raw)
    assert isinstance(event, PreTokenGenerationV2Event)
    assert event.to_dict() == raw


def test_absent_keys_stay_absent_and_nulls_stay_null() -> None:
    raw = {
        "version": "1",
        "triggerSource": "PreAuthentication_Authentication",
        "userName": None,
        "request": {"userAttributes": {"email": "a@example.com"}, "validationData": None},
    }
    out = parse_event(raw).to_dict()
    assert out == raw
    assert "response" not in out and "region" not in out and "callerContext" not in out


def test_response_absent_is_added_only_when_the_handler_sets_it() -> None:
    raw = {
        "version": "1",
        "triggerSource": "DefineAuthChallenge_Authentication",
        "request": {"userAttributes": {}, "session": []},
    }
    event = parse_event(raw)
    assert event.to_dict() == raw
    assert isinstance(event, DefineAuthChallengeEvent)
    event.response.fail_authentication = True
    assert event.to_dict()["response"] == {"failAuthentication": True}


def test_json_booleans_and_numbers_in_attributes_become_cognito_strings() -> None:
    raw = {
        "version": 1,
        "triggerSource": "PreSignUp_SignUp",
        "request": {"userAttributes": {"email_verified": True, "custom:age": 42}},
    }
    event = parse_event(raw)
    assert event.version == "1"
    assert event.to_dict()["request"]["userAttributes"] == {
        "email_verified": "true",
        "custom:age": "42",
    }


def test_session_entries_with_null_or_unknown_challenge_names(load_event: Loader) -> None:
    raw = load_event("DefineAuthChallenge_Authentication")
    raw["request"]["session"] = [
        {"challengeName": None, "challengeResult": True, "challengeMetadata": None},
        {"challengeName": "PASSKEY_FUTURE", "challengeResult": False, "challengeMetadata": None},
    ]
    event = parse_event(raw)
    assert isinstance(event, DefineAuthChallengeEvent)
    assert event.request.session[0].challenge_name is None
    assert event.last_challenge is not None
    assert event.last_challenge.challenge_name == "PASSKEY_FUTURE"
    assert event.to_dict() == raw


def test_ato_notification_with_null_code_and_metadata_and_no_response(load_event: Loader) -> None:
    raw = load_event("CustomEmailSender_AccountTakeOverNotification")
    assert "response" not in raw
    event = parse_event(raw)
    assert isinstance(event, CustomEmailSenderEvent)
    assert event.request.code is None and event.request.client_metadata is None
    assert event.to_dict() == raw


def test_cognito_local_events_keep_version_zero_and_null_client(load_event: Loader) -> None:
    event = parse_event(load_event("cognito-local.PostAuthentication_Authentication"))
    assert event.version == "0" and event.region == "local"
    assert event.caller_context.client_id is None


def test_parse_error_names_fields_not_values() -> None:
    raw = {
        "triggerSource": "UserMigration_Authentication",
        "request": {"password": ["Sup3r-Secret-Pw"], "validationData": "nope"},
    }
    with pytest.raises(EventParseError) as info:
        parse_event(raw)
    text = str(info.value)
    assert "request.password" in text and "request.validationData" in text
    assert "Sup3r-Secret-Pw" not in text


def test_assignment_is_validated(load_event: Loader) -> None:
    event = parse_event(load_event("VerifyAuthChallengeResponse_Authentication"))
    with pytest.raises(ValueError):
        event.response.answer_correct = "maybe"  # type: ignore[attr-defined]


def test_token_nested_objects_are_nullable(load_event: Loader) -> None:
    raw = load_event("TokenGeneration_Authentication.v2")
    raw["request"]["groupConfiguration"] = None
    raw["request"]["scopes"] = None
    raw["response"]["claimsAndScopeOverrideDetails"] = {
        "idTokenGeneration": None,
        "accessTokenGeneration": {"claimsToAddOrOverride": None, "scopesToAdd": None},
        "groupOverrideDetails": None,
    }
    event = parse_event(raw)
    assert event.to_dict() == raw
    assert event.response_violations() == []
