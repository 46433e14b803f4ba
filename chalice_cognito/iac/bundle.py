"""The attach Lambda's code zip: the handler, the wiring engine, the catalogue.

Nothing else goes in: boto3 comes with the Lambda Python runtime, and the
runtime half (``chalice.app``, pydantic, the event models) is not needed.  The
file list is the import closure of :mod:`chalice_cognito.iac.custom_resource`,
read from the source (``ast``, imports under ``if TYPE_CHECKING:`` skipped),
so a new engine module is picked up without a hand-kept list, and an import
the Lambda could not satisfy (anything but the standard library, boto3 and
botocore) fails packaging with the import chain instead of failing in AWS.

Package ``__init__`` files are written as stubs (a docstring): the real
``chalice_cognito/__init__.py`` imports the runtime half.  The zip is
deterministic (sorted entries, fixed timestamps), so its hash, and with it
Terraform's re-invocation trigger, changes only when the code does.
"""

from __future__ import annotations

import ast
import sys
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

import chalice_cognito

ENTRY_MODULE = "chalice_cognito.iac.custom_resource"
#: Third-party top-level modules the Lambda Python runtime provides.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore"})
PACKAGE = "chalice_cognito"
_ROOT = Path(chalice_cognito.__file__).resolve().parent
_STUB = '"""Package of the chalice-cognito attach Lambda (runtime half left out)."""\n'
_EPOCH = (1980, 1, 1, 0, 0, 0)


class BundleError(RuntimeError):
    """The attach Lambda's code would import something the Lambda runtime lacks."""


def module_closure(entry: str = ENTRY_MODULE) -> Dict[str, Path]:
    """``chalice_cognito`` modules (name -> source file) that ``entry`` imports, transitively."""
    found: Dict[str, Path] = {}
    parents: Dict[str, Optional[str]] = {entry: None}
    queue = [entry]
    while queue:
        name = queue.pop()
        path = _source(name)
        if path is None:
            raise BundleError(f"Module {name} (imported by {parents.get(name)}) has no source.")
        found[name] = path
        for imported in _imports(name, path):
            top = imported.split(".")[0]
            if top == PACKAGE:
                if _source(imported) is None:
                    # ``from pkg import name`` where name is not a module.
                    continue
                if imported not in found and imported not in queue:
                    parents[imported] = name
                    queue.append(imported)
            elif top not in RUNTIME_PROVIDED and top not in sys.stdlib_module_names:
                raise BundleError(
                    f"{_chain(parents, name)} imports {imported}, which the attach Lambda "
                    "does not have (only the standard library, boto3 and botocore)."
                )
    return found


def bundle_files(entry: str = ENTRY_MODULE) -> List[Tuple[str, bytes]]:
    """(path in the zip, content) of every file of the attach Lambda, sorted."""
    modules = module_closure(entry)
    files: Dict[str, bytes] = {}
    for name, path in modules.items():
        arcname = path.relative_to(_ROOT.parent).as_posix()
        if path.name == "__init__.py":
            continue
        files[arcname] = path.read_bytes()
        # Every enclosing package needs an __init__; stubs keep the runtime half out.
        parts = name.split(".")[:-1]
        for i in range(1, len(parts) + 1):
            init = "/".join(parts[:i]) + "/__init__.py"
            files.setdefault(init, _STUB.encode())
    return sorted(files.items())


def write_bundle(zip_path: str, entry: str = ENTRY_MODULE) -> List[str]:
    """Write the attach Lambda's zip to ``zip_path``; return the paths it holds."""
    files = bundle_files(entry)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, content in files:
            info = zipfile.ZipInfo(arcname, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return [arcname for arcname, _ in files]


def _source(name: str) -> Optional[Path]:
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    rel = Path(*name.split(".")[1:])
    for candidate in (_ROOT / rel.with_suffix(".py"), _ROOT / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    if name == PACKAGE:
        return _ROOT / "__init__.py"
    return None


def _imports(name: str, path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in _walk_runtime(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node.module, node.level)
            yield base
            for alias in node.names:
                if alias.name != "*":
                    yield f"{base}.{alias.name}"


def _walk_runtime(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (never run)."""
    stack: List[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _resolve(name: str, is_package: bool, module: Optional[str], level: int) -> str:
    if level == 0:
        return module or ""
    parts = name.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: -(level - 1)]
    return ".".join([*parts, module] if module else parts)


def _chain(parents: Dict[str, Optional[str]], name: str) -> str:
    chain: List[str] = []
    seen: Set[str] = set()
    current: Optional[str] = name
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = parents.get(current)
    return " <- ".join(chain)
