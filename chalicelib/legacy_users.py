"""The shop's legacy user store, migrated into Cognito on first sign-in (UserMigration).

A stand-in for the database of the system being replaced: a small table of
users with salted PBKDF2-HMAC-SHA256 password hashes, as many legacy systems
store them.  The demo user is ``legacy@example.com`` with the password
``Legacy-Passw0rd!`` (documented on purpose: it only exists in this example).

When a user who is not yet in the pool signs in with ``USER_PASSWORD_AUTH``
(SRP never reveals the password), Cognito calls the UserMigration trigger with
the username and password; :meth:`LegacyUserStore.authenticate` checks them and
the trigger returns the attributes to create the user with.  ``ForgotPassword``
for an unknown user calls the trigger without a password:
:meth:`LegacyUserStore.find` is enough there, Cognito then sends a reset code.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

HASH_NAME = "sha256"


@dataclass(frozen=True)
class LegacyUser:
    """One row of the legacy table."""

    username: str
    salt: str  # hex
    iterations: int
    password_hash: str  # hex
    attributes: Mapping[str, str] = field(default_factory=dict)


def hash_password(password: str, salt_hex: str, iterations: int) -> str:
    """The legacy hash: hex PBKDF2-HMAC-SHA256 of ``password`` with ``salt``."""
    return hashlib.pbkdf2_hmac(
        HASH_NAME, password.encode("utf-8"), bytes.fromhex(salt_hex), iterations
    ).hex()


#: A hash for unknown usernames, so a miss costs as much as a wrong password
#: and timing does not reveal which usernames exist.
_DECOY = LegacyUser("", "a3c19e07d5b24f688e1f0c93b7a64d21", 100_000, "00" * 32)


class LegacyUserStore:
    """Read-only lookups in a table of :class:`LegacyUser` keyed by lower-cased username."""

    def __init__(self, users: Mapping[str, LegacyUser]) -> None:
        self._users: Dict[str, LegacyUser] = {k.strip().lower(): v for k, v in users.items()}

    def find(self, username: Optional[str]) -> Optional[LegacyUser]:
        """The user with this username (case-insensitive), or None."""
        return self._users.get((username or "").strip().lower())

    def authenticate(
        self, username: Optional[str], password: Optional[str]
    ) -> Optional[LegacyUser]:
        """The user when ``password`` is theirs, else None (same cost either way)."""
        user = self.find(username)
        candidate = user or _DECOY
        computed = hash_password(password or "", candidate.salt, candidate.iterations)
        matches = hmac.compare_digest(computed, candidate.password_hash)
        return user if user is not None and password and matches else None


LEGACY_USERS: Mapping[str, LegacyUser] = {
    "legacy@example.com": LegacyUser(
        username="legacy@example.com",
        salt="5f1d2c7a9e4b8d3f6a0c1e2b3d4f5a6b",
        iterations=100_000,
        # hash_password("Legacy-Passw0rd!", salt, 100_000)
        password_hash="eea71d5fa5312eb6f8edbe1ccfcab1dc883e3a035f3ec9b11f921fc21a99b855",
        attributes={"email": "legacy@example.com", "name": "Lee Gacy", "locale": "en"},
    ),
}

_store = LegacyUserStore(LEGACY_USERS)


def legacy_store() -> LegacyUserStore:
    """The store the UserMigration trigger reads."""
    return _store


def use_legacy_store(store: LegacyUserStore) -> None:
    """Replace the store (another table, or a real database adapter with the same methods)."""
    global _store
    _store = store


def migrated_attributes(user: LegacyUser) -> Dict[str, str]:
    """The Cognito attributes of a migrated user.

    ``email_verified`` is ``"true"``: the legacy system had verified the
    address, and Cognito needs a verified email to send a ForgotPassword code.
    """
    return {**user.attributes, "email_verified": "true"}
