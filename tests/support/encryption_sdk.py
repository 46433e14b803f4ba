"""AWS Encryption SDK messages as Cognito's custom senders receive them, without KMS.

A raw AES-256 wrapping key stands in for the pool's KMS key; the messages are
real Encryption SDK ciphertexts (Cognito's uncommitted format by default).
Used by the sender tests and the secret-canary tests.
"""

from __future__ import annotations

import base64
import os
from typing import Any, Dict, Optional

import aws_encryption_sdk
from aws_encryption_sdk.identifiers import (
    CommitmentPolicy,
    EncryptionKeyType,
    WrappingAlgorithm,
)
from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
from aws_encryption_sdk.key_providers.raw import RawMasterKeyProvider

POOL_ID = "us-east-1_EXAMPLE"


class AesKeyProvider(RawMasterKeyProvider):  # type: ignore[misc]
    """A raw AES-256 wrapping key standing in for the pool's KMS key."""

    provider_id = "chalice-cognito-test"

    def __init__(self, **kwargs: Any) -> None:
        self._keys: Dict[bytes, bytes] = {}

    def _get_raw_key(self, key_id: bytes) -> WrappingKey:
        key = self._keys.setdefault(key_id, os.urandom(32))
        return WrappingKey(
            wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
            wrapping_key=key,
            wrapping_key_type=EncryptionKeyType.SYMMETRIC,
        )


def make_provider(key_id: bytes = b"pool-key") -> AesKeyProvider:
    provider = AesKeyProvider()
    provider.add_master_key(key_id)
    return provider


def encrypt(
    plaintext: str,
    provider: AesKeyProvider,
    *,
    committed: bool = False,
    context: Optional[Dict[str, str]] = None,
) -> str:
    """Base64 Encryption SDK message of ``plaintext`` (uncommitted ``AYAD...`` like Cognito's)."""
    policy = (
        CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
        if committed
        else CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    )
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=policy)
    ciphertext, _ = client.encrypt(
        source=plaintext.encode("utf-8"),
        key_provider=provider,
        encryption_context=context if context is not None else {"userpool-id": POOL_ID},
    )
    return base64.b64encode(ciphertext).decode("ascii")
