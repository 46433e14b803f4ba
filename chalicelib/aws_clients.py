"""boto3 clients created on first use and then reused.

Not at import time: importing boto3 and building a client costs a few hundred
milliseconds of a Lambda cold start, and Cognito gives a trigger 5 seconds.
Most triggers of the example app never call AWS, so they never pay for it.

boto3 reads region, credentials and endpoint (``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_<SERVICE>``) from the environment, so the same code talks to
AWS, to moto or to a local emulator.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def client(service_name: str) -> Any:
    """The shared boto3 client for ``service_name`` (``"cognito-idp"``, ``"ses"``, ``"sns"``)."""
    import boto3  # deferred: see the module docstring

    return boto3.client(service_name)


def reset_clients() -> None:
    """Forget every cached client, e.g. after the environment (endpoint, region) changed."""
    client.cache_clear()
