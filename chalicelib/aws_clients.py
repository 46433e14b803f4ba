"""boto3 clients created on first use and then reused.

Not at import time: importing boto3 and building a client costs a few hundred
milliseconds of a Lambda cold start, and Cognito gives a trigger 5 seconds.
Most triggers of the example app never call AWS, so they never pay for it.

boto3 reads region, credentials and endpoint (``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_<SERVICE>``) from the environment, so the same code talks to
AWS, to moto or to a local emulator.  A cached client is reused only while
those settings are unchanged: a process that serves triggers for several
emulators (local servers, tests) never sends a call to a stale endpoint.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Tuple

#: Settings that change where or as whom a client talks.
_SETTINGS = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_PROFILE")


def _environment_key() -> Tuple[Tuple[str, str], ...]:
    return tuple(
        sorted(
            (name, value)
            for name, value in os.environ.items()
            if name in _SETTINGS or name.startswith("AWS_ENDPOINT_URL")
        )
    )


def client(service_name: str) -> Any:
    """The shared boto3 client for ``service_name`` (``"cognito-idp"``, ``"ses"``, ``"sns"``)."""
    return _client(service_name, _environment_key())


@functools.lru_cache(maxsize=32)
def _client(service_name: str, environment: Tuple[Tuple[str, str], ...]) -> Any:
    del environment  # only part of the cache key: boto3 reads os.environ itself
    import boto3  # deferred: see the module docstring

    return boto3.client(service_name)


def reset_clients() -> None:
    """Forget every cached client."""
    _client.cache_clear()
