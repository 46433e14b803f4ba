"""A throw-away Chalice project with Cognito triggers, built by Chalice's own app graph."""

from __future__ import annotations

import importlib.util
import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
from chalice.config import Config
from chalice.deploy import deployer, models
from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder
from chalice.deploy.swagger import TemplatedSwaggerGenerator
from chalice.utils import UI, OSUtils

APP_SOURCE = """
from chalice_cognito import Chalice

app = Chalice(app_name="grantsdemo")


@app.cognito_trigger("PostConfirmation", access=["AdminAddUserToGroup"])
def post_confirmation(event):
    return event


@app.cognito_trigger("CustomEmailSender")
def send_email(event):
    return None


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    return event
"""

ROUTE_SOURCE = """

@app.route("/")
def index():
    return {}
"""


class Project:
    """A Chalice project on disk plus the helpers to run Chalice's build on it."""

    def __init__(self, root: Path, with_route: bool, extra_source: str = "") -> None:
        self.root = root
        (root / ".chalice").mkdir()
        source = APP_SOURCE + (ROUTE_SOURCE if with_route else "") + extra_source
        (root / "app.py").write_text(source)
        self.config_json: Dict[str, Any] = {
            "version": "2.0",
            "app_name": "grantsdemo",
            "stages": {"dev": {}},
        }
        spec = importlib.util.spec_from_file_location(
            f"grants_app_{uuid.uuid4().hex}", root / "app.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.app = module.app

    def write_file(self, relative: str, content: Any) -> Path:
        path = self.root / relative
        path.write_text(json.dumps(content) if not isinstance(content, str) else content)
        return path

    def config(self) -> Config:
        """The Config ``chalice deploy`` builds (CLIFactory's defaults), app already loaded."""
        (self.root / ".chalice" / "config.json").write_text(json.dumps(self.config_json))
        return Config(
            chalice_stage="dev",
            user_provided_params={"chalice_app": self.app},
            config_from_disk=self.config_json,
            default_params={
                "project_dir": str(self.root),
                "api_gateway_stage": "api",
                "api_gateway_endpoint_type": "EDGE",
                "autogen_policy": True,
            },
        )

    def build_stage(self, config: Config) -> deployer.BuildStage:
        """Chalice's real build stage, with the pip packager replaced by a zip of app.py."""
        stage = deployer.create_build_stage(OSUtils(), UI(), TemplatedSwaggerGenerator(), config)
        packagers = (deployer.DeploymentPackager, deployer.ManagedLayerDeploymentPackager)
        stage._steps = [
            AppZipPackager(self.root) if isinstance(s, packagers) else s for s in stage._steps
        ]
        return stage

    @staticmethod
    def by_name(resources: List[models.Model], name: str) -> Any:
        found = [r for r in resources if getattr(r, "resource_name", None) == name]
        names = [getattr(r, "resource_name", type(r).__name__) for r in resources]
        assert found, f"no resource {name!r} in {names}"
        return found[0]

    def resources(self, config: Config) -> List[models.Model]:
        graph = ApplicationGraphBuilder().build(config, "dev")
        return list(DependencyBuilder().build_dependencies(graph))


class AppZipPackager(deployer.BaseDeployStep):  # type: ignore[misc]
    """Stands in for Chalice's pip-based packager: the zip holds app.py only."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def handle_deploymentpackage(self, config: Config, resource: Any) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.write(self.root / "app.py", "app.py")
        path = self.root / ".chalice" / "deployment.zip"
        path.write_bytes(buffer.getvalue())
        resource.filename = str(path)


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Project]:
    def make(with_route: bool = False, extra_source: str = "") -> Project:
        root = tmp_path / f"project-{uuid.uuid4().hex[:8]}"
        root.mkdir()
        return Project(root, with_route, extra_source)

    return make
