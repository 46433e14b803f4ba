"""Custom email and SMS sender triggers: deliver Cognito's messages yourself.

AWS docs: ``user-pool-lambda-custom-sender-triggers.html``,
``user-pool-lambda-custom-email-sender.html``,
``user-pool-lambda-custom-sms-sender.html``.  Cognito invokes these
asynchronously and expects no response.  ``request.code`` is ciphertext of the
AWS Encryption SDK under the pool's ``KMSKeyID``; decrypting it is not part of
these models.
"""

from __future__ import annotations

from typing import Any, ClassVar, Optional

from pydantic import ConfigDict, Field

from chalice_cognito.events.base import (
    CognitoEvent,
    CognitoModel,
    CognitoRequest,
    CognitoResponse,
    StringMap,
    WireStr,
)

ACCOUNT_TAKEOVER_SOURCE = "AccountTakeOverNotification"


class CustomSenderRequest(CognitoRequest):
    #: ``customEmailSenderRequestV1`` or ``customSMSSenderRequestV1``
    type: Optional[str] = None
    #: base64 Encryption SDK ciphertext of the code or temporary password (HTML
    #: escaped once decrypted); ``null`` for account-takeover notifications.
    #: A secret: never logged.
    code: Optional[str] = None
    #: the user's attributes; UPPER_CASE notification fields for an
    #: account-takeover notification (see :attr:`CustomEmailSenderEvent.account_takeover`)
    user_attributes: StringMap = Field(default_factory=dict)
    #: ``ClientMetadata`` of the API call; ``null`` for account-takeover notifications
    client_metadata: Optional[StringMap] = None

    def decrypt_code(
        self, *, key_arn: Optional[str] = None, key_provider: Any = None
    ) -> Optional[str]:
        """The plaintext code or temporary password; see :func:`chalice_cognito.senders.decrypt_code`."""
        from chalice_cognito.senders import decrypt_code

        return decrypt_code(self.code, key_arn=key_arn, key_provider=key_provider)


class AccountTakeoverNotification(CognitoModel):
    """A typed, read-only view of the UPPER_CASE ``userAttributes`` of an ATO notification.

    Sent by threat protection (Plus plan) as
    ``CustomEmailSender_AccountTakeOverNotification``.
    """

    model_config = ConfigDict(alias_generator=lambda name: name.upper(), frozen=True)

    event_id: Optional[WireStr] = None
    #: the username of the account at risk
    user_name: Optional[WireStr] = None
    ip_address: Optional[WireStr] = None
    #: ``BLOCK``, ``NO_ACTION``, ``MFA``, ``MFA_IF_CONFIGURED`` or ``MFA_REQUIRED``
    account_take_over_action: Optional[WireStr] = None
    #: link the user follows to say "this was me"
    one_click_link_valid: Optional[WireStr] = None
    #: link the user follows to say "this was not me"
    one_click_link_invalid: Optional[WireStr] = None
    login_time: Optional[WireStr] = None
    feedback_token: Optional[WireStr] = None
    city: Optional[WireStr] = None
    country: Optional[WireStr] = None
    device_name: Optional[WireStr] = None


class CustomEmailSenderEvent(CognitoEvent):
    """``CustomEmailSender_*``: send the email (code, invitation, ATO notice) yourself.

    Cognito ignores the response; raising only shows up in your logs (the
    invocation is asynchronous, Lambda retries it).
    """

    trigger: ClassVar[str] = "CustomEmailSender"
    request: CustomSenderRequest = Field(default_factory=CustomSenderRequest)
    #: absent or ``{}``: Cognito expects nothing back
    response: CognitoResponse = Field(default_factory=CognitoResponse)

    @property
    def is_account_takeover_notification(self) -> bool:
        """True for ``CustomEmailSender_AccountTakeOverNotification`` (no code to send)."""
        return self.source == ACCOUNT_TAKEOVER_SOURCE

    @property
    def account_takeover(self) -> Optional[AccountTakeoverNotification]:
        """The notification fields of an ATO event, None for any other source."""
        if not self.is_account_takeover_notification:
            return None
        return AccountTakeoverNotification.model_validate(self.request.user_attributes)


class CustomSMSSenderEvent(CognitoEvent):
    """``CustomSMSSender_*``: send the SMS (code, invitation, MFA) yourself.

    Cognito ignores the response.  There is no SMS account-takeover source.
    """

    trigger: ClassVar[str] = "CustomSMSSender"
    request: CustomSenderRequest = Field(default_factory=CustomSenderRequest)
    #: absent or ``{}``: Cognito expects nothing back
    response: CognitoResponse = Field(default_factory=CognitoResponse)

    @property
    def is_account_takeover_notification(self) -> bool:
        """Always False: account-takeover notifications are email only."""
        return False
