"""One LocalCognito per test module, on a copy of the app it deploys.

The copy keeps the repository's ``.chalice/`` untouched (deploy records,
zips) while other runs use it; Chalice's packager reuses the repository's
pip cache (``.chalice/local/pip-cache``), so the Linux wheels come from PyPI
once per machine, not once per module.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest

from chalice_cognito.local.cognito_flows.local_cognito import LocalCognito

ROOT = Path(__file__).resolve().parents[3]
PIP_CACHE = ROOT / ".chalice" / "local" / "pip-cache"


def copy_example_app(target: Path) -> Path:
    """app.py, chalicelib/, requirements.txt and .chalice/config.json of the example app."""
    target.mkdir(parents=True)
    shutil.copy(ROOT / "app.py", target / "app.py")
    shutil.copytree(
        ROOT / "chalicelib", target / "chalicelib", ignore=shutil.ignore_patterns("__pycache__")
    )
    (target / ".chalice").mkdir()
    shutil.copy(ROOT / ".chalice" / "config.json", target / ".chalice" / "config.json")
    shutil.copy(ROOT / "requirements.txt", target / "requirements.txt")
    return target


def write_app(target: Path, source: str, stage_config: Optional[Dict[str, Any]] = None) -> Path:
    """A one-file Chalice app with a local stage (``"cognito": {"local": true}``)."""
    target.mkdir(parents=True)
    (target / "app.py").write_text(source, encoding="utf-8")
    (target / "requirements.txt").write_text("", encoding="utf-8")
    (target / ".chalice").mkdir()
    config = {
        "version": "2.0",
        "app_name": "flows",
        "stages": {
            "local": {
                "cognito": {"local": True, "user_pool_name": "flows-local"},
                **(stage_config or {}),
            }
        },
    }
    (target / ".chalice" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def shared_pip_cache() -> Iterator[None]:
    saved = os.environ.get("PIP_CACHE_DIR")
    os.environ["PIP_CACHE_DIR"] = str(PIP_CACHE)
    yield
    if saved is None:
        os.environ.pop("PIP_CACHE_DIR", None)
    else:
        os.environ["PIP_CACHE_DIR"] = saved


def start(project: Path, **options: Any) -> LocalCognito:
    return LocalCognito(str(project), "local", **options).start()
