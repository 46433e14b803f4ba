"""The Chalice seams of chalice_hooks and the embedded emulator, without deploying."""

from __future__ import annotations

import os
import socket

import pytest
from chalice import analyzer

from chalice_cognito.deploy import chalice_hooks
from chalice_cognito.local import emulator


def test_analyzer_patch_is_scoped() -> None:
    decorators = analyzer.AppViewTypeInfer._CHALICE_DECORATORS
    assert "cognito_trigger" not in decorators
    with chalice_hooks.cognito_analyzer():
        assert "cognito_trigger" in decorators
    assert "cognito_trigger" not in decorators


def test_emulator_binds_loopback_and_hides_real_aws(monkeypatch) -> None:
    env = {
        "AWS_PROFILE": "prod",
        "AWS_SESSION_TOKEN": "x",
        "AWS_ENDPOINT_URL_LAMBDA": "https://lambda.example",
        "HOME": "/home/me",
    }
    aws = emulator.EmbeddedAWS(region="eu-west-1")
    try:
        with aws.activated(env) as endpoint:
            host, port = endpoint.removeprefix("http://").split(":")
            assert host == "127.0.0.1"
            assert env["AWS_ENDPOINT_URL"] == endpoint
            assert env["AWS_DEFAULT_REGION"] == "eu-west-1"
            assert env["AWS_CONFIG_FILE"] == os.devnull
            assert "AWS_PROFILE" not in env and "AWS_SESSION_TOKEN" not in env
            assert "AWS_ENDPOINT_URL_LAMBDA" not in env
            # The port is served on loopback...
            with socket.create_connection(("127.0.0.1", int(port)), timeout=5):
                pass
            server = aws._server
            assert server.get_host_and_port()[0] == "127.0.0.1"
        assert env == {
            "AWS_PROFILE": "prod",
            "AWS_SESSION_TOKEN": "x",
            "AWS_ENDPOINT_URL_LAMBDA": "https://lambda.example",
            "HOME": "/home/me",
        }
    finally:
        aws.stop()


def test_pool_creation_is_refused_outside_the_emulator() -> None:
    with pytest.raises(emulator.EmulatorError, match="outside the emulator"):
        emulator.ensure_user_pool(
            object(), "p", "https://cognito-idp.us-east-1.amazonaws.com", "us-east-1"
        )
    with pytest.raises(emulator.EmulatorError, match="outside the emulator"):
        emulator.create_kms_key(object(), "https://kms.us-east-1.amazonaws.com", "us-east-1", "d")
