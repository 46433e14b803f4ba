"""Who may sign up: an email-domain allowlist (PreSignUp).

Allowed domains come from ``ALLOWED_SIGNUP_DOMAINS`` (comma separated,
default ``example.com``) and match exactly: ``sub.example.com`` is another
domain.  A refused sign-up raises :class:`SignUpRefused`; Cognito shows its
message to the user as ``PreSignUp failed with error <message>.``
"""

from __future__ import annotations

import os
from typing import FrozenSet, Optional

DEFAULT_ALLOWED_DOMAINS = "example.com"


class SignUpRefused(ValueError):
    """The sign-up breaks the policy; the message is meant for the user."""


def allowed_domains() -> FrozenSet[str]:
    """The allowed email domains, lower-cased, read from the environment at each call."""
    raw = os.environ.get("ALLOWED_SIGNUP_DOMAINS") or DEFAULT_ALLOWED_DOMAINS
    return frozenset(d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip())


def email_domain(email: str) -> str:
    """The lower-cased part after the last ``@`` (empty when there is none)."""
    local, at, domain = email.strip().rpartition("@")
    return domain.lower() if at and local else ""


def check_sign_up(email: Optional[str]) -> None:
    """Raise :class:`SignUpRefused` unless ``email`` belongs to an allowed domain."""
    domains = allowed_domains()
    if not email:
        raise SignUpRefused("An email address is required to sign up")
    if email_domain(email) not in domains:
        raise SignUpRefused(f"Sign-ups are limited to {', '.join(sorted(domains))}")
