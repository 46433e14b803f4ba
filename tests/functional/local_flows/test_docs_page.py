"""The "Test your triggers end to end" page promises what the suite runs."""

from __future__ import annotations

import re
from pathlib import Path

from chalice_cognito.local.cognito_flows.local_cognito import NOT_EMULATED

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "how-to" / "testing-end-to-end.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_the_fixture_example_is_a_test_of_the_suite() -> None:
    example = _python_blocks(PAGE.read_text(encoding="utf-8"))[0]
    suite = (ROOT / "tests" / "integration" / "local_flows" / "test_example_app.py").read_text()
    assert example.strip() in suite


def test_the_page_names_every_source_reported_as_not_emulated() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for reason in NOT_EMULATED.values():
        for source in re.findall(r"[A-Z][A-Za-z]+_[A-Za-z]+", reason):
            assert source in text, source


def test_the_page_lists_every_known_difference_with_cognito_local() -> None:
    from tests.integration.local_flows.test_differential_cognito_local import (
        KNOWN_DIFFERENCES,
    )

    text = PAGE.read_text(encoding="utf-8")
    for source, _, detail in KNOWN_DIFFERENCES:
        if source != "*" and source != "TokenGeneration_Authentication":
            assert source.split("_")[0] in text, source
        field = detail.split(":")[0].rsplit(".", 1)[-1]
        if field != "(whole invocation)":
            assert field in text, (source, detail)
