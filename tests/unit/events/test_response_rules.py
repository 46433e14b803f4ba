"""Each Cognito response rule: the broken response is reported, the valid one is not."""

from __future__ import annotations

from typing import Any, Callable, Dict, List

import pytest

from chalice_cognito.events import parse_event
from chalice_cognito.events.base import CognitoEvent

Loader = Callable[[str], Dict[str, Any]]


def _with_response(load_event: Loader, name: str, **response: Any) -> CognitoEvent:
    raw = load_event(name)
    raw.setdefault("response", {}).update(response)
    return parse_event(raw)


def _fields(event: CognitoEvent) -> List[str]:
    return [v.field for v in event.response_violations()]


# -- pre sign-up ---------------------------------------------------------------


def test_auto_verify_needs_the_attribute(load_event: Loader) -> None:
    raw = load_event("PreSignUp_SignUp")
    del raw["request"]["userAttributes"]["phone_number"]
    raw["response"].update(autoVerifyEmail=True, autoVerifyPhone=True)
    assert _fields(parse_event(raw)) == ["response.autoVerifyPhone"]


# -- define / create auth challenge --------------------------------------------


@pytest.mark.parametrize(
    ("issue", "fail", "expected"),
    [
        (True, True, ["response.issueTokens"]),
        (True, False, []),
        (False, True, []),
        (None, None, []),
    ],
)
def test_define_auth_issue_and_fail_exclusive(
    load_event: Loader, issue: Any, fail: Any, expected: List[str]
) -> None:
    event = _with_response(
        load_event,
        "DefineAuthChallenge_Authentication",
        issueTokens=issue,
        failAuthentication=fail,
    )
    assert _fields(event) == expected


def test_create_auth_challenge_parameters_must_be_strings(load_event: Loader) -> None:
    bad = _with_response(
        load_event,
        "CreateAuthChallenge_Authentication",
        publicChallengeParameters={"question": "2+3?", "max": 5},
        privateChallengeParameters={"answer": 5},
        challengeMetadata="CAPTCHA",
    )
    violations = bad.response_violations()
    assert [v.field for v in violations] == [
        "response.publicChallengeParameters",
        "response.privateChallengeParameters",
    ]
    assert "max" in violations[0].rule and "answer" in violations[1].rule
    good = _with_response(
        load_event,
        "CreateAuthChallenge_Authentication",
        publicChallengeParameters={"question": "2+3?"},
        privateChallengeParameters={"answer": "5"},
    )
    assert _fields(good) == []


# -- pre token generation V1 ---------------------------------------------------


def _v1(load_event: Loader, details: Dict[str, Any]) -> CognitoEvent:
    return _with_response(
        load_event, "TokenGeneration_Authentication", claimsOverrideDetails=details
    )


def test_v1_claim_values_must_be_strings(load_event: Loader) -> None:
    bad = _v1(load_event, {"claimsToAddOrOverride": {"tier": "gold", "level": 3}})
    violations = bad.response_violations()
    assert [v.field for v in violations] == ["response.claimsOverrideDetails.claimsToAddOrOverride"]
    assert "level" in violations[0].rule and "tier" not in violations[0].rule
    assert _fields(_v1(load_event, {"claimsToAddOrOverride": {"tier": "gold"}})) == []


@pytest.mark.parametrize("claim", ["sub", "iss", "cognito:username", "auth_time", "aud", "nonce"])
def test_v1_protected_claims(load_event: Loader, claim: str) -> None:
    add = _v1(load_event, {"claimsToAddOrOverride": {claim: "x"}})
    assert _fields(add) == ["response.claimsOverrideDetails.claimsToAddOrOverride"]
    suppress = _v1(load_event, {"claimsToSuppress": [claim]})
    assert _fields(suppress) == ["response.claimsOverrideDetails.claimsToSuppress"]


def test_v1_groups_and_ordinary_claims_are_allowed(load_event: Loader) -> None:
    event = _v1(
        load_event,
        {
            "claimsToAddOrOverride": {"cognito:groups": "admins", "username": "jane"},
            "claimsToSuppress": ["email", "cognito:groups"],
            "groupOverrideDetails": {"groupsToOverride": ["admins"]},
        },
    )
    assert _fields(event) == []


# -- pre token generation V2 / V3 ----------------------------------------------


def _v2(load_event: Loader, details: Dict[str, Any]) -> CognitoEvent:
    return _with_response(
        load_event, "TokenGeneration_Authentication.v2", claimsAndScopeOverrideDetails=details
    )


ID_ADD = "response.claimsAndScopeOverrideDetails.idTokenGeneration.claimsToAddOrOverride"
ID_SUPPRESS = "response.claimsAndScopeOverrideDetails.idTokenGeneration.claimsToSuppress"
ACCESS = "response.claimsAndScopeOverrideDetails.accessTokenGeneration"


def test_v2_any_json_claims_are_allowed(load_event: Loader) -> None:
    claims = {"tenant": {"id": 1, "tags": ["a"]}, "n": 2, "ok": True, "list": [1, "a"]}
    event = _v2(
        load_event,
        {
            "idTokenGeneration": {"claimsToAddOrOverride": claims, "claimsToSuppress": ["email"]},
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {**claims, "aud": "1example23456789"},
                "scopesToAdd": ["orders/read", "openid"],
                "scopesToSuppress": ["aws.cognito.signin.user.admin"],
            },
        },
    )
    assert _fields(event) == []


@pytest.mark.parametrize(
    "claim", ["email_verified", "phone_number_verified", "updated_at", "address"]
)
@pytest.mark.parametrize("value", [{"a": "b"}, ["x"]])
def test_v2_id_token_simple_claims_reject_complex_values(
    load_event: Loader, claim: str, value: Any
) -> None:
    bad = _v2(load_event, {"idTokenGeneration": {"claimsToAddOrOverride": {claim: value}}})
    assert _fields(bad) == [ID_ADD]
    fine = _v2(load_event, {"idTokenGeneration": {"claimsToAddOrOverride": {claim: "true"}}})
    assert _fields(fine) == []
    # The rule is ID-token only: the access token takes objects for these names.
    access = _v2(load_event, {"accessTokenGeneration": {"claimsToAddOrOverride": {claim: value}}})
    assert _fields(access) == []


@pytest.mark.parametrize("claim", ["acr", "amr", "exp", "jti", "token_use", "cognito:roles"])
def test_v2_protected_claims_in_both_tokens(load_event: Loader, claim: str) -> None:
    event = _v2(
        load_event,
        {
            "idTokenGeneration": {"claimsToSuppress": [claim]},
            "accessTokenGeneration": {"claimsToAddOrOverride": {claim: "x"}},
        },
    )
    assert _fields(event) == [ID_SUPPRESS, f"{ACCESS}.claimsToAddOrOverride"]


def test_v2_username_is_protected_in_the_access_token_only(load_event: Loader) -> None:
    event = _v2(
        load_event,
        {
            "idTokenGeneration": {"claimsToAddOrOverride": {"username": "jane"}},
            "accessTokenGeneration": {"claimsToSuppress": ["username"]},
        },
    )
    assert _fields(event) == [f"{ACCESS}.claimsToSuppress"]


def test_v2_aud_rules(load_event: Loader) -> None:
    id_aud = _v2(load_event, {"idTokenGeneration": {"claimsToAddOrOverride": {"aud": "x"}}})
    assert _fields(id_aud) == [ID_ADD]
    other = _v2(load_event, {"accessTokenGeneration": {"claimsToAddOrOverride": {"aud": "x"}}})
    assert _fields(other) == [f"{ACCESS}.claimsToAddOrOverride"]


def test_v2_dev_attributes_can_only_be_suppressed(load_event: Loader) -> None:
    add = _v2(load_event, {"idTokenGeneration": {"claimsToAddOrOverride": {"dev:x": "1"}}})
    assert _fields(add) == [ID_ADD]
    suppress = _v2(load_event, {"idTokenGeneration": {"claimsToSuppress": ["dev:x"]}})
    assert _fields(suppress) == []


@pytest.mark.parametrize(
    "scope", ["orders read", "", "x" * 257, 'quote"d', "back\\slash", "tab\there"]
)
@pytest.mark.parametrize("key", ["scopesToAdd", "scopesToSuppress"])
def test_v2_invalid_scopes(load_event: Loader, scope: str, key: str) -> None:
    event = _v2(load_event, {"accessTokenGeneration": {key: ["ok/scope", scope]}})
    assert _fields(event) == [f"{ACCESS}.{key}"]


def test_v2_longest_valid_scope(load_event: Loader) -> None:
    event = _v2(load_event, {"accessTokenGeneration": {"scopesToAdd": ["x" * 256, "a:b/c~!"]}})
    assert _fields(event) == []


# -- custom message -------------------------------------------------------------


def test_custom_message_valid(load_event: Loader) -> None:
    event = _with_response(
        load_event,
        "CustomMessage_SignUp",
        smsMessage="Your code is {####}",
        emailMessage="<p>Code: {####}</p>",
        emailSubject="Welcome",
    )
    assert _fields(event) == []


def test_custom_message_lengths(load_event: Loader) -> None:
    event = _with_response(
        load_event,
        "CustomMessage_SignUp",
        smsMessage="{####}" + "x" * 135,
        emailMessage="{####}" + "x" * 19995,
        emailSubject="s" * 141,
    )
    assert _fields(event) == [
        "response.smsMessage",
        "response.emailMessage",
        "response.emailSubject",
    ]
    at_limit = _with_response(
        load_event,
        "CustomMessage_SignUp",
        smsMessage="{####}" + "x" * 134,
        emailMessage="{####}" + "x" * 19994,
        emailSubject="s" * 140,
    )
    assert _fields(at_limit) == []


def test_custom_message_needs_the_code_placeholder(load_event: Loader) -> None:
    event = _with_response(
        load_event, "CustomMessage_SignUp", smsMessage="Hello", emailMessage="Hello"
    )
    assert _fields(event) == ["response.smsMessage", "response.emailMessage"]
    # The rule quotes the literal placeholder the pool sent, so the fix is obvious.
    rules = [v.rule for v in event.response_violations()]
    assert rules[0] == "must contain the code placeholder {####} (request.codeParameter)"
    assert "{####}" in rules[1] and "{##Click Here##}" in rules[1]


def test_custom_message_link_placeholder_counts_for_email_only(load_event: Loader) -> None:
    event = _with_response(
        load_event,
        "CustomMessage_SignUp",
        emailMessage="Confirm: {##Click Here##}",
        smsMessage="Confirm: {##Click Here##}",
    )
    assert _fields(event) == ["response.smsMessage"]


def test_admin_create_user_message_needs_username_too(load_event: Loader) -> None:
    bad = _with_response(
        load_event, "CustomMessage_AdminCreateUser", emailMessage="Password {####}"
    )
    violations = bad.response_violations()
    assert [v.field for v in violations] == ["response.emailMessage"]
    assert violations[0].rule == (
        "must contain the username placeholder {username} (request.usernameParameter) "
        "for AdminCreateUser"
    )
    good = _with_response(
        load_event,
        "CustomMessage_AdminCreateUser",
        emailMessage="User {username} password {####}",
        smsMessage="{username} / {####}",
    )
    assert _fields(good) == []


def test_custom_message_empty_strings_keep_the_pool_template(load_event: Loader) -> None:
    assert _fields(parse_event(load_event("cognito-local.CustomMessage_SignUp"))) == []


# -- user migration ---------------------------------------------------------------

MIGRATED = {"email": "jane.doe@example.com", "email_verified": "true"}


def test_migration_untouched_response_means_user_not_found(load_event: Loader) -> None:
    assert _fields(parse_event(load_event("UserMigration_Authentication"))) == []


def test_migration_response_without_user_attributes(load_event: Loader) -> None:
    event = _with_response(load_event, "UserMigration_Authentication", finalUserStatus="CONFIRMED")
    assert _fields(event) == ["response.userAttributes"]
    empty = _with_response(
        load_event, "UserMigration_Authentication", userAttributes={}, messageAction="SUPPRESS"
    )
    assert _fields(empty) == ["response.userAttributes"]


def test_migration_valid_response(load_event: Loader) -> None:
    event = _with_response(
        load_event,
        "UserMigration_ForgotPassword",
        userAttributes={**MIGRATED, "phone_number": "+12065551212"},
        finalUserStatus="RESET_REQUIRED",
        messageAction="RESEND",
        desiredDeliveryMediums=["EMAIL", "SMS"],
        forceAliasCreation=False,
        enableSMSMFA=True,
    )
    assert _fields(event) == []


def test_migration_enum_rules(load_event: Loader) -> None:
    event = _with_response(
        load_event,
        "UserMigration_Authentication",
        userAttributes=MIGRATED,
        finalUserStatus="ACTIVE",
        messageAction="DROP",
        desiredDeliveryMediums=["EMAIL", "PIGEON"],
        enableSMSMFA=True,
    )
    assert _fields(event) == [
        "response.finalUserStatus",
        "response.messageAction",
        "response.desiredDeliveryMediums",
        "response.enableSMSMFA",
    ]


# -- inbound federation -----------------------------------------------------------


def test_federation_attribute_length(load_event: Loader) -> None:
    bad = _with_response(
        load_event,
        "InboundFederation_ExternalProvider",
        userAttributesToMap={"email": "a@example.com", "custom:blob": "x" * 2049},
    )
    violations = bad.response_violations()
    assert [v.field for v in violations] == ["response.userAttributesToMap"]
    assert "custom:blob" in violations[0].rule and "email" not in violations[0].rule
    good = _with_response(
        load_event,
        "InboundFederation_ExternalProvider",
        userAttributesToMap={"custom:blob": "x" * 2048},
    )
    assert _fields(good) == []


def test_federation_values_changed_in_place_must_stay_strings(load_event: Loader) -> None:
    event = parse_event(load_event("InboundFederation_ExternalProvider"))
    mapped = event.response.user_attributes_to_map  # type: ignore[attr-defined]
    mapped["custom:n"] = 7  # in-place: no assignment validation
    assert _fields(event) == ["response.userAttributesToMap"]


def test_v2_claim_values_must_be_json(load_event: Loader) -> None:
    import datetime

    bad = _v2(
        load_event,
        {
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {
                    "when": datetime.date(2026, 1, 1),
                    "nested": {"tags": [{1, 2}]},
                    "fine": {"a": [1, "b", None, 2.5, True]},
                }
            }
        },
    )
    violations = bad.response_violations()
    assert [v.field for v in violations] == [f"{ACCESS}.claimsToAddOrOverride"]
    assert "nested, when" in violations[0].rule and "fine" not in violations[0].rule


def test_v1_non_string_claim_is_reported_once(load_event: Loader) -> None:
    import datetime

    event = _v1(load_event, {"claimsToAddOrOverride": {"when": datetime.date(2026, 1, 1)}})
    assert len(event.response_violations()) == 1


# -- response flags are JSON booleans ------------------------------------------------

#: (event fixture, snake_case flag) for every boolean a handler may set.
FLAGS = [
    ("PreSignUp_SignUp", "auto_confirm_user"),
    ("PreSignUp_SignUp", "auto_verify_email"),
    ("PreSignUp_SignUp", "auto_verify_phone"),
    ("DefineAuthChallenge_Authentication", "issue_tokens"),
    ("DefineAuthChallenge_Authentication", "fail_authentication"),
    ("VerifyAuthChallengeResponse_Authentication", "answer_correct"),
    ("UserMigration_Authentication", "force_alias_creation"),
    ("UserMigration_Authentication", "enable_sms_mfa"),
]


@pytest.mark.parametrize(("name", "flag"), FLAGS)
@pytest.mark.parametrize("value", ["yes", "true", 1, 0, 1.0])
def test_response_flags_refuse_anything_but_a_boolean(
    load_event: Loader, name: str, flag: str, value: Any
) -> None:
    """Cognito reads JSON true/false; a lax bool would turn "yes" or 1 into True silently."""
    from pydantic import ValidationError

    event = parse_event(load_event(name))
    with pytest.raises(ValidationError, match="valid boolean"):
        setattr(event.response, flag, value)
    for ok in (True, False, None):
        setattr(event.response, flag, ok)
        assert getattr(event.response, flag) is ok


@pytest.mark.parametrize(
    "returned", [{"autoConfirmUser": "yes"}, {"auto_confirm_user": 1}, {"autoConfirmUser": "true"}]
)
def test_a_returned_dict_with_a_non_boolean_flag_is_a_clear_error(
    load_event: Loader, returned: Dict[str, Any]
) -> None:
    from chalice_cognito.catalogue import BY_NAME
    from chalice_cognito.dispatch import TriggerDispatcher, TriggerError

    dispatcher = TriggerDispatcher(lambda event: returned, BY_NAME["PreSignUp"])
    with pytest.raises(TriggerError) as info:
        dispatcher(load_event("PreSignUp_SignUp"))
    assert str(info.value).endswith(
        "must be JSON true or false (Cognito accepts no string or number here)"
    )
    assert "PreSignUp (PreSignUp_SignUp): invalid value: " in str(info.value)
