"""The real ``chalice-cognito`` console script in a subprocess, on real local servers.

``deployed_example`` deploys a copy of the example app (app.py, chalicelib/,
requirements.txt, .chalice/config.json and .chalice/smoke-events/) with ``chalice-cognito deploy --stage local --smoke``
once per module: the embedded moto server, Chalice's packager (Linux wheels of
pydantic-core from PyPI) and deployer, the wiring and the smoke run all happen
for real.  The deployment zip stays in the copy's ``.chalice/deployments/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = str(Path(sys.executable).with_name("chalice-cognito"))


@dataclass
class Run:
    exit_code: int
    out: str
    err: str


def clean_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The test process environment minus anything pointing at real AWS, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and not k.startswith("CHALICE_COGNITO_")
    }
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    env.update(extra or {})
    return env


def run(project: Path, *args: str, env: Optional[Dict[str, str]] = None) -> Run:
    proc = subprocess.run(
        [SCRIPT, *args],
        cwd=project,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def copy_example_app(target: Path) -> Path:
    target.mkdir(parents=True)
    shutil.copy(ROOT / "app.py", target / "app.py")
    shutil.copytree(
        ROOT / "chalicelib", target / "chalicelib", ignore=shutil.ignore_patterns("__pycache__")
    )
    (target / ".chalice").mkdir()
    shutil.copy(ROOT / ".chalice" / "config.json", target / ".chalice" / "config.json")
    if (ROOT / ".chalice" / "smoke-events").is_dir():
        shutil.copytree(ROOT / ".chalice" / "smoke-events", target / ".chalice" / "smoke-events")
    if (ROOT / "requirements.txt").exists():
        shutil.copy(ROOT / "requirements.txt", target / "requirements.txt")
    return target


@dataclass
class Deployed:
    project: Path
    result: Run

    @property
    def zip_path(self) -> Path:
        zips = [
            p
            for p in (self.project / ".chalice" / "deployments").glob("*.zip")
            if not p.name.startswith("managed-layer-")
        ]
        assert len(zips) == 1, zips
        return zips[0]


@pytest.fixture(scope="module")
def deployed_example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    project = copy_example_app(tmp_path_factory.mktemp("example") / "shop")
    yield Deployed(project, run(project, "deploy", "--stage", "local", "--smoke"))


@pytest.fixture
def script() -> object:
    """``script.run(project, *args, env=...)`` and ``script.clean_env(extra)`` for test modules."""
    from types import SimpleNamespace

    return SimpleNamespace(run=run, clean_env=clean_env)
