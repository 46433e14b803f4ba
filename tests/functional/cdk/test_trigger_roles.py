"""The construct's role layout opt-out: ``"trigger_roles": "shared"`` (see conftest.py).

The default layout (a role per trigger function with grants) is shown in
test_add_triggers.py on the ``synth`` fixture; here the project's config sets
``"shared"`` in the cognito section of the construct's stage (``Shop``, the
stack's name), and a bad value is refused before anything is packaged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from .conftest import CONFIG, Synth, write_project
from .test_add_triggers import role_of_function, statements


def test_trigger_roles_shared_keeps_chalices_single_role(shared_synth: Synth) -> None:
    assert shared_synth.construct.trigger_roles == "shared"
    assert shared_synth.construct.own_roles == ()
    roles = sorted(shared_synth.of_type("AWS::IAM::Role"))
    # Chalice's layout: the shared role and the policy-file function's own role only
    assert roles == ["DefaultRole", "PreTokenRole"]
    for function in ("PreSignUp", "EmailSender", "AdminConfirmed"):
        assert role_of_function(shared_synth, function) == "DefaultRole"
    granted = statements(shared_synth, "DefaultRole")
    assert sorted(s["Sid"] for s in granted) == [
        "ChaliceCognitoAccessEmailSender",
        "ChaliceCognitoDecryptEmailSender",
    ]
    assert shared_synth.result.grants["email_sender"][0] == "DefaultRole"
    # the trade-off is reported, with the way back to a role per trigger
    shared_notes = [n for n in shared_synth.result.notes if "DefaultRole is shared" in n]
    assert len(shared_notes) == 1
    assert '"trigger_roles": "own"' in shared_notes[0]


def test_the_default_layout_is_read_for_the_constructs_stage(synth: Synth) -> None:
    """Without the key (the synth fixture's config has none) the construct uses own roles."""
    assert "cognito" not in json.dumps(CONFIG)
    assert synth.construct.trigger_roles == "own"
    assert "EmailSenderRole" in synth.of_type("AWS::IAM::Role")


@pytest.mark.parametrize(
    ("cognito_at", "where"),
    [("top", "cognito"), ("stage", "stages.Shop.cognito")],
)
def test_a_bad_trigger_roles_value_is_refused_before_packaging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cognito_at: str, where: str
) -> None:
    import aws_cdk as cdk

    from chalice_cognito.cdk import Chalice

    section = {"trigger_roles": "per-function"}
    config: Dict[str, Any] = (
        {**CONFIG, "cognito": section}
        if cognito_at == "top"
        else {**CONFIG, "stages": {"Shop": {"cognito": section}}}
    )
    project = write_project(tmp_path / "runtime", config)
    monkeypatch.chdir(tmp_path)  # chalice.cdk would write chalice.out/ here
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path / "cdk.out")), "Shop")
    with pytest.raises(ValueError) as e:
        Chalice(stack, "Api", source_dir=str(project))
    message = str(e.value)
    assert message.startswith(f"{project}/.chalice/config.json: {where}: trigger_roles must be")
    assert "'per-function'" in message and '"shared"' in message
    assert "\n" not in message
    assert not (tmp_path / "chalice.out").exists()  # nothing packaged
    assert not stack.node.children  # nothing added to the stack
