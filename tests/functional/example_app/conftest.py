"""Fixtures for the example app ("shop", ``app.py`` + ``chalicelib/`` at the repository root).

The app is loaded from its file under a unique module name: ``app`` would
clash with any other test that imports an app module (in Lambda, Chalice's
handler strings are ``app.<function>``; nothing here depends on that name).
``chalicelib`` is imported from the repository root; ``sys.modules`` is
restored afterwards, so scratch Chalice projects of other tests keep their
own ``chalicelib``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
from chalice.test import Client
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[3]
MODULE_NAME = "shop_example_app"
CHALICELIB_MODULES = (
    "aws_clients",
    "audit",
    "custom_senders",
    "customer_groups",
    "delivery",
    "federation_mapping",
    "legacy_users",
    "localized_messages",
    "passwordless",
    "signup_policy",
    "suspension",
    "token_claims",
)

_loaded: Dict[str, SimpleNamespace] = {}


def _is_chalicelib(name: str) -> bool:
    return name == "chalicelib" or name.startswith("chalicelib.")


def _load_shop() -> SimpleNamespace:
    """Import ``app.py`` and its ``chalicelib`` once per test process.

    ``sys.modules`` is left as it was found: other tests build scratch Chalice
    projects with a ``chalicelib`` of their own, which must not resolve to
    this one (nor this one to theirs).  The loaded modules stay reachable
    through the returned namespace.
    """
    if "shop" in _loaded:
        return _loaded["shop"]
    foreign = {name: mod for name, mod in sys.modules.items() if _is_chalicelib(name)}
    for name in foreign:
        del sys.modules[name]
    sys.path.insert(0, str(ROOT))
    try:
        spec = importlib.util.spec_from_file_location(MODULE_NAME, ROOT / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[MODULE_NAME] = module
        spec.loader.exec_module(module)
        lib = {n: importlib.import_module(f"chalicelib.{n}") for n in CHALICELIB_MODULES}
    finally:
        sys.path.remove(str(ROOT))
        for name in [n for n in sys.modules if _is_chalicelib(n)]:
            del sys.modules[name]
        sys.modules.update(foreign)
    _loaded["shop"] = SimpleNamespace(module=module, app=module.app, **lib)
    return _loaded["shop"]


@pytest.fixture(scope="session")
def shop() -> SimpleNamespace:
    """The loaded example app: ``shop.app`` and each chalicelib module by name."""
    return _load_shop()


@pytest.fixture(autouse=True)
def _clean_shop_state(shop: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts with default settings, fresh boto3 clients and the default senders."""
    for var in (
        "ALLOWED_SIGNUP_DOMAINS",
        "CUSTOMER_GROUP",
        "SUSPENDED_USERS",
        "SENDER_EMAIL",
        "CUSTOM_EMAIL_MESSAGES",
        "CHALICE_COGNITO_KMS_KEY_ARN",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    shop.aws_clients.reset_clients()
    yield
    shop.delivery.use_email_sender(None)
    shop.delivery.use_sms_sender(None)
    shop.legacy_users.use_legacy_store(
        shop.legacy_users.LegacyUserStore(shop.legacy_users.LEGACY_USERS)
    )
    shop.aws_clients.reset_clients()


@pytest.fixture
def client(shop: SimpleNamespace, tmp_path: Path) -> Client:
    """Chalice's test client, with an empty project dir so no config.json adds settings."""
    return Client(shop.app, project_dir=str(tmp_path))


Invoke = Callable[[str, Dict[str, Any]], Dict[str, Any]]


@pytest.fixture
def invoke(client: Client) -> Invoke:
    """``invoke(function, event)``: run a handler through Chalice's test client.

    Returns the event the handler sends back to Cognito; a refusal raises.
    """

    def _invoke(function: str, event: Dict[str, Any]) -> Dict[str, Any]:
        payload = client.lambda_.invoke(function, event).payload
        assert isinstance(payload, dict)
        return payload

    return _invoke


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process for every AWS call (cognito-idp, ses, sns, kms)."""
    with mock_aws():
        yield


class Outbox:
    """A pluggable email and SMS sender that records instead of sending."""

    def __init__(self) -> None:
        self.emails: List[Tuple[str, str, str]] = []
        self.sms: List[Tuple[str, str]] = []

    def send_email(self, to: str, subject: str, body: str) -> None:
        self.emails.append((to, subject, body))

    def send_sms(self, phone_number: str, message: str) -> None:
        self.sms.append((phone_number, message))


@pytest.fixture
def outbox(shop: SimpleNamespace) -> Outbox:
    """Plug an :class:`Outbox` in as the app's email and SMS sender."""
    box = Outbox()
    shop.delivery.use_email_sender(box)
    shop.delivery.use_sms_sender(box)
    return box
