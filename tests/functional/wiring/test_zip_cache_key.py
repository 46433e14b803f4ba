"""The deployment zip's cache key is stable, so an unchanged app reuses its zip.

Chalice names the zip after a hash of the requirements and the app files;
chalice-cognito adds its runtime half and an effective requirements file to
both.  A key that changed from one run to the next would make every
re-deploy rebuild the zip (pip install included).
"""

from __future__ import annotations

import os
from pathlib import Path

from chalice.deploy.packager import DependencyBuilder
from chalice.utils import UI, OSUtils

from chalice_cognito.deploy.packaging import CognitoLambdaDeploymentPackager


def project(root: Path) -> Path:
    (root / "chalicelib").mkdir(parents=True)
    (root / "app.py").write_text("from chalice import Chalice\napp = Chalice(app_name='shop')\n")
    (root / "chalicelib" / "__init__.py").write_text("")
    (root / "chalicelib" / "rules.py").write_text("LIMIT = 3\n")
    (root / "requirements.txt").write_text("requests==2.32.3\n")
    return root


def zip_name(project_dir: Path) -> str:
    # A new packager each time, as each deploy (a new process) makes one.
    osutils = OSUtils()
    packager = CognitoLambdaDeploymentPackager(
        osutils=osutils, dependency_builder=DependencyBuilder(osutils), ui=UI()
    )
    return os.path.basename(packager.deployment_package_filename(str(project_dir), "python3.12"))


def test_key_is_the_same_on_every_run_and_ignores_timestamps(tmp_path: Path) -> None:
    root = project(tmp_path / "shop")
    first = zip_name(root)
    written = root / ".chalice" / "deployments" / "chalice-cognito-project" / "requirements.txt"
    stamp = written.stat().st_mtime_ns
    for path in [*root.rglob("*.py"), root / "requirements.txt"]:
        os.utime(path, ns=(1, 1))  # a checkout or copy changes times, not contents
    assert zip_name(root) == first
    # The effective requirements file is only rewritten when its content changes.
    assert written.stat().st_mtime_ns == stamp


def test_key_follows_app_code_and_requirements(tmp_path: Path) -> None:
    root = project(tmp_path / "shop")
    first = zip_name(root)
    (root / "chalicelib" / "rules.py").write_text("LIMIT = 4\n")
    second = zip_name(root)
    (root / "requirements.txt").write_text("requests==2.32.4\n")
    third = zip_name(root)
    assert len({first, second, third}) == 3
