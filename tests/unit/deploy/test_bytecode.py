"""The pieces of the deployment zip's bytecode: tags, paths, pyc bytes (no I/O)."""

from __future__ import annotations

import importlib.util
import marshal
import sys
import types
import warnings
from typing import Any, Dict

import pytest

from chalice_cognito.deploy import bytecode

RUNNING = f"python{sys.version_info.major}.{sys.version_info.minor}"


@pytest.mark.parametrize(
    ("zip_path", "expected"),
    [
        ("app.py", "__pycache__/app.cpython-311.pyc"),
        ("chalice/app.py", "chalice/__pycache__/app.cpython-311.pyc"),
        ("chalicelib/__init__.py", "chalicelib/__pycache__/__init__.cpython-311.pyc"),
        (
            "chalice_cognito/events/signup.py",
            "chalice_cognito/events/__pycache__/signup.cpython-311.pyc",
        ),
        (
            "python/lib/python3.11/site-packages/pydantic/main.py",
            "python/lib/python3.11/site-packages/pydantic/__pycache__/main.cpython-311.pyc",
        ),
        ("a.b/mod.with.dots.py", "a.b/__pycache__/mod.with.dots.cpython-311.pyc"),
    ],
)
def test_pyc_zip_path(zip_path: str, expected: str) -> None:
    assert bytecode.pyc_zip_path(zip_path, "cpython-311") == expected


@pytest.mark.parametrize("zip_path", ["chalice_cognito/py.typed", "a/b/", "a/.py", "mod.pyc"])
def test_pyc_zip_path_refuses_non_sources(zip_path: str) -> None:
    with pytest.raises(ValueError, match="not a Python source"):
        bytecode.pyc_zip_path(zip_path, "cpython-311")


def test_tag_is_the_running_cpython_for_its_own_version() -> None:
    assert sys.implementation.name == "cpython"  # the project's interpreter
    assert bytecode.bytecode_tag(RUNNING) == sys.implementation.cache_tag


@pytest.mark.parametrize("other", ["python3.9", "python3.99", "python2.7", f"{RUNNING}x", ""])
def test_no_tag_for_another_version(other: str) -> None:
    assert bytecode.bytecode_tag(other) is None


def test_no_tag_for_another_implementation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        sys, "implementation", types.SimpleNamespace(name="pypy", cache_tag="pypy311")
    )
    assert bytecode.bytecode_tag(RUNNING) is None


def test_pyc_has_a_checked_hash_header_and_the_code() -> None:
    source = b"X = 6 * 7\n"
    pyc = bytecode.compile_source(source, "pkg/mod.py")
    assert pyc is not None
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(pyc[4:8], "little") == 0b11  # hash-based, checked
    assert pyc[8:16] == importlib.util.source_hash(source)
    code = marshal.loads(pyc[16:])
    assert code.co_filename == "pkg/mod.py"
    namespace: Dict[str, Any] = {}
    exec(code, namespace)
    assert namespace["X"] == 42


def test_pyc_keeps_asserts() -> None:
    # level 0, as the runtime imports; an -O packager must not strip them
    pyc = bytecode.compile_source(b"assert False, 'kept'\n", "m.py")
    assert pyc is not None
    with pytest.raises(AssertionError, match="kept"):
        exec(marshal.loads(pyc[16:]), {})


def test_pyc_honours_the_encoding_declaration() -> None:
    source = "# -*- coding: latin-1 -*-\nS = 'é'\n".encode("latin-1")
    pyc = bytecode.compile_source(source, "m.py")
    assert pyc is not None
    namespace: Dict[str, Any] = {}
    exec(marshal.loads(pyc[16:]), namespace)
    assert namespace["S"] == "é"


@pytest.mark.parametrize(
    "source",
    [
        b"print 'python 2'\n",
        b"def f(:\n",
        b"X = 1\x00\n",
        b"# -*- coding: no-such-codec -*-\nX = 1\n",
        b"X = {% if name %}\n",
    ],
)
def test_source_that_does_not_compile_gives_no_pyc(source: bytes) -> None:
    assert bytecode.compile_source(source, "pkg/bad.py") is None


def test_warnings_of_the_compiled_code_are_not_raised() -> None:
    # an invalid escape warns at compile time; under -W error it must not abort packaging
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert bytecode.compile_source(b"P = '\\d'\n", "m.py") is not None
