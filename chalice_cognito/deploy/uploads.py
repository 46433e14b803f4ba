"""Do not upload a Lambda function's code again when the deployed code is the same zip.

Chalice's deployer calls ``UpdateFunctionCode`` with the whole zip for every
function on every deploy, changed or not: 13 triggers re-upload the same zip
13 times.  Lambda reports the deployed code's SHA-256 (``CodeSha256``), so
one small ``GetFunctionConfiguration`` tells whether the upload would change
anything.  When it would not, the call is answered with that configuration
(what ``UpdateFunctionCode`` itself returns) and nothing is sent.

Hooked in through botocore's public event system on the deploy's session:

* ``provide-client-params.lambda.UpdateFunctionCode`` -- compares the zip's
  hash with the deployed one; when equal, replaces the zip with an empty
  payload (the call is never sent, so the base64/JSON encoding of megabytes
  is saved too) and marks the call in its request context;
* ``before-call.lambda.UpdateFunctionCode`` -- answers a marked call with
  the configuration read before, so botocore sends nothing.

A changed zip, another architecture, a function whose last update did not
succeed, or any error reading the configuration: the upload happens as
before.  Chalice then updates the configuration as usual.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Dict, List, Mapping, Optional, Tuple

from botocore.awsrequest import AWSResponse
from botocore.exceptions import BotoCoreError, ClientError

#: request-context key carrying the deployed configuration of an unchanged upload
_UNCHANGED = "chalice_cognito_unchanged_code"


def code_sha256(zip_contents: bytes) -> str:
    """Lambda's ``CodeSha256`` of a zip: base64 of its SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(zip_contents).digest()).decode("ascii")


class UnchangedCodeSkipper:
    """Answers ``UpdateFunctionCode`` without uploading when the code is already deployed."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._clients: Dict[Tuple[Optional[str], int], Any] = {}
        #: names of the functions whose upload was skipped
        self.skipped: List[str] = []

    def register(self) -> UnchangedCodeSkipper:
        self._session.register(
            "provide-client-params.lambda.UpdateFunctionCode", self._provide_params
        )
        self._session.register("before-call.lambda.UpdateFunctionCode", self._before_call)
        return self

    def _client(self, context: Mapping[str, Any]) -> Any:
        region, config = context.get("client_region"), context.get("client_config")
        key = (region, id(config))
        if key not in self._clients:
            self._clients[key] = self._session.create_client(
                "lambda", region_name=region, config=config
            )
        return self._clients[key]

    def _provide_params(
        self, params: Dict[str, Any], context: Dict[str, Any], **_: Any
    ) -> Optional[Dict[str, Any]]:
        contents = params.get("ZipFile")
        name = params.get("FunctionName")
        if not isinstance(contents, (bytes, bytearray)) or not isinstance(name, str):
            return None  # code from S3, an image, or an unusual call: not ours to judge
        if params.get("Publish") or params.get("DryRun") or params.get("RevisionId"):
            return None
        try:
            current = self._client(context).get_function_configuration(FunctionName=name)
        except (ClientError, BotoCoreError):
            return None
        unchanged = (
            current.get("CodeSha256") == code_sha256(bytes(contents))
            and current.get("LastUpdateStatus", "Successful") == "Successful"
            and params.get("Architectures", current.get("Architectures"))
            == current.get("Architectures")
        )
        if not unchanged:
            return None
        current.pop("ResponseMetadata", None)
        context[_UNCHANGED] = current
        return {**params, "ZipFile": b""}  # never sent: answered in _before_call

    def _before_call(
        self, params: Mapping[str, Any], context: Mapping[str, Any], **_: Any
    ) -> Optional[Tuple[AWSResponse, Dict[str, Any]]]:
        current = context.get(_UNCHANGED)
        if current is None:
            return None
        self.skipped.append(str(current.get("FunctionName")))
        response = AWSResponse(str(params.get("url", "")), 200, {}, None)
        return response, dict(current)


def skip_unchanged_code(session: Any) -> UnchangedCodeSkipper:
    """Install the skipper on a botocore session (the deploy's, before its clients exist)."""
    return UnchangedCodeSkipper(session).register()
