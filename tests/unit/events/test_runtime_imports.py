"""Cold start: modules only error paths need are not imported by a trigger's first invocation."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import json, sys
from chalice_cognito import Chalice
app = Chalice(app_name="cold")

@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    event.response.auto_confirm_user = True
    return event

event = {"version": "1", "triggerSource": "PreSignUp_SignUp", "userName": "u",
         "request": {"userAttributes": {}}, "response": {}}
out = pre_sign_up(event, None)
print(json.dumps({"response": out["response"], "difflib": "difflib" in sys.modules}))
"""


def test_first_invocation_does_not_import_difflib() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120
    )
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"response": {"autoConfirmUser": True}, "difflib": False}


def test_typo_suggestions_still_work() -> None:
    from chalice_cognito.catalogue import UnknownTriggerError, get_trigger

    try:
        get_trigger("PreSignup")
    except UnknownTriggerError as exc:
        assert "Did you mean 'PreSignUp'?" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("no error for an unknown trigger")
    try:
        get_trigger("PreSingUp")
    except UnknownTriggerError as exc:
        assert "Did you mean 'PreSignUp'?" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("no error for an unknown trigger")
