"""docs/tutorial.md step 5: ``chalice-cognito deploy --stage local --smoke`` on the page's project.

The page's app.py and local config go into a project and the console script runs in a
subprocess (embedded moto server, Chalice's packager and deployer, the wiring, the smoke run from
the zip).  Every line the page shows must be printed; what differs per run (the port, the pool
id) is normalised on both sides.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest

pytestmark = pytest.mark.integration

DOC = Path(__file__).resolve().parents[3] / "docs" / "tutorial.md"
#: values that differ per run, and what both sides become
VARYING = (
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"us-east-1_[0-9a-f]{32}"), "POOL_ID"),
)


def blocks(language: str) -> List[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def normalised(line: str) -> str:
    for pattern, replacement in VARYING:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


def test_local_deploy_of_the_tutorial_prints_what_the_page_shows(tmp_path: Path, script) -> None:
    project = tmp_path / "shop"
    (project / ".chalice").mkdir(parents=True)
    (app,) = [b for b in blocks("python") if b.startswith("# app.py\n")]
    (project / "app.py").write_text(app)
    (project / ".chalice" / "config.json").write_text(blocks("json")[0])
    (command, *shown) = next(
        b for b in blocks("console") if b.startswith("$ chalice-cognito deploy --stage local")
    ).splitlines()

    result = script.run(project, *command.split()[2:])

    assert result.exit_code == 0, result.err + result.out
    assert "Warning" not in result.err, result.err  # the page's config draws no warning
    printed = {normalised(line) for line in result.out.splitlines()}
    assert [line for line in shown if normalised(line) not in printed] == []
