"""Every fixture event under tests/fixtures/events parses to the right model and echoes exactly.

The fixtures are independent evidence of what Cognito sends (see their
README.md); Cognito requires a trigger to return the *entire* event, so any
difference between ``parse_event(e).to_dict()`` and ``e`` is a bug that would
reach users as a changed event (or a rejected sign-up).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from chalice_cognito.catalogue import (
    BY_NAME,
    EVENT_VERSION_OF,
    all_trigger_sources,
    known_trigger_source,
)
from chalice_cognito.events import parse_event

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"
FILES: List[Path] = sorted(FIXTURES.glob("*.json")) + sorted(FIXTURES.glob("variants/*.json"))
IDS = [str(p.relative_to(FIXTURES)) for p in FILES]

#: Fixtures whose echo differs on purpose: AWS doc test events put JSON
#: booleans in ``userAttributes``; the models store the strings Cognito sends.
STRING_COERCED = {"PreSignUp_SignUp.json-booleans"}

UNKNOWN = {"futureField": {"nested": [1, "two", None, True], "flag": False}}


def _load(path: Path) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _expected_echo(path: Path, event: Dict[str, Any]) -> Dict[str, Any]:
    expected = copy.deepcopy(event)
    if path.stem in STRING_COERCED:
        attrs = expected["request"]["userAttributes"]
        for key, value in attrs.items():
            if isinstance(value, bool):
                attrs[key] = "true" if value else "false"
    return expected


def test_fixture_files_found() -> None:
    assert len(list(FIXTURES.glob("*.json"))) == 41
    assert len(list(FIXTURES.glob("variants/*.json"))) >= 10


def test_a_fixture_for_every_catalogue_trigger_source() -> None:
    """A triggerSource added to the catalogue needs a real-shaped fixture here."""
    have = {p.stem for p in FIXTURES.glob("*.json")}
    missing = [s for _, s in all_trigger_sources() if s not in have]
    assert missing == []


def test_no_fixture_for_an_unknown_trigger_source() -> None:
    for path in FILES:
        known_trigger_source(path.name.split(".", 1)[0])


def test_variants_cover_the_required_shapes() -> None:
    variants = [_load(p) for p in FIXTURES.glob("variants/*.json")]
    token = BY_NAME["PreTokenGeneration"]
    user_sources = [s for s in token.trigger_sources if s in token.sources_for("V1_0")]
    for version in ("2", "3"):
        have = {e["triggerSource"] for e in variants if e["version"] == version}
        assert set(user_sources) <= have, f"V{version} pre token generation variants missing"
    shapes = {
        "V3 client credentials": lambda e: (
            e["triggerSource"] == "TokenGeneration_ClientCredentials" and e["version"] == "3"
        ),
        "define auth, empty session": lambda e: (
            e["triggerSource"] == "DefineAuthChallenge_Authentication"
            and e["request"]["session"] == []
        ),
        "SAML federation": lambda e: e["request"].get("providerType") == "SAML",
        "cognito-local sign-up": lambda e: (
            (e["triggerSource"], e["version"], e["region"]) == ("PreSignUp_SignUp", "0", "local")
        ),
        "cognito-local tokens": lambda e: (
            (e["triggerSource"], e["version"], e["region"])
            == ("TokenGeneration_Authentication", "0", "local")
        ),
        "JSON booleans": lambda e: any(
            isinstance(v, bool) for v in (e["request"].get("userAttributes") or {}).values()
        ),
        "invitation with usernameParameter": lambda e: (
            e["triggerSource"] == "CustomMessage_AdminCreateUser"
            and e["request"]["usernameParameter"]
        ),
    }
    missing = [name for name, match in shapes.items() if not any(match(e) for e in variants)]
    assert missing == []


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_file_name_matches_trigger_source(path: Path) -> None:
    assert path.name.split(".", 1)[0] == _load(path)["triggerSource"]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_parse_picks_the_model_of_the_trigger(path: Path) -> None:
    event = _load(path)
    spec = known_trigger_source(event["triggerSource"])
    model = parse_event(event)
    assert model.trigger == spec.name
    assert type(model) is spec.model_for(event["version"])
    if event["version"] in EVENT_VERSION_OF.values():
        assert event["triggerSource"] in spec.sources_for(
            next(k for k, v in EVENT_VERSION_OF.items() if v == event["version"])
        )


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_exact_echo(path: Path) -> None:
    event = _load(path)
    original = copy.deepcopy(event)
    echoed = parse_event(event).to_dict()
    assert echoed == _expected_echo(path, original)
    assert event == original, "parse_event must not mutate its input"
    # What Lambda sends back must be plain JSON.
    assert json.loads(json.dumps(echoed)) == echoed


@pytest.mark.parametrize("where", ["top", "request", "response"])
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_unknown_fields_survive(path: Path, where: str) -> None:
    """AWS adds event fields without notice; the echo must keep them."""
    event = _load(path)
    target = event if where == "top" else event.setdefault(where, {})
    target.update(copy.deepcopy(UNKNOWN))
    expected = _expected_echo(path, event)
    assert parse_event(event).to_dict() == expected


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_events_as_sent_break_no_response_rule(path: Path) -> None:
    """An unmodified event (Cognito's pre-populated response) is always a valid answer."""
    assert parse_event(_load(path)).response_violations() == []
