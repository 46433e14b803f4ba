"""Precompiled bytecode for the deployment zip, so a cold start does not compile.

Lambda unpacks the zip into ``/var/task``, which is read-only, and Chalice's
packager ships only ``.py`` sources (wheels carry no ``.pyc``).  So on every
cold start Python compiles every module it imports (pydantic, chalice, the
plugin, the app) in memory and throws the result away.  Shipping
``__pycache__/<module>.<tag>.pyc`` next to each source removes that work.

The files use *checked-hash* invalidation (PEP 552): the header holds a hash
of the source, which Python re-computes at import; a pyc whose source has
changed since (edited in the Lambda console, say) is ignored and the source
compiled as before.  Timestamps, which zip extraction does not preserve
reliably, play no part.

A pyc only helps the interpreter that wrote it (its magic number and cache tag
are version-specific), so bytecode is only produced when the packaging
interpreter is the CPython version the function runs (:func:`bytecode_tag`).
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import sys
import warnings
from typing import Optional

#: PEP 552 flags word: bit 0 = hash-based, bit 1 = check the source (checked-hash)
CHECKED_HASH_FLAGS = 0b11

#: what the zip cache key mixes in when bytecode is shipped (see packaging)
INVALIDATION_MODE = "checked-hash"

_PYCACHE = "__pycache__"

#: what ``compile`` raises for a file that is not valid source for this Python
_COMPILE_ERRORS = (SyntaxError, ValueError, OverflowError, RecursionError)


def bytecode_tag(python_version: str) -> Optional[str]:
    """The cache tag (``cpython-311``) to compile for a function on ``python_version``.

    ``python_version`` is Chalice's runtime name (``python3.11``).  None when
    the running interpreter is another version or not CPython: its bytecode
    would be rejected by the Lambda runtime (other magic number), so nothing
    is compiled and the zip holds sources only, as with stock Chalice.
    """
    running = f"python{sys.version_info.major}.{sys.version_info.minor}"
    tag = sys.implementation.cache_tag
    if python_version != running or sys.implementation.name != "cpython" or tag is None:
        return None
    return str(tag)


def pyc_zip_path(zip_path: str, tag: str) -> str:
    """Where the bytecode of the source at ``zip_path`` goes: ``a/b/__pycache__/mod.<tag>.pyc``.

    Computed here rather than with ``importlib.util.cache_from_source``, which
    honours ``PYTHONPYCACHEPREFIX`` and ``-O`` of the packaging process; Lambda
    looks in the PEP 3147 place with neither.
    """
    head, _, name = zip_path.rpartition("/")
    if not name.endswith(".py") or name == ".py":
        raise ValueError(f"not a Python source path: {zip_path!r}")
    pyc = f"{_PYCACHE}/{name[:-3]}.{tag}.pyc"
    return f"{head}/{pyc}" if head else pyc


def compile_source(source: bytes, zip_path: str) -> Optional[bytes]:
    """The checked-hash pyc of ``source``, or None when it does not compile.

    ``zip_path`` becomes the code's file name (the import system replaces it
    with the real path anyway).  A file that does not compile (Python 2 code,
    a template shipped in some wheel's data) is not an error: the import would
    fail on it just the same with or without bytecode.  Optimisation level 0
    regardless of the packaging interpreter's ``-O``: the runtime imports at
    level 0 and reads the file without an ``opt-`` tag.
    """
    try:
        with warnings.catch_warnings():
            # e.g. invalid escape sequences: the author's business, not the packager's
            warnings.simplefilter("ignore")
            code = compile(source, zip_path, "exec", dont_inherit=True, optimize=0)
    except _COMPILE_ERRORS:
        return None
    header = importlib.util.MAGIC_NUMBER + CHECKED_HASH_FLAGS.to_bytes(4, "little")
    return header + importlib.util.source_hash(source) + marshal.dumps(code)


def compile_tree(root: str, tag: str) -> int:
    """Write the pyc of every ``.py`` under ``root`` into its ``__pycache__``; return how many.

    Used on the dependency directory the packager zips.  Sources that do not
    compile are skipped (see :func:`compile_source`); an existing pyc at the
    same path (a wheel that ships bytecode) is replaced by the checked-hash one.
    """
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != _PYCACHE)
        for filename in sorted(filenames):
            if not filename.endswith(".py") or filename == ".py":
                continue
            full = os.path.join(dirpath, filename)
            with open(full, "rb") as f:
                source = f.read()
            relative = os.path.relpath(full, root).replace(os.sep, "/")
            pyc = compile_source(source, relative)
            if pyc is None:
                continue
            target = os.path.join(root, *pyc_zip_path(relative, tag).split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(pyc)
            count += 1
    return count
