"""Which errors are the environment's (one line, exit 1) and which are crashes (None).

The real-endpoint cases (closed port, no credentials, InvalidClientTokenId and
AccessDenied answered by a moto server with IAM on) are in
tests/integration/cli/test_environment_errors.py; these cover the error codes
a local server cannot produce (ExpiredToken, SSO), and the unwrapping of
Chalice's deployment error.
"""

from __future__ import annotations

from typing import Any, Dict

import botocore.exceptions
import pytest
from chalice.awsclient import LambdaClientError, LambdaErrorContext
from chalice.deploy.deployer import ChaliceDeploymentError

from chalice_cognito.deploy.failures import (
    ACCESS_DENIED_CODES,
    CREDENTIAL_CODES,
    describe_environment_error,
)


def client_error(code: str, message: str = "the message", operation: str = "UpdateUserPool") -> Any:
    response: Dict[str, Any] = {"Error": {"Code": code, "Message": message}}
    return botocore.exceptions.ClientError(response, operation)


@pytest.mark.parametrize("code", sorted(CREDENTIAL_CODES))
def test_refused_credentials(code: str) -> None:
    line = describe_environment_error(client_error(code, "The security token has expired."))
    assert line is not None and "\n" not in line
    assert line.startswith(f"AWS refused the credentials for UpdateUserPool ({code}: ")
    assert "aws sso login" in line


@pytest.mark.parametrize("code", sorted(ACCESS_DENIED_CODES))
def test_access_denied(code: str) -> None:
    line = describe_environment_error(client_error(code, "User: u is not\nauthorized."))
    assert line == (
        f"Access denied for UpdateUserPool ({code}: User: u is not authorized). Allow "
        "UpdateUserPool for the identity you run chalice-cognito with, or use another --profile."
    )


def test_an_xml_error_body_sent_to_a_json_client_is_read() -> None:
    xml = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>No.</Message></Error>"
    line = describe_environment_error(client_error("403", xml))
    assert line is not None and line.startswith(
        "Access denied for UpdateUserPool (AccessDenied: No)"
    )


def test_errors_chalice_wrapped_are_unwrapped() -> None:
    expired = client_error("ExpiredToken", operation="CreateFunction")
    line = describe_environment_error(ChaliceDeploymentError(expired))
    assert line is not None and line.startswith("AWS refused the credentials for CreateFunction")
    refused = botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9/")
    wrapped = LambdaClientError(refused, LambdaErrorContext("f", "create_function", 1))
    line = describe_environment_error(ChaliceDeploymentError(wrapped))
    assert line is not None and line.startswith("Cannot reach http://127.0.0.1:9/")


@pytest.mark.parametrize(
    ("error", "start"),
    [
        (botocore.exceptions.NoRegionError(), "No AWS region configured"),
        (
            botocore.exceptions.PartialCredentialsError(
                provider="env", cred_var="AWS_SECRET_ACCESS_KEY"
            ),
            "No usable AWS credentials",
        ),
        (
            botocore.exceptions.TokenRetrievalError(provider="sso", error_msg="expired"),
            "No usable AWS credentials",
        ),
        (
            botocore.exceptions.ConnectTimeoutError(endpoint_url="https://x/"),
            "Cannot reach https://x/: the connection timed out",
        ),
        (
            botocore.exceptions.ReadTimeoutError(endpoint_url="https://x/"),
            "Cannot reach https://x/: the connection timed out",
        ),
    ],
)
def test_environment_errors(error: BaseException, start: str) -> None:
    line = describe_environment_error(error)
    assert line is not None and line.startswith(start), line


@pytest.mark.parametrize(
    "error",
    [
        client_error("InvalidParameterException"),
        client_error("ResourceNotFoundException"),
        ValueError("a bug"),
        KeyError("x"),
        botocore.exceptions.ParamValidationError(report="bad"),
    ],
)
def test_anything_else_is_not_an_environment_error(error: BaseException) -> None:
    assert describe_environment_error(error) is None
