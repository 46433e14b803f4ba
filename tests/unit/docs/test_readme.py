"""README.md is assembled from docs/readme/ and must not drift from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_readme_is_the_assembled_pages() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "build_readme.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_names_the_two_commands_and_shows_an_example_per_trigger() -> None:
    from chalice_cognito.catalogue import TRIGGERS

    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text
    missing = [s.name for s in TRIGGERS if f'cognito_trigger("{s.name}"' not in text]
    assert missing == []
