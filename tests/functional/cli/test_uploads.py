"""A re-deploy does not upload a function's zip again when the deployed code is the same."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any, Dict, List

import boto3
import pytest

from chalice_cognito import cli as cli_module
from chalice_cognito.deploy import uploads


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Dict[str, List[str]]:
    """Operations that really went out (``before-send``: after every short-circuit)."""
    out: Dict[str, List[str]] = {"sent": []}
    original = cli_module.CognitoCLIFactory.create_botocore_session

    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        session = original(self, *args, **kwargs)

        def before_send(request: Any, **_: Any) -> None:
            target = request.url.split("/functions/")[-1] if "/functions/" in request.url else ""
            if request.method == "PUT" and target.endswith("/code"):
                out["sent"].append(target.split("/")[0])

        session.register("before-send.lambda", before_send)
        return session

    monkeypatch.setattr(cli_module.CognitoCLIFactory, "create_botocore_session", create)
    return out


def test_code_sha256_is_lambdas() -> None:
    data = b"PK\x05\x06" + b"\0" * 18
    assert uploads.code_sha256(data) == base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_redeploy_sends_no_unchanged_zip_and_a_changed_one_again(
    tmp_path: Path, run_cli: Any, h: Any, aws: None, sent: Dict[str, List[str]]
) -> None:
    pool = h.create_pool()
    stages = {"dev": {"cognito": {"user_pool_id": pool["Id"], "precompile_bytecode": False}}}
    project = h.write_project(tmp_path / "tiny", h.TINY_APP, stages)
    assert run_cli(project, "deploy", "--stage", "dev").exit_code == 0
    assert sent["sent"] == []  # created, not updated

    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert sent["sent"] == []  # both functions unchanged: nothing uploaded
    lam = boto3.client("lambda", region_name=h.region)
    before = {
        name: lam.get_function_configuration(FunctionName=name)["CodeSha256"]
        for name in ("tiny-dev-pre_sign_up", "tiny-dev-post_confirmation")
    }

    # the control: a changed app is uploaded to every function, and Lambda has the new code
    (project / "app.py").write_text(h.TINY_APP + "\n# changed\n")
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert sorted(sent["sent"]) == ["tiny-dev-post_confirmation", "tiny-dev-pre_sign_up"]
    (package,) = [
        p
        for p in (project / ".chalice" / "deployments").glob("*.cc-*.zip")
        if p.stat().st_mtime >= (project / "app.py").stat().st_mtime
    ]
    expected = uploads.code_sha256(package.read_bytes())
    for name, old in before.items():
        now = lam.get_function_configuration(FunctionName=name)["CodeSha256"]
        assert now == expected != old, name
