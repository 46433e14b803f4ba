"""Every private Chalice name chalice-cognito uses, in one place, fingerprinted.

Chalice has no plugin API.  The plugin plugs in through public seams wherever
one exists: the collaborators ``Deployer`` receives through its constructor
(sweeper, executor, recorder, build stage; see :mod:`.chalice_hooks`), the
public ``TypedAWSClient`` methods the executor calls, ``LocalDevServer``'s
``handler_cls``, the reloader's ``worker_process_cls``, the stock ``cli``
group's own callback.  What has no public seam is listed here and nowhere
else: no other module of the deploy half names a private Chalice attribute
(``tests/unit/deploy/test_chalice_seam.py`` scans the package for it), and the
runtime half names none.

The private names (budget: at most 6):

1. ``chalice.analyzer.AppViewTypeInfer._CHALICE_DECORATORS`` -- the list of
   decorator names whose function bodies Chalice's IAM policy autogeneration
   reads.  It is hard-coded; without ``cognito_trigger`` in it, a boto3 call
   inside an ``@app.cognito_trigger`` handler gets no IAM action.  Used by
   :func:`cognito_analyzer` (added for one command, removed after).
   *Re-check on a Chalice upgrade*: that ``AppViewTypeInfer._is_chalice_view``
   still matches decorators by ``decorator.func.attr in _CHALICE_DECORATORS``
   (a list), or whether a public way to register a decorator now exists.

The packagers need none: they feed Chalice's stock packagers a staged
project and post-process the zip (:mod:`.packaging`).  The runtime half needs
none either.

The public seams are listed too, in :data:`PUBLIC_SEAMS` (the stock
``Deployer`` and sweeper the wrapped collaborators rely on, the swapped
``chalice.package.create_build_stage``, the stock CLI group's callback, the
local server's handler class and reloader worker): nothing private, but what
they do is what the plugin builds on.

Each entry records the signature (for a callable) and a SHA-256 of the source
of what the plugin relies on, as installed when the entry was last audited.
The fingerprint test recomputes both and fails naming the entry and what to
re-check: a changed body upstream can no longer diverge silently from what the
plugin assumes.

Deploy-time module: imports chalice's analyzer.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
from dataclasses import dataclass
from typing import Any, Iterator, List, Optional, Tuple

#: The decorator name Chalice's analyzer must treat like ``lambda_function``.
DECORATOR_NAME = "cognito_trigger"


@dataclass(frozen=True)
class Audited:
    """A Chalice name the plugin uses or relies on, and how it was audited."""

    #: module holding it, e.g. ``chalice.analyzer``
    module: str
    #: dotted path inside the module, e.g. ``AppViewTypeInfer._CHALICE_DECORATORS``
    name: str
    #: dotted path (same module) whose source the hash covers: the name itself
    #: when it is a function, else the code that reads it
    fingerprinted: str
    #: ``str(inspect.signature(...))`` of the name when callable, else None
    signature: Optional[str]
    #: SHA-256 of ``inspect.getsource`` of :attr:`fingerprinted`
    source_sha256: str
    #: where chalice-cognito uses it
    used_by: str
    #: what to re-check when the fingerprint changes
    recheck: str


def resolve(module: str, dotted: str) -> Any:
    """The object at ``module``:``dotted`` (AttributeError when it is gone)."""
    target: Any = importlib.import_module(module)
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


def fingerprint(module: str, name: str, fingerprinted: str) -> Tuple[Optional[str], str]:
    """``(signature or None, source SHA-256)`` of a private name as installed now."""
    target = resolve(module, name)
    signature = str(inspect.signature(target)) if callable(target) else None
    source = inspect.getsource(resolve(module, fingerprinted))
    return signature, hashlib.sha256(source.encode("utf-8")).hexdigest()


PRIVATE_NAMES: Tuple[Audited, ...] = (
    Audited(
        module="chalice.analyzer",
        name="AppViewTypeInfer._CHALICE_DECORATORS",
        fingerprinted="AppViewTypeInfer",
        signature=None,
        source_sha256="98be8f9a531a6cb4fafa0457952d2b5ad66fe2ca2e75c3465d7eaccb4f0184e4",
        used_by="chalice_seam.cognito_analyzer (deploy, package, the CDK construct)",
        recheck=(
            "AppViewTypeInfer._is_chalice_view still tests `decorator.func.attr in "
            "self._CHALICE_DECORATORS` against a mutable list, and no public way to "
            "register a decorator for policy autogeneration exists"
        ),
    ),
)

#: Public Chalice names whose *behaviour* a public seam of the plugin relies on
#: (no budget: nothing private; fingerprinted all the same, since a change of
#: what they do would silently change what the plugin does).
PUBLIC_SEAMS: Tuple[Audited, ...] = (
    Audited(
        module="chalice.deploy.deployer",
        name="Deployer.deploy",
        fingerprinted="Deployer",
        signature="(self, config, chalice_stage_name)",
        source_sha256="5df74e48e7808b09a3da3e9e2c3d325484b9d929193db0d752c62f8568f46e51",
        used_by="chalice_hooks.create_cognito_deployer (HoldBackSweeper, WiringExecutor, "
        "RaisingRecorder, PackageRecordingStage)",
        recheck=(
            "Deployer.deploy still runs build_stage.execute, plan_stage.execute, "
            "sweeper.execute(plan, config), ONE executor.execute(plan), then "
            "recorder.record_results with executor.resource_values, and wraps AWS errors"
        ),
    ),
    Audited(
        module="chalice.deploy.sweeper",
        name="ResourceSweeper.execute",
        fingerprinted="ResourceSweeper",
        signature="(self, plan, config)",
        source_sha256="4d73d7ac80c8607f429e14fbecbae15bffc0df10f35dac7c65fc1c1929afa346",
        used_by="chalice_hooks.HoldBackSweeper",
        recheck=(
            "the sweeper still only adds deletion instructions (and their messages) to the "
            "plan it is given, reading the stage's deployed record"
        ),
    ),
    Audited(
        module="chalice.deploy.deployer",
        name="create_deletion_deployer",
        fingerprinted="create_deletion_deployer",
        signature="(client, ui)",
        source_sha256="3395f0910db56e8303a24b3212fb8f6ac919a2b384a794c4f732b8728f5d275f",
        used_by="cli.CognitoCLIFactory.create_deletion_deployer (with GoneIsDoneClient)",
        recheck="it still builds its executor on the client it is given",
    ),
    Audited(
        module="chalice.package",
        name="create_app_packager",
        fingerprinted="create_app_packager",
        signature="(config, options, package_format='cloudformation', template_format='json', merge_template=None)",
        source_sha256="73f87609b091197128d329d7d889cde959ba42c57707e0794b2f3c43914db5d5",
        used_by="packaging.cognito_packaging (package command, CDK construct); "
        "grants.packager_trigger_roles (package command, CDK construct)",
        recheck=(
            "create_app_packager still builds its stage by calling the module-level "
            "create_build_stage (swapped for the command) with (osutils, ui, swagger, config), "
            "and its graph builder by calling the module-level ApplicationGraphBuilder() "
            "(swapped for TriggerRolesGraphBuilder) and handing it to ResourceBuilder"
        ),
    ),
    Audited(
        module="chalice.cli",
        name="cli.callback",
        fingerprinted="cli.callback",
        signature="(ctx, project_dir, debug=False)",
        source_sha256="e420f8a541449c87e4413b1b01de03d9d966b0d4df0109352ae843f55940e859",
        used_by="cli.cli (the chalice-cognito group runs it, then sets its own factory)",
        recheck=(
            "the stock group's callback still takes (project_dir, debug), fills ctx.obj "
            "project_dir/debug/factory and chdirs; its commands still read ctx.obj['factory']"
        ),
    ),
    Audited(
        module="chalice.local",
        name="ChaliceRequestHandler",
        fingerprinted="ChaliceRequestHandler",
        signature="(request: 'bytes', client_address: 'Tuple[str, int]', server: 'HTTPServer', app_object: 'Chalice', config: 'Config') -> 'None'",
        source_sha256="11a06b0d21066d79628dbabaed1d70f062ee9c8167aa7cd9787d4d54235942b9",
        used_by="local.dev_server.CognitoRequestHandler (overrides do_POST)",
        recheck="do_POST is still the handler of every POST, and LocalDevServer takes handler_cls",
    ),
    Audited(
        module="chalice.local",
        name="create_local_server",
        fingerprinted="create_local_server",
        signature="(app_obj: 'Chalice', config: 'Config', host: 'str', port: 'int') -> 'LocalDevServer'",
        source_sha256="619282bebc8a8d9205df1564f33152cd3236bb4fcf4900c8a7e6537ccfecb079",
        used_by="local.dev_server.create_dev_server (the same set-up with its own handler)",
        recheck="the app object still only needs to be a LocalChalice for the local server",
    ),
    Audited(
        module="chalice.cli.reloader",
        name="run_with_reloader",
        fingerprinted="run_with_reloader",
        signature="(server_factory, env, root_dir, worker_process_cls=None)",
        source_sha256="b993fa8447ff0de80209552799e67e10a0588fd02685f61115e6a545cd5826d9",
        used_by="local.dev_server.CodeWatchingWorker (overrides WorkerProcess.main)",
        recheck=(
            "the worker is still built as worker_process_cls(http_thread) and main(project_dir) "
            "returning RESTART_REQUEST_RC asks the parent for a restart"
        ),
    ),
)


# -- the uses -------------------------------------------------------------------


def _chalice_decorators() -> List[str]:
    """The analyzer's list of decorator names whose bodies policy autogeneration reads."""
    from chalice import analyzer

    decorators: List[str] = analyzer.AppViewTypeInfer._CHALICE_DECORATORS
    return decorators


@contextlib.contextmanager
def cognito_analyzer() -> Iterator[None]:
    """Make Chalice's policy autogeneration read ``@app.cognito_trigger`` bodies.

    The name is added for the duration of a deploy/package and removed after,
    so importing chalice-cognito never changes stock ``chalice`` behaviour.
    """
    decorators = _chalice_decorators()
    added = DECORATOR_NAME not in decorators
    if added:
        decorators.append(DECORATOR_NAME)
    try:
        yield
    finally:
        if added and DECORATOR_NAME in decorators:
            decorators.remove(DECORATOR_NAME)
