"""AWS plumbing of the wiring engine: clients, reads, retries, error translation.

Clients come from a plain :class:`boto3.session.Session` (or a botocore
session, e.g. the one Chalice's CLI factory made), so every standard AWS
setting applies (profile, region, ``AWS_ENDPOINT_URL`` and the per-service
``AWS_ENDPOINT_URL_<SERVICE>`` variables).  Tests inject a ``client_factory``
to count or fail calls.

Every client made from a session has the SDK's own retries switched off
(:data:`NO_SDK_RETRIES`): botocore's retry would resend an *identical*
UpdateUserPool body seconds after the read it was built from, writing back a
copy older than another writer's change.  All retrying happens here instead,
where the caller decides what a retry may resend: a read or an idempotent
write is resent as is (:meth:`AwsClients.call`), UpdateUserPool is never
resent but rebuilt from a new DescribeUserPool (:mod:`.apply`).  An injected
``client_factory`` makes its own clients and is responsible for turning the
SDK's retries off itself (pass ``config=NO_SDK_RETRIES``).

This module only *reads*; :mod:`chalice_cognito.deploy.apply` is the one module
that writes.  Imports: stdlib, boto3/botocore (no chalice, no click: the engine
also runs inside the custom-resource Lambda).
"""

from __future__ import annotations

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
)

from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from chalice_cognito.deploy.errors import (
    AccessDeniedError,
    PoolNotFoundError,
    WiringError,
)
from chalice_cognito.deploy.model import region_from_pool_id

#: (service name, region) -> boto3 client
ClientFactory = Callable[[str, str], Any]

T = TypeVar("T")
R = TypeVar("R")

#: Upper bound of concurrent calls of one batch (GetPolicy reads, permission
#: writes).  Lambda's control-plane limits are per account and generous for
#: reads; a handful in flight turns N round trips into about N / 8.
MAX_CONCURRENT_CALLS = 8

#: error codes worth retrying with backoff (Cognito, Lambda, generic throttling)
RETRYABLE_CODES = frozenset(
    {
        "ConcurrentModificationException",
        "TooManyRequestsException",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalErrorException",
        "InternalError",
    }
)
#: The client setting of every client made from a session: one attempt per
#: call, no SDK-level retry (see the module docstring).  ``mode="standard"`` also
#: keeps the "adaptive" mode's client-side rate limiter (which may hold a request
#: back before sending it) out, whatever ``AWS_RETRY_MODE`` says.
NO_SDK_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})

#: HTTP statuses of a transient server-side failure (botocore's standard list)
_TRANSIENT_STATUS = frozenset({500, 502, 503, 504})

#: attempts of one call that failed to connect or lost its connection (botocore's
#: default; a dead endpoint should fail in seconds, not after the full backoff)
_CONNECTION_ATTEMPTS = 3

#: Cognito's message when two updates of one pool overlap (code varies by caller).
_ONE_UPDATE_AT_A_TIME = "only one request to update this userpool"
#: Lambda's message while another policy/config change is in flight.
_LAMBDA_IN_PROGRESS = "in progress"

_ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})

#: operation name -> IAM action (for AccessDenied messages)
_SERVICE_PREFIX = {"cognito-idp": "cognito-idp", "lambda": "lambda"}


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def is_retryable(error: Exception) -> bool:
    """True for errors that may pass when the call is made again a little later.

    Throttling, concurrent modification, "one update at a time", a 5xx answer,
    and a failed or lost connection (the SDK's retries are off, so these reach
    the engine: see the module docstring).
    """
    if isinstance(error, (BotocoreConnectionError, HTTPClientError)):
        return True
    if not isinstance(error, ClientError):
        return False
    code = error_code(error)
    message = error_message(error).lower()
    if code in RETRYABLE_CODES or _ONE_UPDATE_AT_A_TIME in message:
        return True
    if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in _TRANSIENT_STATUS:
        return True
    # Lambda: "The operation cannot be performed at this time. An update is in progress".
    return code == "ResourceConflictException" and _LAMBDA_IN_PROGRESS in message


class AwsClients:
    """Per-region boto3 clients plus retrying, translating calls.

    Clients come from ``session`` (a boto3 or botocore session; default: a new
    boto3 session) with the SDK's retries off (:data:`NO_SDK_RETRIES`), or from
    ``client_factory(service, region)``, which must turn them off itself.
    ``max_attempts`` bounds retries of one call on retryable errors (and the
    rounds of one apply); ``sleep`` (backoff and the confirm pause) is
    injectable so tests never wait.  ``max_workers`` bounds :meth:`map`
    (1 makes every batch sequential).

    Calls may come from several threads (:meth:`map`): botocore clients are
    thread-safe, and clients are created under a lock because creating one
    from a shared session is not.
    """

    def __init__(
        self,
        session: Any = None,
        *,
        client_factory: Optional[ClientFactory] = None,
        region: Optional[str] = None,
        max_attempts: int = 6,
        sleep: Callable[[float], None] = time.sleep,
        base_delay: float = 0.25,
        max_delay: float = 5.0,
        max_workers: int = MAX_CONCURRENT_CALLS,
    ) -> None:
        self._session = session
        self._lock = threading.Lock()
        self.max_workers = max(1, max_workers)
        self._factory = client_factory
        self._default_region = region
        self._clients: Dict[Tuple[str, str], Any] = {}
        self.max_attempts = max(1, max_attempts)
        self.sleep = sleep
        self.base_delay = base_delay
        self.max_delay = max_delay

    # -- clients -----------------------------------------------------------

    @property
    def default_region(self) -> str:
        """The region used for name lookups: explicit, else the session's."""
        if self._default_region:
            return self._default_region
        session = self._get_session()
        region = getattr(session, "region_name", None)
        if region is None and hasattr(session, "get_config_variable"):
            region = session.get_config_variable("region")  # a botocore session
        if not region:
            raise WiringError(
                "No AWS region configured: set AWS_DEFAULT_REGION / a profile region, or "
                "give the pool by id (ids carry their region) or a region in the cognito config."
            )
        return str(region)

    def _get_session(self) -> Any:
        if self._session is None:
            import boto3.session

            self._session = boto3.session.Session()
        return self._session

    def client(self, service: str, region: str) -> Any:
        """A cached client for ``service`` in ``region``."""
        key = (service, region)
        client = self._clients.get(key)
        if client is not None:
            return client
        with self._lock:
            if key not in self._clients:
                if self._factory is not None:
                    self._clients[key] = self._factory(service, region)
                else:
                    session = self._get_session()
                    # boto3 sessions have ``client``; botocore's (what Chalice's CLI
                    # factory makes: no boto3 import needed) have ``create_client``.
                    create = getattr(session, "client", None) or session.create_client
                    # ``config`` is merged over the session's default client
                    # config (Chalice's sets ``retries``): ours wins.
                    self._clients[key] = create(service, region_name=region, config=NO_SDK_RETRIES)
            return self._clients[key]

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> List[R]:
        """``[function(item) for item in items]``, run concurrently, results in input order.

        For batches of independent calls on different resources (one GetPolicy
        per function, one AddPermission per function): their round trips
        overlap instead of adding up.  Every call finishes before this returns;
        the first exception (in input order) is raised after all have finished,
        so a caller's ordering guarantees ("all permissions before the pool
        update") hold even on failure.
        """
        todo: Sequence[T] = list(items)
        if len(todo) <= 1 or self.max_workers == 1:
            return [function(item) for item in todo]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(todo))) as pool:
            futures = [pool.submit(function, item) for item in todo]
        # Leaving the ``with`` waited for every future: none is still running.
        return [future.result() for future in futures]

    # -- calls ---------------------------------------------------------------

    def call(
        self,
        service: str,
        region: str,
        operation: str,
        *,
        resource: str = "",
        retry: bool = True,
        **params: Any,
    ) -> Dict[str, Any]:
        """Call ``operation`` (API name, e.g. ``UpdateUserPool``) with retries.

        Retryable errors (:func:`is_retryable`) back off exponentially (with
        jitter) up to ``max_attempts`` (:data:`_CONNECTION_ATTEMPTS` for a
        failed connection); the request is resent as it is, so only reads and
        writes that are safe to repeat may retry here.  ``retry=False`` raises
        them at once instead, for a caller that must rebuild the request from a
        new read before trying again (UpdateUserPool).
        AccessDenied becomes :class:`AccessDeniedError` naming the IAM action.
        Other errors propagate unchanged.
        """
        client = self.client(service, region)
        method = getattr(client, _snake(operation))
        attempt = 0
        while True:
            attempt += 1
            try:
                return dict(method(**params))
            except (ClientError, BotocoreConnectionError, HTTPClientError) as error:
                limit = self.max_attempts
                if not isinstance(error, ClientError):
                    limit = min(limit, _CONNECTION_ATTEMPTS)
                if retry and is_retryable(error) and attempt < limit:
                    self.sleep(self.backoff(attempt))
                    continue
                if not isinstance(error, ClientError):
                    raise
                if error_code(error) in _ACCESS_DENIED_CODES:
                    action = f"{_SERVICE_PREFIX.get(service, service)}:{operation}"
                    if "kms" in error_message(error).lower():
                        # Setting KMSKeyID makes Cognito create a grant on the key
                        # with the caller's rights: that is what was denied.
                        action = "kms:CreateGrant"
                    raise AccessDeniedError(
                        f"AWS denied {action}"
                        + (f" on {resource}" if resource else "")
                        + f" ({error_message(error) or error_code(error)}). Grant {action} to "
                        "the identity that deploys.",
                        action,
                    ) from None
                raise

    def backoff(self, attempt: int) -> float:
        """Delay before retry ``attempt`` (1-based): exponential, capped, full jitter."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)  # jitter, not crypto

    # -- reads ---------------------------------------------------------------

    def describe_pool(self, pool_id: str, region: Optional[str] = None) -> Dict[str, Any]:
        """DescribeUserPool's ``UserPool``; a missing pool names its id and region."""
        region = region or region_from_pool_id(pool_id) or self.default_region
        try:
            answer = self.call(
                "cognito-idp", region, "DescribeUserPool", resource=pool_id, UserPoolId=pool_id
            )
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                raise PoolNotFoundError(
                    f"User pool {pool_id} does not exist in region {region} "
                    "(check user_pool_id, the AWS account and the region)."
                ) from None
            raise
        return dict(answer["UserPool"])

    def list_pools(self, region: str) -> List[Dict[str, Any]]:
        """Every pool of the region (ListUserPools, all pages)."""
        pools: List[Dict[str, Any]] = []
        token: Optional[str] = None
        while True:
            params: Dict[str, Any] = {"MaxResults": 60}
            if token:
                params["NextToken"] = token
            answer = self.call("cognito-idp", region, "ListUserPools", **params)
            pools.extend(answer.get("UserPools", []))
            token = answer.get("NextToken")
            if not token:
                return pools

    def get_policy_statements(self, function_arn: str) -> Optional[List[Dict[str, Any]]]:
        """The function's resource-policy statements; ``[]`` without policy, ``None`` if no function.

        GetPolicy answers ResourceNotFound for both cases; Lambda's message
        ("Function not found: ...") tells them apart, so no second call is needed.
        """
        region = _region_of_arn(function_arn) or self.default_region
        try:
            answer = self.call(
                "lambda", region, "GetPolicy", resource=function_arn, FunctionName=function_arn
            )
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                if error_message(error).lower().startswith("function not found"):
                    return None
                return []
            raise
        policy = answer.get("Policy") or "{}"
        document = json.loads(policy) if isinstance(policy, str) else dict(policy)
        statements = document.get("Statement") or []
        if isinstance(statements, Mapping):
            statements = [statements]
        # Only the statements of this ARN's own policy: Lambda keeps one per
        # qualifier, and an emulator answering with a shared list (moto) must
        # not make an unqualified grant count for an alias, or the reverse.
        return [dict(s) for s in statements if _same_resource(s.get("Resource"), function_arn)]


def _same_resource(resource: Any, function_arn: str) -> bool:
    """A statement's ``Resource`` names ``function_arn`` (no Resource: assumed so).

    ``...:function:NAME`` and ``...:function:NAME:$LATEST`` are the same resource.
    """
    if not isinstance(resource, str) or not resource:
        return True

    def bare(arn: str) -> str:
        return arn[: -len(":$LATEST")] if arn.endswith(":$LATEST") else arn

    if not function_arn.startswith("arn:"):  # a bare function name: compare names
        return bare(resource).split(":function:", 1)[-1] == bare(function_arn)
    return bare(resource) == bare(function_arn)


def _region_of_arn(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[0] == "arn" else ""


def _snake(operation: str) -> str:
    out = []
    for i, ch in enumerate(operation):
        if ch.isupper() and i and not operation[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
