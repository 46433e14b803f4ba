"""What every flow needs: the pool, its triggers, codes, messages, tokens.

A flow (:mod:`.signup`, :mod:`.auth`, ...) is a function ``(Flows, params) ->
answer`` for one Cognito API operation.  :class:`Flows` holds the shared
machinery: the pool of a request, the trigger ARNs of its LambdaConfig, the
:class:`~.triggers.TriggerCaller`, the codes Cognito sent, message delivery
(CustomMessage, custom senders with KMS-encrypted codes, or the pool's own
templates), and forwarding to moto for the parts moto does as Cognito does.

Deploy-time module.
"""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from chalice_cognito.catalogue import EVENT_VERSION_OF
from chalice_cognito.local.cognito_flows import moto_seam
from chalice_cognito.local.cognito_flows.triggers import (
    CognitoError,
    Message,
    Recorder,
    TriggerCaller,
    envelope,
)

LOOPBACK_HOST = "127.0.0.1"
TARGET_PREFIX = "AWSCognitoIdentityProviderService."

#: Default texts of a pool without templates (Cognito's defaults).
DEFAULT_VERIFICATION_MESSAGE = "Your verification code is {####}. "
DEFAULT_VERIFICATION_SUBJECT = "Your verification code"
DEFAULT_INVITE_MESSAGE = "Your username is {username} and temporary password is {####}. "
DEFAULT_INVITE_SUBJECT = "Your temporary password"

CODE_PARAMETER = "{####}"
USERNAME_PARAMETER = "{username}"
LINK_PARAMETER = "{##Click Here##}"

#: How long a custom auth / new password session lives (Cognito: 3 minutes).
SESSION_LIFETIME = 180.0


@dataclass
class AuthSession:
    """State Cognito keeps between InitiateAuth and RespondToAuthChallenge."""

    kind: str
    pool_id: str
    username: str
    client_id: str
    created: float = field(default_factory=time.monotonic)
    challenges: List[Dict[str, Any]] = field(default_factory=list)
    private_parameters: Dict[str, str] = field(default_factory=dict)
    metadata: Optional[str] = None
    challenge_name: str = ""


class Flows:
    """The emulated Cognito behind the HTTP front (one per emulator)."""

    def __init__(
        self,
        region: str,
        moto_url: str,
        caller: TriggerCaller,
        recorder: Recorder,
        encrypt: Callable[[str, str, str], str],
    ) -> None:
        self.region = region
        self.moto_url = moto_url
        self.caller = caller
        self.recorder = recorder
        #: encrypt(key_arn, pool_id, plaintext) -> base64 ciphertext, as Cognito does
        self.encrypt = encrypt
        self.codes: Dict[Tuple[str, str, str], str] = {}
        self.sessions: Dict[str, AuthSession] = {}
        self.lock = threading.RLock()

    # -- pools, users ----------------------------------------------------------

    def pool_of_client(self, client_id: Optional[str]) -> Any:
        found = moto_seam.pool_of_client(self.region, str(client_id or ""))
        if found is None:
            raise CognitoError(
                "ResourceNotFoundException", f"User pool client {client_id} does not exist."
            )
        return found

    def pool(self, pool_id: Optional[str]) -> Any:
        try:
            return moto_seam.pool(self.region, str(pool_id or ""))
        except Exception:
            raise CognitoError(
                "ResourceNotFoundException", f"User pool {pool_id} does not exist."
            ) from None

    def user(
        self, pool: Any, username: Optional[str], message: str = "User does not exist."
    ) -> Any:
        found = moto_seam.find_user(pool, str(username or ""))
        if found is None:
            raise CognitoError("UserNotFoundException", message)
        return found

    def user_of_access_token(self, access_token: Optional[str]) -> Tuple[Any, Any]:
        for pool in moto_seam.pools_holding_access_token(self.region, str(access_token or "")):
            username = moto_seam.username_of_access_token(pool, str(access_token))
            if username:
                return pool, self.user(pool, username)
        raise CognitoError("NotAuthorizedException", "Invalid Access Token")

    def event_attributes(self, user: Any) -> Dict[str, str]:
        """userAttributes as Cognito sends them for an existing user."""
        attributes = moto_seam.attributes(user)
        attributes["cognito:user_status"] = moto_seam.status(user)
        return attributes

    # -- triggers --------------------------------------------------------------

    def trigger_arn(self, pool: Any, trigger: str) -> Optional[str]:
        config = moto_seam.lambda_config(pool)
        value = config.get(trigger)
        if trigger == "PreTokenGeneration":
            versioned = config.get("PreTokenGenerationConfig") or {}
            value = versioned.get("LambdaArn") or value
        if isinstance(value, Mapping):
            value = value.get("LambdaArn")
        return str(value) if value else None

    def token_version(self, pool: Any) -> str:
        config = moto_seam.lambda_config(pool)
        versioned = config.get("PreTokenGenerationConfig") or {}
        return EVENT_VERSION_OF.get(str(versioned.get("LambdaVersion") or "V1_0"), "1")

    def fire(
        self,
        pool: Any,
        trigger: str,
        source: str,
        username: Optional[str],
        client_id: Optional[str],
        request: Mapping[str, Any],
        response: Mapping[str, Any],
        *,
        version: str = "1",
        check: Optional[Callable[[Dict[str, Any]], None]] = None,
        asynchronous: bool = False,
    ) -> Optional[Dict[str, Any]]:
        """Invoke the pool's ``trigger`` (None when it has none): the event it returned."""
        arn = self.trigger_arn(pool, trigger)
        if arn is None:
            return None
        event = envelope(
            f"{trigger if trigger != 'PreTokenGeneration' else 'TokenGeneration'}_{source}",
            version,
            self.region,
            pool.id,
            username,
            client_id,
            request,
            response,
        )
        return self.caller.invoke(trigger, arn, event, check=check, asynchronous=asynchronous)

    # -- moto ------------------------------------------------------------------

    def forward(self, operation: str, params: Mapping[str, Any]) -> Dict[str, Any]:
        """Call moto's cognito-idp ``operation``; its error becomes a :class:`CognitoError`."""
        parts = urlsplit(self.moto_url)
        connection = http.client.HTTPConnection(
            parts.hostname or LOOPBACK_HOST, parts.port, timeout=30
        )
        body = json.dumps(params).encode("utf-8")
        try:
            connection.request(
                "POST",
                "/",
                body=body,
                headers={
                    "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": TARGET_PREFIX + operation,
                    "Authorization": (
                        "AWS4-HMAC-SHA256 Credential=testing/20240101/"
                        f"{self.region}/cognito-idp/aws4_request, SignedHeaders=host, Signature=x"
                    ),
                },
            )
            answer = connection.getresponse()
            raw = answer.read()
        finally:
            connection.close()
        data = json.loads(raw or b"{}")
        if answer.status >= 300:
            error_type = str(data.get("__type", "InternalErrorException")).split("#")[-1]
            raise CognitoError(error_type, str(data.get("message", "")), answer.status)
        return dict(data)

    # -- codes and messages ------------------------------------------------------

    def new_code(self, pool: Any, username: str, purpose: str) -> str:
        code = f"{secrets.randbelow(10**6):06d}"
        with self.lock:
            self.codes[(pool.id, username, purpose)] = code
        return code

    def check_code(self, pool: Any, username: str, purpose: str, code: Optional[str]) -> None:
        with self.lock:
            expected = self.codes.get((pool.id, username, purpose))
            if expected is None or not code or not secrets.compare_digest(expected, str(code)):
                raise CognitoError(
                    "CodeMismatchException", "Invalid verification code provided, please try again."
                )
            del self.codes[(pool.id, username, purpose)]

    def deliver(
        self,
        pool: Any,
        user: Any,
        source: str,
        code: str,
        client_id: Optional[str],
        client_metadata: Optional[Mapping[str, str]],
        *,
        attribute: Optional[str] = None,
        invitation: bool = False,
        verified_only: bool = False,
    ) -> Optional[Dict[str, str]]:
        """Send ``code`` for ``source`` (``SignUp``...) as Cognito would; CodeDeliveryDetails.

        The channel is ``attribute`` when given, else email when the user has
        one (verified, with ``verified_only``), else SMS.  A custom sender
        wired for the channel gets the code encrypted with the pool's KMS key
        (asynchronously: its failure never fails the call); otherwise
        CustomMessage writes the text, or the pool's templates do.
        """
        attributes = moto_seam.attributes(user)
        channel_attribute = attribute or _pick_channel(attributes, verified_only)
        if channel_attribute is None:
            if verified_only:
                raise CognitoError(
                    "InvalidParameterException",
                    "Cannot reset password for the user as there is no registered/verified "
                    "email or phone_number",
                )
            return None
        destination = attributes.get(channel_attribute, "")
        channel = "email" if channel_attribute == "email" else "sms"
        medium = "EMAIL" if channel == "email" else "SMS"
        details = {
            "Destination": _masked(destination, channel),
            "DeliveryMedium": medium,
            "AttributeName": channel_attribute,
        }
        username = str(user.username)
        sender = "CustomEmailSender" if channel == "email" else "CustomSMSSender"
        if self.trigger_arn(pool, sender):
            key_arn = str(moto_seam.lambda_config(pool).get("KMSKeyID") or "")
            ciphertext = self.encrypt(key_arn, pool.id, code) if key_arn else None
            request: Dict[str, Any] = {
                "type": "customEmailSenderRequestV1"
                if channel == "email"
                else "customSMSSenderRequestV1",
                "code": ciphertext,
                "userAttributes": self.event_attributes(user),
            }
            if client_metadata:
                request["clientMetadata"] = dict(client_metadata)
            self.fire(pool, sender, source, username, client_id, request, {}, asynchronous=True)
            return details
        subject, body = self._texts(pool, invitation, channel)
        if self.trigger_arn(pool, "CustomMessage"):
            request = {
                "userAttributes": self.event_attributes(user),
                "codeParameter": CODE_PARAMETER,
                "usernameParameter": USERNAME_PARAMETER if invitation else None,
                "linkParameter": LINK_PARAMETER,
            }
            if client_metadata:
                request["clientMetadata"] = dict(client_metadata)
            returned = self.fire(
                pool,
                "CustomMessage",
                source,
                username,
                client_id,
                request,
                {"smsMessage": None, "emailMessage": None, "emailSubject": None},
                check=lambda result: _check_custom_message(pool, result, invitation),
            )
            answer = (returned or {}).get("response") or {}
            if channel == "email":
                body = answer.get("emailMessage") or body
                subject = answer.get("emailSubject") or subject
            else:
                body = answer.get("smsMessage") or body
        text = body.replace(CODE_PARAMETER, code).replace(USERNAME_PARAMETER, username)
        self.recorder.add(
            Message(
                channel=channel,
                destination=destination,
                subject=subject if channel == "email" else None,
                body=text,
                code=code,
                trigger_source=f"CustomMessage_{source}",
                username=username,
            )
        )
        return details

    def _texts(self, pool: Any, invitation: bool, channel: str) -> Tuple[str, str]:
        if invitation:
            config = moto_seam.pool_setting(pool, "AdminCreateUserConfig") or {}
            template = config.get("InviteMessageTemplate") or {}
            if channel == "email":
                return (
                    template.get("EmailSubject") or DEFAULT_INVITE_SUBJECT,
                    template.get("EmailMessage") or DEFAULT_INVITE_MESSAGE,
                )
            return "", template.get("SMSMessage") or DEFAULT_INVITE_MESSAGE
        if channel == "email":
            return (
                moto_seam.pool_setting(pool, "EmailVerificationSubject")
                or DEFAULT_VERIFICATION_SUBJECT,
                moto_seam.pool_setting(pool, "EmailVerificationMessage")
                or DEFAULT_VERIFICATION_MESSAGE,
            )
        return "", moto_seam.pool_setting(pool, "SmsVerificationMessage") or (
            DEFAULT_VERIFICATION_MESSAGE
        )

    # -- sessions ---------------------------------------------------------------

    def open_session(self, session: AuthSession) -> str:
        token = base64.urlsafe_b64encode(secrets.token_bytes(48)).decode("ascii")
        with self.lock:
            self.sessions[token] = session
        return token

    def take_session(self, token: Optional[str], kind: str) -> AuthSession:
        with self.lock:
            session = self.sessions.pop(str(token or ""), None)
        if session is None or session.kind != kind:
            raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
        if time.monotonic() - session.created > SESSION_LIFETIME:
            raise CognitoError(
                "NotAuthorizedException", "Invalid session for the user, session is expired."
            )
        return session


def _pick_channel(attributes: Mapping[str, str], verified_only: bool) -> Optional[str]:
    for name in ("email", "phone_number"):
        if not attributes.get(name):
            continue
        if verified_only and attributes.get(f"{name}_verified") != "true":
            continue
        return name
    return None


def _masked(destination: str, channel: str) -> str:
    if channel == "email":
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    return "+" + "*" * max(0, len(destination) - 5) + destination[-4:]


def _check_custom_message(pool: Any, result: Mapping[str, Any], invitation: bool) -> None:
    """Cognito's rules for a CustomMessage response."""
    answer = result.get("response") or {}
    developer = (moto_seam.pool_setting(pool, "EmailConfiguration") or {}).get(
        "EmailSendingAccount"
    ) == "DEVELOPER"
    for key, limit in (("smsMessage", 140), ("emailMessage", 20000), ("emailSubject", 140)):
        value = answer.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > limit:
            raise CognitoError("InvalidLambdaResponseException", "Unrecognizable lambda output")
        if key != "emailSubject" and (
            CODE_PARAMETER not in value or (invitation and USERNAME_PARAMETER not in value)
        ):
            raise CognitoError(
                "InvalidLambdaResponseException",
                f"Invalid {'SMS' if key == 'smsMessage' else 'email'} message: it must "
                f"contain {CODE_PARAMETER}"
                + (f" and {USERNAME_PARAMETER}" if invitation else "")
                + ".",
            )
        if key != "smsMessage" and not developer:
            raise CognitoError(
                "InvalidLambdaResponseException",
                "Custom email messages need the pool to send email through Amazon SES "
                "(EmailSendingAccount=DEVELOPER).",
            )


def client_metadata(params: Mapping[str, Any]) -> Optional[Dict[str, str]]:
    value = params.get("ClientMetadata")
    return dict(value) if value else None


def attribute_map(items: Any) -> Dict[str, str]:
    return {str(a["Name"]): str(a.get("Value", "")) for a in (items or [])}
