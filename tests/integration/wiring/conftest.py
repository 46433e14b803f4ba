"""A moto server on 127.0.0.1 (random port) for the wiring engine's integration tests."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional

import boto3
import pytest

from chalice_cognito.deploy.aws import NO_SDK_RETRIES
from tests.support import aws as support_aws
from tests.support.faults import moto_server

REGION = support_aws.REGION


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


class Clients:
    """boto3 clients on the moto server, with per-operation before-call hooks."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.calls: List[str] = []
        self.hooks: Dict[str, Callable[[], Optional[Any]]] = {}

    def factory(self, service: str, region: str) -> Any:
        # Like the engine's own clients: one attempt per call, retries are the engine's.
        client = boto3.session.Session().client(
            service, region_name=region, endpoint_url=self.url, config=NO_SDK_RETRIES
        )
        client.meta.events.register("before-call.*.*", self._before)
        return client

    def _before(self, model: Any, **_: Any) -> Any:
        self.calls.append(model.name)
        hook = self.hooks.get(model.name)
        return hook() if hook else None


class FakeHttp:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: Dict[str, str] = {}
        self.content = b""


def aws_error(code: str, message: str) -> Any:
    """A before-call answer that makes botocore raise this AWS error."""
    return FakeHttp(400), {"Error": {"Code": code, "Message": message}}


def client(url: str, service: str) -> Any:
    return support_aws.client(service, url)


def create_function(url: str, name: str) -> str:
    """A Lambda function in the moto server at ``url``; returns its ARN."""
    return support_aws.create_function(name, role_name="wiring-it-role", endpoint_url=url)


def policy_sids(url: str, arn: str) -> List[str]:
    return [s["Sid"] for s in support_aws.policy_statements(arn, endpoint_url=url)]
