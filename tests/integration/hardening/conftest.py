"""Fixtures of the adversarial suite: a moto server in this process behind the fault proxy."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.integration.hardening.harness import ForkServer, World
from tests.support.faults import FaultProxy, MotoState, moto_server


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """The console script in a new interpreter per run, through the proxy."""
    with moto_server() as upstream, FaultProxy(upstream) as proxy:
        yield World(upstream, proxy, MotoState())


@pytest.fixture(scope="module")
def forked_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The same, each run a fork of one interpreter that imported the CLI (see ForkServer)."""
    forks = ForkServer(tmp_path_factory.mktemp("forks"))
    try:
        with moto_server() as upstream, FaultProxy(upstream) as proxy:
            yield World(upstream, proxy, MotoState(), forks)
    finally:
        forks.close()
