"""The packagers: what chalice-cognito adds to (and leaves out of) the deployment zip.

Chalice builds the Lambda zip with its own packagers, through their public
API only (:class:`CognitoPackager`: a staged project in, a post-processed zip
out; no private packager method is overridden).  The zip

* holds the plugin's *runtime half* (and its pydantic requirement), never its
  deploy-time half nor its test helpers (``testing.py``);
* leaves out the AWS SDK the Lambda runtime already provides;
* ships checked-hash bytecode (:mod:`.bytecode`) for what a cold start
  imports, unless ``precompile_bytecode`` is false.

:func:`create_build_stage` is Chalice's build stage with those packagers and
extra steps (the ``access=`` grants step of :mod:`.grants`);
:func:`cognito_packaging` makes ``chalice package`` use it.
"""

from __future__ import annotations

import contextlib
import email.message
import email.parser
import functools
import hashlib
import importlib.metadata
import importlib.util
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, cast

import chalice
from chalice import app as chalice_app
from chalice import package as chalice_package
from chalice.config import Config
from chalice.deploy import deployer as chalice_deployer
from chalice.deploy import packager as chalice_packager
from chalice.deploy.deployer import (
    BaseDeployStep,
    BuildStage,
    DeploymentPackager,
    ManagedLayerDeploymentPackager,
)
from chalice.deploy.swagger import SwaggerGenerator
from chalice.utils import UI, OSUtils

import chalice_cognito
from chalice_cognito.deploy import bytecode
from chalice_cognito.deploy import config as config_section
from chalice_cognito.deploy.chalice_seam import cognito_analyzer

#: Parts of the chalice_cognito package that only run on a developer machine or
#: in CI; everything else in the package is the runtime half that ships in the
#: Lambda zip.  Listing the excluded side means a new runtime module ships
#: without anyone having to remember to add it here.
#: ``testing.py`` (sample events, test helpers) is for the developer's tests,
#: never imported by a function.
DEPLOY_TIME_PARTS = frozenset(
    {"cli.py", "cdk.py", "testing.py", "deploy", "local", "iac", "__pycache__"}
)


# -- the runtime half inside the zip ------------------------------------------


def runtime_files() -> List[Tuple[str, str]]:
    """``(absolute path, zip path)`` of every runtime-half file of the plugin, sorted.

    Sorted so the zip hash Chalice computes over these files is stable.
    """
    root = Path(chalice_cognito.__file__).resolve().parent
    found: List[Tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir == Path("."):
            dirnames[:] = [d for d in dirnames if d not in DEPLOY_TIME_PARTS]
            filenames = [f for f in filenames if f not in DEPLOY_TIME_PARTS]
        else:
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for filename in filenames:
            if filename.endswith((".py", ".typed")):
                full = Path(dirpath) / filename
                found.append((str(full), str(Path("chalice_cognito") / rel_dir / filename)))
    return sorted(found, key=lambda pair: pair[1])


def runtime_requirements() -> List[str]:
    """The plugin's own runtime requirements (``pydantic>=2.7,<3``), from its metadata."""
    try:
        declared = importlib.metadata.requires("chalice-cognito") or []
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - source checkout
        declared = []
    reqs = [r for r in declared if "extra ==" not in r]
    return reqs or ["pydantic>=2.7,<3"]


_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _req_name(line: str) -> Optional[str]:
    match = _REQ_NAME.match(line)
    if match is None or line.lstrip().startswith(("#", "-")):
        return None
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def effective_requirements(user_text: str) -> str:
    """The user's requirements.txt as the Lambda zip needs it.

    A ``chalice-cognito`` line is dropped (the package is not on the index the
    packager downloads from, and would drag the deploy-time half along): the
    runtime half is added by the packager itself.  The plugin's runtime
    requirements (pydantic) are appended unless the user already pins them.
    A last comment names the Lambda-provided distributions the zip leaves out
    (see :func:`runtime_provided_files`): it is part of the file Chalice hashes
    into the zip name, so a change of that rule never reuses a stale zip.
    """
    lines = [ln for ln in user_text.splitlines() if _req_name(ln) != "chalice-cognito"]
    named = {_req_name(ln) for ln in lines}
    for req in runtime_requirements():
        if _req_name(req) not in named:
            lines.append(req)
    left_out = sorted(set(LAMBDA_RUNTIME_PROVIDED) - named)
    if left_out:
        lines.append(
            "# chalice-cognito: provided by the Lambda runtime, left out of the zip "
            "unless needed otherwise: " + ", ".join(left_out)
        )
    return "\n".join(lines).strip() + "\n"


# -- packages the Lambda Python runtime already provides ------------------------

#: Distributions every AWS Lambda Python runtime ships outside the zip (the AWS
#: SDK and what it needs), normalised names.  The first group is always left
#: out of the zip; the second only when nothing kept in the zip requires it,
#: since another package may need a newer release than the runtime's (urllib3).
LAMBDA_RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath")
LAMBDA_RUNTIME_SDK_DEPS = ("python-dateutil", "six", "urllib3")
LAMBDA_RUNTIME_PROVIDED = (*LAMBDA_RUNTIME_SDK, *LAMBDA_RUNTIME_SDK_DEPS)


def _metadata(info: Path) -> Optional[email.message.Message]:
    """The headers of a ``.dist-info``'s ``METADATA`` (None when it has none)."""
    metadata = info / "METADATA"
    if not metadata.is_file():
        return None
    return email.parser.Parser().parsestr(
        metadata.read_text(encoding="utf-8", errors="replace"), headersonly=True
    )


def _dist_infos(site_packages: Path) -> Dict[str, Path]:
    """Normalised distribution name -> its ``.dist-info`` directory."""
    found: Dict[str, Path] = {}
    for info in sorted(site_packages.glob("*.dist-info")):
        headers = _metadata(info)
        name = (headers.get("Name") if headers is not None else None) or info.name.split("-", 1)[0]
        found[re.sub(r"[-_.]+", "-", name).lower()] = info
    return found


def _requires(info: Path) -> List[str]:
    """Normalised names a distribution requires (extras-only requirements skipped).

    Environment markers other than extras are not evaluated: counting a
    requirement that might not apply only keeps a package in the zip.
    """
    headers = _metadata(info)
    if headers is None:
        return []
    out = []
    for requirement in headers.get_all("Requires-Dist") or []:
        if "extra ==" in requirement.replace('"', "'").replace("extra==", "extra =="):
            continue
        name = _req_name(requirement)
        if name:
            out.append(name)
    return out


def runtime_provided_to_prune(site_packages: Path, named: Sequence[str]) -> List[str]:
    """Which Lambda-provided distributions installed in ``site_packages`` to leave out.

    ``named``: normalised names the user's requirements.txt names directly.  A
    named one is kept with every Lambda-provided distribution it needs (a
    pinned newer boto3 needs its own botocore); the SDK's dependencies
    (dateutil, six, urllib3) are also kept when a package the zip keeps needs
    them.  Everything else of the runtime's SDK is left out.
    """
    infos = _dist_infos(site_packages)
    provided = {n for n in LAMBDA_RUNTIME_PROVIDED if n in infos}
    kept = {n for n in provided if n in set(named)}
    todo = list(kept)
    while todo:
        for requirement in _requires(infos[todo.pop()]):
            if requirement in provided and requirement not in kept:
                kept.add(requirement)
                todo.append(requirement)
    others = [n for n in infos if n not in provided]
    needed = {req for n in [*others, *kept] for req in _requires(infos[n])}
    prune = {n for n in LAMBDA_RUNTIME_SDK if n in provided and n not in kept}
    prune |= {
        n for n in LAMBDA_RUNTIME_SDK_DEPS if n in provided and n not in kept and n not in needed
    }
    return sorted(prune)


def runtime_provided_files(site_packages: Path, named: Sequence[str]) -> Tuple[List[str], Set[str]]:
    """The Lambda-provided distributions to leave out, and their files.

    ``site_packages`` needs only the ``.dist-info`` directories (``METADATA``
    and ``RECORD``): returns ``(names, files)``, the files ``/``-separated and
    relative to ``site_packages``, from each distribution's ``RECORD`` (what
    the wheel installed, so a namespace shared with a kept package loses only
    the pruned files) plus its ``.dist-info`` directory itself.
    """
    infos = _dist_infos(site_packages)
    pruned = runtime_provided_to_prune(site_packages, named)
    files: Set[str] = set()
    for name in pruned:
        info = infos[name]
        record = info / "RECORD"
        if record.is_file():
            for line in record.read_text(encoding="utf-8", errors="replace").splitlines():
                relative = line.rsplit(",", 2)[0] if line.count(",") >= 2 else line
                relative = relative.strip().replace("\\", "/")
                if relative and not relative.startswith(("/", "../")):
                    files.add(relative)
        files.add(f"{info.name}/")
    return pruned, files


# -- the packagers -------------------------------------------------------------

#: Parts of a dependency never worth compiling when the cold start's imports
#: cannot be measured (the fall back compiles everything else): pydantic's V1
#: compatibility copy, test suites, type-checker plugins.
_NEVER_COMPILED = re.compile(r"(^|/)(pydantic/v1/|tests?/|pydantic/mypy\.py$|__main__\.py$)")

#: Bumped when what the post-processing puts in a zip changes: part of the zip
#: name, so a zip built by an older rule is never reused.
_FORMAT = "2"

#: Lambda Python runtimes' working directory, where the function zip unpacks.
_PROBE_TIMEOUT_SECONDS = 120

#: Run by a fresh ``-S -E -B`` interpreter (no site-packages, no environment,
#: no bytecode writes: a cold start in /var/task): import the app, then run each
#: declared trigger's parse -> rules -> echo on a sample event with a handler
#: that does nothing (the user's handlers never run at packaging time); print
#: every module file that got loaded.  The code the import system compiles
#: from the zip's sources is kept as checked-hash pyc files under ``out``
#: (``<zip path>.pyc``), so nothing is compiled twice.
_PROBE = r"""
import importlib.machinery, importlib.util, json, marshal, os, sys
spec = json.loads(sys.stdin.read())
sys.path[:] = spec["before"] + [p for p in sys.path if p] + spec["after"]
root = os.path.realpath(spec["root"]) + os.sep
_loader = importlib.machinery.SourceFileLoader
_compile = _loader.source_to_code
def _keep(self, data, path, *args, **kwargs):
    code = _compile(self, data, path, *args, **kwargs)
    real = os.path.realpath(path)
    if real.startswith(root) and real.endswith(".py"):
        target = os.path.join(spec["out"], real[len(root):] + "c")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        header = importlib.util.MAGIC_NUMBER + (3).to_bytes(4, "little")
        with open(target, "wb") as f:
            f.write(header + importlib.util.source_hash(data) + marshal.dumps(code))
    return code
_loader.source_to_code = _keep
failure = None
try:
    import app as _app_module
    try:
        from chalice_cognito.app import registered_triggers
        from chalice_cognito.dispatch import TriggerDispatcher
    except ImportError:
        registered_triggers = None
    if registered_triggers is not None:
        events = spec["events"]
        for reg in registered_triggers(_app_module.app):
            table = events.get(reg.version or "", events[""])
            for source in reg.spec.sources_for(reg.version):
                if source in table:
                    try:
                        TriggerDispatcher(lambda event: None, reg.spec)(table[source])
                    except Exception:
                        pass
except BaseException as exc:
    failure = "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
files = set()
for module in list(sys.modules.values()):
    path = getattr(module, "__file__", None)
    if isinstance(path, str):
        files.add(os.path.realpath(path))
sys.stdout.write("\n" + json.dumps({"files": sorted(files), "failure": failure}) + "\n")
"""


class PackagingNotes:
    """What the packagers of one build stage tell the user, each thing once."""

    def __init__(self, ui: Optional[UI] = None) -> None:
        self._ui = ui or UI()
        self._said: Set[str] = set()

    def say(self, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            self._ui.write(message + "\n")


@dataclass(frozen=True)
class PackageSize:
    """A built deployment zip's size, and what its bytecode adds."""

    path: str
    size: int
    #: bytes the ``.pyc`` entries take in the zip (data, headers, directory)
    bytecode_bytes: int
    #: number of ``.pyc`` entries
    compiled: int

    @property
    def without_bytecode(self) -> int:
        return self.size - self.bytecode_bytes

    def summary(self) -> str:
        """``appcode-...zip: 7.9 MiB (6.3 MiB without bytecode; 412 modules precompiled)``."""
        name = os.path.basename(self.path)
        if not self.compiled:
            return f"{name}: {_mib(self.size)} (sources only, no bytecode)"
        return (
            f"{name}: {_mib(self.size)} ({_mib(self.without_bytecode)} without bytecode; "
            f"{self.compiled} modules precompiled)"
        )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def package_size(path: str) -> PackageSize:
    """Measure a deployment zip from its central directory (cheap: no data is read)."""
    with zipfile.ZipFile(path) as archive:
        pycs = [i for i in archive.infolist() if i.filename.endswith(".pyc")]
    # local header (30) and central directory entry (46) each repeat the name
    overhead = sum(i.compress_size + 76 + 2 * len(i.filename.encode()) for i in pycs)
    return PackageSize(path, os.path.getsize(path), overhead, len(pycs))


class CognitoPackager:
    """A stock Chalice packager, fed a staged project, and its zip post-processed.

    Only Chalice's public packager API is used (``create_deployment_package``
    and ``deployment_package_filename`` of a project directory):

    1. **staging** -- Chalice builds from a staged copy of the project under
       ``.chalice/deployments/chalice-cognito-project``: links to ``app.py``,
       ``chalicelib`` and the user's ``vendor/`` entries, plus the plugin's
       runtime half in ``vendor/chalice_cognito`` (Chalice puts ``vendor/`` at
       the zip root, or in the managed layer) and the effective
       ``requirements.txt`` (:func:`effective_requirements`).  Chalice's own
       cache of zips (and of pip's work) lives in the staged project.
    2. **post-processing** -- the zip Chalice built is copied to
       ``.chalice/deployments/<its name>.cc-<key>.zip`` without the AWS SDK
       the Lambda runtime provides (:func:`runtime_provided_files`) and, with
       ``precompile_bytecode``, with checked-hash bytecode (:mod:`.bytecode`)
       for what a cold start imports: measured by importing the app in a fresh
       ``-S -E -B`` interpreter from the unpacked zip.  The key covers the
       stock zip's name (itself a hash of requirements and code) and every
       setting of this step, so an unchanged project reuses its zip.
    """

    #: the stock packager this one feeds; set by the subclasses
    stock_class: Any = chalice_packager.LambdaDeploymentPackager
    #: "function" (everything in one zip), "app" (app code only) or "layer"
    kind = "function"

    def __init__(
        self,
        osutils: OSUtils,
        dependency_builder: Any,
        ui: UI,
        architecture: str = "x86_64",
        precompile_bytecode: bool = True,
        notes: Optional[PackagingNotes] = None,
    ) -> None:
        self._stock = self.stock_class(
            osutils=osutils, dependency_builder=dependency_builder, ui=ui, architecture=architecture
        )
        self._ui = ui
        self.precompile_bytecode = precompile_bytecode
        self.notes = notes or PackagingNotes(ui)
        #: normalised names the user's requirements.txt names (kept even if Lambda provides them)
        self._user_named: Tuple[str, ...] = ()
        #: what the last build left out of the zip (Lambda-provided distributions)
        self.pruned_runtime_provided: Tuple[str, ...] = ()
        #: how many pyc files the last build added
        self.compiled_files = 0
        #: the size of the last zip built or reused
        self.size: Optional[PackageSize] = None

    # -- the public packager API Chalice's build steps call ---------------------

    def deployment_package_filename(self, project_dir: str, python_version: str) -> str:
        staged = self._stage(project_dir)
        stock = self._stock.deployment_package_filename(staged, python_version)
        return self._final_name(project_dir, stock, python_version)

    def create_deployment_package(self, project_dir: str, python_version: str) -> str:
        staged = self._stage(project_dir)
        final = self._final_name(
            project_dir,
            self._stock.deployment_package_filename(staged, python_version),
            python_version,
        )
        self.compiled_files = 0
        if os.path.isfile(final):
            self.size = package_size(final)
            self.compiled_files = self.size.compiled
            return final
        stock = self._stock.create_deployment_package(staged, python_version)
        self._finish(stock, final, project_dir, python_version)
        self.size = package_size(final)
        return final

    # -- staging -----------------------------------------------------------------

    def _stage(self, project_dir: str) -> str:
        """The staged project Chalice builds from (refreshed on every call)."""
        project = Path(project_dir)
        staged = project / ".chalice" / "deployments" / "chalice-cognito-project"
        staged.mkdir(parents=True, exist_ok=True)
        user_file = project / "requirements.txt"
        user_text = user_file.read_text(encoding="utf-8") if user_file.is_file() else ""
        self._user_named = tuple(
            sorted({n for n in map(_req_name, user_text.splitlines()) if n is not None})
        )
        _write_if_changed(staged / "requirements.txt", effective_requirements(user_text))
        for name in ("app.py", "chalicelib"):
            _link(project / name, staged / name)
        vendor = staged / "vendor"
        if vendor.is_symlink() or vendor.is_file():
            vendor.unlink()
        elif vendor.exists():
            shutil.rmtree(vendor)
        vendor.mkdir()
        user_vendor = project / "vendor"
        if user_vendor.is_dir():
            for entry in sorted(user_vendor.iterdir()):
                if entry.name != "chalice_cognito":  # ours is the one that matches
                    _link(entry, vendor / entry.name)
        for full, zip_path in runtime_files():
            target = vendor / zip_path
            target.parent.mkdir(parents=True, exist_ok=True)
            _link(Path(full), target)
        return str(staged)

    # -- post-processing ------------------------------------------------------------

    def _tag(self, python_version: str) -> Optional[str]:
        if not self.precompile_bytecode:
            return None
        tag = bytecode.bytecode_tag(python_version)
        if tag is None:
            running = f"Python {sys.version_info.major}.{sys.version_info.minor}"
            wanted = python_version.replace("python", "Python ")
            self.notes.say(
                f"Bytecode: not precompiled: the functions run {python_version} but this deploy "
                f"runs {running}, whose bytecode {wanted} cannot load; the zip ships sources "
                "only (compiled at every cold start). Deploy from a "
                f'{wanted} environment to ship bytecode, or set "precompile_bytecode": false '
                "in the cognito section of .chalice/config.json to silence this."
            )
        return tag

    def _site_prefix(self, python_version: str) -> str:
        return f"python/lib/{python_version}/site-packages/" if self.kind == "layer" else ""

    def _final_name(self, project_dir: str, stock: str, python_version: str) -> str:
        tag = self._tag(python_version)
        marker = "\n".join(
            [
                f"chalice-cognito post-processing {_FORMAT}",
                f"bytecode {tag} {bytecode.INVALIDATION_MODE} "
                f"{importlib.util.MAGIC_NUMBER.hex() if tag else ''}",
                "prune " + ",".join(LAMBDA_RUNTIME_PROVIDED) + " / " + ",".join(self._user_named),
            ]
        )
        name = os.path.basename(stock)
        stem = name[:-4] if name.endswith(".zip") else name
        key = hashlib.md5(f"{name}\n{marker}".encode()).hexdigest()[:16]
        return os.path.join(project_dir, ".chalice", "deployments", f"{stem}.cc-{key}.zip")

    def _finish(self, stock: str, final: str, project_dir: str, python_version: str) -> None:
        """Write ``final``: the stock zip, minus what Lambda provides, plus bytecode."""
        tag = self._tag(python_version)
        site = self._site_prefix(python_version)
        with (
            tempfile.TemporaryDirectory(prefix="chalice-cognito-zip-") as tmp,
            zipfile.ZipFile(stock) as source,
        ):
            infos = source.infolist()
            unpacked = Path(tmp) / "zip"
            drop: Set[str] = set()
            if self.kind != "app":
                metadata = [
                    i
                    for i in infos
                    if i.filename.startswith(site)
                    and re.fullmatch(r"[^/]+\.dist-info/(METADATA|RECORD)", i.filename[len(site) :])
                ]
                for info in metadata:
                    source.extract(info, unpacked)
                pruned, files = runtime_provided_files(unpacked / site, self._user_named)
                self.pruned_runtime_provided = tuple(pruned)
                folders = tuple(site + f for f in files if f.endswith("/"))
                drop = {
                    i.filename
                    for i in infos
                    if i.filename[len(site) :] in files or i.filename.startswith(folders)
                }
            pycs: Dict[str, bytes] = {}
            if tag is not None:
                kept = [i for i in infos if i.filename not in drop]
                for info in kept:
                    source.extract(info, unpacked)
                wanted, compiled = self._to_compile(kept, unpacked, site, project_dir)
                for name in sorted(wanted):
                    pyc = compiled.get(name) or bytecode.compile_source(source.read(name), name)
                    if pyc is not None:
                        pycs[bytecode.pyc_zip_path(name, tag)] = pyc
                # a pyc already in the zip at one of those paths (a local run's
                # chalicelib/__pycache__, a wheel's own) is replaced
                drop |= {i.filename for i in infos if i.filename in pycs}
            partial = final + ".partial"
            if drop:
                with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as out:
                    for info in infos:
                        if info.filename not in drop:
                            out.writestr(info, source.read(info))
                    _add_pycs(out, pycs)
            else:
                shutil.copyfile(stock, partial)
                if pycs:
                    with zipfile.ZipFile(partial, "a", zipfile.ZIP_DEFLATED) as out:
                        _add_pycs(out, pycs)
            os.replace(partial, final)
        self.compiled_files = len(pycs)

    def _to_compile(
        self, kept: Sequence[zipfile.ZipInfo], unpacked: Path, site: str, project_dir: str
    ) -> Tuple[Set[str], Dict[str, bytes]]:
        """Zip names of the sources to ship bytecode for, and the pyc of those already compiled."""
        sources = {i.filename for i in kept if i.filename.endswith(".py")}
        if self.kind == "app":  # the app's own code: small, all of it runs
            return sources, {}
        own = (f"{site}chalice_cognito/", "chalicelib/", "chalice/")
        always = {s for s in sources if s.startswith(own) or s == "app.py"}
        root = unpacked / site
        compiled_dir = unpacked.parent / "compiled"
        imported, failure = self._probe(root, project_dir, compiled_dir)
        compiled = {
            site + path.relative_to(compiled_dir).as_posix()[:-1]: path.read_bytes()
            for path in compiled_dir.rglob("*.pyc")
        }
        if failure is not None:
            self.notes.say(
                "Bytecode: could not import the app in a clean interpreter to see what a cold "
                f"start loads ({failure}); precompiled every module instead (a bigger zip)."
            )
            wanted = {s for s in sources if not _NEVER_COMPILED.search(s[len(site) :])}
            return wanted, compiled
        base = root.resolve()
        loaded = set()
        for file in imported:
            path = Path(file)
            if path.suffix == ".py" and base in path.parents:
                loaded.add(site + path.relative_to(base).as_posix())
        return always | (loaded & sources), compiled

    def _probe(self, root: Path, project_dir: str, out: Path) -> Tuple[List[str], Optional[str]]:
        """Files a cold start loads, importing the app from ``root`` (and the error, if any)."""
        from chalice_cognito.catalogue import BY_NAME
        from chalice_cognito.testing import sample_events

        versions = sorted({v for spec in BY_NAME.values() for v in spec.versions})
        events: Dict[str, Dict[str, Any]] = {"": dict(sample_events())}
        for version in versions:
            events[version] = dict(sample_events(version=version))
        before = [str(root)]
        with tempfile.TemporaryDirectory(prefix="chalice-cognito-probe-") as extra:
            if self.kind == "layer":
                # the app-only zip holds app.py, chalicelib and chalice/
                before.append(project_dir)
                chalice_dir = Path(extra) / "chalice"
                chalice_dir.mkdir()
                for module in (chalice_app, chalice):
                    file = Path(inspect.getfile(module))
                    shutil.copyfile(
                        file.with_suffix(".py"), chalice_dir / file.with_suffix(".py").name
                    )
                before.append(extra)
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
            env = {
                "PATH": os.environ.get("PATH", ""),
                "AWS_REGION": region or "us-east-1",
                "AWS_DEFAULT_REGION": region or "us-east-1",
            }
            # the AWS SDK comes from the Lambda runtime, after the zip on sys.path
            after = [
                p for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])
            ]
            spec = {
                "before": before,
                "after": after,
                "events": events,
                "root": str(root),
                "out": str(out),
            }
            try:
                done = subprocess.run(
                    [sys.executable, "-S", "-E", "-B", "-c", _PROBE],
                    input=json.dumps(spec),
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=str(root),
                    timeout=_PROBE_TIMEOUT_SECONDS,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                return [], f"no answer in {_PROBE_TIMEOUT_SECONDS} s"
        lines = done.stdout.strip().splitlines()
        try:
            result = json.loads(lines[-1])
        except (IndexError, ValueError):
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return [], f"exit status {done.returncode}: {last}"
        files = [str(f) for f in result.get("files", [])]
        failure = result.get("failure")
        return files, (str(failure) if failure else None)


def _add_pycs(out: zipfile.ZipFile, pycs: Mapping[str, bytes]) -> None:
    for name, data in sorted(pycs.items()):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o100644 << 16  # a regular file Lambda's user can read
        out.writestr(info, data)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _link(source: Path, target: Path) -> None:
    """Make ``target`` a symlink to ``source`` (a copy where symlinks are refused); none if absent."""
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)
    if not source.exists():
        return
    try:
        os.symlink(source.resolve(), target, target_is_directory=source.is_dir())
    except OSError:  # e.g. Windows without the symlink privilege
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)


#: where a layer's Python code sits in its zip (Lambda puts both on ``sys.path``)
_LAYER_PYTHON = re.compile(r"^python/(lib/python\d+\.\d+/site-packages/)?")


def with_layers(packages: Sequence[str], target: str) -> str:
    """One zip laid out as a function sees its code and its layers, for a zip-only run.

    ``packages``: the layer zips, then the function zip (the deployer's order).
    Lambda puts ``/var/task`` (the function zip) first on ``sys.path`` and the
    layers' ``python/`` and ``python/lib/pythonX.Y/site-packages`` after it, so
    the function's own files win over a layer's of the same path.  Without a
    layer the function zip itself is returned; otherwise ``target`` is written.
    """
    if len(packages) < 2:
        return packages[-1]
    seen: Set[str] = set()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for index, path in enumerate(reversed(packages)):
            with zipfile.ZipFile(path) as source:
                for info in source.infolist():
                    name = info.filename if index == 0 else _LAYER_PYTHON.sub("", info.filename)
                    if not name or name.endswith("/") or name in seen:
                        continue
                    seen.add(name)
                    copied = zipfile.ZipInfo(name, date_time=info.date_time)
                    copied.external_attr = info.external_attr
                    copied.compress_type = zipfile.ZIP_DEFLATED
                    out.writestr(copied, source.read(info))
    return target


class CognitoLambdaDeploymentPackager(CognitoPackager):
    """Chalice's zip packager plus the plugin's runtime half."""

    stock_class = chalice_packager.LambdaDeploymentPackager
    kind = "function"


class CognitoAppOnlyDeploymentPackager(CognitoPackager):
    """The app-only packager (``automatic_layer``): the app's code, with bytecode."""

    stock_class = chalice_packager.AppOnlyDeploymentPackager
    kind = "app"


class CognitoLayerDeploymentPackager(CognitoPackager):
    """The managed-layer packager: dependencies, the runtime half and pydantic."""

    stock_class = chalice_packager.LayerDeploymentPackager
    kind = "layer"


# -- build stage ---------------------------------------------------------------


class CognitoBuildStage(BuildStage):
    """Chalice's own build stage, after the plugin's packagers and before ``extra_steps``.

    The packaging step runs first over every resource and fills in each
    deployment package's file name; the stock stage (Chalice's
    ``create_build_stage``, untouched) then finds them set and builds no zip
    of its own, and does everything else (defaults, policies, swagger, ...).
    ``extra_steps`` run last, once the policy documents exist.
    """

    def __init__(
        self,
        packaging: BaseDeployStep,
        stock: BuildStage,
        extra_steps: Sequence[BaseDeployStep] = (),
        packagers: Sequence[CognitoPackager] = (),
        before_stock: Sequence[BaseDeployStep] = (),
    ) -> None:
        super().__init__(steps=list(extra_steps))
        # ``before_stock``: steps that fill in what the stock stage would
        # otherwise compute per resource (:class:`.app_policy.OneAppPolicy`).
        self._packaging = BuildStage(steps=[packaging, *before_stock])
        self._stock = stock
        #: the stage's packagers (one, or the app-only + layer pair of ``automatic_layer``)
        self.packagers = tuple(packagers)

    def execute(self, config: Config, resources: List[Any]) -> None:
        self._packaging.execute(config, resources)
        self._stock.execute(config, resources)
        super().execute(config, resources)


def create_build_stage(
    osutils: OSUtils,
    ui: UI,
    swagger_gen: SwaggerGenerator,
    config: Config,
    extra_steps: Sequence[BaseDeployStep] = (),
) -> CognitoBuildStage:
    """Chalice's build stage with the plugin's packagers, plus ``extra_steps``.

    The packagers precompile bytecode unless the stage's ``cognito`` section
    says ``"precompile_bytecode": false``; they share one
    :class:`PackagingNotes`, so a note is said once per deploy.
    """
    precompile = config_section.precompile_bytecode(config.config_from_disk, config.chalice_stage)
    pip_runner = chalice_packager.PipRunner(
        pip=chalice_packager.SubprocessPip(osutils=osutils), osutils=osutils
    )
    dependency_builder = chalice_packager.DependencyBuilder(
        osutils=osutils, pip_runner=pip_runner, architecture=config.lambda_architecture
    )
    # What every packager of the stage is built with (one of them, or the
    # app-only + layer pair of ``automatic_layer``).
    packager_args: Dict[str, Any] = {
        "osutils": osutils,
        "dependency_builder": dependency_builder,
        "ui": ui,
        "architecture": config.lambda_architecture,
        "precompile_bytecode": precompile,
        "notes": PackagingNotes(ui),
    }
    packagers: List[CognitoPackager]
    step: BaseDeployStep
    if config.automatic_layer:
        packagers = [
            CognitoAppOnlyDeploymentPackager(**packager_args),
            CognitoLayerDeploymentPackager(**packager_args),
        ]
        step = ManagedLayerDeploymentPackager(
            lambda_packager=cast(Any, packagers[0]), layer_packager=cast(Any, packagers[1])
        )
    else:
        packagers = [CognitoLambdaDeploymentPackager(**packager_args)]
        step = DeploymentPackager(packager=cast(Any, packagers[0]))
    stock = chalice_deployer.create_build_stage(osutils, ui, swagger_gen, config)
    from chalice_cognito.deploy.app_policy import OneAppPolicy

    return CognitoBuildStage(
        step, stock, extra_steps, packagers, before_stock=[OneAppPolicy(osutils)]
    )


@contextlib.contextmanager
def cognito_packaging(extra_steps: Sequence[BaseDeployStep] = ()) -> Iterator[None]:
    """Make ``chalice.package`` (``chalice-cognito package``) use the plugin's build stage.

    ``chalice.package.create_app_packager`` calls its module-level
    ``create_build_stage``; it is swapped for the duration of the command.
    """
    original = getattr(chalice_package, "create_build_stage")  # noqa: B009
    setattr(  # noqa: B010
        chalice_package,
        "create_build_stage",
        functools.partial(create_build_stage, extra_steps=tuple(extra_steps)),
    )
    try:
        with cognito_analyzer():
            yield
    finally:
        setattr(chalice_package, "create_build_stage", original)  # noqa: B010
