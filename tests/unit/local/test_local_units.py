"""Pure parts of the local-development area: names, error payloads, cognito-local config."""

from __future__ import annotations

import os

import pytest

from chalice_cognito.app import TriggerRegistration
from chalice_cognito.catalogue import TRIGGERS
from chalice_cognito.local.cognito_local import (
    DUMMY_CREDENTIALS,
    build_config,
    select_triggers,
)
from chalice_cognito.local.invoke_server import (
    InvokeResult,
    environment,
    lambda_error_payload,
    parse_function_identifier,
)


@pytest.mark.parametrize(
    ("identifier", "name"),
    [
        ("pre_sign_up", "pre_sign_up"),
        ("shop-dev-pre_sign_up", "shop-dev-pre_sign_up"),
        ("shop-dev-pre_sign_up:live", "shop-dev-pre_sign_up"),
        (
            "arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-pre_sign_up",
            "shop-dev-pre_sign_up",
        ),
        ("arn:aws-cn:lambda:cn-north-1:1:function:f:$LATEST", "f"),
        ("123456789012:function:f:3", "f"),
    ],
)
def test_parse_function_identifier(identifier: str, name: str) -> None:
    assert parse_function_identifier(identifier) == name


def test_lambda_error_payload_has_lambda_fields() -> None:
    try:
        raise ValueError("Sign-ups are limited to example.com")
    except ValueError as exc:
        payload = lambda_error_payload(exc)
    assert payload["errorMessage"] == "Sign-ups are limited to example.com"
    assert payload["errorType"] == "ValueError"
    assert any("test_lambda_error_payload" in line for line in payload["stackTrace"])
    result = InvokeResult(payload, "ValueError")
    assert not result.ok
    assert result.error_message == "Sign-ups are limited to example.com"
    assert InvokeResult({"a": 1}).error_message is None


def test_environment_sets_then_restores_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEP_ME", "before")
    monkeypatch.delenv("NEW_ONE", raising=False)
    with environment({"KEEP_ME": "during", "NEW_ONE": "x"}):
        assert os.environ["KEEP_ME"] == "during"
        os.environ["LEAKED_BY_HANDLER"] = "1"
    assert os.environ["KEEP_ME"] == "before"
    assert "NEW_ONE" not in os.environ
    assert "LEAKED_BY_HANDLER" not in os.environ


def reg(trigger: str, name: str, **kwargs: object) -> TriggerRegistration:
    return TriggerRegistration(trigger=trigger, function_name=name, **kwargs)  # type: ignore[arg-type]


def test_select_triggers_keeps_only_what_cognito_local_invokes() -> None:
    registrations = [
        reg("PreSignUp", "pre_sign_up"),
        reg("PreAuthentication", "pre_authentication"),
        reg("PreTokenGeneration", "tokens", version="V2_0"),
        reg("CustomEmailSender", "mail", version="V1_0"),
        reg("UserMigration", "migrate", user_pool="partners"),
    ]
    selection = select_triggers(
        registrations, {"pre_sign_up": "shop-dev-pre_sign_up", "tokens": "shop-dev-tokens"}
    )
    assert selection.functions == {
        "PreSignUp": "shop-dev-pre_sign_up",
        "PreTokenGeneration": "shop-dev-tokens",
    }
    skipped = dict(selection.skipped)
    assert set(skipped) == {"PreAuthentication", "CustomEmailSender", "UserMigration"}
    assert "partners" in skipped["UserMigration"]
    assert any("V2_0" in note and "V1-shaped" in note for note in selection.notes)

    partners = select_triggers(registrations, {}, user_pool="partners")
    assert partners.functions == {"UserMigration": "migrate"}


def test_every_emulated_trigger_can_be_selected() -> None:
    emulated = [t for t in TRIGGERS if t.emulated_by_cognito_local]
    selection = select_triggers([reg(t.name, t.name.lower()) for t in emulated], {})
    assert set(selection.functions) == {t.name for t in emulated}
    assert not selection.skipped


def test_build_config_shape_and_merge() -> None:
    fresh = build_config("http://127.0.0.1:3001", {"PreSignUp": "f"}, "us-east-1")
    assert fresh == {
        "LambdaClient": {
            "endpoint": "http://127.0.0.1:3001",
            "region": "us-east-1",
            "credentials": DUMMY_CREDENTIALS,
        },
        "TriggerFunctions": {"PreSignUp": "f"},
    }
    existing = {
        "TokenConfig": {"IssuerDomain": "http://x"},
        "LambdaClient": {"credentials": {"accessKeyId": "a", "secretAccessKey": "b"}},
        "TriggerFunctions": {"CustomMessage": "gone"},
    }
    merged = build_config("http://127.0.0.1:9", {}, "local", existing)
    assert merged["TokenConfig"] == {"IssuerDomain": "http://x"}
    assert merged["LambdaClient"]["credentials"] == {"accessKeyId": "a", "secretAccessKey": "b"}
    assert merged["TriggerFunctions"] == {}
    assert existing["TriggerFunctions"] == {"CustomMessage": "gone"}  # input not mutated
