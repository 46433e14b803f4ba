"""The example app as a whole: one handler per trigger, access grants, cold-start and client hygiene."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from chalice_cognito import TRIGGERS, registered_triggers


def test_every_catalogue_trigger_has_exactly_one_handler(shop: SimpleNamespace) -> None:
    registrations = registered_triggers(shop.app)
    assert sorted(r.trigger for r in registrations) == sorted(t.name for t in TRIGGERS)
    assert shop.app.app_name == "shop"


def test_pre_token_generation_is_wired_as_v2_and_boto3_callers_declare_access(
    shop: SimpleNamespace,
) -> None:
    by_trigger = {r.trigger: r for r in registered_triggers(shop.app)}
    assert by_trigger["PreTokenGeneration"].version == "V2_0"
    assert by_trigger["PostConfirmation"].access == ("AdminAddUserToGroup",)
    assert by_trigger["CustomEmailSender"].access == ("AdminGetUser",)
    # Handlers that never call Cognito get no grants.
    assert by_trigger["PreSignUp"].access == ()


def test_importing_the_app_loads_neither_boto3_nor_the_encryption_sdk(tmp_path: Path) -> None:
    # Cold start: boto3 clients and the Encryption SDK are created/imported on
    # first use, so importing app.py (what Lambda does first) must not load them.
    # A fresh interpreter, because this test process has imported both already.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import app; "
        "print(sorted(m for m in ('boto3', 'botocore', 'aws_encryption_sdk') if m in sys.modules))"
    )
    root = str(Path(__file__).resolve().parents[3])
    done = subprocess.run(
        [sys.executable, "-c", probe, root],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_boto3_clients_are_reused_until_the_endpoint_changes(
    shop: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = shop.aws_clients.client("sns")
    assert shop.aws_clients.client("sns") is first
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    moved = shop.aws_clients.client("sns")
    assert moved is not first
    assert moved.meta.endpoint_url == "http://127.0.0.1:9"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:10")
    assert shop.aws_clients.client("sns").meta.endpoint_url == "http://127.0.0.1:10"


def test_loading_the_app_leaves_no_chalicelib_behind(shop: SimpleNamespace) -> None:
    # Other tests import scratch projects with their own ``chalicelib``.
    ours = str(Path(shop.module.__file__).resolve().parent / "chalicelib")
    leftovers = [
        name
        for name, module in sys.modules.items()
        if (name == "chalicelib" or name.startswith("chalicelib."))
        and str(getattr(module, "__file__", "") or "").startswith(ours)
    ]
    assert leftovers == []
    assert shop.passwordless.__file__.startswith(ours)
