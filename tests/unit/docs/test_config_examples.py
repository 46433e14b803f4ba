"""Every `.chalice/config.json` example in the docs is accepted by the config parser.

A block counts when it is JSON with a ``cognito`` key (``//`` comment lines dropped; a fragment
such as ``"stages": {...}`` is read inside braces).  Each stage it names, or ``dev`` when it
names none, must load with :func:`load_cognito_config`, the same call every command makes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from chalice_cognito.deploy.config import load_cognito_config

ROOT = Path(__file__).resolve().parents[3]


def config_examples() -> List[Tuple[str, Dict[str, Any]]]:
    found = []
    for page in sorted([*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"]):
        for index, block in enumerate(
            re.findall(r"```json\n(.*?)```", page.read_text(), flags=re.DOTALL)
        ):
            if '"cognito"' not in block:
                continue
            source = "\n".join(
                line for line in block.splitlines() if not line.strip().startswith("//")
            )
            try:
                data = json.loads(source)
            except json.JSONDecodeError:
                data = json.loads("{" + source + "}")
            found.append((f"{page.relative_to(ROOT)}#{index}", data))
    return found


EXAMPLES = config_examples()


def test_the_docs_show_config_examples() -> None:
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize(("where", "data"), EXAMPLES, ids=[w for w, _ in EXAMPLES])
def test_config_example_is_accepted(where: str, data: Dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(data))
    for stage in data.get("stages") or ["dev"]:
        config = load_cognito_config(tmp_path, stage)
        assert config.pools, (where, stage)
