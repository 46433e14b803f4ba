"""Invoking a pool's triggers as Cognito does: the envelope, the limits, the errors.

:class:`TriggerCaller` turns "fire PreSignUp with this request" into one Lambda
invocation of the ARN in the pool's LambdaConfig, through the warm
:class:`~chalice_cognito.local.cognito_flows.runner.FunctionRunner`, and turns
what comes back into what Cognito makes of it:

* the handler raised: ``UserLambdaValidationException``,
  ``<Trigger> failed with error <message>.``;
* no answer within 5 seconds (cold start included):
  ``UnexpectedLambdaException``, ``<Trigger> invocation failed due to error
  Socket timeout while invoking Lambda function.``;
* the ARN names no function the emulator knows: ``UnexpectedLambdaException``,
  ``<Trigger> invocation failed due to error ResourceNotFoundException.``;
* the interpreter died, or the answer is not the event (not a JSON object
  with a ``response`` object): ``InvalidLambdaResponseException``,
  ``Unrecognizable lambda output``.

Every invocation is recorded (:class:`Invocation`), with passwords, challenge
answers and plaintext codes replaced by ``***`` in the event and in errors.

Deploy-time module.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from chalice_cognito.catalogue import BY_NAME, trigger_for_source
from chalice_cognito.dispatch import REDACTED, scrub
from chalice_cognito.local.cognito_flows.runner import (
    FunctionNotFound,
    FunctionRunner,
    InvocationTimeout,
)

#: How long Cognito waits for a trigger (not configurable in Cognito).
COGNITO_TRIGGER_TIMEOUT = 5.0

#: The ``callerContext.awsSdkVersion`` of calls through the API.
AWS_SDK_VERSION = "aws-sdk-unknown-unknown"

#: ``callerContext.clientId`` of admin operations that name no app client.
NO_CLIENT = "CLIENT_ID_NOT_APPLICABLE"

#: Request fields recorded as ``***`` (plaintext secrets a client sent).
_SECRET_REQUEST_FIELDS = ("password", "challengeAnswer")


class CognitoError(Exception):
    """An error the emulated Cognito API answers with (``__type`` and ``message``)."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message
        self.status = status


@dataclass
class Invocation:
    """One trigger call, in the order Cognito made them."""

    trigger: str
    trigger_source: str
    function_name: str
    #: the event as sent (secrets as ``***``)
    event: Dict[str, Any]
    #: the event the function returned (None when it failed)
    response: Optional[Dict[str, Any]] = None
    #: what failed, as Cognito reports it (None when the call succeeded)
    error: Optional[str] = None
    cold: bool = False
    duration_ms: float = 0.0
    #: who invoked: ``"cognito"`` (a flow of this emulator) or ``"lambda-invoke"``
    #: (the Lambda Invoke API, e.g. cognito-local pointed at this endpoint)
    via: str = "cognito"


@dataclass
class Message:
    """A message Cognito itself sent (no custom sender wired for its channel)."""

    channel: str
    destination: str
    subject: Optional[str]
    body: str
    code: Optional[str]
    trigger_source: str
    username: str = ""


@dataclass
class Recorder:
    """What happened, for tests and the console: invocations and messages, in order."""

    invocations: List[Invocation] = field(default_factory=list)
    messages: List[Message] = field(default_factory=list)
    listeners: List[Callable[[Any], None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: Any) -> None:
        with self.lock:
            if isinstance(item, Invocation):
                self.invocations.append(item)
            else:
                self.messages.append(item)
        for listener in list(self.listeners):
            listener(item)


def envelope(
    trigger_source: str,
    version: str,
    region: str,
    pool_id: str,
    username: Optional[str],
    client_id: Optional[str],
    request: Mapping[str, Any],
    response: Mapping[str, Any],
) -> Dict[str, Any]:
    """The common part of every trigger event (field order as Cognito sends it)."""
    event: Dict[str, Any] = {
        "version": version,
        "triggerSource": trigger_source,
        "region": region,
        "userPoolId": pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": AWS_SDK_VERSION, "clientId": client_id or NO_CLIENT},
        "request": dict(request),
        "response": dict(response),
    }
    return event


class TriggerCaller:
    """Fire the triggers of one pool configuration (LambdaConfig) as Cognito does."""

    def __init__(
        self,
        runner: FunctionRunner,
        recorder: Recorder,
        timeout: float = COGNITO_TRIGGER_TIMEOUT,
    ) -> None:
        self.runner = runner
        self.recorder = recorder
        self.timeout = timeout

    def invoke(
        self,
        trigger: str,
        arn: str,
        event: Dict[str, Any],
        *,
        check: Optional[Callable[[Dict[str, Any]], None]] = None,
        asynchronous: bool = False,
    ) -> Dict[str, Any]:
        """Run the trigger at ``arn`` on ``event``; return the event it returned.

        ``check`` validates the returned event against Cognito's rules (raises
        :class:`CognitoError`).  ``asynchronous`` (custom senders): a failure
        is recorded but never fails the API call; the event sent is returned.
        """
        recorded = _scrubbed_event(event)
        secrets = _secrets(trigger, event)
        record = Invocation(
            trigger=trigger,
            trigger_source=str(event.get("triggerSource")),
            function_name=arn.rsplit(":function:", 1)[-1].split(":", 1)[0],
            event=recorded,
        )
        try:
            result = self._run(trigger, arn, event, secrets, record)
            if check is not None:
                check(result)
        except CognitoError as error:
            if record.error is None:
                record.error = f"{error.error_type}: {scrub(error.message, secrets)}"
            self.recorder.add(record)
            if asynchronous:
                return event
            raise
        record.response = _scrubbed_event(result)
        self.recorder.add(record)
        return result

    def invoke_api(self, function: str, event: Any) -> Tuple[int, Dict[str, str], Any]:
        """The Lambda Invoke API on the emulator's functions: (status, headers, payload).

        moto stores functions but runs code only in Docker; here they run from
        their zip in the warm interpreters, as for the pool's own triggers.
        Recorded with ``via="lambda-invoke"``.
        """
        source = str(event.get("triggerSource")) if isinstance(event, Mapping) else ""
        trigger = source.split("_", 1)[0]
        trigger = "PreTokenGeneration" if trigger == "TokenGeneration" else trigger
        record = Invocation(
            trigger=trigger,
            trigger_source=source,
            function_name=function.rsplit(":function:", 1)[-1].split(":", 1)[0],
            event=_scrubbed_event(event) if isinstance(event, Mapping) else {},
            via="lambda-invoke",
        )
        try:
            outcome = self.runner.invoke(function, copy.deepcopy(event), self.timeout)
        except FunctionNotFound:
            record.error = "ResourceNotFoundException"
            self.recorder.add(record)
            return (
                404,
                {"x-amzn-ErrorType": "ResourceNotFoundException"},
                {
                    "Type": "User",
                    "message": f"Function not found: {function}",
                },
            )
        except InvocationTimeout:
            record.error = "Task timed out"
            self.recorder.add(record)
            payload = {"errorMessage": f"Task timed out after {self.timeout:.2f} seconds"}
            return 200, {"X-Amz-Function-Error": "Unhandled"}, payload
        record.cold, record.duration_ms = outcome.cold, outcome.duration_ms
        secrets = _secrets(trigger, event) if trigger in BY_NAME else []
        if not outcome.ok:
            record.error = f"{outcome.error_type}: {scrub(outcome.error_message, secrets)}"
            self.recorder.add(record)
            return 200, {"X-Amz-Function-Error": "Unhandled"}, outcome.payload
        if isinstance(outcome.payload, Mapping):
            record.response = _scrubbed_event(outcome.payload)
        self.recorder.add(record)
        return 200, {}, outcome.payload

    def _run(
        self,
        trigger: str,
        arn: str,
        event: Dict[str, Any],
        secrets: List[str],
        record: Invocation,
    ) -> Dict[str, Any]:
        try:
            outcome = self.runner.invoke(arn, copy.deepcopy(event), self.timeout)
        except FunctionNotFound:
            raise CognitoError(
                "UnexpectedLambdaException",
                f"{trigger} invocation failed due to error ResourceNotFoundException.",
            ) from None
        except InvocationTimeout:
            raise CognitoError(
                "UnexpectedLambdaException",
                f"{trigger} invocation failed due to error Socket timeout while invoking "
                "Lambda function.",
            ) from None
        record.cold, record.duration_ms = outcome.cold, outcome.duration_ms
        if not outcome.ok:
            message = scrub(outcome.error_message, secrets)
            record.error = f"{outcome.error_type}: {message}"
            if outcome.error_type in ("Runtime.ExitError", "Runtime.MarshalError"):
                raise CognitoError("InvalidLambdaResponseException", "Unrecognizable lambda output")
            if outcome.error_type == "Runtime.ImportModuleError":
                raise CognitoError(
                    "UnexpectedLambdaException",
                    f"{trigger} invocation failed due to error {outcome.error_type}.",
                )
            raise CognitoError(
                "UserLambdaValidationException", f"{trigger} failed with error {message}."
            )
        result = outcome.payload
        if not isinstance(result, dict) or not isinstance(result.get("response", {}), dict):
            raise CognitoError("InvalidLambdaResponseException", "Unrecognizable lambda output")
        if result.get("response") is None:
            result["response"] = {}
        return result


def _secrets(trigger: str, event: Mapping[str, Any]) -> List[str]:
    from chalice_cognito.dispatch import secret_values

    found = secret_values(BY_NAME[trigger], event)
    # A custom sender's code is ciphertext: kept in the record (only KMS opens it).
    if trigger in ("CustomEmailSender", "CustomSMSSender"):
        code = (event.get("request") or {}).get("code")
        found = [s for s in found if s != code]
    request = event.get("request") or {}
    found += [str(request[k]) for k in _SECRET_REQUEST_FIELDS if request.get(k)]
    return found


def _scrubbed_event(event: Mapping[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = copy.deepcopy(dict(event))
    request = out.get("request")
    if isinstance(request, dict):
        for key in _SECRET_REQUEST_FIELDS:
            if request.get(key):
                request[key] = REDACTED
    return out


def spec_of_source(trigger_source: str) -> str:
    """The trigger (LambdaConfig key) of a triggerSource."""
    return trigger_for_source(trigger_source).name
