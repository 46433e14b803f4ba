"""Cold start: the runtime imports stay small and no validator is built before first use.

Runs in a fresh interpreter, because this test session has long imported
boto3, chalice's CLI and built validators.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, Dict

SCRIPT = r"""
import importlib, json, sys
import chalice_cognito
import chalice_cognito.events
from chalice_cognito.catalogue import TRIGGERS
from chalice_cognito.events.base import CognitoModel
from pydantic._internal._mock_val_ser import MockValSer

for spec in TRIGGERS:
    for path in spec.models.values():
        importlib.import_module(path.partition(":")[0])

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

def built(names):
    return sorted(
        c.__module__ + "." + c.__qualname__
        for c in set(subclasses(CognitoModel))
        if c.__module__.startswith("chalice_cognito") and (
            c.__pydantic_complete__ or not isinstance(c.__pydantic_validator__, MockValSer)
        )
    )

report = {
    "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore", "click", "chalice")),
    "models": len([c for c in set(subclasses(CognitoModel)) if c.__module__.startswith("chalice_cognito")]),
    "built_after_import": built(None),
}
from chalice_cognito.events import parse_event
parse_event({"version": "1", "triggerSource": "PreSignUp_SignUp", "request": {"userAttributes": {}}})
report["built_after_presignup"] = built(None)
print(json.dumps(report))
"""


def _run() -> Dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120
    )
    report: Dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def test_runtime_imports_and_lazy_validators() -> None:
    report = _run()
    # chalice.app is shipped in the Lambda zip; nothing else of chalice, boto3 or click is.
    assert report["modules"] == ["chalice", "chalice.app"]
    assert report["models"] > 40
    assert report["built_after_import"] == []
    # First use builds the validators of that trigger only (and the base models it nests).
    built = report["built_after_presignup"]
    assert "chalice_cognito.events.signup.PreSignUpEvent" in built
    assert not [name for name in built if ".token." in name or ".challenge." in name]
