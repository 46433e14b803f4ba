"""A malformed ``cognito`` value stops every command before its first AWS call (issue 10.7).

The issue's ``"confirm_delay_seconds": 1e300`` wrote to the pool and then crashed
with OverflowError (no ownership record); a pool id with a trailing newline passed.
Here the real command runs against moto with every botocore call recorded: the
command exits 1 with one line naming the key, and no call at all was made.
The full list of malformed values is tests/unit/deploy/test_config_malformed.py.
"""

from __future__ import annotations

import json
from typing import Any, Dict

import pytest

pytestmark = pytest.mark.usefixtures("aws")


@pytest.mark.parametrize(
    ("cognito", "key"),
    [
        ({"confirm_delay_seconds": 1e300}, "confirm_delay_seconds"),
        ({"confirm_delay_seconds": float("inf")}, "confirm_delay_seconds"),
        ({"confirm_delay_seconds": float("nan")}, "confirm_delay_seconds"),
        ({"confirm_delay_seconds": -1}, "confirm_delay_seconds"),
        ({"kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k1\n"}, "kms_key_arn"),
        ({"trigger_roles": "per-function"}, "trigger_roles"),
    ],
)
@pytest.mark.parametrize("command", ["deploy", "attach", "plan", "status"])
def test_malformed_value_stops_before_any_aws_call(
    tmp_path, run_cli, recorder, h, cognito: Dict[str, Any], key: str, command: str
) -> None:
    pool = h.create_pool()
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP, {"dev": {"cognito": {"user_pool_id": pool["Id"], **cognito}}}
    )
    # json.dumps writes Infinity / NaN as Python's json extensions, as a user could
    assert key in (project / ".chalice" / "config.json").read_text()
    recorder.clear()
    result = run_cli(project, command, "--stage", "dev")
    assert result.exit_code == 1, result.err + result.out
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and key in lines[0], result.err
    assert recorder.names() == []
    assert h.lambda_config(pool["Id"]) == {}


def test_a_pool_id_with_a_trailing_newline_stops_before_any_aws_call(
    tmp_path, run_cli, recorder, h
) -> None:
    pool = h.create_pool()
    project = h.write_project(
        tmp_path / "tiny", h.TINY_APP, {"dev": {"cognito": {"user_pool_id": pool["Id"] + "\n"}}}
    )
    assert json.loads((project / ".chalice" / "config.json").read_text())
    recorder.clear()
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 1, result.err
    assert "user_pool_id" in result.err and "trailing newline" in result.err
    assert recorder.names() == []
