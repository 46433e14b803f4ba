"""Fixtures for driving the real ``chalice-cognito`` command in-process against moto.

``run_cli`` calls :func:`chalice_cognito.cli.main` (real exit codes, real
Chalice packager and deployer) inside ``moto.mock_aws``.  Every botocore call
made through the command's session (Chalice's deployer and the wiring engine
share it) is recorded by a ``before-call`` hook, so tests can check the order
of AWS calls.

Chalice imports the project's ``app`` module by that name and the command
``chdir``s into the project: both are undone after each call so other tests in
the same process see nothing.
"""

from __future__ import annotations

import os
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import boto3
import pytest
from moto import mock_aws

from chalice_cognito import cli as cli_module
from tests.support import aws as support_aws

REGION = support_aws.REGION

TINY_APP = """
import boto3
from chalice_cognito import Chalice

app = Chalice(app_name="tiny")
cognito = boto3.client("cognito-idp")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    event.response.auto_confirm_user = True


@app.cognito_trigger("PostConfirmation")
def post_confirmation(event):
    cognito.admin_add_user_to_group(
        UserPoolId=event.user_pool_id, Username=event.user_name, GroupName="customers"
    )
"""

#: The same app after a refactoring: PreSignUp moved to a new function name,
#: PostConfirmation dropped.
TINY_APP_V2 = """
from chalice_cognito import Chalice

app = Chalice(app_name="tiny")


@app.cognito_trigger("PreSignUp")
def validate_sign_up(event):
    event.response.auto_confirm_user = True
"""


@dataclass
class Recorded:
    """AWS calls made through the command's botocore session, in order."""

    calls: List[Tuple[str, str, Dict[str, Any]]] = field(default_factory=list)

    def names(self) -> List[str]:
        return [op for _, op, _ in self.calls]

    def index(self, operation: str, **match: Any) -> int:
        """Position of the first ``operation`` whose params contain ``match``."""
        for i, (_, op, params) in enumerate(self.calls):
            if op == operation and all(params.get(k) == v for k, v in match.items()):
                return i
        raise AssertionError(f"no {operation} {match} in {self.names()}")

    def clear(self) -> None:
        self.calls.clear()


WRITE_PREFIXES = ("Create", "Update", "Delete", "Put", "Add", "Remove", "Attach", "Detach", "Tag")


@dataclass
class CliResult:
    exit_code: int
    out: str
    err: str


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    recorded = Recorded()
    original = cli_module.CognitoCLIFactory.create_botocore_session

    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        session = original(self, *args, **kwargs)

        def before_build(params: Dict[str, Any], model: Any, **_: Any) -> None:
            # The API parameters as the caller passed them, before serialisation.
            recorded.calls.append((model.service_model.service_name, model.name, dict(params)))

        session.register("before-parameter-build", before_build)
        return session

    monkeypatch.setattr(cli_module.CognitoCLIFactory, "create_botocore_session", create)
    return recorded


def write_project(
    root: Path, app_source: str, stages: Optional[Dict[str, Any]] = None, app_name: str = "tiny"
) -> Path:
    """A Chalice project: app.py, .chalice/config.json (requirements come from the plugin)."""
    import json

    (root / ".chalice").mkdir(parents=True, exist_ok=True)
    (root / "app.py").write_text(textwrap.dedent(app_source))
    config = {"version": "2.0", "app_name": app_name, "stages": stages or {"dev": {}}}
    (root / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))
    return root


@pytest.fixture
def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliResult]:
    """``run_cli(project_dir, *args)`` -> exit code and output of ``chalice-cognito``."""
    monkeypatch.chdir(os.getcwd())  # restored at teardown: the command chdirs
    monkeypatch.setenv("AWS_CHALICE_CLI_MODE", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)

    def run(project: Path, *args: str, stock: bool = False) -> CliResult:
        """Run ``chalice-cognito`` (or, with ``stock``, plain ``chalice``) in-process."""
        saved = {k: v for k, v in sys.modules.items() if k == "app" or k.startswith("chalicelib")}
        for key in saved:
            del sys.modules[key]
        argv = ["--project-dir", str(project), *args]
        try:
            if stock:
                from chalice import cli as chalice_cli

                code = chalice_cli.cli.main(args=argv, obj={}, standalone_mode=False) or 0
            else:
                code = cli_module.main(argv)
        finally:
            for key in [k for k in sys.modules if k == "app" or k.startswith("chalicelib")]:
                del sys.modules[key]
            sys.modules.update(saved)
            if str(project) in sys.path:
                sys.path.remove(str(project))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def create_pool(name: str = "tiny-pool", **kwargs: Any) -> Dict[str, Any]:
    """A user pool in (mocked) AWS; returns DescribeUserPool's UserPool."""
    idp = boto3.client("cognito-idp", region_name=REGION)
    pool_id = idp.create_user_pool(PoolName=name, **kwargs)["UserPool"]["Id"]
    return dict(idp.describe_user_pool(UserPoolId=pool_id)["UserPool"])


lambda_config = support_aws.lambda_config
function_names = support_aws.function_names


@pytest.fixture
def h() -> Any:
    """The helpers above, for test modules (conftest is not importable under importlib mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        TINY_APP=TINY_APP,
        TINY_APP_V2=TINY_APP_V2,
        WRITE_PREFIXES=WRITE_PREFIXES,
        write_project=write_project,
        create_pool=create_pool,
        lambda_config=lambda_config,
        function_names=function_names,
        region=REGION,
    )
