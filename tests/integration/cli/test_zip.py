"""Issue "Local" part 5: the deployment zip works in Lambda.

The example app is deployed to the embedded AWS (module fixture); its zip is
unpacked and a fresh ``python -S -I`` whose ``sys.path`` is only the unpacked
zip and the standard library imports ``app`` and runs every trigger handler on
a sample event.  The zip must carry chalice_cognito's runtime half and a Linux
build of pydantic, and none of the deploy-time half.
"""

from __future__ import annotations

import importlib
import re
import sys
import zipfile
from pathlib import Path

import pytest

from chalice_cognito.catalogue import TRIGGERS
from chalice_cognito.local import smoke
from chalice_cognito.testing import sample_event

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("cli-example-deploy")]

DEPLOY_TIME = (
    "click/",
    "boto3/",
    "botocore/",
    # The rest of the AWS SDK the Lambda runtime provides (issue 6: packaging).
    "s3transfer/",
    "jmespath/",
    "dateutil/",
    "six.py",
    "urllib3/",
    "moto/",
    "chalice/cli/",
    "chalice/deploy/",
    "chalice/cli",
    "chalice_cognito/cli.py",
    # test helpers (sample events) are for the developer's tests, not for Lambda
    "chalice_cognito/testing.py",
    "chalice_cognito/deploy/",
    "chalice_cognito/local/",
    "chalice_cognito/iac/",
)


def _calls(project: Path) -> list:
    """SmokeCalls for the copied app, imported here and then forgotten again."""
    saved = {k: v for k, v in sys.modules.items() if k == "app" or k.startswith("chalicelib")}
    for key in saved:
        del sys.modules[key]
    sys.path.insert(0, str(project))
    try:
        app = importlib.import_module("app").app

        def event(source, version):
            return sample_event(source, version=version) if version else sample_event(source)

        return smoke.calls_for_app(app, event)
    finally:
        sys.path.remove(str(project))
        for key in [k for k in sys.modules if k == "app" or k.startswith("chalicelib")]:
            del sys.modules[key]
        sys.modules.update(saved)


def test_zip_contents(deployed_example) -> None:
    assert deployed_example.result.exit_code == 0, deployed_example.result.err
    zip_path = deployed_example.zip_path
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    size = zip_path.stat().st_size
    print(f"\ndeployment zip {zip_path.name}: {size} bytes ({size / 1048576:.1f} MiB)")
    # no 22 MB of boto3/botocore/pip wheels; ~0.7 MB of it is the shipped bytecode (.pyc)
    assert size < 12 * 1048576
    for required in (
        "app.py",
        "chalice/app.py",
        "chalice/__init__.py",
        "chalicelib/signup_policy.py",
        "chalice_cognito/__init__.py",
        "chalice_cognito/app.py",
        "chalice_cognito/catalogue.py",
        "chalice_cognito/dispatch.py",
        "chalice_cognito/senders.py",
        "chalice_cognito/events/base.py",
        "chalice_cognito/py.typed",
        "pydantic/__init__.py",
    ):
        assert required in names, required
    native = [n for n in names if n.startswith("pydantic_core/_pydantic_core.")]
    assert native and all(n.endswith("-x86_64-linux-gnu.so") for n in native), native
    assert not [n for n in names if n.startswith(DEPLOY_TIME)]
    # requirements.txt's aws-encryption-sdk (custom senders) with cryptography's Linux build.
    assert "aws_encryption_sdk/__init__.py" in names
    rust = [n for n in names if re.match(r"cryptography/hazmat/bindings/_rust\..*so$", n)]
    assert rust, [n for n in names if n.startswith("cryptography/hazmat/bindings/")]
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.read(rust[0])[:4] == b"\x7fELF"  # a Linux shared object


def test_every_handler_runs_from_the_zip_alone(deployed_example, tmp_path) -> None:
    calls = _calls(deployed_example.project)
    assert sorted(c.trigger for c in calls) == sorted(t.name for t in TRIGGERS)
    report = smoke.run_zip(str(deployed_example.zip_path), calls, keep_dir=str(tmp_path))
    print("\n" + smoke.format_report(report))
    assert report.flags == {"no_site": 1, "isolated": 1}
    assert report.path_isolated, report.sys_path
    assert report.sys_path[0] == report.root
    for module in ("pydantic", "pydantic_core", "chalice", "chalice_cognito"):
        assert (report.loaded[module] or "").startswith(report.root + "/"), report.loaded
    assert report.forbidden_modules == []
    assert [r.call.trigger for r in report.results if r.kind == "broken"] == []
    ok = {r.call.trigger for r in report.results if r.kind == "ok"}
    assert {"PreSignUp", "PreTokenGeneration", "CustomMessage", "InboundFederation"} <= ok
    # Zip only: handlers calling AWS (boto3 is the Lambda runtime's, not in the zip) are
    # the only ones that cannot run, and say so.
    needs = {r.call.trigger for r in report.results if r.kind == "needs-runtime"}
    assert needs <= {
        "PostConfirmation",
        "CreateAuthChallenge",
        "CustomEmailSender",
        "CustomSMSSender",
    }, needs
    assert all("boto3" in (r.error or "") for r in report.results if r.kind == "needs-runtime")
    assert report.ok


def test_isolation_is_real(deployed_example, tmp_path) -> None:
    """Control: the same zip without pydantic breaks every handler (site-packages is not seen)."""
    stripped = tmp_path / "no-pydantic.zip"
    with zipfile.ZipFile(deployed_example.zip_path) as src, zipfile.ZipFile(stripped, "w") as dst:
        for info in src.infolist():
            if not info.filename.startswith(("pydantic/", "pydantic_core/")):
                dst.writestr(info, src.read(info.filename))
    calls = _calls(deployed_example.project)[:2]
    report = smoke.run_zip(str(stripped), calls)
    assert [r.kind for r in report.results] == ["broken", "broken"]
    assert all("pydantic" in (r.error or "") for r in report.results)
    assert not report.ok
