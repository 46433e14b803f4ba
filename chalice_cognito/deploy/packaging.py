"""The packagers: what chalice-cognito adds to (and leaves out of) the deployment zip.

Chalice builds the Lambda zip with its own packagers; the ``chalice-cognito``
command swaps in thin subclasses (pinned Chalice 1.34) that

* add the plugin's *runtime half* (and its pydantic requirement) to the
  deployment zip, never its deploy-time half;
* leave out the AWS SDK the Lambda runtime already provides;
* on request ship checked-hash bytecode for every source (:mod:`.bytecode`:
  no compiling at cold start).

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
import os
import re
import zipfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from chalice import package as chalice_package
from chalice.config import Config
from chalice.deploy import packager as chalice_packager
from chalice.deploy.deployer import (
    BaseDeployStep,
    BuildStage,
    DeploymentPackager,
    InjectDefaults,
    LambdaEventSourcePolicyInjector,
    ManagedLayerDeploymentPackager,
    PolicyGenerator,
    SwaggerBuilder,
    WebsocketPolicyInjector,
)
from chalice.deploy.swagger import SwaggerGenerator
from chalice.policy import AppPolicyGenerator
from chalice.utils import UI, OSUtils

import chalice_cognito
from chalice_cognito.deploy import bytecode
from chalice_cognito.deploy import config as config_section

#: Parts of the chalice_cognito package that only run on a developer machine or
#: in CI; everything else in the package is the runtime half that ships in the
#: Lambda zip.  Listing the excluded side means a new runtime module ships
#: without anyone having to remember to add it here.
DEPLOY_TIME_PARTS = frozenset({"cli.py", "cdk.py", "deploy", "local", "iac", "__pycache__"})

#: Where the effective requirements file is written (git-ignored, next to the zips).
_REQUIREMENTS_DIR = ("deployments",)
_REQUIREMENTS_NAME = "chalice-cognito-requirements.txt"

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
    (see :func:`prune_runtime_provided`): it is part of the file Chalice hashes
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


def prune_runtime_provided(site_packages: str, named: Sequence[str]) -> List[str]:
    """Delete the Lambda-provided distributions from a built ``site-packages``; return them.

    Files come from each distribution's ``RECORD`` (what the wheel installed),
    so a namespace shared with a kept package loses only the pruned files.
    """
    root = Path(site_packages)
    infos = _dist_infos(root)
    pruned = runtime_provided_to_prune(root, named)
    for name in pruned:
        info = infos[name]
        record = info / "RECORD"
        paths: List[Path] = []
        if record.is_file():
            for line in record.read_text(encoding="utf-8", errors="replace").splitlines():
                relative = line.rsplit(",", 2)[0] if line.count(",") >= 2 else line
                if relative:
                    paths.append(root / relative)
        for path in paths:
            resolved = path.resolve()
            if root.resolve() in resolved.parents and resolved.is_file():
                resolved.unlink()
        for path in sorted({p.parent for p in paths}, key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                if path.resolve() != root.resolve():
                    _remove_empty_tree(path)
        if info.exists():
            import shutil

            shutil.rmtree(info)
    return pruned


def _remove_empty_tree(path: Path) -> None:
    """Remove ``path`` if only empty directories (and bytecode caches) remain under it."""
    if not path.is_dir():
        return
    for child in path.iterdir():
        if child.is_dir():
            _remove_empty_tree(child)
    leftovers = [c for c in path.iterdir() if c.name != "__pycache__"]
    if not leftovers:
        import shutil

        shutil.rmtree(path)


class _RuntimeHalfMixin:
    """Adds the plugin's runtime half and requirements to Chalice's packagers.

    With ``precompile_bytecode=True`` (the config key of that name) also ships
    precompiled bytecode (:mod:`.bytecode`) for every source in the zip: the
    dependencies are compiled in the directory Chalice zips, the app files as
    they are written.  Off by default: it saves the compiling at every cold
    start but makes the zip (uploaded once per function on every deploy)
    about a quarter bigger.
    """

    _osutils: OSUtils
    #: normalised names the user's requirements.txt names (kept even if Lambda provides them)
    _user_named: Tuple[str, ...] = ()
    #: what the last build left out of the zip (Lambda-provided distributions)
    pruned_runtime_provided: Tuple[str, ...] = ()
    #: cache tag of the package being built (None: no bytecode), set per build
    _bytecode_tag: Optional[str] = None
    #: how many pyc files the last build added (dependencies + app files)
    compiled_files: int = 0

    def __init__(self, *args: Any, precompile_bytecode: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.precompile_bytecode = precompile_bytecode

    def _tag_for(self, python_version: str) -> Optional[str]:
        if not self.precompile_bytecode:
            return None
        return bytecode.bytecode_tag(python_version)

    def create_deployment_package(self, project_dir: str, python_version: str) -> str:
        # _add_app_files is not told the version: remember the tag for it.
        self._bytecode_tag = self._tag_for(python_version)
        self.compiled_files = 0
        return str(
            super().create_deployment_package(  # type: ignore[misc]
                project_dir, python_version
            )
        )

    def _deployment_package_filename(
        self, project_dir: str, python_version: str, prefix: str = ""
    ) -> str:
        # Chalice reuses any zip of the same name, so a zip with bytecode must
        # not share its name with one without (built before this feature, or
        # with the key off), nor with one for another interpreter's tag.  The
        # name's digest is re-hashed with what is compiled; without bytecode it
        # stays Chalice's own.
        path = str(
            super()._deployment_package_filename(  # type: ignore[misc]
                project_dir, python_version, prefix
            )
        )
        tag = self._tag_for(python_version)
        if tag is None:
            return path
        directory, name = os.path.split(path)
        digest, rest = name[len(prefix) :].split("-", 1)
        marker = f"chalice-cognito: bytecode {tag} {bytecode.INVALIDATION_MODE}"
        mixed = hashlib.md5(f"{digest}\n{marker}".encode()).hexdigest()
        return os.path.join(directory, f"{prefix}{mixed}-{rest}")

    def _get_requirements_filename(self, project_dir: str) -> str:
        user_file = os.path.join(project_dir, "requirements.txt")
        user_text = ""
        if os.path.isfile(user_file):
            with open(user_file, encoding="utf-8") as f:
                user_text = f.read()
        self._user_named = tuple(
            sorted({n for n in map(_req_name, user_text.splitlines()) if n is not None})
        )
        target_dir = os.path.join(project_dir, ".chalice", *_REQUIREMENTS_DIR)
        os.makedirs(target_dir, exist_ok=True)
        target = os.path.join(target_dir, _REQUIREMENTS_NAME)
        wanted = effective_requirements(user_text)
        current = None
        if os.path.isfile(target):
            with open(target, encoding="utf-8") as f:
                current = f.read()
        if current != wanted:
            with open(target, "w", encoding="utf-8") as f:
                f.write(wanted)
        return target

    def _build_python_dependencies(
        self, python_version: str, requirements_filepath: str, site_packages_dir: str
    ) -> None:
        # Lambda's runtime already has the AWS SDK: shipping it again only
        # makes the zip bigger (and shadows the runtime's copy).
        super()._build_python_dependencies(  # type: ignore[misc]
            python_version, requirements_filepath, site_packages_dir
        )
        self.pruned_runtime_provided = tuple(
            prune_runtime_provided(site_packages_dir, self._user_named)
        )
        # Compiled in the directory Chalice then zips (with the layer
        # packager's prefix, the pyc stays beside its source).
        tag = self._tag_for(python_version)
        if tag is not None:
            self.compiled_files += bytecode.compile_tree(site_packages_dir, tag)

    def _add_app_files(self, zip_fileobj: zipfile.ZipFile, project_dir: str) -> None:
        tag = self._bytecode_tag
        if tag is None:
            super()._add_app_files(zip_fileobj, project_dir)  # type: ignore[misc]
            return
        for full_path, zip_path in self._iter_app_filenames(project_dir):
            if _is_bytecode_cache(zip_path):
                # a chalicelib/__pycache__ left by local runs: timestamp-based,
                # and at the very path of the checked-hash pyc written below
                continue
            zip_fileobj.write(full_path, zip_path)
            if not zip_path.endswith(".py"):
                continue
            with open(full_path, "rb") as f:
                pyc = bytecode.compile_source(f.read(), zip_path)
            if pyc is None:
                continue
            # the source's metadata (mode: Lambda needs the file world-readable)
            info = zipfile.ZipInfo.from_file(full_path, bytecode.pyc_zip_path(zip_path, tag))
            info.compress_type = zipfile.ZIP_DEFLATED
            zip_fileobj.writestr(info, pyc)
            self.compiled_files += 1

    def _iter_app_filenames(self, project_dir: str) -> Iterator[Tuple[str, str]]:
        yield from super()._iter_app_filenames(project_dir)  # type: ignore[misc]
        yield from runtime_files()

    def _needs_latest_version(self, filename: str) -> bool:
        # Chalice's inject_latest_app (unused by Chalice 1.34 itself) keeps the
        # entries this returns False for; the app's bytecode sits at the zip
        # root, outside the prefixes replaced wholesale.
        return bool(
            super()._needs_latest_version(filename)  # type: ignore[misc]
            or filename.startswith("chalice_cognito/")
            or (filename.startswith("__pycache__/app.") and filename.endswith(".pyc"))
        )


def _is_bytecode_cache(zip_path: str) -> bool:
    """A file inside a ``__pycache__`` directory (the zip path, ``/``-separated)."""
    return "__pycache__" in zip_path.split("/")[:-1]


class CognitoLambdaDeploymentPackager(_RuntimeHalfMixin, chalice_packager.LambdaDeploymentPackager):
    """Chalice's zip packager plus the plugin's runtime half."""


class CognitoAppOnlyDeploymentPackager(
    _RuntimeHalfMixin, chalice_packager.AppOnlyDeploymentPackager
):
    """The app-only packager (``automatic_layer``) plus the plugin's runtime half."""


class CognitoLayerDeploymentPackager(_RuntimeHalfMixin, chalice_packager.LayerDeploymentPackager):
    """The managed-layer packager with the plugin's requirements (pydantic)."""


# -- build stage ---------------------------------------------------------------


def create_build_stage(
    osutils: OSUtils,
    ui: UI,
    swagger_gen: SwaggerGenerator,
    config: Config,
    extra_steps: Sequence[BaseDeployStep] = (),
) -> BuildStage:
    """Chalice's ``create_build_stage`` with the plugin's packagers, plus ``extra_steps``.

    Mirrors chalice/deploy/deployer.py ``create_build_stage`` (1.34) step for step;
    ``extra_steps`` run last (after the policy documents exist).  The packagers
    precompile bytecode when the stage's ``cognito`` section says
    ``"precompile_bytecode": true``.
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
    }
    deployment_packager: BaseDeployStep
    if config.automatic_layer:
        deployment_packager = ManagedLayerDeploymentPackager(
            lambda_packager=CognitoAppOnlyDeploymentPackager(**packager_args),
            layer_packager=CognitoLayerDeploymentPackager(**packager_args),
        )
    else:
        deployment_packager = DeploymentPackager(
            packager=CognitoLambdaDeploymentPackager(**packager_args)
        )
    return BuildStage(
        steps=[
            InjectDefaults(),
            deployment_packager,
            PolicyGenerator(policy_gen=AppPolicyGenerator(osutils=osutils), osutils=osutils),
            SwaggerBuilder(swagger_generator=swagger_gen),
            LambdaEventSourcePolicyInjector(),
            WebsocketPolicyInjector(),
            *extra_steps,
        ]
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
    # the IAM analyzer seam lives with the deployer (which imports this module)
    from chalice_cognito.deploy.chalice_hooks import cognito_analyzer

    try:
        with cognito_analyzer():
            yield
    finally:
        setattr(chalice_package, "create_build_stage", original)  # noqa: B010
