"""The dispatcher with real event models: whole-event echo, handler return forms, no secret leaks."""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict

import pytest
from chalice.test import Client

from chalice_cognito import Chalice
from chalice_cognito.catalogue import get_trigger
from chalice_cognito.dispatch import ResponseValidationError, TriggerDispatcher, TriggerError
from chalice_cognito.events.signup import PreSignUpEvent, PreSignUpResponse
from chalice_cognito.events.token import PreTokenGenerationV2Response

Loader = Callable[[str], Dict[str, Any]]


def _dispatch(trigger: str, handler: Callable[..., Any], raw: Dict[str, Any]) -> Dict[str, Any]:
    return TriggerDispatcher(handler, get_trigger(trigger))(raw, None)


def _expected(raw: Dict[str, Any], **response: Any) -> Dict[str, Any]:
    out = {**raw, "response": {**raw.get("response", {}), **response}}
    return out


def test_handler_returning_none_sends_the_mutated_event(load_event: Loader) -> None:
    raw = load_event("PreSignUp_SignUp")
    raw["request"]["futureField"] = {"x": 1}

    def handler(event: PreSignUpEvent) -> None:
        event.response.auto_confirm_user = True

    assert _dispatch("PreSignUp", handler, raw) == _expected(raw, autoConfirmUser=True)


def test_handler_returning_the_event_and_taking_a_context(load_event: Loader) -> None:
    raw = load_event("PreSignUp_SignUp")
    seen = []

    def handler(event: PreSignUpEvent, context: Any) -> PreSignUpEvent:
        seen.append(context)
        event.response.auto_verify_email = True
        return event

    assert _dispatch("PreSignUp", handler, raw) == _expected(raw, autoVerifyEmail=True)
    assert seen == [None]


def test_handler_returning_a_response_model_keeps_prepopulated_keys(load_event: Loader) -> None:
    raw = load_event("PreSignUp_SignUp")
    out = _dispatch("PreSignUp", lambda event: PreSignUpResponse(auto_confirm_user=True), raw)
    assert out == _expected(raw, autoConfirmUser=True)


@pytest.mark.parametrize("key", ["auto_confirm_user", "autoConfirmUser"])
def test_handler_returning_a_dict_of_response_fields(load_event: Loader, key: str) -> None:
    raw = load_event("PreSignUp_SignUp")
    assert _dispatch("PreSignUp", lambda event: {key: True}, raw) == _expected(
        raw, autoConfirmUser=True
    )


def test_handler_returning_nested_snake_case_dict(load_event: Loader) -> None:
    raw = load_event("TokenGeneration_Authentication.v2")

    def handler(event: Any) -> Dict[str, Any]:
        return {
            "claims_and_scope_override_details": {
                "access_token_generation": {"scopes_to_add": ["orders/read"]}
            }
        }

    out = _dispatch("PreTokenGeneration", handler, raw)
    assert out["response"] == {
        "claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"scopesToAdd": ["orders/read"]}}
    }
    assert {k: v for k, v in out.items() if k != "response"} == {
        k: v for k, v in raw.items() if k != "response"
    }


def test_handler_returning_a_v2_response_model(load_event: Loader) -> None:
    raw = load_event("TokenGeneration_Authentication.v2")
    response = PreTokenGenerationV2Response.model_validate(
        {"claimsAndScopeOverrideDetails": {"idTokenGeneration": {"claimsToSuppress": ["email"]}}}
    )
    out = _dispatch("PreTokenGeneration", lambda event: response, raw)
    assert out == _expected(
        raw, claimsAndScopeOverrideDetails={"idTokenGeneration": {"claimsToSuppress": ["email"]}}
    )


def test_handler_returning_a_whole_event_dict(load_event: Loader) -> None:
    raw = load_event("VerifyAuthChallengeResponse_Authentication")

    def handler(event: Any) -> Dict[str, Any]:
        out: Dict[str, Any] = event.to_dict()
        out["response"]["answerCorrect"] = True
        return out

    assert _dispatch("VerifyAuthChallengeResponse", handler, raw) == _expected(
        raw, answerCorrect=True
    )


def test_handler_returning_something_else_fails(load_event: Loader) -> None:
    with pytest.raises(TriggerError, match="returned str"):
        _dispatch("PreSignUp", lambda event: "ok", load_event("PreSignUp_SignUp"))


def test_violation_fails_the_invocation(load_event: Loader) -> None:
    def handler(event: Any) -> None:
        event.response.issue_tokens = True
        event.response.fail_authentication = True

    with pytest.raises(ResponseValidationError) as info:
        _dispatch("DefineAuthChallenge", handler, load_event("DefineAuthChallenge_Authentication"))
    assert "response.issueTokens" in str(info.value)
    assert "DefineAuthChallenge" in str(info.value)


def test_every_family_echoes_through_the_dispatcher(
    load_event: Loader, data_event_name: str
) -> None:
    raw = load_event(data_event_name)
    from chalice_cognito.catalogue import trigger_for_source

    trigger = trigger_for_source(raw["triggerSource"]).name
    assert _dispatch(trigger, lambda event: None, raw) == raw


def test_chalice_test_client_invokes_a_trigger(load_event: Loader) -> None:
    app = Chalice(app_name="events-unit")

    @app.cognito_trigger("CreateAuthChallenge")
    def create(event: Any) -> None:
        event.response.public_challenge_parameters = {"question": "2+3?"}
        event.response.private_challenge_parameters = {"answer": "5"}

    raw = load_event("CreateAuthChallenge_Authentication")
    with Client(app) as client:
        result = client.lambda_.invoke("create", raw)
    assert result.payload == _expected(
        raw,
        publicChallengeParameters={"question": "2+3?"},
        privateChallengeParameters={"answer": "5"},
    )


# -- secrets never leak ----------------------------------------------------------


def _failure_text(
    trigger: str,
    handler: Callable[..., Any],
    raw: Dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> str:
    caplog.set_level(logging.ERROR, logger="chalice_cognito")
    with pytest.raises(Exception) as info:
        _dispatch(trigger, handler, raw)
    return str(info.value) + "\n" + caplog.text


def test_pydantic_error_never_shows_the_migration_password(
    load_event: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    raw = load_event("UserMigration_Authentication")
    password = raw["request"]["password"]

    def handler(event: Any) -> None:
        event.response.desired_delivery_mediums = event.request.password  # a str, not a list

    text = _failure_text("UserMigration", handler, raw, caplog)
    assert "response.desiredDeliveryMediums" in text or "desired_delivery_mediums" in text
    assert password not in text


def test_pydantic_error_in_a_returned_dict_never_shows_the_challenge_answer(
    load_event: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    raw = load_event("VerifyAuthChallengeResponse_Authentication")
    raw["request"]["challengeAnswer"] = "horse-battery-staple"
    text = _failure_text(
        "VerifyAuthChallengeResponse",
        lambda event: {"answer_correct": event.request.challenge_answer},
        raw,
        caplog,
    )
    assert "answerCorrect" in text or "answer_correct" in text
    assert "horse-battery-staple" not in text


def test_pydantic_error_never_shows_the_sender_code(
    load_event: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    raw = load_event("CustomSMSSender_SignUp")
    code = raw["request"]["code"]

    def handler(event: Any) -> None:
        event.request.user_attributes = event.request.code  # a str, not a map

    text = _failure_text("CustomSMSSender", handler, raw, caplog)
    assert code not in text and code[:20] not in text


def test_violation_messages_never_show_private_answers_or_message_text(
    load_event: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    raw = load_event("CreateAuthChallenge_Authentication")

    def create(event: Any) -> None:
        event.response.private_challenge_parameters = {"answer": 918273}

    text = _failure_text("CreateAuthChallenge", create, raw, caplog)
    assert "privateChallengeParameters" in text and "918273" not in text

    caplog.clear()
    raw = load_event("CustomMessage_AdminCreateUser")

    def message(event: Any) -> None:
        event.response.email_message = "Your password is hunter2"

    text = _failure_text("CustomMessage", message, raw, caplog)
    assert "emailMessage" in text
    assert "hunter2" not in text
    # The placeholders are not secrets (Cognito fills them in after the trigger):
    # the rule names them literally, so the user sees what to put in the message.
    assert "must contain the code placeholder {####}" in text
    assert "must contain the username placeholder {username}" in text


def test_log_line_scrubs_a_secret_the_handler_put_in_its_exception(
    load_event: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    raw = load_event("VerifyAuthChallengeResponse_Authentication")
    raw["request"]["challengeAnswer"] = "correct-horse"

    def handler(event: Any) -> None:
        raise ValueError(f"bad answer {event.request.challenge_answer}")

    caplog.set_level(logging.ERROR, logger="chalice_cognito")
    with pytest.raises(ValueError):
        _dispatch("VerifyAuthChallengeResponse", handler, raw)
    assert "bad answer ***" in caplog.text and "correct-horse" not in caplog.text


@pytest.mark.parametrize("flag", ["enable_sms_mfa", "enableSMSMFA"])
def test_dict_with_odd_alias_in_snake_or_wire_form(load_event: Loader, flag: str) -> None:
    raw = load_event("UserMigration_Authentication")
    attrs = {"email": "jane.doe@example.com", "phone_number": "+12065551212"}
    out = _dispatch(
        "UserMigration",
        lambda event: {"user_attributes": attrs, "finalUserStatus": "CONFIRMED", flag: True},
        raw,
    )
    assert out == _expected(
        raw, userAttributes=attrs, finalUserStatus="CONFIRMED", enableSMSMFA=True
    )


def test_a_failure_is_logged_once_with_trigger_and_source(
    load_event: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    raw = load_event("VerifyAuthChallengeResponse_Authentication")

    def handler(event: Any) -> None:
        raise ValueError("refused")

    caplog.set_level(logging.DEBUG, logger="chalice_cognito")
    dispatcher = TriggerDispatcher(handler, get_trigger("VerifyAuthChallengeResponse"))
    with pytest.raises(ValueError, match="refused"):
        dispatcher(raw)
    records = [r for r in caplog.records if r.name.startswith("chalice_cognito")]
    assert len(records) == 1
    line = records[0].getMessage()
    assert "VerifyAuthChallengeResponse (VerifyAuthChallengeResponse_Authentication)" in line
    assert "ValueError: refused" in line


def test_a_pydantic_error_names_the_trigger_and_one_problem_per_field(
    load_event: Loader,
) -> None:
    raw = load_event("InboundFederation_ExternalProvider")

    def handler(event: Any) -> None:
        event.response.user_attributes_to_map = {"email": ["not", "a", "string"]}

    dispatcher = TriggerDispatcher(handler, get_trigger("InboundFederation"))
    with pytest.raises(TriggerError) as info:
        dispatcher(raw)
    assert str(info.value) == (
        "InboundFederation (InboundFederation_ExternalProvider): invalid value: "
        "user_attributes_to_map.email: Input should be a valid string"
    )


def test_log_line_scrubs_inbound_federation_tokens(
    load_event: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    raw = load_event("InboundFederation_ExternalProvider")
    token = raw["request"]["attributes"]["tokenResponse"]["access_token"]

    def handler(event: Any) -> None:
        raise ValueError(f"provider rejected {token}")

    caplog.set_level(logging.ERROR, logger="chalice_cognito")
    with pytest.raises(ValueError):
        TriggerDispatcher(handler, get_trigger("InboundFederation"))(raw)
    assert "provider rejected ***" in caplog.text and token not in caplog.text


@pytest.mark.parametrize("typo", ["autoconfirmUser", "auto_confirm_usr"])
def test_a_returned_dict_with_a_near_miss_key_is_refused(load_event: Loader, typo: str) -> None:
    raw = load_event("PreSignUp_SignUp")
    dispatcher = TriggerDispatcher(lambda event: {typo: True}, get_trigger("PreSignUp"))
    with pytest.raises(
        TriggerError, match="Did you mean 'autoConfirmUser'|Did you mean 'auto_confirm_user'"
    ):
        dispatcher(raw)


def test_a_returned_dict_may_add_a_key_unlike_any_field(load_event: Loader) -> None:
    raw = load_event("PreSignUp_SignUp")
    out = TriggerDispatcher(lambda event: {"fieldAwsAddsLater": 1}, get_trigger("PreSignUp"))(raw)
    assert out["response"]["fieldAwsAddsLater"] == 1


def test_another_triggers_event_is_refused_every_time(load_event: Loader) -> None:
    from chalice_cognito.dispatch import TriggerMismatchError

    dispatcher = TriggerDispatcher(lambda event: None, get_trigger("PreSignUp"))
    token_event = load_event("TokenGeneration_Authentication.v2")
    for _ in range(2):
        with pytest.raises(TriggerMismatchError, match="belongs to PreTokenGeneration"):
            dispatcher(dict(token_event))
    raw = load_event("PreSignUp_SignUp")
    assert dispatcher(dict(raw)) == raw


def test_a_short_secret_is_scrubbed_where_it_stands_alone_only() -> None:
    from chalice_cognito.dispatch import scrub

    text = "expected 5, got 4: at most 140 characters (answer=5)"
    assert scrub(text, ["5"]) == "expected ***, got 4: at most 140 characters (answer=***)"
    assert scrub("caller_context", ["x"]) == "caller_context"
    assert scrub("pw 'a\\\\b' and \"a\\\\b\"", ["a\\b"]) == "pw '***' and \"***\""
    assert scrub('{"p": "\\u00e9t\\u00e9"}', ["été"]) == '{"p": "***"}'


def test_marked_secrets_belong_to_one_invocation(load_event: Loader) -> None:
    from chalice_cognito.secrets import mark_secret, take_marked

    def handler(event: Any) -> None:
        mark_secret("derived-in-handler")

    TriggerDispatcher(handler, get_trigger("PreSignUp"))(load_event("PreSignUp_SignUp"))
    assert take_marked() == []  # taken (and forgotten) when the invocation ended
    mark_secret("outside")
    assert take_marked() == ["outside"] and take_marked() == []


def test_a_value_the_handler_marks_is_scrubbed_like_an_event_secret(
    load_event: Loader, caplog: pytest.LogCaptureFixture
) -> None:
    from chalice_cognito.secrets import mark_secret

    def handler(event: Any) -> None:
        token = "derived-session-token-42"
        mark_secret(token)
        raise ValueError(f"upstream refused {token}")

    caplog.set_level(logging.ERROR, logger="chalice_cognito")
    with pytest.raises(ValueError) as info:
        _dispatch("PreSignUp", handler, load_event("PreSignUp_SignUp"))
    assert str(info.value) == "upstream refused ***"
    assert "derived-session-token-42" not in caplog.text and "upstream refused ***" in caplog.text
