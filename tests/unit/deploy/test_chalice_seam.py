"""The Chalice seam: every private Chalice name the plugin uses is listed, audited and unchanged.

Two checks (issue 13, part 1):

* every entry of :data:`chalice_seam.PRIVATE_NAMES` (and of the public seams
  the plugin relies on, :data:`chalice_seam.PUBLIC_SEAMS`) still exists in the
  installed Chalice with the signature and source hash recorded when it was
  audited; a mismatch fails naming the entry and what to re-check;
* no module of chalice-cognito other than the seam module names a private
  Chalice attribute (overrides included), and the seam holds at most 6.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

import chalice_cognito
from chalice_cognito.deploy import chalice_seam
from chalice_cognito.deploy.chalice_seam import PRIVATE_NAMES, PUBLIC_SEAMS, Audited

PACKAGE = Path(chalice_cognito.__file__).resolve().parent
SEAM = PACKAGE / "deploy" / "chalice_seam.py"

#: Issue 13's budget for the whole plugin.
BUDGET = 6

#: Private Chalice names still used outside the seam by work in progress, with
#: who removes them.  Empty is the goal; a name may only leave this table.
PENDING: Dict[str, str] = {}


def _chalice_root() -> Path:
    spec = importlib.util.find_spec("chalice")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and len(name) > 1


def _defined_names(tree: ast.AST) -> Iterator[str]:
    """Private names a module defines: functions, classes, attributes, variables."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            yield node.attr
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id


def _chalice_private_names() -> Set[str]:
    names: Set[str] = set()
    for path in _chalice_root().rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names.update(n for n in _defined_names(tree) if _is_private(n))
    return names


def _own_bindings(tree: ast.Module) -> Set[str]:
    """Names the module binds itself (so a use of them is not a use of Chalice's)."""
    own: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            own.add(node.name)
            own.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
        elif isinstance(node, ast.ClassDef):
            own.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif isinstance(node, ast.alias):
            own.add(node.asname or node.name.split(".")[0])
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            own.add(node.attr)
    return own


def _chalice_derived_classes(tree: ast.Module, chalice_imports: Set[str]) -> List[ast.ClassDef]:
    """Classes deriving from a Chalice class, and the mixins combined with one."""
    classes = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    derived: Set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, node in classes.items():
            roots = {_root(base) for base in node.bases}
            if name not in derived and roots & (chalice_imports | derived):
                derived.add(name)
                changed = True
            if roots & chalice_imports:
                mixins = (roots & set(classes)) - derived
                derived |= mixins
                changed = changed or bool(mixins)
    return [classes[name] for name in sorted(derived)]


def _class_names(cls: ast.ClassDef) -> Iterator[Tuple[str, int]]:
    """Methods, class attributes and ``self.<name>`` of a class."""
    for item in cls.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield item.name, item.lineno
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            yield item.target.id, item.lineno
        elif isinstance(item, ast.Assign):
            for target in item.targets:
                if isinstance(target, ast.Name):
                    yield target.id, item.lineno
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            yield node.attr, node.lineno


def _imported_from(tree: ast.Module, prefix: str) -> Set[str]:
    """Local names bound by imports of ``prefix`` modules (``chalice``: not chalice_cognito)."""
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            root = node.module.split(".")[0]
            if root == prefix:
                names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == prefix:
                    names.add(alias.asname or alias.name.split(".")[0])
    return names


def _root(node: ast.expr) -> str:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


_ATTRIBUTE_FUNCTIONS = ("getattr", "setattr", "hasattr", "delattr")


def _used_names(tree: ast.Module) -> Iterator[Tuple[str, int]]:
    """Names the module reads where they may be Chalice's.

    Attribute reads (not through an import of chalice_cognito's own modules),
    names, and ``getattr(x, "_name")`` and friends.
    """
    ours = _imported_from(tree, "chalice_cognito")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if _root(node) not in ours:
                yield node.attr, node.lineno
        elif isinstance(node, ast.Name):
            yield node.id, node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _ATTRIBUTE_FUNCTIONS
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            yield node.args[1].value, node.lineno


def private_chalice_uses() -> Dict[str, Set[str]]:
    """``private Chalice name -> {"module.py:line"}`` for every module but the seam."""
    chalice_names = _chalice_private_names()
    found: Dict[str, Set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == SEAM:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(PACKAGE))
        own = _own_bindings(tree)
        for name, line in _used_names(tree):
            if _is_private(name) and name in chalice_names and name not in own:
                found.setdefault(name, set()).add(f"{where}:{line}")
        # In a class built on a Chalice class, a private name of Chalice's is
        # Chalice's: an override shares its name with the method it replaces,
        # and self._x / a class attribute _x is the base class's attribute.
        for cls in _chalice_derived_classes(tree, _imported_from(tree, "chalice")):
            for name, line in _class_names(cls):
                if _is_private(name) and name in chalice_names:
                    found.setdefault(name, set()).add(f"{where}:{line}")
    return found


def _label(entry: Audited) -> str:
    return f"{entry.module}.{entry.name}"


def audit(entry: Audited) -> List[str]:
    """What changed in the installed Chalice since ``entry`` was audited (empty: nothing)."""
    recheck = f"re-check: {entry.recheck} (used by {entry.used_by})"
    try:
        signature, source_hash = chalice_seam.fingerprint(
            entry.module, entry.name, entry.fingerprinted
        )
    except AttributeError:
        return [f"{_label(entry)} no longer exists in the installed Chalice; {recheck}"]
    problems = []
    if signature != entry.signature:
        problems.append(
            f"the signature of {_label(entry)} changed from {entry.signature} to {signature}; "
            f"{recheck}; then record the new signature in its chalice_seam entry"
        )
    if source_hash != entry.source_sha256:
        problems.append(
            f"the source of {entry.module}.{entry.fingerprinted} (what {_label(entry)} relies "
            f"on) changed; {recheck}; then record source_sha256={source_hash!r} in "
            "its chalice_seam entry"
        )
    return problems


@pytest.mark.parametrize("entry", PRIVATE_NAMES + PUBLIC_SEAMS, ids=_label)
def test_chalice_name_is_unchanged_since_its_audit(entry: Audited) -> None:
    assert audit(entry) == []


def test_a_changed_private_name_fails_naming_what_to_recheck() -> None:
    entry = PRIVATE_NAMES[0]
    changed = dataclasses.replace(entry, source_sha256="0" * 64)
    [problem] = audit(changed)
    assert _label(entry) in problem and entry.recheck in problem
    assert entry.source_sha256 in problem  # the value to record once re-checked
    gone = dataclasses.replace(entry, name=entry.name + "_renamed")
    [problem] = audit(gone)
    assert "no longer exists" in problem and entry.recheck in problem
    callable_entry = dataclasses.replace(
        entry, name="AppViewTypeInfer._is_chalice_view", signature="(self)"
    )
    [problem] = audit(callable_entry)
    assert "signature" in problem and "(self, node)" in problem


def test_the_seam_stays_within_budget() -> None:
    names = {entry.name.rsplit(".", 1)[-1] for entry in PRIVATE_NAMES}
    assert len(names) == len(PRIVATE_NAMES), "one entry per private name"
    assert len(names | set(PENDING)) <= BUDGET, sorted(names | set(PENDING))


def test_every_seam_name_is_documented_in_its_docstring() -> None:
    doc = chalice_seam.__doc__ or ""
    for entry in PRIVATE_NAMES:
        assert entry.name.rsplit(".", 1)[-1] in doc, f"{_label(entry)} is not in the docstring"


def test_no_private_chalice_name_outside_the_seam() -> None:
    uses = private_chalice_uses()
    unexpected = {name: sorted(where) for name, where in uses.items() if name not in PENDING}
    assert unexpected == {}, (
        "private Chalice names used outside chalice_cognito/deploy/chalice_seam.py; "
        "use a public seam, or move the use into the seam module with a fingerprint entry"
    )


def test_the_scan_finds_a_private_chalice_name() -> None:
    """The scanner is not blind: the seam module itself is flagged when scanned."""
    chalice_names = _chalice_private_names()
    tree = ast.parse(SEAM.read_text(encoding="utf-8"))
    own = _own_bindings(tree)
    used = {n for n, _ in _used_names(tree) if n in chalice_names and n not in own}
    assert "_CHALICE_DECORATORS" in used
    override = ast.parse(
        "from chalice.local import ChaliceRequestHandler\n"
        "class Mixin:\n    def _generic_handle(self): pass\n"
        "class Handler(Mixin, ChaliceRequestHandler): pass\n"
    )
    derived = _chalice_derived_classes(override, _imported_from(override, "chalice"))
    assert [c.name for c in derived] == ["Handler", "Mixin"]
