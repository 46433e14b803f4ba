"""Refuse sign-in to suspended accounts (PreAuthentication).

An account is suspended when its ``custom:status`` attribute is
``suspended`` (set by support staff with AdminUpdateUserAttributes), or when
its username or email is listed in ``SUSPENDED_USERS`` (comma separated; handy
for an emergency block without touching the pool).
"""

from __future__ import annotations

import os
from typing import FrozenSet, Mapping, Optional

STATUS_ATTRIBUTE = "custom:status"
SUSPENDED = "suspended"


class AccountSuspended(ValueError):
    """Sign-in refused; the message is meant for the user."""


def suspended_users() -> FrozenSet[str]:
    """Usernames and emails listed in ``SUSPENDED_USERS``, lower-cased."""
    raw = os.environ.get("SUSPENDED_USERS", "")
    return frozenset(u.strip().lower() for u in raw.split(",") if u.strip())


def is_suspended(username: Optional[str], attributes: Mapping[str, str]) -> bool:
    """True when the status attribute or the environment list suspends the user."""
    if attributes.get(STATUS_ATTRIBUTE, "").strip().lower() == SUSPENDED:
        return True
    listed = suspended_users()
    names = {username or "", attributes.get("email", ""), attributes.get("sub", "")}
    return any(n.lower() in listed for n in names if n)


def check_not_suspended(username: Optional[str], attributes: Mapping[str, str]) -> None:
    """Raise :class:`AccountSuspended` for a suspended user."""
    if is_suspended(username, attributes):
        raise AccountSuspended("This account is suspended. Please contact support")
