"""Model declarations: every wire name Cognito sends is a declared field, exports match the catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

import chalice_cognito.events as events_pkg
from chalice_cognito.catalogue import TRIGGERS
from chalice_cognito.events import parse_event
from chalice_cognito.events.base import CognitoModel
from chalice_cognito.events.migration import UserMigrationEvent

Loader = Callable[[str], Dict[str, Any]]

#: the colleague-maintained fixture set (one per triggerSource) plus ours
_FIXTURES = Path(__file__).parents[2] / "fixtures" / "events"
_DATA = Path(__file__).parent / "data"


def _undeclared(model: CognitoModel, path: str = "") -> List[str]:
    """Keys that landed in ``model_extra`` anywhere in the tree (a wrong alias ends up there)."""
    found = [f"{path}.{k}" for k in model.model_extra or {}]
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, CognitoModel):
                found += _undeclared(item, f"{path}.{name}[{i}]")
    return found


def _all_event_files() -> List[Path]:
    return sorted(_DATA.glob("*.json")) + sorted(_FIXTURES.glob("**/*.json"))


@pytest.mark.parametrize("path", _all_event_files(), ids=lambda p: p.name)
def test_every_field_cognito_sends_is_declared(path: Path) -> None:
    raw = json.loads(path.read_text())
    assert _undeclared(parse_event(raw)) == []


def test_wire_aliases_where_camel_case_is_not_enough(load_event: Loader) -> None:
    raw = load_event("UserMigration_Authentication")
    raw["response"]["enableSMSMFA"] = True
    event = parse_event(raw)
    assert isinstance(event, UserMigrationEvent)
    assert event.response.enable_sms_mfa is True
    event.response.enable_sms_mfa = False
    assert event.to_dict()["response"]["enableSMSMFA"] is False
    assert "enableSmsMfa" not in event.to_dict()["response"]


def test_lazy_exports_are_exactly_the_catalogue_models() -> None:
    paths = {path for spec in TRIGGERS for path in spec.models.values()}
    catalogue = {p.partition(":")[2]: p.partition(":")[0] for p in paths}
    exported = {name for name in events_pkg.__all__ if name.endswith("Event")} - {"CognitoEvent"}
    assert exported == set(catalogue)
    for name, module in catalogue.items():
        assert getattr(events_pkg, name).__module__ == module


def test_unknown_attribute_of_the_package_fails() -> None:
    with pytest.raises(AttributeError):
        events_pkg.NoSuchEvent  # noqa: B018


def test_presignup_auto_verify_rule_skipped_for_admin_create_user(load_event: Loader) -> None:
    raw = load_event("PreSignUp_SignUp")
    raw["triggerSource"] = "PreSignUp_AdminCreateUser"
    raw["request"]["userAttributes"] = {}
    raw["response"]["autoVerifyEmail"] = True
    assert parse_event(raw).response_violations() == []  # Cognito ignores this response
    raw["triggerSource"] = "PreSignUp_SignUp"
    assert len(parse_event(raw).response_violations()) == 1


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
