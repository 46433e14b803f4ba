"""The ``plan --json`` and ``status --json`` shapes shown in docs/how-to/wiring.md are the real ones.

The documented examples are parsed and compared key by key (at every level, lists by their first
element) with what the command prints for the same situation against moto: a stage with one
PreSignUp function deployed, planned (an attach), attached, then reported.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, List

import pytest

pytestmark = pytest.mark.usefixtures("aws")

DOC = Path(__file__).resolve().parents[3] / "docs" / "how-to" / "wiring.md"


def documented(command: str) -> Any:
    """The JSON block that follows the sentence introducing ``<command> --json``."""
    text = DOC.read_text()
    after = text.split(f"`{command} --json` prints", 1)[1]
    block = re.search(r"```json\n(.*?)```", after, flags=re.DOTALL)
    assert block, f"no JSON example of {command} --json in {DOC}"
    return json.loads(block.group(1))


def differences(doc: Any, real: Any, where: str = "") -> List[str]:
    """Where the documented shape and the real one differ (keys; list items by the first)."""
    if isinstance(doc, dict) and isinstance(real, dict):
        found = [f"{where}.{k}: documented, not printed" for k in doc.keys() - real.keys()]
        found += [f"{where}.{k}: printed, not documented" for k in real.keys() - doc.keys()]
        for key in doc.keys() & real.keys():
            found += differences(doc[key], real[key], f"{where}.{key}")
        return found
    if isinstance(doc, list) and isinstance(real, list):
        return differences(doc[0], real[0], f"{where}[0]") if doc and real else []
    if isinstance(doc, (dict, list)) != isinstance(real, (dict, list)):
        return [f"{where}: documented {type(doc).__name__}, printed {type(real).__name__}"]
    return []


def test_documented_json_shapes_are_what_plan_and_status_print(tmp_path, run_cli, h) -> None:
    pool_id = h.create_pool()["Id"]
    project = h.write_project(tmp_path / "tiny", h.TINY_APP_V2)
    assert run_cli(project, "deploy", "--stage", "dev", stock=True).exit_code == 0

    result = run_cli(project, "plan", "--json", "--user-pool-id", pool_id)
    assert result.exit_code == 0, result.err
    plan = json.loads(result.out)
    assert plan["pools"][0]["slots"][0]["action"] == "attach"
    assert differences(documented("plan"), plan) == []

    assert run_cli(project, "attach", "--user-pool-id", pool_id).exit_code == 0
    result = run_cli(project, "status", "--json", "--user-pool-id", pool_id)
    assert result.exit_code == 0, result.err
    status = json.loads(result.out)
    assert status["pools"][0]["rows"][0]["state"] == "attached"
    assert differences(documented("status"), status) == []
