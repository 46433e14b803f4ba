"""Small things a new user hit in the CLI output (issue 10, defect 13).

* ``invoke-local`` with a broken project config printed the error twice
  (the loader's log line, then the command's own error): once now.
* ``deploy`` printed Chalice's "Deleting function ..." lines (the deletions
  held back until the pool no longer points at them) before the wiring table,
  although the wiring ran first: the table is printed when the wiring is done.
"""

from __future__ import annotations

import pytest


def test_invoke_local_prints_a_config_error_once(tmp_path, run_cli, h) -> None:
    project = h.write_project(tmp_path / "tiny", h.TINY_APP)
    config = project / ".chalice" / "config.json"
    config.write_text(config.read_text().rstrip().rstrip("}"))  # no closing brace
    result = run_cli(project, "invoke-local", "pre_sign_up", "--event", "-")
    assert result.exit_code == 1, result.err
    text = result.out + result.err
    assert text.count("Unable to load the Chalice app") == 1, text
    assert result.err.startswith("Error: Unable to load the Chalice app: RuntimeError:")


@pytest.mark.usefixtures("aws")
def test_deploy_prints_the_wiring_table_before_the_held_back_deletions(
    tmp_path, run_cli, h
) -> None:
    pool = h.create_pool()
    stages = {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    project = h.write_project(tmp_path / "tiny", h.TINY_APP, stages)
    assert run_cli(project, "deploy", "--stage", "dev").exit_code == 0
    # the refactored app: pre_sign_up renamed, post_confirmation dropped
    h.write_project(project, h.TINY_APP_V2, stages)
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    out = result.out
    assert "Deleting function" in out, out
    table = out.index("Cognito triggers:")
    assert table < out.index("Deleting function"), out
    assert out.count("Cognito triggers:") == 1, out  # printed once, not again at the end
    # the wiring table itself: the new function attached, the dropped slot detached
    assert "validate_sign_up" in out[table:] and "PostConfirmation" in out[table:]
