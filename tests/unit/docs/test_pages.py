"""The documentation pages: what a reader is promised is there."""

from __future__ import annotations

from pathlib import Path

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
