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
        # the local stage publishes behind "alias": "live": the pool invokes the alias
        assert ":live " in line, line
    versions = out.split("Versions (alias live):", 1)[1].splitlines()[2:15]
    assert all("live -> 1" in ln and "created" in ln for ln in versions), versions
    # "lambda_timeout": 5 in the example's config: no warning about Cognito's 5 s budget
    assert "lambda_timeout" not in result.err, result.err
    assert "Embedded local AWS stopped" in out


def test_smoke_ran_every_handler_as_lambda_would(deployed_example) -> None:
    out = deployed_example.result.out
    # the smoke report ends where the alias's versions are listed
    smoke = out.split("Smoke test of ", 1)[1].split("\nVersions (alias", 1)[0]
    lines = [ln.strip() for ln in smoke.splitlines() if "->" in ln]
    # One line per trigger, plus the project's own event (.chalice/smoke-events/).
    assert len(lines) == len(TRIGGERS) + 1
    assert not [ln for ln in lines if "BROKEN" in ln or "needs-runtime" in ln]
    raised = [ln for ln in lines if ln.startswith("raised")]
    # Only the sample UserMigration event is refused (an unknown legacy user)...
    assert len(raised) == 1 and "UserMigration" in raised[0], raised
    assert "Incorrect username or password" in raised[0]
    # ...and the documented demo user migrates, password redacted from nothing it printed.
    demo = next(ln for ln in lines if "legacy-demo-user" in ln)
    assert demo.startswith("ok") and '"finalUserStatus": "CONFIRMED"' in demo
    assert "Legacy-Passw0rd!" not in out
    # What the zip ran with: the Lambda runtime's SDK from this environment, the emulator.
    assert "sys.path: the unzipped package + the Lambda runtime's AWS SDK + stdlib" in smoke
    assert "taken from this environment (boto3 " in smoke
    assert "(GetFunctionConfiguration)" in smoke


def test_smoke_effects_are_visible_in_the_emulator(deployed_example) -> None:
    out = deployed_example.result.out
    assert "groups (local_groups): customers" in out
    assert "encrypted 2 custom sender code(s) as Cognito does" in out
    assert "verified SES sender identity(ies) from the functions' environment: " in out
    # PostConfirmation's AdminAddUserToGroup reached the emulator's pool...
    assert re.search(r"group memberships: \S+ in customers", out), out
    # ...and CustomEmailSender (a real KMS decryption) and CreateAuthChallenge sent email.
    sent = re.search(r"SES in the emulator accepted (\d+) email", out)
    assert sent and int(sent.group(1)) >= 2, out
    senders = [
        ln for ln in out.splitlines() if "CustomEmailSender" in ln or "CustomSMSSender" in ln
    ]
    assert [ln for ln in senders if "->" in ln and ln.strip().startswith("ok")], senders


def test_emulator_state_does_not_outlive_the_command(deployed_example) -> None:
    chalice_dir = deployed_example.project / ".chalice"
    assert not (chalice_dir / "deployed" / "local.json").exists()
    assert not (chalice_dir / "cognito" / "local.json").exists()
    # ...but the built zip is cached for the next run.
    assert deployed_example.zip_path.exists()
