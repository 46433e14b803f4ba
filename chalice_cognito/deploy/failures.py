"""One line for a failure of the user's AWS environment, instead of botocore's traceback.

Deploy half (botocore).  :func:`describe_environment_error` turns the errors a
command meets when the environment, not the code, is wrong into one line that
says what failed, which endpoint or IAM action, and what to check:

* the endpoint cannot be reached (connection refused, DNS, timeout, TLS,
  proxy): ``EndpointConnectionError`` and the other botocore HTTP errors;
* credentials are missing or unusable: ``NoCredentialsError``,
  ``PartialCredentialsError``, a profile that does not exist, an expired SSO
  token, and the ``ClientError`` codes AWS answers for expired or unknown
  keys (``ExpiredToken``, ``InvalidClientTokenId``, ...);
* access denied (``AccessDenied``, ``AccessDeniedException``, ...);
* no region.

Anything else returns ``None``: the CLI then treats it as a crash (exit 2,
traceback).  Errors Chalice's deployer wrapped in ``ChaliceDeploymentError``
(or ``LambdaClientError``) are unwrapped first.  The AWS error message is
quoted (one line): it names the principal and resource and never holds a
secret; credentials themselves are never printed.
"""

from __future__ import annotations

import re
import types
from typing import Any, Optional, Tuple

import botocore.client
import botocore.exceptions

#: ClientError codes AWS answers when the credentials themselves are refused
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "AuthFailure",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
    }
)
#: ClientError codes of a call the credentials may not make
ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"}
)

_CREDENTIAL_ERRORS: Tuple[type, ...] = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
    botocore.exceptions.CredentialRetrievalError,
    botocore.exceptions.ProfileNotFound,
    botocore.exceptions.TokenRetrievalError,
    botocore.exceptions.SSOError,
)

_CREDENTIALS_HINT = (
    "set AWS_PROFILE (or --profile) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
    "or run `aws configure` / `aws sso login`"
)


def describe_environment_error(error: BaseException) -> Optional[str]:
    """One line (no trailing period handling needed) for ``error``, or None if it is not one."""
    error = unwrap(error)
    call = _aws_call(error)
    action = _action(call)
    if isinstance(error, botocore.exceptions.NoRegionError):
        return (
            "No AWS region configured: set AWS_DEFAULT_REGION, or region in your AWS "
            "profile (~/.aws/config)."
        )
    if isinstance(error, botocore.exceptions.ProfileNotFound):
        return (
            f"AWS profile {error.kwargs.get('profile')!r} not found: check --profile / "
            "AWS_PROFILE against ~/.aws/config and ~/.aws/credentials."
        )
    if isinstance(error, _CREDENTIAL_ERRORS):
        before = f" ({action} was not sent)" if action else ""
        return f"No usable AWS credentials{before}: {_one_line(error)}; {_CREDENTIALS_HINT}."
    if isinstance(
        error, (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)
    ):
        endpoint = str(
            error.kwargs.get("endpoint_url") or (call[2] if call else "") or "the AWS endpoint"
        )
        during = f" for {action}" if action else ""
        return (
            f"Cannot reach {endpoint}{during}: {_reason(error)}. Check that the endpoint is "
            "right and up (AWS_ENDPOINT_URL / endpoint_url in your profile, the region), "
            "and your network or proxy (HTTPS_PROXY)."
        )
    if isinstance(error, botocore.exceptions.ClientError):
        code, message = _code_and_message(error)
        operation = action or error.operation_name
        if code in CREDENTIAL_CODES:
            return (
                f"AWS refused the credentials for {operation} ({code}: {message}). "
                f"Refresh them (a new session token, `aws sso login`) or {_CREDENTIALS_HINT}."
            )
        if code in ACCESS_DENIED_CODES:
            return (
                f"Access denied for {operation} ({code}: {message}). Allow {operation} "
                "for the identity you run chalice-cognito with, or use another --profile."
            )
    return None


def _code_and_message(error: botocore.exceptions.ClientError) -> Tuple[str, str]:
    """The error code and message; also from an XML error body sent to a JSON client.

    Some endpoints (moto's server with auth enabled, proxies) answer a JSON
    protocol call with a query-style XML error: botocore then reports the
    HTTP status as the code and the XML as the message.
    """
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    message = str(details.get("Message", ""))
    if code.isdigit() and "<Code>" in message:
        found = re.search(r"<Code>([^<]*)</Code>", message)
        text = re.search(r"<Message>([^<]*)</Message>", message)
        code = found.group(1) if found else code
        message = text.group(1) if text else ""
    return code, _one_line(message) or code


def unwrap(error: BaseException) -> BaseException:
    """The botocore error inside Chalice's ``ChaliceDeploymentError`` / ``LambdaClientError``."""
    seen = 0
    while seen < 5:
        inner = getattr(error, "original_error", None)
        if not isinstance(inner, BaseException):
            return error
        error = inner
        seen += 1
    return error


def _aws_call(error: BaseException) -> Optional[Tuple[str, str, str]]:
    """(IAM prefix, operation, endpoint URL) of the innermost botocore client call in the traceback.

    botocore's errors do not all carry the service (``ClientError`` has only the
    operation; connection errors only the URL); the client's own frame in the
    traceback does.
    """
    found: Optional[Tuple[str, str, str]] = None
    tb: Optional[types.TracebackType] = error.__traceback__
    while tb is not None:
        frame_locals = tb.tb_frame.f_locals
        client = frame_locals.get("self")
        operation = frame_locals.get("operation_name")
        if isinstance(client, botocore.client.BaseClient) and isinstance(operation, str):
            meta: Any = client.meta
            found = (str(meta.service_model.endpoint_prefix), operation, str(meta.endpoint_url))
        tb = tb.tb_next
    return found


def _action(call: Optional[Tuple[str, str, str]]) -> str:
    return f"{call[0]}:{call[1]}" if call else ""


def _reason(error: BaseException) -> str:
    text = str(getattr(error, "kwargs", {}).get("error", "") or error)
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "timed out" in lowered or "timeout" in lowered:
        return "the connection timed out"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "the host name does not resolve"
    if isinstance(error, botocore.exceptions.SSLError):
        return "TLS failed"
    if isinstance(error, botocore.exceptions.ConnectionClosedError):
        return "the connection was closed before an answer"
    return _one_line(text)


def _one_line(value: Any) -> str:
    return " ".join(str(value).split()).rstrip(".")
