"""Decrypting the code Cognito sends to custom email and SMS sender triggers.

Cognito never puts a verification code or temporary password in a custom
sender event in clear: ``request.code`` is an AWS Encryption SDK message
(base64) encrypted under the pool's ``KMSKeyID``.  :func:`decrypt_code` turns
it back into the text to deliver::

    from chalice_cognito.senders import decrypt_code

    @app.cognito_trigger("CustomEmailSender")
    def send_email(event):
        code = decrypt_code(event)          # None for AccountTakeOverNotification
        ...

Choices made here, and why:

* The key ARN comes from :data:`KMS_KEY_ARN_ENV`, which ``chalice-cognito
  deploy`` sets on every sender function from the pool's ``kms_key_arn``, so
  handlers never name a key.  Decryption uses a *strict* KMS key provider for
  that one ARN: a message encrypted under any other key is refused instead of
  decrypted with whatever key the message names.
* Cognito encrypts without key commitment (messages start with ``AYAD``), which
  the Encryption SDK's default policy refuses.  The client here uses
  ``REQUIRE_ENCRYPT_ALLOW_DECRYPT``: it reads both Cognito's format and the
  committed one.
* Temporary passwords arrive HTML-escaped (``<`` as ``&lt;``); the result is
  unescaped.  Verification codes are digits, which unescaping leaves alone.
* A ``null`` code (``CustomEmailSender_AccountTakeOverNotification``) gives
  ``None``: the return type makes the handler deal with it.
* The plaintext is never logged, and errors never contain it.  It is marked
  as a secret of the invocation (:func:`chalice_cognito.secrets.mark_secret`),
  so an error the handler raises with the code in it is scrubbed by the
  dispatcher too.  Keep it out of your own logs.

This module is part of the runtime half (standard library only at import);
the AWS Encryption SDK is imported on the first decryption and is an optional
extra: ``pip install 'chalice-cognito[senders]'``.
"""

from __future__ import annotations

import base64
import binascii
import html
import os
import threading
from typing import Any, Dict, Mapping, Optional, Tuple

from chalice_cognito.secrets import mark_secret

#: Environment variable holding the pool's KMS key ARN in a sender function.
#: The deploy (``chalice_cognito.deploy.grants``) sets it from ``kms_key_arn``.
KMS_KEY_ARN_ENV = "CHALICE_COGNITO_KMS_KEY_ARN"

#: Encryption-context key naming the pool a code was encrypted for.
POOL_CONTEXT_KEY = "userpool-id"

_INSTALL_HINT = (
    "Decrypting custom sender codes needs the AWS Encryption SDK: "
    "pip install 'chalice-cognito[senders]', and add 'aws-encryption-sdk' to the "
    "app's requirements.txt so Chalice packages it into the function."
)


class SenderError(ValueError):
    """The code of a custom sender event cannot be decrypted.

    Messages name the reason (missing key, wrong key, not a ciphertext) and
    never contain the code, the plaintext or key material.
    """


class EncryptionSDKMissingError(SenderError, ImportError):
    """The optional AWS Encryption SDK is not installed."""


def decrypt_code(
    event_or_code: Any,
    *,
    key_arn: Optional[str] = None,
    key_provider: Any = None,
) -> Optional[str]:
    """Return the plaintext code or temporary password of a custom sender event.

    ``event_or_code`` is a custom sender event (the typed model, its
    ``request``, or the raw dict) or the ``code`` string itself.  Returns
    ``None`` when the code is ``null`` (AccountTakeOverNotification).

    The key is ``key_provider`` when given (any Encryption SDK master key
    provider: tests pass a raw AES provider), else a strict KMS provider for
    ``key_arn``, else for the ARN in the ``CHALICE_COGNITO_KMS_KEY_ARN``
    environment variable.
    """
    code, pool_id = _code_and_pool(event_or_code)
    if code is None:
        return None
    if not isinstance(code, str) or not code:
        got = "an empty string" if isinstance(code, str) else type(code).__name__
        raise SenderError(f"request.code must be the base64 ciphertext Cognito sends, got {got}.")
    try:
        ciphertext = base64.b64decode(code, validate=True)
    except (binascii.Error, ValueError):
        raise SenderError(
            "request.code is not base64: pass the event (or its code) exactly as Cognito sent it."
        ) from None
    sdk = _sdk()
    provider = key_provider if key_provider is not None else _kms_provider(sdk, key_arn)
    try:
        plaintext, header = _client(sdk).decrypt(source=ciphertext, key_provider=provider)
    except sdk.exceptions.AWSEncryptionSDKClientError as exc:
        # The SDK's messages name keys and formats, never the plaintext.
        raise SenderError(
            f"Cannot decrypt the custom sender code ({type(exc).__name__}: {exc}). "
            f"Check that the function's key ({_describe_key(key_arn, key_provider)}) is the "
            "user pool's KMSKeyID and that its role may kms:Decrypt with it."
        ) from None
    context_pool = (getattr(header, "encryption_context", None) or {}).get(POOL_CONTEXT_KEY)
    if pool_id and context_pool and context_pool != pool_id:
        raise SenderError(
            f"The code was encrypted for user pool {context_pool}, but the event comes from "
            f"{pool_id}: refusing it."
        )
    text = plaintext.decode("utf-8")
    code_text = html.unescape(text)
    # If the invocation then fails, the dispatcher scrubs the code (both forms)
    # from the error and the log line, as it does the event's own secrets.
    mark_secret(text)
    mark_secret(code_text)
    return code_text


def configured_key_arn() -> Optional[str]:
    """The KMS key ARN the deploy put in this function's environment, if any."""
    return os.environ.get(KMS_KEY_ARN_ENV) or None


# -- internals ---------------------------------------------------------------


_NO_CODE = (
    "The custom sender event has no request.code: pass the event exactly as Cognito sent it "
    '(account-takeover notices carry "code": null, which decrypts to None).'
)


def _code_and_pool(value: Any) -> Tuple[Any, Optional[str]]:
    """Find ``request.code`` (and the event's pool id) in whatever the caller passed."""
    if value is None or isinstance(value, (str, bytes)):
        return (value.decode("latin-1") if isinstance(value, bytes) else value), None
    if isinstance(value, Mapping):
        if "request" in value:
            request = value.get("request")
            if not isinstance(request, Mapping) or "code" not in request:
                # Only an explicit null means "no code" (account-takeover notices);
                # a missing key is a malformed event, not a notice.
                raise SenderError(_NO_CODE)
            return request.get("code"), value.get("userPoolId")
        if "code" in value:
            return value.get("code"), None
        raise SenderError(
            "Expected a custom sender event, its request or its code: no 'code' found."
        )
    request = getattr(value, "request", None)
    if request is not None and hasattr(request, "code"):
        if "code" not in getattr(request, "model_fields_set", {"code"}):
            raise SenderError(_NO_CODE)
        return request.code, getattr(value, "user_pool_id", None)
    if hasattr(value, "code"):
        return value.code, None
    raise SenderError(
        f"Expected a custom sender event, its request or its code, got {type(value).__name__}."
    )


def _sdk() -> Any:
    try:
        import aws_encryption_sdk
        import aws_encryption_sdk.exceptions
    except ImportError as exc:
        raise EncryptionSDKMissingError(_INSTALL_HINT) from exc
    return aws_encryption_sdk


_lock = threading.Lock()
_clients: Dict[str, Any] = {}
_providers: Dict[str, Any] = {}


def _client(sdk: Any) -> Any:
    """One Encryption SDK client per process that reads Cognito's uncommitted messages."""
    with _lock:
        client = _clients.get("client")
        if client is None:
            client = sdk.EncryptionSDKClient(
                commitment_policy=sdk.CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
            )
            _clients["client"] = client
        return client


def _kms_provider(sdk: Any, key_arn: Optional[str]) -> Any:
    """A strict KMS key provider for exactly ``key_arn``, cached per warm container."""
    arn = key_arn or configured_key_arn()
    if not arn:
        raise SenderError(
            f"No KMS key to decrypt the custom sender code: the deploy sets {KMS_KEY_ARN_ENV} "
            "from the pool's kms_key_arn in .chalice/config.json; pass key_arn= to choose one "
            "explicitly."
        )
    if ":alias/" in arn or not arn.startswith("arn:"):
        raise SenderError(
            f"{arn!r} is not a KMS key ARN: decryption needs the key ARN "
            "(arn:aws:kms:<region>:<account>:key/<id>), not an alias or a bare key id."
        )
    with _lock:
        provider = _providers.get(arn)
        if provider is None:
            provider = sdk.StrictAwsKmsMasterKeyProvider(key_ids=[arn])
            _providers[arn] = provider
        return provider


def _describe_key(key_arn: Optional[str], key_provider: Any) -> str:
    if key_provider is not None:
        return type(key_provider).__name__
    return key_arn or configured_key_arn() or "none"
