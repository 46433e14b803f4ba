"""Expressions of the generated Terraform evaluated by the real ``terraform console``.

No provider is needed: only locals and built-in functions are evaluated.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from chalice_cognito.iac import terraform as tf

TERRAFORM = shutil.which("terraform")
pytestmark = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")


def evaluate(folder: Path, locals_: dict, expression: str) -> str:
    folder.mkdir()
    (folder / "main.tf.json").write_text(json.dumps({"locals": locals_}))
    done = subprocess.run(
        [str(TERRAFORM), "console"],
        input=expression + "\n",
        capture_output=True,
        text=True,
        cwd=folder,
        check=True,
        env={"TF_IN_AUTOMATION": "1", "PATH": "/usr/bin:/bin", "HOME": str(folder)},
    )
    return str(json.loads(done.stdout.strip().splitlines()[-1]))


def test_attach_policy_name_follows_the_pool(tmp_path: Path) -> None:
    """Another pool -> another name -> the policy is replaced after the old detach ran."""
    name = tf.attach_policy_name(["${local.pool_arn}"])
    arn = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_{}"
    first = evaluate(tmp_path / "a", {"pool_arn": arn.format("A"), "n": name}, "local.n")
    again = evaluate(tmp_path / "b", {"pool_arn": arn.format("A"), "n": name}, "local.n")
    other = evaluate(tmp_path / "c", {"pool_arn": arn.format("B"), "n": name}, "local.n")
    assert first == again
    assert first != other
    for value in (first, other):
        assert re.fullmatch(r"CognitoAttach-[0-9a-f]{12}", value)
