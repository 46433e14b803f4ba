"""The handler examples of docs/how-to/events.md run as written, through Chalice's test client."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict

from chalice.test import Client

from chalice_cognito import Chalice
from chalice_cognito.testing import sample_event

DOC = Path(__file__).resolve().parents[3] / "docs" / "how-to" / "events.md"


def app_with(containing: str) -> Chalice:
    """A fresh app with the page's one block that contains ``containing`` declared on it."""
    found = [
        b
        for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
        if containing in b
    ]
    assert len(found) == 1, f"expected one python block with {containing!r} in {DOC}"
    namespace: Dict[str, Any] = {"app": Chalice(app_name="events_page")}
    exec(compile(found[0], str(DOC), "exec"), namespace)
    return namespace["app"]


def test_token_helpers_example_builds_the_overrides(tmp_path: Path) -> None:
    app = app_with("add_access_token_claims")
    event = sample_event("TokenGeneration_Authentication", version="V2_0")
    with Client(app, project_dir=str(tmp_path)) as client:
        details = client.lambda_.invoke("tokens", event).payload["response"][
            "claimsAndScopeOverrideDetails"
        ]
    assert details["idTokenGeneration"]["claimsToAddOrOverride"] == {"tenant": "acme"}
    access = details["accessTokenGeneration"]
    assert access["claimsToAddOrOverride"] == {"tenant": {"id": 42, "tier": "gold"}}
    assert access["scopesToAdd"] == ["orders/read"]
    assert access["scopesToSuppress"] == ["aws.cognito.signin.user.admin"]
    assert access["claimsToSuppress"] == ["email"]
    assert details["groupOverrideDetails"]["groupsToOverride"] == ["admins"]


def test_define_auth_challenge_example_follows_the_session(tmp_path: Path) -> None:
    app = app_with('"DefineAuthChallenge"')
    custom = {"challengeName": "CUSTOM_CHALLENGE", "challengeMetadata": None}
    cases = [
        ([], {"challengeName": "CUSTOM_CHALLENGE"}),
        ([{**custom, "challengeResult": True}], {"issueTokens": True, "failAuthentication": False}),
        ([{**custom, "challengeResult": False}] * 3, {"failAuthentication": True}),
    ]
    with Client(app, project_dir=str(tmp_path)) as client:
        for session, expected in cases:
            event = sample_event("DefineAuthChallenge_Authentication", request={"session": session})
            event["request"]["session"] = session
            response = client.lambda_.invoke("define", event).payload["response"]
            assert {k: response[k] for k in expected} == expected, session
