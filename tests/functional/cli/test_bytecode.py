"""Precompiled bytecode in the real deployment zips, and Python really using it.

How "really using it" is proven: each check runs a fresh interpreter as Lambda
does (``-S -E -B``: no site-packages, no environment, no bytecode writes) on
the extracted files, with ``SourceFileLoader.source_to_code`` wrapped to
record every source the import system *compiles*.  It is only called when no
valid pyc is found at the PEP 3147 path (missing, wrong place, bad header,
stale hash), so "nothing under the extracted dir was compiled" fails for any
of those.  The opt-out zip is the control: the same probe then lists the app's
sources, so the probe itself can see compilation.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from chalice.config import Config
from chalice.deploy.swagger import TemplatedSwaggerGenerator
from chalice.utils import UI, OSUtils

from chalice_cognito.deploy import bytecode, packaging

RUNNING = f"python{sys.version_info.major}.{sys.version_info.minor}"
TAG = str(sys.implementation.cache_tag)
EVENT = Path(__file__).resolve().parents[2] / "fixtures" / "events" / "PreSignUp_SignUp.json"

APP = """
import tinydep
from chalicelib import rules
from chalice_cognito import Chalice

app = Chalice(app_name="bytes")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    event.response.auto_confirm_user = rules.AUTO
    event.response.auto_verify_email = tinydep.shout("x") == "X"
"""

#: the wrapped compiler, then: put sys.path together, import, optionally call a handler
PROBE = """
import importlib.machinery, json, sys
compiled = []
_original = importlib.machinery.SourceFileLoader.source_to_code
def _recording(self, data, path, *args, **kwargs):
    compiled.append(path)
    return _original(self, data, path, *args, **kwargs)
importlib.machinery.SourceFileLoader.source_to_code = _recording
spec = json.loads(sys.argv[1])
sys.path[:] = [spec["root"]] + [p for p in sys.path if p] + spec["after"]
out = {"values": {}, "files": {}}
for name in spec["modules"]:
    module = __import__(name, fromlist=["_"])
    out["files"][name] = [module.__file__, getattr(module, "__cached__", None)]
    if hasattr(module, "X"):
        out["values"][name] = module.X
if spec.get("event"):
    app = sys.modules["app"]
    result = getattr(app, spec["handler"])(json.load(open(spec["event"])), None)
    out["result"] = result
out["compiled"] = compiled
print(json.dumps(out))
"""


def probe(
    root: Path,
    modules: List[str],
    after: Optional[List[str]] = None,
    handler: Optional[str] = None,
) -> Dict[str, Any]:
    spec = {
        "root": str(root),
        "modules": modules,
        "after": after or [],
        "handler": handler,
        "event": str(EVENT) if handler else None,
    }
    env = {"PATH": os.environ.get("PATH", "")}  # -E ignores PYTHON*; nothing else leaks
    done = subprocess.run(
        [sys.executable, "-S", "-E", "-B", "-c", PROBE, json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(root),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: Dict[str, Any] = json.loads(done.stdout)
    return result


def compiled_under(result: Dict[str, Any], root: Path) -> List[str]:
    return [p for p in result["compiled"] if Path(p).resolve().is_relative_to(root.resolve())]


# -- compile_tree and the import system --------------------------------------------


def test_tree_pyc_is_used_and_an_edited_source_wins(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "same.py").write_text("X = 'same'\n")
    (pkg / "edited.py").write_text("X = 'before'\n")
    (pkg / "data" / "py2.py").write_text("print 'not python 3'\n")

    assert bytecode.compile_tree(str(tmp_path), TAG) == 3  # py2.py skipped, no error
    assert not (pkg / "data" / "__pycache__").exists()
    for name in ("__init__", "same", "edited"):
        assert (pkg / "__pycache__" / f"{name}.{TAG}.pyc").is_file()

    # checked-hash: a source edited after packaging is compiled, its stale pyc ignored
    (pkg / "edited.py").write_text("X = 'after'\n")
    # the pyc header of the source on disk, with other code behind it: loading
    # 'from pyc' proves Python accepted our header at our path without compiling
    spliced = b"X = 'from source'\n"
    (pkg / "spliced.py").write_bytes(spliced)
    header = bytecode.compile_source(spliced, "pkg/spliced.py")
    body = bytecode.compile_source(b"X = 'from pyc'\n", "pkg/spliced.py")
    assert header is not None and body is not None
    (pkg / "__pycache__" / f"spliced.{TAG}.pyc").write_bytes(header[:16] + body[16:])

    result = probe(tmp_path, ["pkg.same", "pkg.edited", "pkg.spliced"])
    assert result["values"] == {
        "pkg.same": "same",
        "pkg.edited": "after",
        "pkg.spliced": "from pyc",
    }
    assert compiled_under(result, tmp_path) == [str(pkg / "edited.py")]


# -- the packagers -----------------------------------------------------------------


class FakeDependencyBuilder:
    """Lays out one tiny pure-Python "wheel" as Chalice's DependencyBuilder installs it."""

    def build_site_packages(self, abi: str, requirements: str, target: str) -> None:
        site = Path(target)
        (site / "tinydep" / "templates").mkdir(parents=True)
        (site / "tinydep" / "__init__.py").write_text("def shout(s):\n    return s.upper()\n")
        (site / "tinydep" / "templates" / "py2_script.py").write_text("print 'py2'\n")
        info = site / "tinydep-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n")
        (info / "RECORD").write_text("tinydep/__init__.py,,\n")


def make_project(root: Path) -> Path:
    (root / ".chalice").mkdir(parents=True)
    (root / "chalicelib").mkdir()
    (root / "app.py").write_text(APP)
    (root / "chalicelib" / "__init__.py").write_text("")
    (root / "chalicelib" / "rules.py").write_text("AUTO = True\n")
    # what a local run leaves behind: a timestamp-based pyc at the very path of ours
    (root / "chalicelib" / "__pycache__").mkdir()
    (root / "chalicelib" / "__pycache__" / f"rules.{TAG}.pyc").write_bytes(b"local junk")
    (root / "requirements.txt").write_text("tinydep==1.0\n")
    return root


def packager(kind: Any = packaging.CognitoLambdaDeploymentPackager, **kw: Any) -> Any:
    """A packager with bytecode on (the opt-in) unless the test says otherwise."""
    kw.setdefault("precompile_bytecode", True)
    kw.setdefault("ui", UI())
    kw.setdefault("dependency_builder", FakeDependencyBuilder())
    return kind(osutils=OSUtils(), architecture="x86_64", **kw)


def extract(zip_path: str, target: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(target)
    return target


def venv_site_packages() -> str:
    # pydantic (not in the test's zip, as no pip runs) comes last on the path
    return sysconfig.get_paths()["purelib"]


def test_lambda_zip_ships_bytecode_python_uses(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    built = packager()
    zip_path = built.create_deployment_package(str(project), RUNNING)
    with zipfile.ZipFile(zip_path) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        local_rules = archive.read(f"chalicelib/__pycache__/rules.{TAG}.pyc")
    assert len(names) == len(set(names)), "duplicate zip entries"
    sources = [n for n in names if n.endswith(".py")]
    for wanted in ("app.py", "chalice/app.py", "chalice/__init__.py", "chalicelib/rules.py"):
        assert wanted in sources
    assert "chalice_cognito/dispatch.py" in sources and "tinydep/__init__.py" in sources
    missing = [
        s
        for s in sources
        if bytecode.pyc_zip_path(s, TAG) not in names and not s.endswith("py2_script.py")
    ]
    assert missing == []
    assert bytecode.pyc_zip_path("tinydep/templates/py2_script.py", TAG) not in names
    pycs = [n for n in names if n.endswith(".pyc")]
    assert len(pycs) == len(sources) - 1 == built.compiled_files
    assert local_rules != b"local junk"
    # Lambda runs the code as another user: every entry must be world-readable
    assert all((i.external_attr >> 16) & 0o444 == 0o444 for i in infos if i.filename in pycs)

    root = extract(zip_path, tmp_path / "task")
    modules = ["app", "chalice.app", "chalice_cognito.dispatch", "chalicelib.rules", "tinydep"]
    result = probe(root, modules, after=[venv_site_packages()], handler="pre_sign_up")
    assert result["result"]["response"]["autoConfirmUser"] is True
    assert result["result"]["response"]["autoVerifyEmail"] is True
    for name, (file, cached) in result["files"].items():
        assert Path(file).resolve().is_relative_to(root.resolve()), name
        assert cached and Path(cached).is_file(), name
    assert compiled_under(result, root) == []


def test_opt_out_ships_sources_only_under_another_zip_name(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    # on unless asked otherwise: the packager's own default, as create_build_stage's
    default = packaging.CognitoLambdaDeploymentPackager(
        osutils=OSUtils(), dependency_builder=FakeDependencyBuilder(), ui=UI()
    )
    assert default.precompile_bytecode is True
    on = default.deployment_package_filename(str(project), RUNNING)
    off_packager = packager(precompile_bytecode=False)
    off = off_packager.create_deployment_package(str(project), RUNNING)
    assert os.path.basename(off) != os.path.basename(on)
    assert off_packager.compiled_files == 0
    with zipfile.ZipFile(off) as archive:
        names = archive.namelist()
    # stock Chalice behaviour: a chalicelib/__pycache__ left by local runs goes in as is
    assert [n for n in names if n.endswith(".pyc")] == [f"chalicelib/__pycache__/rules.{TAG}.pyc"]

    # the control for the probe: without bytecode, it sees the sources compiled
    root = extract(off, tmp_path / "task")
    result = probe(root, ["app"], after=[venv_site_packages()])
    compiled = compiled_under(result, root)
    for source in (
        "app.py",
        "chalice/app.py",
        "chalice_cognito/dispatch.py",
        "tinydep/__init__.py",
    ):
        assert str(root / source) in compiled


def test_zip_name_follows_the_tag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path / "proj")

    def name(**kw: Any) -> str:
        built: packaging.CognitoLambdaDeploymentPackager = packager(**kw)
        return os.path.basename(built.deployment_package_filename(str(project), RUNNING))

    on, off = name(), name(precompile_bytecode=False)
    assert on == name() and off != on
    # a runtime other than the packaging interpreter's gets no bytecode: Chalice's own name
    other = "python3.10" if RUNNING != "python3.10" else "python3.12"
    assert packager().deployment_package_filename(str(project), other) == packager(
        precompile_bytecode=False
    ).deployment_package_filename(str(project), other)
    monkeypatch.setattr(bytecode, "bytecode_tag", lambda version: "cpython-399")
    assert name() not in (on, off)


def test_other_runtime_falls_back_to_sources_and_says_so_once(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    other = "python3.10" if RUNNING != "python3.10" else "python3.12"
    out = io.StringIO()
    notes = packaging.PackagingNotes(UI(out=out, err=out))
    # the two packagers of automatic_layer, and the single one, share the stage's notes
    for kind in (
        packaging.CognitoLayerDeploymentPackager,
        packaging.CognitoAppOnlyDeploymentPackager,
        packaging.CognitoLambdaDeploymentPackager,
    ):
        built = packager(kind, notes=notes, ui=UI(out=out, err=out))
        zip_path = built.create_deployment_package(str(project), other)
        with zipfile.ZipFile(zip_path) as archive:
            pycs = [n for n in archive.namelist() if n.endswith(".pyc")]
        assert [p for p in pycs if "chalicelib/__pycache__/" not in p] == [], kind
        assert built.compiled_files == 0
    said = [line for line in out.getvalue().splitlines() if line.startswith("Bytecode:")]
    assert len(said) == 1, said
    version = other.replace("python", "Python ")
    assert f"the functions run {other}" in said[0]
    assert f"Deploy from a {version} environment" in said[0]
    assert '"precompile_bytecode": false' in said[0]
    # the opt-out says nothing
    quiet = io.StringIO()
    packager(precompile_bytecode=False, ui=UI(out=quiet, err=quiet)).create_deployment_package(
        str(project), other
    )
    assert "Bytecode" not in quiet.getvalue()


def test_layer_and_app_only_zips(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    layer = packager(packaging.CognitoLayerDeploymentPackager)
    with zipfile.ZipFile(layer.create_deployment_package(str(project), RUNNING)) as archive:
        names = archive.namelist()
    prefix = f"python/lib/{RUNNING}/site-packages/"
    assert f"{prefix}tinydep/__pycache__/__init__.{TAG}.pyc" in names
    # the runtime half rides in the layer (Chalice puts vendor/ there), compiled
    assert f"{prefix}chalice_cognito/__pycache__/dispatch.{TAG}.pyc" in names
    assert f"{prefix}chalice_cognito/testing.py" not in names
    assert not [n for n in names if not n.startswith(prefix)]
    assert not [n for n in names if n.endswith(f"py2_script.{TAG}.pyc")]
    assert os.path.basename(layer.deployment_package_filename(str(project), RUNNING)) != (
        os.path.basename(
            packager(
                packaging.CognitoLayerDeploymentPackager, precompile_bytecode=False
            ).deployment_package_filename(str(project), RUNNING)
        )
    )

    app_only = packager(packaging.CognitoAppOnlyDeploymentPackager)
    zip_path = app_only.create_deployment_package(str(project), RUNNING)
    assert os.path.basename(zip_path).startswith("appcode-")
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    for source in ("app.py", "chalice/app.py", "chalicelib/rules.py"):
        assert bytecode.pyc_zip_path(source, TAG) in names
    assert not [n for n in names if n.startswith("chalice_cognito/")]
    off = packager(packaging.CognitoAppOnlyDeploymentPackager, precompile_bytecode=False)
    assert off.deployment_package_filename(str(project), RUNNING) != zip_path


# -- the config key reaches the packagers --------------------------------------------


@pytest.mark.parametrize("automatic_layer", [False, True])
@pytest.mark.parametrize(
    ("on_disk", "expected"),
    [
        ({}, True),
        ({"cognito": {"user_pool_id": "eu-west-1_AbC", "precompile_bytecode": True}}, True),
        ({"cognito": {"user_pool_id": "eu-west-1_AbC", "precompile_bytecode": False}}, False),
        (
            {
                "cognito": {"precompile_bytecode": False},
                "stages": {"dev": {"cognito": {"precompile_bytecode": True}}},
            },
            True,
        ),
    ],
)
def test_build_stage_packagers_follow_the_config(
    on_disk: Dict[str, Any], expected: bool, automatic_layer: bool
) -> None:
    config = Config(
        chalice_stage="dev",
        user_provided_params={"project_dir": "/nonexistent"},
        config_from_disk={**on_disk, "automatic_layer": automatic_layer},
    )
    stage = packaging.create_build_stage(OSUtils(), UI(), TemplatedSwaggerGenerator(), config)
    found = list(stage.packagers)
    assert len(found) == (2 if automatic_layer else 1)
    assert [p.precompile_bytecode for p in found] == [expected] * len(found)


# -- only what a cold start imports ---------------------------------------------------

#: the distributions the runtime half needs, copied from this venv as pip installs them
PYDANTIC_DISTS = ("pydantic", "pydantic_core", "typing_extensions", "annotated_types")


class RealPydanticBuilder(FakeDependencyBuilder):
    """tinydep (with a module nobody imports and a test suite) plus this venv's real pydantic."""

    def build_site_packages(self, abi: str, requirements: str, target: str) -> None:
        super().build_site_packages(abi, requirements, target)
        site = Path(target)
        (site / "tinydep" / "unused.py").write_text("X = 1\n")
        (site / "tinydep" / "tests").mkdir()
        (site / "tinydep" / "tests" / "test_x.py").write_text("def test(): pass\n")
        source = Path(venv_site_packages())
        for entry in source.iterdir():
            top = entry.name.split("-")[0].split(".")[0]
            if top in PYDANTIC_DISTS or entry.name == "typing_inspection":
                if entry.is_dir():
                    shutil.copytree(
                        entry, site / entry.name, ignore=shutil.ignore_patterns("*.pyc")
                    )
                else:
                    shutil.copyfile(entry, site / entry.name)


def test_default_zip_compiles_what_a_cold_start_imports_and_nothing_more(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    built = packaging.CognitoLambdaDeploymentPackager(
        osutils=OSUtils(), dependency_builder=RealPydanticBuilder(), ui=UI()
    )
    zip_path = built.create_deployment_package(str(project), RUNNING)
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
    pyc = {s: bytecode.pyc_zip_path(s, TAG) in names for s in names if s.endswith(".py")}
    assert pyc["tinydep/__init__.py"] and pyc["pydantic/main.py"] and pyc["app.py"]
    assert not pyc["tinydep/unused.py"] and not pyc["tinydep/tests/test_x.py"]
    assert not [s for s, has in pyc.items() if s.startswith("pydantic/v1/") and has]
    # never imported by a trigger's cold start: no bytecode shipped for them
    for unused in ("pydantic/mypy.py", "pydantic/deprecated/json.py", "pydantic/networks.py"):
        assert pyc[unused] is False, unused
    size = packaging.package_size(zip_path)
    assert size.compiled == built.compiled_files == sum(pyc.values())
    assert 0 < size.without_bytecode < size.size
    assert f"{size.compiled} modules precompiled" in size.summary()

    # As Lambda runs it, with nothing from this venv: import + the first event
    # compile nothing from the zip (the pydantic models a trigger validates with
    # included), so the measurement saw every module a cold start needs.
    root = extract(zip_path, tmp_path / "task")
    result = probe(root, ["app"], handler="pre_sign_up")
    assert result["result"]["response"]["autoConfirmUser"] is True
    assert compiled_under(result, root) == []


def test_an_app_the_clean_interpreter_cannot_import_gets_everything_compiled(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "proj")
    (project / "app.py").write_text(
        APP + "\nimport sys\nif sys.flags.no_site:\n    raise RuntimeError('not here')\n"
    )
    out = io.StringIO()
    built = packaging.CognitoLambdaDeploymentPackager(
        osutils=OSUtils(),
        dependency_builder=RealPydanticBuilder(),
        ui=UI(out=out, err=out),
    )
    zip_path = built.create_deployment_package(str(project), RUNNING)
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
    assert bytecode.pyc_zip_path("tinydep/unused.py", TAG) in names
    assert bytecode.pyc_zip_path("pydantic/main.py", TAG) in names
    # never worth it, even then: pydantic's V1 copy, test suites
    assert not [n for n in names if n.startswith("pydantic/v1/") and n.endswith(".pyc")]
    assert bytecode.pyc_zip_path("tinydep/tests/test_x.py", TAG) not in names
    assert "could not import the app in a clean interpreter" in out.getvalue()
    assert "RuntimeError: not here" in out.getvalue()


# -- the real command ---------------------------------------------------------------

#: two triggers, no AWS call: every handler runs from the zip alone (``--smoke``)
SMOKE_APP = """
from chalice_cognito import Chalice

app = Chalice(app_name="tiny")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    event.response.auto_confirm_user = True


@app.cognito_trigger("PostConfirmation")
def post_confirmation(event):
    return None
"""


@pytest.mark.parametrize("automatic_layer", [False, True])
def test_deploy_ships_bytecode_by_default_and_reports_the_sizes(
    tmp_path: Path, run_cli: Any, h: Any, aws: None, automatic_layer: bool
) -> None:
    pool = h.create_pool()
    stages = {"dev": {"cognito": {"user_pool_id": pool["Id"]}}}
    project = h.write_project(tmp_path / "tiny", SMOKE_APP, stages)
    if automatic_layer:
        config_path = project / ".chalice" / "config.json"
        config = json.loads(config_path.read_text())
        config_path.write_text(json.dumps({**config, "automatic_layer": True}))
    # --smoke: every trigger runs from the zip(s) just built, with the layer when there is one
    result = run_cli(project, "deploy", "--stage", "dev", "--smoke")
    assert result.exit_code == 0, result.err + result.out
    assert "BROKEN" not in result.out and "pre_sign_up" in result.out, result.out
    reported = [line for line in result.out.splitlines() if line.startswith("Deployment package")]
    assert len(reported) == (2 if automatic_layer else 1), result.out
    for line in reported:
        assert "without bytecode;" in line and "modules precompiled)" in line, line
    deployments = project / ".chalice" / "deployments"
    zips = {p.name: p for p in deployments.glob("*.cc-*.zip")}
    assert sorted(line.split()[2].rstrip(":") for line in reported) == sorted(zips)
    names: List[str] = []
    for path in zips.values():
        with zipfile.ZipFile(path) as archive:
            names += archive.namelist()
    site = f"python/lib/{RUNNING}/site-packages/" if automatic_layer else ""
    for source in ("app.py", f"{site}chalice_cognito/dispatch.py", f"{site}pydantic/main.py"):
        assert bytecode.pyc_zip_path(source, TAG) in names, source
    assert not [n for n in names if n.startswith(f"{site}pydantic/v1/") and n.endswith(".pyc")]
    if automatic_layer:
        assert "python/lib" not in " ".join(n for n in names if n.startswith("app"))


def test_deploy_opt_out_reports_sources_only(
    tmp_path: Path, run_cli: Any, h: Any, aws: None
) -> None:
    pool = h.create_pool()
    stages = {"dev": {"cognito": {"user_pool_id": pool["Id"], "precompile_bytecode": False}}}
    project = h.write_project(tmp_path / "tiny", h.TINY_APP, stages)
    result = run_cli(project, "deploy", "--stage", "dev")
    assert result.exit_code == 0, result.err + result.out
    assert "(sources only, no bytecode)" in result.out
    assert "Bytecode:" not in result.out
    (package,) = (project / ".chalice" / "deployments").glob("*.cc-*.zip")
    with zipfile.ZipFile(package) as archive:
        assert not [n for n in archive.namelist() if n.endswith(".pyc")]
