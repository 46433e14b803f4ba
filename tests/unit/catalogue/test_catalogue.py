"""The trigger catalogue: the one table every other part derives from."""

from __future__ import annotations

import pytest

from chalice_cognito import catalogue
from chalice_cognito.catalogue import (
    BY_NAME,
    TRIGGERS,
    UnknownTriggerError,
    all_trigger_sources,
    check_version,
    get_trigger,
    trigger_for_source,
)

LAMBDA_CONFIG_TRIGGER_KEYS = {
    "PreSignUp",
    "PostConfirmation",
    "PreAuthentication",
    "PostAuthentication",
    "PreTokenGeneration",
    "CustomMessage",
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
    "UserMigration",
    "CustomEmailSender",
    "CustomSMSSender",
    "InboundFederation",
}


def test_the_thirteen_triggers_and_41_sources() -> None:
    assert {t.name for t in TRIGGERS} == LAMBDA_CONFIG_TRIGGER_KEYS
    sources = [s for _, s in all_trigger_sources()]
    assert len(sources) == 41
    assert len(set(sources)) == 41


def test_every_source_routes_back_to_its_trigger() -> None:
    for spec, source in all_trigger_sources():
        assert trigger_for_source(source) is spec


def test_sms_sender_source_prefix_is_matched_case_insensitively() -> None:
    # One AWS doc table spells CustomSmsSender_*; Cognito sends CustomSMSSender_*.
    assert trigger_for_source("CustomSmsSender_SignUp").name == "CustomSMSSender"


def test_a_new_source_under_a_known_trigger_is_routed() -> None:
    assert trigger_for_source("PreSignUp_SomethingAwsAddsLater").name == "PreSignUp"


def test_unknown_source_names_the_problem() -> None:
    with pytest.raises(UnknownTriggerError, match="PreSignUp_SignUp"):
        trigger_for_source("PreSignup2_SignUp")


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("PreSignup", "PreSignUp"),
        ("presignup", "PreSignUp"),
        ("CustomSmsSender", "CustomSMSSender"),
        ("PreTokenGen", "PreTokenGeneration"),
    ],
)
def test_unknown_trigger_suggests(typo: str, suggestion: str) -> None:
    with pytest.raises(UnknownTriggerError, match=f"Did you mean '{suggestion}'"):
        get_trigger(typo)


def test_versions() -> None:
    token = BY_NAME["PreTokenGeneration"]
    assert check_version(token, None) == "V1_0"
    assert check_version(token, "V3_0") == "V3_0"
    with pytest.raises(ValueError, match="Did you mean 'V2_0'"):
        check_version(token, "v2_0")
    with pytest.raises(ValueError, match="takes no version"):
        check_version(BY_NAME["PreSignUp"], "V1_0")
    # senders and inbound federation are V1_0 objects: only V1_0 is accepted
    assert check_version(BY_NAME["CustomEmailSender"], None) == "V1_0"
    assert check_version(BY_NAME["CustomEmailSender"], "V1_0") == "V1_0"
    with pytest.raises(ValueError, match="V1_0"):
        check_version(BY_NAME["CustomEmailSender"], "V2_0")


def test_client_credentials_only_from_v3() -> None:
    token = BY_NAME["PreTokenGeneration"]
    assert "TokenGeneration_ClientCredentials" not in token.sources_for("V2_0")
    assert "TokenGeneration_ClientCredentials" in token.sources_for("V3_0")
    assert len(token.sources_for("V1_0")) == 5


def test_lambda_config_shapes() -> None:
    versioned = {t.name for t in TRIGGERS if t.versioned}
    assert versioned == {
        "PreTokenGeneration",
        "CustomEmailSender",
        "CustomSMSSender",
        "InboundFederation",
    }
    assert {t.name for t in TRIGGERS if t.requires_kms} == {"CustomEmailSender", "CustomSMSSender"}
    assert BY_NAME["PreTokenGeneration"].config_key == "PreTokenGenerationConfig"
    assert BY_NAME["PreTokenGeneration"].legacy_key == "PreTokenGeneration"


def test_config_keys_exist_in_botocore_lambda_config() -> None:
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("cognito-idp")
    members = set(model.shape_for("LambdaConfigType").members)
    keys = {t.config_key for t in TRIGGERS} | {t.legacy_key for t in TRIGGERS if t.legacy_key}
    assert keys | {catalogue.KMS_KEY_CONFIG_KEY} == members


def test_secret_fields_are_dotted_request_or_response_paths() -> None:
    for spec in TRIGGERS:
        for path in spec.secret_fields:
            assert path.split(".")[0] in {"request", "response"}, (spec.name, path)
    assert "request.password" in BY_NAME["UserMigration"].secret_fields
