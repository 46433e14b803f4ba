"""Pieces of the emulator smoke run that need no deploy: project events, loopback guards.

The full run (seeding, Lambda-runtime interpreter, real KMS decryption) is
exercised end to end by ``tests/integration/cli/test_local_demo.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalice_cognito.local import emulated_smoke, emulator


def test_project_events_are_partial_events_per_function(tmp_path: Path) -> None:
    folder = tmp_path / ".chalice" / "smoke-events"
    folder.mkdir(parents=True)
    (folder / "user_migration.demo-user.json").write_text(
        json.dumps({"userName": "legacy@example.com", "request": {"password": "pw"}})
    )
    (folder / "pre_sign_up.json").write_text(json.dumps({"request": {"userAttributes": {}}}))
    found = emulated_smoke.project_events(str(tmp_path))
    assert found == {
        "pre_sign_up": [("pre_sign_up", {"request": {"userAttributes": {}}})],
        "user_migration": [
            ("demo-user", {"userName": "legacy@example.com", "request": {"password": "pw"}})
        ],
    }
    assert emulated_smoke.project_events(str(tmp_path / "nowhere")) == {}


def test_partial_events_merge_over_the_sample_event() -> None:
    base = {"userName": "jane", "request": {"password": "x", "validationData": None}}
    merged = emulated_smoke._merge(base, {"request": {"password": "y"}, "extra": [1]})
    assert merged == {
        "userName": "jane",
        "request": {"password": "y", "validationData": None},
        "extra": [1],
    }


def test_a_broken_project_event_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / ".chalice" / "smoke-events"
    folder.mkdir(parents=True)
    (folder / "pre_sign_up.json").write_text("[1, 2]")
    with pytest.raises(emulator.EmulatorError, match="must hold a JSON object"):
        emulated_smoke.project_events(str(tmp_path))
    (folder / "pre_sign_up.json").write_text("{oops")
    with pytest.raises(emulator.EmulatorError, match="is not valid JSON"):
        emulated_smoke.project_events(str(tmp_path))


@pytest.mark.parametrize(
    "call",
    [
        lambda url: emulator.ensure_groups(object(), url, "us-east-1", "p", ["g"]),
        lambda url: emulator.create_user(object(), url, "us-east-1", "p", "u", {}),
        lambda url: emulator.verify_email_identities(object(), url, "us-east-1", ["a@b.c"]),
        lambda url: emulator.function_environment(object(), url, "us-east-1", "f"),
        lambda url: emulator.encrypt_like_cognito(object(), url, "arn:aws:kms:k", "p", "1"),
    ],
)
def test_seeding_refuses_anything_but_the_loopback_emulator(call) -> None:
    with pytest.raises(emulator.EmulatorError, match="outside the emulator"):
        call("https://cognito-idp.us-east-1.amazonaws.com")


def test_codes_are_encrypted_as_cognito_does_and_decrypt_with_the_senders_helper() -> None:
    import botocore.session

    from chalice_cognito import senders

    aws = emulator.EmbeddedAWS()
    try:
        with aws.activated() as endpoint:
            session = botocore.session.get_session()
            key = emulator.create_kms_key(session, endpoint, "us-east-1", "senders")
            code = emulator.encrypt_like_cognito(session, endpoint, key, "us-east-1_Pool", "424242")
            # Cognito's format: an Encryption SDK message without key commitment.
            assert code.startswith("AYAD")
            event = {"userPoolId": "us-east-1_Pool", "request": {"code": code}}
            senders._providers.clear()
            assert senders.decrypt_code(event, key_arn=key) == "424242"
            # The pool id travels in the encryption context: another pool is refused.
            other = {"userPoolId": "us-east-1_Other", "request": {"code": code}}
            with pytest.raises(senders.SenderError, match="encrypted for user pool"):
                senders.decrypt_code(other, key_arn=key)
    finally:
        aws.stop()
        senders._providers.clear()
