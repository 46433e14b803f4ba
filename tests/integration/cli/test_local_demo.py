"""``chalice-cognito deploy --stage local --smoke`` on the example app (what `make demo` runs)."""

from __future__ import annotations

import re

import pytest

from chalice_cognito.catalogue import TRIGGERS

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("cli-example-deploy")]


def test_local_deploy_wires_every_trigger(deployed_example) -> None:
    result = deployed_example.result
    assert result.exit_code == 0, result.err + result.out
    out = result.out
    endpoint = re.search(r"Embedded local AWS \(moto\) on (http://[\d.]+:\d+)", out)
    assert endpoint and endpoint.group(1).startswith("http://127.0.0.1:")
    assert "lives only for this command" in out
    assert "User pool 'shop-local' in the emulator" in out
    table = out.split("Cognito triggers:", 1)[1]
    for spec in TRIGGERS:
        line = next(ln for ln in table.splitlines() if f" {spec.name} " in ln)
        assert "shop-local-" in line and "attach" in line and "added" in line, line
    assert "Embedded local AWS stopped" in out


def test_smoke_ran_every_handler_from_the_zip(deployed_example) -> None:
    out = deployed_example.result.out
    smoke = out.split("Smoke test of ", 1)[1]
    lines = [ln for ln in smoke.splitlines() if "->" in ln]
    assert len(lines) == len(TRIGGERS)
    assert not [ln for ln in lines if "BROKEN" in ln]
    assert sum(ln.strip().startswith("ok") for ln in lines) >= 8
    assert "sys.path: only the unzipped package + stdlib" in smoke


def test_emulator_state_does_not_outlive_the_command(deployed_example) -> None:
    chalice_dir = deployed_example.project / ".chalice"
    assert not (chalice_dir / "deployed" / "local.json").exists()
    assert not (chalice_dir / "cognito" / "local.json").exists()
    # ...but the built zip is cached for the next run.
    assert deployed_example.zip_path.exists()
