"""The ``local_cognito`` pytest fixture (registered through the ``pytest11`` entry point).

::

    def test_sign_up(local_cognito):
        idp = local_cognito.client("cognito-idp")
        idp.sign_up(ClientId=local_cognito.client_id, Username="ann", Password="...")

One :class:`~.local_cognito.LocalCognito` per test module (start-up deploys
the app); the recorded invocations and messages are cleared before each test.
Options: ``--local-cognito-project`` (default: the rootdir) and
``--local-cognito-stage`` (default ``local``), or the ``local_cognito_options``
fixture returning keyword arguments for ``LocalCognito`` (override it in a
conftest).

Deploy-time module: loaded by pytest only.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("chalice-cognito")
    group.addoption(
        "--local-cognito-project",
        default=None,
        help="Chalice project the local_cognito fixture deploys (default: the rootdir).",
    )
    group.addoption(
        "--local-cognito-stage",
        default="local",
        help="Chalice stage the local_cognito fixture deploys (default: local).",
    )


@pytest.fixture(scope="module")
def local_cognito_options(request: Any) -> Dict[str, Any]:
    """Keyword arguments of the module's ``LocalCognito`` (override to change them)."""
    config = request.config
    return {
        "project_dir": config.getoption("--local-cognito-project") or str(config.rootpath),
        "stage": config.getoption("--local-cognito-stage"),
    }


@pytest.fixture(scope="module")
def _local_cognito_module(local_cognito_options: Dict[str, Any]) -> Iterator[Any]:
    from chalice_cognito.local.cognito_flows.local_cognito import LocalCognito

    with LocalCognito(**local_cognito_options) as cognito:
        yield cognito


@pytest.fixture
def local_cognito(_local_cognito_module: Any) -> Any:
    """The module's running LocalCognito, with its records cleared for this test."""
    _local_cognito_module.clear()
    return _local_cognito_module
