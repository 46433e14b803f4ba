"""Fixtures for the local Lambda Invoke server: small Chalice projects in tmp dirs.

Every project here is imported under the module names Chalice uses (``app``,
``chalicelib``), so each test restores ``sys.modules`` and ``sys.path`` to keep
other tests (which may import the example app) unaffected.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Optional

import pytest

from chalice_cognito.local.invoke_server import InvokeServer, LocalProject, serve_in_thread

DEMO_APP = """
import os

from chalice_cognito import Chalice
from chalicelib import policy

app = Chalice(app_name="demo")

# Read at import time: the stage-level variables are set while the app loads.
IMPORTED_WITH = os.environ.get("STAGE_VAR", "<unset>")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    email = event.request.user_attributes.get("email", "")
    if not policy.allowed(email):
        raise ValueError(f"Sign-ups are limited to {policy.DOMAIN}")
    event.response.auto_confirm_user = True


@app.cognito_trigger("CustomMessage")
def custom_message(event):
    event.response.email_subject = "env"
    event.response.email_message = "|".join(
        [
            IMPORTED_WITH,
            os.environ.get("STAGE_VAR", "<unset>"),
            os.environ.get("FUNCTION_VAR", "<unset>"),
            event.request.code_parameter or "",
        ]
    )


@app.cognito_trigger("PostConfirmation", name="welcome")
def post_confirmation(event, context):
    print("welcome", context.function_name)


@app.cognito_trigger("PreTokenGeneration")
def pre_token_generation(event):
    return {"not": object()}


@app.lambda_function()
def not_a_trigger(event, context):
    return {}
"""

POLICY = """
DOMAIN = "example.com"


def allowed(email):
    return email.endswith("@" + DOMAIN)
"""

CONFIG: Dict[str, Any] = {
    "version": "2.0",
    "app_name": "demo",
    "environment_variables": {"TOP_VAR": "top"},
    "stages": {
        "dev": {
            "environment_variables": {"STAGE_VAR": "dev-stage"},
            "lambda_functions": {
                "custom_message": {"environment_variables": {"FUNCTION_VAR": "fn-dev"}}
            },
        },
        "prod": {"environment_variables": {"STAGE_VAR": "prod-stage"}},
    },
}


def write_project(
    root: Path,
    app_source: str = DEMO_APP,
    policy: str = POLICY,
    config: Optional[Dict[str, Any]] = None,
) -> Path:
    """Write app.py, chalicelib/policy.py and .chalice/config.json under ``root``."""
    (root / "chalicelib").mkdir(parents=True, exist_ok=True)
    (root / ".chalice").mkdir(exist_ok=True)
    (root / "app.py").write_text(textwrap.dedent(app_source))
    (root / "chalicelib" / "__init__.py").write_text("")
    (root / "chalicelib" / "policy.py").write_text(textwrap.dedent(policy))
    (root / ".chalice" / "config.json").write_text(json.dumps(config or CONFIG))
    return root


@pytest.fixture(autouse=True)
def _isolated_imports() -> Iterator[None]:
    saved_modules = {
        k: v for k, v in sys.modules.items() if k.split(".")[0] in ("app", "chalicelib")
    }
    saved_path = list(sys.path)
    yield
    for name in [k for k in sys.modules if k.split(".")[0] in ("app", "chalicelib")]:
        del sys.modules[name]
    sys.modules.update(saved_modules)
    sys.path[:] = saved_path


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    return write_project(tmp_path / "demo")


@pytest.fixture
def serve() -> Iterator[Callable[[Path, str], InvokeServer]]:
    """Start an InvokeServer for a project on a free port; stopped at teardown."""
    servers = []

    def _serve(project: Path, stage: str = "dev") -> InvokeServer:
        server = InvokeServer(LocalProject(str(project), stage), port=0)
        serve_in_thread(server)
        servers.append(server)
        return server

    yield _serve
    for server in servers:
        server.shutdown()
        server.server_close()
