"""Fixtures of the event-model tests: real-shaped events kept next to the tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

DATA = Path(__file__).parent / "data"


def _load(name: str) -> Dict[str, Any]:
    with (DATA / f"{name}.json").open() as fh:
        data: Dict[str, Any] = json.load(fh)
    return data


@pytest.fixture
def load_event() -> Callable[[str], Dict[str, Any]]:
    """``load_event("PreSignUp_SignUp")``: a fresh copy of ``data/<name>.json``."""
    return lambda name: copy.deepcopy(_load(name))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # ``data_event_name``: one test per JSON file under data/.
    if "data_event_name" in metafunc.fixturenames:
        names = sorted(p.stem for p in DATA.glob("*.json"))
        metafunc.parametrize("data_event_name", names)
