"""The documentation pages: what a reader is promised is there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs"


def test_examples_page_shows_an_example_per_trigger() -> None:
    from chalice_cognito.catalogue import TRIGGERS

    text = (DOCS / "examples.md").read_text()
    missing = [s.name for s in TRIGGERS if f'cognito_trigger("{s.name}"' not in text]
    assert missing == []


def test_every_page_is_in_the_site_navigation() -> None:
    """A page left out of ``nav`` would be built but unreachable."""
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert [p for p in pages if f": {p}\n" not in nav] == []


@pytest.mark.parametrize("value", [1, "true", "yes"])
@pytest.mark.parametrize("how", ["assigned", "returned"])
def test_events_page_promise_a_non_boolean_response_flag_fails_in_the_handler(
    value: object, how: str, tmp_path: Path
) -> None:
    """docs/how-to/events.md: response flags are strict booleans, a wrong value fails the handler."""
    from chalice.test import Client

    from chalice_cognito import Chalice
    from chalice_cognito.testing import sample_event

    assert "Response flags are strict booleans" in (DOCS / "how-to" / "events.md").read_text()
    app = Chalice(app_name="flags")

    @app.cognito_trigger("PreSignUp")
    def pre_sign_up(event: Any) -> Any:
        if how == "returned":
            return {"autoConfirmUser": value}
        event.response.auto_confirm_user = value
        return event

    flag = "(?i)auto_?confirm_?user: must be JSON true or false"
    with Client(app, project_dir=str(tmp_path)) as client, pytest.raises(ValueError, match=flag):
        client.lambda_.invoke("pre_sign_up", sample_event("PreSignUp_SignUp"))


def test_examples_page_shows_the_example_apps_own_declarations() -> None:
    """docs/examples.md: each snippet's decorator and function are declared so in app.py."""
    declaration = r"(@app\.cognito_trigger\((?:[^()]|\([^()]*\))*\))\ndef (\w+)\("

    def declarations(text: str) -> set[tuple[str, str]]:
        return {(" ".join(m.group(1).split()), m.group(2)) for m in re.finditer(declaration, text)}

    shown = declarations((DOCS / "examples.md").read_text())
    assert len(shown) >= 13
    assert shown - declarations((ROOT / "app.py").read_text()) == set()


def test_trigger_and_source_counts_written_in_the_docs_are_the_catalogues() -> None:
    """A count in prose ("13 triggers", "41 `triggerSource` values") is checked, not trusted."""
    from chalice_cognito.catalogue import TRIGGERS

    expected = {
        "trigger": len(TRIGGERS),
        "source": sum(len(spec.trigger_sources) for spec in TRIGGERS),
    }
    pattern = re.compile(
        r"\b(\d+)\s+(?:Cognito\s+)?(`?triggerSource`?s?(?:\s+values)?|sources|triggers?\b(?!\s+sources))"
    )
    pages = [*DOCS.rglob("*.md"), ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    wrong = []
    for page in pages:
        for number, noun in pattern.findall(page.read_text()):
            kind = "trigger" if noun.startswith("trigger") and "Source" not in noun else "source"
            if int(number) != expected[kind]:
                wrong.append(f"{page.relative_to(ROOT)}: {number} {noun}")
    assert wrong == []
