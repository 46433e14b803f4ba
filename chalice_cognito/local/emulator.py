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
from typing import Any, Dict, Iterator, List, Mapping, MutableMapping, Optional

from chalice_cognito.senders import POOL_CONTEXT_KEY

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


def _require_loopback(endpoint_url: str, what: str) -> None:
    """Refuse to change or read anything but the loopback emulator (never a real account)."""
    if not endpoint_url.startswith(f"http://{LOOPBACK}:"):
        raise EmulatorError(f"Refusing to {what} outside the emulator ({endpoint_url}).")


def ensure_user_pool(session: Any, name: str, endpoint_url: str, region: str) -> str:
    """Return the id of the pool called ``name`` in the emulator, creating it if missing.

    Only ever used against the embedded AWS: ``endpoint_url`` must be the
    loopback emulator, checked here so a misconfiguration cannot create a pool
    in a real account.
    """
    _require_loopback(endpoint_url, "create a user pool")
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
    _require_loopback(endpoint_url, "create a KMS key")
    client = session.create_client("kms", region_name=region, endpoint_url=endpoint_url)
    return str(client.create_key(Description=description)["KeyMetadata"]["Arn"])


# -- seeding the emulator for the smoke run (loopback only) -----------------------


def ensure_groups(
    session: Any, endpoint_url: str, region: str, pool_id: str, groups: Any
) -> List[str]:
    """Create the named groups in an emulator pool (the stage's ``local_groups``); return new ones."""
    _require_loopback(endpoint_url, "create user pool groups")
    client = session.create_client("cognito-idp", region_name=region, endpoint_url=endpoint_url)
    existing = {g["GroupName"] for g in client.list_groups(UserPoolId=pool_id).get("Groups", [])}
    created = []
    for name in groups:
        if name not in existing:
            client.create_group(UserPoolId=pool_id, GroupName=name)
            created.append(str(name))
    return created


#: Attributes Cognito manages itself: never passed to AdminCreateUser.
_MANAGED_ATTRIBUTES = ("sub",)


def create_user(
    session: Any,
    endpoint_url: str,
    region: str,
    pool_id: str,
    username: str,
    attributes: Mapping[str, str],
) -> bool:
    """AdminCreateUser in an emulator pool (no message sent); False if the user exists."""
    _require_loopback(endpoint_url, "create users")
    client = session.create_client("cognito-idp", region_name=region, endpoint_url=endpoint_url)
    try:
        client.admin_get_user(UserPoolId=pool_id, Username=username)
        return False
    except client.exceptions.UserNotFoundException:
        pass
    client.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[
            {"Name": name, "Value": str(value)}
            for name, value in attributes.items()
            if name not in _MANAGED_ATTRIBUTES and not name.startswith(("cognito:", "custom:"))
        ],
        MessageAction="SUPPRESS",
    )
    return True


def groups_of_user(
    session: Any, endpoint_url: str, region: str, pool_id: str, username: str
) -> List[str]:
    """The groups an emulator pool user belongs to."""
    _require_loopback(endpoint_url, "read users")
    client = session.create_client("cognito-idp", region_name=region, endpoint_url=endpoint_url)
    listed = client.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)
    return sorted(str(g["GroupName"]) for g in listed.get("Groups", []))


def verify_email_identities(
    session: Any, endpoint_url: str, region: str, addresses: Any
) -> List[str]:
    """Verify sender addresses in the emulator's SES (SES only sends from verified identities)."""
    _require_loopback(endpoint_url, "verify SES identities")
    client = session.create_client("ses", region_name=region, endpoint_url=endpoint_url)
    done = []
    for address in addresses:
        client.verify_email_identity(EmailAddress=address)
        done.append(str(address))
    return done


def emails_sent(session: Any, endpoint_url: str, region: str) -> int:
    """How many emails the emulator's SES accepted so far."""
    _require_loopback(endpoint_url, "read SES")
    client = session.create_client("ses", region_name=region, endpoint_url=endpoint_url)
    return int(client.get_send_quota().get("SentLast24Hours", 0))


def function_environment(
    session: Any, endpoint_url: str, region: str, function_name: str
) -> Dict[str, str]:
    """The environment variables the emulator's Lambda holds for a deployed function."""
    _require_loopback(endpoint_url, "read functions")
    client = session.create_client("lambda", region_name=region, endpoint_url=endpoint_url)
    configuration = client.get_function_configuration(FunctionName=function_name)
    variables = (configuration.get("Environment") or {}).get("Variables") or {}
    return {str(k): str(v) for k, v in variables.items()}


def encrypt_like_cognito(
    session: Any, endpoint_url: str, key_arn: str, pool_id: str, plaintext: str
) -> str:
    """Encrypt ``plaintext`` as Cognito encrypts custom sender codes, with an emulator KMS key.

    AWS Encryption SDK message, strict KMS provider for ``key_arn``, no key
    commitment (``FORBID_ENCRYPT_ALLOW_DECRYPT``: Cognito's ``AYAD...`` format),
    the pool id in the encryption context; base64, as ``request.code`` holds it.
    """
    _require_loopback(endpoint_url, "encrypt with KMS")
    import base64

    try:
        import aws_encryption_sdk
    except ImportError as error:
        raise EmulatorError(
            "Building custom sender codes needs the AWS Encryption SDK: "
            "pip install 'chalice-cognito[senders]'."
        ) from error
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=aws_encryption_sdk.CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    )
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(
        key_ids=[key_arn], botocore_session=session
    )
    ciphertext, _ = client.encrypt(
        source=plaintext.encode("utf-8"),
        key_provider=provider,
        encryption_context={POOL_CONTEXT_KEY: pool_id},
    )
    return base64.b64encode(ciphertext).decode("ascii")
