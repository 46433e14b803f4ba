"""The per-invocation shortcuts keep the validated behaviour they replace.

Assignments of values a field's validator would return unchanged skip the
validator, and the token helpers attach models they built without a second
validation.  Everything else must still be validated exactly as before.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import pytest
from pydantic import ConfigDict, Field, ValidationError, field_validator

from chalice_cognito.catalogue import BY_NAME
from chalice_cognito.dispatch import TriggerDispatcher
from chalice_cognito.events import parse_event
from chalice_cognito.events.base import CognitoModel
from chalice_cognito.events.signup import PreSignUpEvent
from chalice_cognito.events.token import PreTokenGenerationV1Event, PreTokenGenerationV2Event

Loader = Callable[[str], Dict[str, Any]]


def _presignup(load_event: Loader) -> PreSignUpEvent:
    event = parse_event(load_event("PreSignUp_SignUp"))
    assert isinstance(event, PreSignUpEvent)
    return event


def _v2(load_event: Loader) -> PreTokenGenerationV2Event:
    event = parse_event(load_event("TokenGeneration_Authentication.v2"))
    assert isinstance(event, PreTokenGenerationV2Event)
    return event


def test_exact_value_is_stored_marked_set_and_echoed(load_event: Loader) -> None:
    raw = load_event("PreSignUp_SignUp")
    del raw["response"]
    event = parse_event(raw)
    assert isinstance(event, PreSignUpEvent)
    event.response.auto_verify_email = True
    assert event.response.auto_verify_email is True
    assert "auto_verify_email" in event.response.model_fields_set
    assert event.to_dict()["response"] == {"autoVerifyEmail": True}


def test_other_values_still_go_through_the_validator(load_event: Loader) -> None:
    event = _presignup(load_event)
    with pytest.raises(ValidationError):
        event.response.auto_confirm_user = "maybe"  # type: ignore[assignment]
    with pytest.raises(ValidationError):
        event.user_name = 5  # type: ignore[assignment]
    # Lax coercion happens only in the validator: a bool field stores a bool.
    event.response.auto_confirm_user = 1  # type: ignore[assignment]
    assert event.response.auto_confirm_user is True
    event.response.auto_confirm_user = None
    assert event.response.auto_confirm_user is None


def test_unknown_names_keep_pydantic_semantics(load_event: Loader) -> None:
    event = _presignup(load_event)
    event.response.new_aws_flag = True
    assert event.response.to_dict()["new_aws_flag"] is True


class _Checked(CognitoModel):
    flag: Optional[bool] = None

    @field_validator("flag")
    @classmethod
    def _no_false(cls, value: Optional[bool]) -> Optional[bool]:
        if value is False:
            raise ValueError("flag cannot be false")
        return value


class _Constrained(CognitoModel):
    code: Optional[str] = Field(default=None, max_length=3)
    name: Optional[str] = None


class _Stripped(CognitoModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: Optional[str] = None


def test_models_with_validators_or_constraints_are_never_shortcut() -> None:
    stripped = _Stripped()
    stripped.name = "  padded  "
    assert stripped.name == "padded"
    checked = _Checked()
    with pytest.raises(ValidationError):
        checked.flag = False
    constrained = _Constrained()
    with pytest.raises(ValidationError):
        constrained.code = "toolong"
    constrained.name = "ok"
    assert constrained.to_dict() == {"name": "ok"}


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


def test_model_cache_never_lets_another_triggers_event_through(load_event: Loader) -> None:
    from chalice_cognito.dispatch import TriggerMismatchError

    def handler(event: PreSignUpEvent) -> None:
        event.response.auto_confirm_user = True

    dispatcher = TriggerDispatcher(handler, BY_NAME["PreSignUp"])
    token_event = load_event("TokenGeneration_Authentication.v2")
    for _ in range(2):  # the second call must not find a cached model for the source
        with pytest.raises(TriggerMismatchError, match="belongs to PreTokenGeneration"):
            dispatcher(dict(token_event))
    raw = load_event("PreSignUp_SignUp")
    for _ in range(2):  # first call caches the model; the second uses it
        assert dispatcher(dict(raw))["response"]["autoConfirmUser"] is True
    assert list(dispatcher._models) == [("PreSignUp_SignUp", raw.get("version"))]


@pytest.mark.parametrize("value", [None, ["secret-list"], {"secret": "map"}, b"secret-bytes"])
def test_wire_strings_refuse_non_scalars_without_echoing_them(value: Any) -> None:
    from chalice_cognito.events import EventParseError

    raw = {
        "version": "1",
        "triggerSource": "PreSignUp_SignUp",
        "request": {"userAttributes": {"custom:x": value}},
    }
    with pytest.raises(EventParseError) as info:
        parse_event(raw)
    message = str(info.value)
    # one entry per field: the union branches of a wire string are not listed one by one
    assert message.endswith("request.userAttributes.custom:x: Input should be a valid string")
    assert "secret" not in message


def test_wire_strings_keep_strings_and_coerce_scalars() -> None:
    raw = {
        "version": 3,
        "triggerSource": "PreSignUp_SignUp",
        "request": {"userAttributes": {"a": "s", "b": False, "c": 2.5, "d": 10**20}},
    }
    event = parse_event(raw)
    assert event.version == "3"
    assert event.to_dict()["request"]["userAttributes"] == {
        "a": "s",
        "b": "false",
        "c": "2.5",
        "d": "100000000000000000000",
    }
