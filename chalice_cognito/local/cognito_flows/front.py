"""The HTTP front of the local Cognito: triggers on cognito-idp calls, moto for the rest.

Listens on 127.0.0.1.  A request whose ``X-Amz-Target`` names a cognito-idp
operation of :data:`OPERATIONS` runs the flow that fires the pool's triggers;
a Lambda Invoke (``POST /2015-03-31/functions/{name}/invocations``) runs the
emulator's function from its zip in the warm interpreters (moto alone would
need Docker; cognito-local can be pointed here); every other request (other
operations, other services: Lambda management, KMS, SES, IAM...) is passed to
the moto server unchanged.  A flow error answers as
Cognito does (HTTP 400, ``{"__type", "message"}``); an unexpected failure in
the emulator answers ``InternalErrorException`` and the front keeps serving.

Deploy-time module.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict
from urllib.parse import unquote, urlsplit

from chalice_cognito.local.cognito_flows import auth, passwords, signup
from chalice_cognito.local.cognito_flows.context import TARGET_PREFIX, Flows
from chalice_cognito.local.cognito_flows.triggers import CognitoError

logger = logging.getLogger("chalice_cognito.local.cognito")

LOOPBACK = "127.0.0.1"

#: The Lambda Invoke API path (answered here, with the functions run from their zip).
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
LOOPBACK_HOST = LOOPBACK

Flow = Callable[[Flows, Dict[str, Any]], Dict[str, Any]]

#: cognito-idp operations whose flows fire triggers.
OPERATIONS: Dict[str, Flow] = {
    "SignUp": signup.sign_up,
    "ConfirmSignUp": signup.confirm_sign_up,
    "AdminConfirmSignUp": signup.admin_confirm_sign_up,
    "ResendConfirmationCode": signup.resend_confirmation_code,
    "AdminCreateUser": signup.admin_create_user,
    "InitiateAuth": auth.initiate_auth,
    "AdminInitiateAuth": auth.admin_initiate_auth,
    "RespondToAuthChallenge": auth.respond_to_auth_challenge,
    "AdminRespondToAuthChallenge": auth.admin_respond_to_auth_challenge,
    "GetTokensFromRefreshToken": auth.get_tokens_from_refresh_token,
    "ForgotPassword": passwords.forgot_password,
    "ConfirmForgotPassword": passwords.confirm_forgot_password,
    "UpdateUserAttributes": passwords.update_user_attributes,
    "AdminUpdateUserAttributes": passwords.admin_update_user_attributes,
    "GetUserAttributeVerificationCode": passwords.get_user_attribute_verification_code,
    "VerifyUserAttribute": passwords.verify_user_attribute,
}

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}


class FrontServer(ThreadingHTTPServer):
    """The emulator's endpoint: flows for cognito-idp, moto for everything else."""

    daemon_threads = True

    def __init__(self, flows: Flows, port: int = 0) -> None:
        self.flows = flows
        super().__init__((LOOPBACK, port), _Handler)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}"

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="local-cognito", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: FrontServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle and the
    # client's delayed ACK add ~40 ms to every answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # never log bodies
        return

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:
        body = self._body()
        invoke = _INVOKE_PATH.match(urlsplit(self.path).path)
        if invoke is not None:
            self._invoke(unquote(invoke.group("name")), body)
            return
        target = self.headers.get("X-Amz-Target") or ""
        operation = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else ""
        flow = OPERATIONS.get(operation)
        if flow is None:
            self._forward("POST", body)
            return
        try:
            params = json.loads(body or b"{}")
            answer = flow(self.server.flows, params)
            self._reply(200, answer)
        except CognitoError as error:
            self._reply(error.status, {"__type": error.error_type, "message": error.message})
        except Exception as error:  # the emulator's own bug: answer, keep serving
            logger.error("%s failed in the emulator: %s", operation, traceback.format_exc())
            self._reply(
                500,
                {
                    "__type": "InternalErrorException",
                    "message": f"{type(error).__name__} in the emulator",
                },
            )

    def _invoke(self, function: str, body: bytes) -> None:
        """Lambda Invoke: run the emulator's function from its zip (moto would need Docker)."""
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            self._reply(400, {"Type": "User", "message": "Could not parse request body into json"})
            return
        caller = self.server.flows.caller
        status, headers, payload = caller.invoke_api(function, event)
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Amz-Executed-Version", "$LATEST")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._forward("GET", self._body())

    def do_PUT(self) -> None:
        self._forward("PUT", self._body())

    def do_DELETE(self) -> None:
        self._forward("DELETE", self._body())

    def do_HEAD(self) -> None:
        self._forward("HEAD", b"")

    def do_PATCH(self) -> None:
        self._forward("PATCH", self._body())

    def _reply(self, status: int, payload: Dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "local")
        if status >= 300:
            self.send_header("x-amzn-ErrorType", str(payload.get("__type")))
        self.end_headers()
        self.wfile.write(data)

    def _forward(self, method: str, body: bytes) -> None:
        parts = urlsplit(self.server.flows.moto_url)
        connection = http.client.HTTPConnection(
            parts.hostname or LOOPBACK_HOST, parts.port, timeout=120
        )
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
        headers["Content-Length"] = str(len(body))
        try:
            connection.request(method, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in _HOP_HEADERS:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)
