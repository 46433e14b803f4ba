"""Structured audit log of successful sign-ins (PostAuthentication).

One JSON line per sign-in on the ``shop.audit`` logger, which CloudWatch Logs
Insights can query field by field.  Only identifiers go in: the user's ``sub``
(not the email or phone number), the app client and the device flag; never
passwords, codes or tokens, and no client metadata (it is caller supplied and
may carry anything).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, Mapping, Optional

#: A child of Chalice's app logger ``shop``, so records go out through the
#: handler Chalice installs (stdout, hence CloudWatch Logs).  Chalice sets the
#: app logger to ERROR unless ``app.debug``; the audit trail is INFO by design,
#: so this logger sets its own level.
audit_log = logging.getLogger("shop.audit")
audit_log.setLevel(logging.INFO)


def sign_in_record(
    *,
    user_pool_id: Optional[str],
    username: Optional[str],
    attributes: Mapping[str, str],
    client_id: Optional[str],
    trigger_source: str,
    new_device_used: Optional[bool] = None,
) -> Dict[str, Any]:
    """The audit record of one sign-in (only identifiers, see the module docstring)."""
    return {
        "audit": "sign_in",
        "trigger_source": trigger_source,
        "user_pool_id": user_pool_id,
        "user_sub": attributes.get("sub") or username,
        "client_id": client_id,
        "new_device_used": new_device_used,
    }


def log_sign_in(**fields: Any) -> Dict[str, Any]:
    """Write the record of :func:`sign_in_record` as one JSON line and return it."""
    record = sign_in_record(**fields)
    audit_log.info(json.dumps(record, sort_keys=True))
    return record
