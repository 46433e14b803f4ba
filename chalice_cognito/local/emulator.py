"""An embedded local AWS (moto server) for ``chalice-cognito deploy --local``.

The deploy of a ``"cognito": {"local": true}`` stage runs the *real* pipeline
(Chalice's packager and deployer, the pool wiring) against a moto server that
lives inside the command: started on 127.0.0.1 on a free port, stopped when the
command ends.  Its state (functions, roles, the user pool) lives only as long
as the command.

Safety: while the emulator is active the process environment points every AWS
client at it (``AWS_ENDPOINT_URL``) with dummy credentials, and the user's AWS
config and credential files are hidden, so nothing can reach a real account.
The server is bound to 127.0.0.1 only (moto's default is 0.0.0.0).
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any, Dict, Iterator, Mapping, MutableMapping, Optional

#: Dummy credentials and region of the embedded AWS.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
DEFAULT_REGION = "us-east-1"
LOOPBACK = "127.0.0.1"

#: Variables removed while the emulator is active: any of them could route a
#: client to real AWS (a profile, a session token, a per-service endpoint).
_HIDDEN_PREFIXES = ("AWS_ENDPOINT_URL_",)
_HIDDEN = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


class EmulatorError(RuntimeError):
    """The embedded AWS could not start or refused an operation."""


class EmbeddedAWS:
    """A moto server on 127.0.0.1:<free port> for the duration of one command."""

    def __init__(self, region: str = DEFAULT_REGION) -> None:
        self.region = region
        self._server: Any = None
        self.endpoint_url: Optional[str] = None

    def start(self) -> str:
        """Start the server and return its endpoint URL (``http://127.0.0.1:<port>``)."""
        if self._server is not None:
            assert self.endpoint_url is not None
            return self.endpoint_url
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as error:  # pragma: no cover - depends on the install
            raise EmulatorError(
                "The embedded local AWS needs moto: pip install 'chalice-cognito[local]'."
            ) from error
        # moto's request log goes through werkzeug's logger: keep the output readable.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        if host != LOOPBACK:  # never serve an unauthenticated AWS on the network
            server.stop()
            raise EmulatorError(f"moto server bound {host}, expected {LOOPBACK}; stopped it.")
        self._server = server
        self.endpoint_url = f"http://{host}:{port}"
        return self.endpoint_url

    def stop(self) -> None:
        """Stop the server; everything it held is gone."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def environ(self) -> Dict[str, str]:
        """The variables that point botocore (and Chalice's packager) at this server."""
        if self.endpoint_url is None:
            raise EmulatorError("The embedded AWS is not running.")
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            # Hide ~/.aws so no profile, credential or endpoint setting leaks in.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            **LOCAL_CREDENTIALS,
        }

    @contextlib.contextmanager
    def activated(self, environ: Optional[MutableMapping[str, str]] = None) -> Iterator[str]:
        """Start (if needed), point ``environ`` (``os.environ``) at the server, restore after."""
        env = os.environ if environ is None else environ
        endpoint = self.start()
        saved = dict(env)
        try:
            for key in list(env):
                if key in _HIDDEN or key.startswith(_HIDDEN_PREFIXES):
                    del env[key]
            env.update(self.environ())
            yield endpoint
        finally:
            env.clear()
            env.update(saved)

    def __enter__(self) -> EmbeddedAWS:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ensure_user_pool(session: Any, name: str, endpoint_url: str, region: str) -> str:
    """Return the id of the pool called ``name`` in the emulator, creating it if missing.

    Only ever used against the embedded AWS: ``endpoint_url`` must be the
    loopback emulator, checked here so a misconfiguration cannot create a pool
    in a real account.
    """
    if not endpoint_url.startswith(f"http://{LOOPBACK}:"):
        raise EmulatorError(
            f"Refusing to create a user pool outside the emulator ({endpoint_url})."
        )
    client = session.create_client("cognito-idp", region_name=region, endpoint_url=endpoint_url)
    for pool in _iter_pools(client):
        if pool.get("Name") == name:
            return str(pool["Id"])
    created = client.create_user_pool(PoolName=name)
    return str(created["UserPool"]["Id"])


def _iter_pools(client: Any) -> Iterator[Mapping[str, Any]]:
    token: Optional[str] = None
    while True:
        kwargs: Dict[str, Any] = {"MaxResults": 60}
        if token:
            kwargs["NextToken"] = token
        page = client.list_user_pools(**kwargs)
        yield from page.get("UserPools", [])
        token = page.get("NextToken")
        if not token:
            return


def create_kms_key(session: Any, endpoint_url: str, region: str, description: str) -> str:
    """Create a symmetric KMS key in the emulator (custom senders need one) and return its ARN."""
    if not endpoint_url.startswith(f"http://{LOOPBACK}:"):
        raise EmulatorError(f"Refusing to create a KMS key outside the emulator ({endpoint_url}).")
    client = session.create_client("kms", region_name=region, endpoint_url=endpoint_url)
    return str(client.create_key(Description=description)["KeyMetadata"]["Arn"])
