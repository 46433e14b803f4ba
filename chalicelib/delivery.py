"""Pluggable delivery of emails and text messages.

The passwordless sign-in codes and the custom email/SMS sender triggers hand
their text to whatever sender is plugged in here: Amazon SES and Amazon SNS by
default, anything with a ``send_email`` / ``send_sms`` method otherwise (another
provider, or a recorder in tests).  Nothing here logs a message body: bodies
carry one-time codes and temporary passwords.
"""

from __future__ import annotations

import os
from typing import Optional, Protocol

from chalicelib.aws_clients import client

#: Sender address used when ``SENDER_EMAIL`` is not set.  SES only sends from
#: a verified identity, so a real deployment sets ``SENDER_EMAIL``.
DEFAULT_SENDER_EMAIL = "no-reply@example.com"


class EmailSender(Protocol):
    """Anything that can send a plain-text email."""

    def send_email(self, to: str, subject: str, body: str) -> None: ...


class SmsSender(Protocol):
    """Anything that can send a text message to an E.164 phone number."""

    def send_sms(self, phone_number: str, message: str) -> None: ...


class SesEmailSender:
    """Send through Amazon SES ``SendEmail`` from ``SENDER_EMAIL``."""

    def __init__(self, source: Optional[str] = None) -> None:
        self.source = source or os.environ.get("SENDER_EMAIL") or DEFAULT_SENDER_EMAIL

    def send_email(self, to: str, subject: str, body: str) -> None:
        client("ses").send_email(
            Source=self.source,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
            },
        )


class SnsSmsSender:
    """Send through Amazon SNS ``Publish`` to a phone number, as a transactional SMS.

    Transactional: SNS then favours delivery over cost, as codes expire quickly.
    """

    def send_sms(self, phone_number: str, message: str) -> None:
        client("sns").publish(
            PhoneNumber=phone_number,
            Message=message,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
            },
        )


_email_sender: Optional[EmailSender] = None
_sms_sender: Optional[SmsSender] = None


def email_sender() -> EmailSender:
    """The plugged-in email sender (SES unless :func:`use_email_sender` chose another)."""
    return _email_sender if _email_sender is not None else SesEmailSender()


def sms_sender() -> SmsSender:
    """The plugged-in SMS sender (SNS unless :func:`use_sms_sender` chose another)."""
    return _sms_sender if _sms_sender is not None else SnsSmsSender()


def use_email_sender(sender: Optional[EmailSender]) -> None:
    """Plug in an email sender; ``None`` goes back to SES."""
    global _email_sender
    _email_sender = sender


def use_sms_sender(sender: Optional[SmsSender]) -> None:
    """Plug in an SMS sender; ``None`` goes back to SNS."""
    global _sms_sender
    _sms_sender = sender


def mask_email(address: str) -> str:
    """``jane.doe@example.com`` -> ``j***@example.com``: enough for a user to recognise it."""
    local, at, domain = address.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"
