"""Fault injection for integration tests: an HTTP proxy in front of a real moto server.

Point a client (the ``chalice-cognito`` CLI in a subprocess, a boto3 client)
at :attr:`FaultProxy.url` instead of the moto server's URL (``AWS_ENDPOINT_URL``)
and every AWS request goes through the proxy, which forwards it unchanged
unless a :class:`Rule` matches it.  A rule can:

* ``delay``: hold the request ``seconds`` before forwarding it;
* ``throttle``: answer the service's own throttling error without forwarding
  (after ``seconds`` of hold, if given): ``TooManyRequestsException`` (400,
  JSON ``__type``) for JSON services such as cognito-idp, 429 with
  ``x-amzn-ErrorType`` for Lambda's REST API, ``Throttling`` XML for query
  services (IAM, STS);
* ``error``: answer a 5xx (``status``) without forwarding;
* ``drop``: close the connection without an answer (the request is not forwarded);
* ``drop_after``: forward the request, then close the connection without
  passing the answer on (applied, but the client sees a lost connection);
* ``kill_before``: SIGKILL the watched process, then drop the request (never
  forwarded): the process dies with requests ``1..N-1`` done;
* ``kill_after``: forward the request, SIGKILL the watched process once the
  server answered, and drop the answer: the process dies with request ``N``
  applied but unseen.

Requests are named like the AWS API: the ``X-Amz-Target`` suffix for JSON
services (``UpdateUserPool``), the ``Action`` of query services (IAM's
``CreateRole``), and for REST services (Lambda) the operation whose botocore
``requestUri`` and method match the path (``AddPermission`` for
``POST /2015-03-31/functions/{name}/policy``): derived from botocore's service
models, no table to keep.  Every request is logged in arrival order
(:attr:`FaultProxy.log`, :meth:`FaultProxy.operations`, :meth:`FaultProxy.writes`),
numbered from 1: rules select by operation (``"UpdateUserPool"``, or ``None``
for any), by request number (``index``), by a byte string the body must
contain (``contains``), and fire ``times`` times after skipping ``skip`` matches.

After a kill the proxy drops every further request until :meth:`FaultProxy.reset`
(other threads of the dying process may still be sending).

One fidelity fix on the way: moto's AddPermission accepts a statement id the
function's policy already has and keeps both statements; real Lambda answers
409 ``ResourceConflictException`` ("The statement id (...) provided already
exists").  The proxy answers that, as Lambda would (``lambda_sid_conflicts``).

Example (the whole kill walk of one command is ``for n in range(1, total + 1)``)::

    with moto_server() as upstream, FaultProxy(upstream) as proxy:
        proc = subprocess.Popen([...], env={..., "AWS_ENDPOINT_URL": proxy.url})
        proxy.watch(proc.pid)
        proxy.add(Rule(action="kill_after", index=7))
        proc.wait()                      # -9: killed after the 7th answer
        proxy.operations()[:7]           # what was done
"""

from __future__ import annotations

import contextlib
import copy
import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Optional, Pattern, Tuple

import botocore.session
from moto.server import ThreadedMotoServer

#: what a rule can do to a request (see the module docstring)
ACTIONS = ("delay", "throttle", "error", "drop", "drop_after", "kill_before", "kill_after")

#: operations that change nothing (everything else counts as a write)
READ_PREFIXES = ("Get", "List", "Describe")

#: headers not copied between the two connections (hop-by-hop, or recomputed)
_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
)

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


@dataclass
class Rule:
    """What to do to the requests it matches (all given criteria must hold)."""

    action: str
    #: operation name (``UpdateUserPool``); ``None``: any operation
    operation: Optional[str] = None
    #: request number in the proxy's log (1-based); ``None``: any
    index: Optional[int] = None
    #: bytes the request body must contain
    contains: Optional[bytes] = None
    #: fire this many times (``None``: every match), after skipping ``skip`` matches
    times: Optional[int] = 1
    skip: int = 0
    #: hold before acting (``delay``: the hold; ``throttle``/``error``: hold, then answer)
    seconds: float = 0.0
    #: the status of an ``error`` answer
    status: int = 500
    fired: int = 0
    seen: int = 0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}; one of {ACTIONS}")

    def matches(self, request: Request) -> bool:
        """True (and counted) when this rule fires on ``request``."""
        if self.operation is not None and request.operation != self.operation:
            return False
        if self.index is not None and request.index != self.index:
            return False
        if self.contains is not None and self.contains not in request.body:
            return False
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        return True


@dataclass
class Request:
    """One request as the proxy saw it."""

    index: int
    service: str
    operation: str
    method: str
    path: str
    body: bytes = field(repr=False)
    #: the status answered to the client; 0: no answer (dropped, killed)
    status: int = 0
    #: the rule action applied, if any
    action: str = ""
    #: True when moto received it
    forwarded: bool = False
    #: ``time.monotonic()`` when it arrived
    at: float = field(default_factory=time.monotonic)


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 in front of ``upstream`` (a moto server URL)."""

    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname or "127.0.0.1"
        self.upstream_port = parsed.port or 80
        self.upstream = upstream
        self.rules: List[Rule] = []
        self.log: List[Request] = []
        self.pid: Optional[int] = None
        self.killed = False
        #: answer AddPermission of an existing statement id with 409, as Lambda does
        self.lambda_sid_conflicts = True
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- life cycle ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- set-up ----------------------------------------------------------------------

    def add(self, *rules: Rule) -> FaultProxy:
        with self._lock:
            self.rules.extend(rules)
        return self

    def watch(self, pid: Optional[int]) -> None:
        """The process the ``kill_*`` rules kill."""
        self.pid = pid

    def reset(self) -> None:
        """No rules, empty log, no watched process, forwarding again."""
        with self._lock:
            self.rules.clear()
            self.log.clear()
            self.pid = None
            self.killed = False

    # -- reading the log -------------------------------------------------------------

    def operations(self, service: Optional[str] = None) -> List[str]:
        """Operation names in arrival order (optionally of one service)."""
        with self._lock:
            return [r.operation for r in self.log if service is None or r.service == service]

    def writes(self, service: Optional[str] = None) -> List[str]:
        """Operations that are not reads (``Get*``/``List*``/``Describe*``), in order."""
        return [op for op in self.operations(service) if not op.startswith(READ_PREFIXES)]

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.log)

    # -- the request path ------------------------------------------------------------

    def _admit(self, request: Request) -> Optional[Rule]:
        """Log the request; the first matching rule (``drop`` after a kill)."""
        with self._lock:
            request.index = len(self.log) + 1
            self.log.append(request)
            if self.killed:
                return Rule(action="drop", times=None)
            for rule in self.rules:
                if rule.matches(request):
                    request.action = rule.action
                    if rule.action == "kill_before":
                        self._kill()
                    return rule
        return None

    def _kill(self) -> None:
        """SIGKILL the watched process (lock held); from now on drop every request."""
        self.killed = True
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def _sid_exists(self, request: Request, headers: List[Tuple[str, str]]) -> bool:
        """True for an AddPermission whose statement id the function's policy already has."""
        if request.service != "lambda" or request.operation != "AddPermission":
            return False
        try:
            sid = json.loads(request.body or b"{}").get("StatementId")
        except ValueError:
            return False
        parts = urllib.parse.urlsplit(request.path)
        status, _, data = self._forward(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers, b""
        )
        if status != 200 or not sid:
            return False
        try:
            policy = json.loads(json.loads(data)["Policy"])
        except (ValueError, KeyError, TypeError):
            return False
        return any(s.get("Sid") == sid for s in policy.get("Statement", []))

    def _forward(
        self, method: str, path: str, headers: List[Tuple[str, str]], body: bytes
    ) -> Tuple[int, List[Tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=300)
        try:
            sent = {k: v for k, v in headers if k.lower() not in _HOP_HEADERS}
            sent["Content-Length"] = str(len(body))
            conn.request(method, path, body=body, headers=sent)
            answer = conn.getresponse()
            data = answer.read()
            return answer.status, answer.getheaders(), data
        finally:
            conn.close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A killed client resets its connections: expected here, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_class(proxy: FaultProxy) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:  # quiet
            return

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = list(self.headers.items())
            service = _service(self.headers.get("Authorization", ""))
            request = Request(
                index=0,
                service=service,
                operation=operation_name(
                    service, self.command, self.path, self.headers.get("X-Amz-Target"), body
                ),
                method=self.command,
                path=self.path,
                body=body,
            )
            rule = proxy._admit(request)
            action = rule.action if rule else ""
            if rule is not None and rule.seconds:
                time.sleep(rule.seconds)
            if action in ("drop", "kill_before"):
                self._drop()
                return
            if action == "throttle":
                self._answer(request, *throttle_answer(request))
                return
            if action == "error":
                self._answer(request, *error_answer(request, rule.status if rule else 500))
                return
            if proxy.lambda_sid_conflicts and proxy._sid_exists(request, headers):
                self._answer(request, *sid_conflict_answer(request))
                return
            status, answer_headers, data = proxy._forward(self.command, self.path, headers, body)
            request.forwarded = True
            if action == "drop_after":
                self._drop()
                return
            if action == "kill_after":
                with proxy._lock:
                    proxy._kill()
                self._drop()
                return
            with proxy._lock:
                dying = proxy.killed
            if dying:
                self._drop()
                return
            self._answer(request, status, answer_headers, data)

        def _answer(
            self, request: Request, status: int, headers: List[Tuple[str, str]], data: bytes
        ) -> None:
            request.status = status
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in _HOP_HEADERS and key.lower() not in ("server", "date"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

    return Handler


# -- naming requests ---------------------------------------------------------------------


def _service(authorization: str) -> str:
    """The signing name in the SigV4 credential scope (``cognito-idp``, ``lambda``...)."""
    found = _CREDENTIAL_SCOPE.search(authorization)
    return found.group(1) if found else ""


def operation_name(service: str, method: str, path: str, target: Optional[str], body: bytes) -> str:
    """The AWS operation a request calls (``METHOD path`` when it cannot tell)."""
    if target:  # JSON protocol: "AWSCognitoIdentityProviderService.UpdateUserPool"
        return target.rsplit(".", 1)[-1]
    if body and b"Action=" in body:  # query protocol (IAM, STS)
        action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    route = _rest_routes(service)
    url_path = urllib.parse.urlsplit(path).path
    for verb, pattern, name in route:
        if verb == method and pattern.fullmatch(url_path):
            return name
    return f"{method} {url_path}"


_ROUTES: Dict[str, List[Tuple[str, Pattern[str], str]]] = {}
_ROUTES_LOCK = threading.Lock()


def _rest_routes(service: str) -> List[Tuple[str, Pattern[str], str]]:
    """(method, path regex, operation) of a REST service, most literal path first."""
    with _ROUTES_LOCK:
        if service not in _ROUTES:
            _ROUTES[service] = _build_routes(service)
        return _ROUTES[service]


def _build_routes(service: str) -> List[Tuple[str, Pattern[str], str]]:
    if not service:
        return []
    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # unknown service: requests are named by method and path
        return []
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = str(http.get("requestUri", "/")).split("?", 1)[0]
        literal = len(re.sub(r"\{[^}]+\}", "", template))
        regex = re.sub(
            r"\\\{[^}]+\\\}",
            lambda m: ".+" if m.group(0).endswith("+\\}") else "[^/]+",
            re.escape(template),
        )
        routes.append((literal, str(http.get("method", "POST")), re.compile(regex), name))
    routes.sort(key=lambda r: -r[0])
    return [(method, pattern, name) for _, method, pattern, name in routes]


# -- injected answers --------------------------------------------------------------------


def _protocol(request: Request) -> str:
    if request.body.startswith(b"Action=") or b"&Action=" in request.body:
        return "query"
    if request.service == "lambda":
        return "rest-json"
    return "json"


def throttle_answer(request: Request) -> Tuple[int, List[Tuple[str, str]], bytes]:
    """The service's throttling error, as its protocol spells it."""
    return _error(request, 400, "TooManyRequestsException", "Throttling", "Rate exceeded")


def error_answer(request: Request, status: int) -> Tuple[int, List[Tuple[str, str]], bytes]:
    """A server-side failure (``status`` >= 500)."""
    return _error(request, status, "InternalErrorException", "InternalFailure", "injected failure")


def sid_conflict_answer(request: Request) -> Tuple[int, List[Tuple[str, str]], bytes]:
    """Lambda's answer to AddPermission with a statement id the policy already has."""
    sid = json.loads(request.body).get("StatementId")
    message = (
        f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
        "or remove the existing statement."
    )
    body = json.dumps({"Type": "User", "message": message}).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", "ResourceConflictException"),
    ]
    return 409, headers, body


def _error(
    request: Request, status: int, json_code: str, query_code: str, message: str
) -> Tuple[int, List[Tuple[str, str]], bytes]:
    protocol = _protocol(request)
    if protocol == "query":
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{query_code}</Code><Message>{message}</Message></Error>"
            "<RequestId>fault-proxy</RequestId></ErrorResponse>"
        ).encode()
        return status, [("Content-Type", "text/xml")], body
    if protocol == "rest-json":
        # Lambda answers throttling with 429 and names the error in a header.
        if json_code == "TooManyRequestsException":
            status = 429
        code = json_code if status < 500 else "ServiceException"
        body = json.dumps({"Type": "User", "message": message}).encode()
        return status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)], body
    body = json.dumps({"__type": json_code, "message": message}).encode()
    return status, [("Content-Type", "application/x-amz-json-1.1")], body


# -- the moto server ---------------------------------------------------------------------


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 (random port) in this process; yields its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


class MotoState:
    """Save and restore the state of the moto server running in this process.

    :class:`moto.server.ThreadedMotoServer` serves moto's global backends, so a
    deep copy of them is a snapshot of every resource (functions, policies,
    roles, pools) that :meth:`restore` puts back in place in milliseconds: a
    test can return to the same starting point before each of many runs
    without re-creating it through the API.
    """

    SERVICES = ("cognito-idp", "lambda", "iam", "sts", "kms", "logs")

    def __init__(self, services: Tuple[str, ...] = SERVICES) -> None:
        from moto import backends

        get_backend: Any = backends.get_backend
        self._backends: List[Dict[str, Any]] = [get_backend(name) for name in services]

    def save(self) -> List[Dict[str, Any]]:
        return copy.deepcopy([dict(backend) for backend in self._backends])

    def restore(self, saved: List[Dict[str, Any]]) -> None:
        # A copy again: the same snapshot can be restored many times.
        for backend, state in zip(self._backends, copy.deepcopy(saved), strict=True):
            backend.clear()
            backend.update(state)


def reset_moto(url: str) -> None:
    """Forget every resource of the moto server at ``url`` (moto's own reset API)."""
    request = urllib.request.Request(f"{url}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()
