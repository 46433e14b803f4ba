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

Helper PACKAGING adds the names the packagers need in the marked section at
the end of :data:`PRIVATE_NAMES` (same budget).

Each entry of :data:`PRIVATE_NAMES` records the signature (for a callable) and
a SHA-256 of the source of what the plugin relies on, as installed when the
entry was last audited.  The fingerprint test recomputes both and fails naming
the entry and what to re-check: a changed body upstream can no longer diverge
silently from what the plugin assumes.

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
class PrivateName:
    """One private Chalice name the plugin uses, and how it was audited."""

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


PRIVATE_NAMES: Tuple[PrivateName, ...] = (
    PrivateName(
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
    # -- packaging (helper PACKAGING): the names the packagers need -------------
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
