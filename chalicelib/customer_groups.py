"""Put every newly confirmed user in the customers group (PostConfirmation).

The group name comes from ``CUSTOMER_GROUP`` (default ``customers``); the group
must exist in the pool.  ``AdminAddUserToGroup`` is idempotent, which matters
because Cognito retries a trigger that fails or times out.
"""

from __future__ import annotations

import os

from chalicelib.aws_clients import client

DEFAULT_CUSTOMER_GROUP = "customers"


def customer_group() -> str:
    """The group new users join, from the environment."""
    return os.environ.get("CUSTOMER_GROUP") or DEFAULT_CUSTOMER_GROUP


def add_to_customer_group(user_pool_id: str, username: str) -> str:
    """Add ``username`` to the customers group of ``user_pool_id``; return the group name."""
    group = customer_group()
    client("cognito-idp").admin_add_user_to_group(
        UserPoolId=user_pool_id, Username=username, GroupName=group
    )
    return group
