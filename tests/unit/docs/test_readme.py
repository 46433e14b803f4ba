"""README.md is the PyPI page: small, and its quick start runs as written.

The quick-start app is loaded from the README and its PreSignUp handler invoked with sample
events through Chalice's test client; the config block is read by the project's config parser;
the README's own test snippet runs against that app.  (Deploying the quick start, output
included, is tests/functional/cli/test_readme_quickstart.py.)
"""

from __future__ import annotations

import importlib.util
import json
import re
import uuid
from pathlib import Path
from typing import Any, List

import pytest
from chalice.test import Client

from chalice_cognito import registered_triggers
from chalice_cognito.deploy.config import load_cognito_config
from chalice_cognito.testing import sample_event

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
#: issue 13: the README is the package's PyPI page; the manual is the site
MAX_BYTES = 15_000


def blocks(language: str) -> List[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.DOTALL)


def quick_start_app(tmp_path: Path) -> Any:
    (source,) = [b for b in blocks("python") if b.startswith("# app.py")]
    path = tmp_path / f"readme_app_{uuid.uuid4().hex}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def test_readme_is_at_most_15_kb() -> None:
    assert len(README.read_bytes()) <= MAX_BYTES


def test_quick_start_app_declares_two_triggers_and_runs_on_sample_events(tmp_path: Path) -> None:
    app = quick_start_app(tmp_path)
    declared = {(r.trigger, r.function_name, r.access) for r in registered_triggers(app)}
    assert declared == {
        ("PreSignUp", "pre_sign_up", ()),
        ("PostConfirmation", "post_confirmation", ("AdminAddUserToGroup",)),
    }
    allowed = sample_event(
        "PreSignUp_SignUp", request={"userAttributes": {"email": "ann@example.com"}}
    )
    refused = sample_event("PreSignUp_SignUp", request={"userAttributes": {"email": "x@other.org"}})
    with Client(app, project_dir=str(tmp_path)) as client:
        result = client.lambda_.invoke("pre_sign_up", allowed)
        assert result.payload["response"]["autoConfirmUser"] is True
        assert result.payload["request"] == allowed["request"]
        with pytest.raises(ValueError, match="limited to example.com"):
            client.lambda_.invoke("pre_sign_up", refused)


def test_quick_start_config_is_read_by_the_config_parser(tmp_path: Path) -> None:
    (source,) = [b for b in blocks("json") if '"cognito"' in b]
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(source)
    pool = load_cognito_config(tmp_path, "dev").pool_for(None)
    assert pool.user_pool_id == json.loads(source)["cognito"]["user_pool_id"]


def test_readme_test_snippet_runs_against_the_quick_start_app(tmp_path: Path) -> None:
    (snippet,) = [b for b in blocks("python") if "sample_event(" in b]
    namespace = {"app": quick_start_app(tmp_path)}
    exec(compile(snippet, str(README), "exec"), namespace)


def test_readme_names_the_two_commands_and_its_links_resolve() -> None:
    text = README.read_text()
    assert "make demo" in text and "make test" in text
    targets = re.findall(r"\]\(((?!https?:)[^)#]+)(?:#[^)]*)?\)", text)
    assert targets
    assert [t for t in targets if not (ROOT / t).exists()] == []
