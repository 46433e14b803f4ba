"""Deliver Cognito's codes through the shop's own providers (CustomEmailSender / CustomSMSSender).

With custom sender triggers Cognito sends no email or SMS itself: it hands the
code (encrypted with the pool's KMS key; ``app.py`` decrypts it) to these
functions, which compose the localized text and deliver it through the
pluggable senders of :mod:`chalicelib.delivery`.  Nothing here logs the code
or the text that contains it.

Account-takeover notifications (email only, Plus plan) carry no code, and
their ``userAttributes`` hold notification fields (``USER_NAME``,
``IP_ADDRESS``...) instead of the profile, so the recipient's address is read
from the pool with ``AdminGetUser``.
"""

from __future__ import annotations

import logging
from typing import Mapping, Optional

from chalicelib.aws_clients import client
from chalicelib.delivery import email_sender, mask_email, sms_sender
from chalicelib.localized_messages import compose

#: Under Chalice's app logger (ERROR unless ``app.debug``); deliveries are
#: worth an INFO line, with the recipient masked and never the text.
logger = logging.getLogger("shop.senders")
logger.setLevel(logging.INFO)

ACCOUNT_TAKEOVER = "AccountTakeOverNotification"


class NoRecipient(ValueError):
    """The user has no address for this channel."""


def email_of_user(user_pool_id: str, username: str) -> Optional[str]:
    """The ``email`` attribute of a pool user (AdminGetUser)."""
    user = client("cognito-idp").admin_get_user(UserPoolId=user_pool_id, Username=username)
    for attribute in user.get("UserAttributes", []):
        if attribute.get("Name") == "email":
            return str(attribute.get("Value"))
    return None


def deliver_email(
    source: str,
    *,
    user_pool_id: Optional[str],
    username: Optional[str],
    attributes: Mapping[str, str],
    code: Optional[str],
) -> str:
    """Compose and send the email for a ``CustomEmailSender_<source>`` event; return the recipient."""
    recipient = attributes.get("email")
    profile = attributes
    if source == ACCOUNT_TAKEOVER:
        target = attributes.get("USER_NAME") or username
        recipient = email_of_user(user_pool_id or "", target) if target and user_pool_id else None
        profile = {}  # notification fields, not the user's locale
    if not recipient:
        raise NoRecipient(f"No email address to deliver {source} to")
    message = compose(source, profile, code=code, username=username)
    email_sender().send_email(recipient, message.subject, message.email_body)
    logger.info("Sent %s email in %s to %s", source, message.language, mask_email(recipient))
    return recipient


def deliver_sms(
    source: str,
    *,
    username: Optional[str],
    attributes: Mapping[str, str],
    code: Optional[str],
) -> str:
    """Compose and send the SMS for a ``CustomSMSSender_<source>`` event; return the number."""
    phone_number = attributes.get("phone_number")
    if not phone_number:
        raise NoRecipient(f"No phone number to deliver {source} to")
    message = compose(source, attributes, code=code, username=username)
    sms_sender().send_sms(phone_number, message.sms_body)
    logger.info("Sent %s SMS in %s to ***%s", source, message.language, phone_number[-2:])
    return phone_number
