"""The first example of docs/how-to/testing.md runs as written against the example app."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "how-to" / "testing.md"


def test_documented_tests_pass_against_the_example_app(
    shop: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)[0]
    assert "from app import app" in block
    monkeypatch.setitem(sys.modules, "app", shop.module)
    namespace: Dict[str, Any] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        test()
