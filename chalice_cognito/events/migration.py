"""Migrate user: import a user from a legacy store on first sign-in or password reset.

AWS doc: ``user-pool-lambda-migrate-user.html``.
"""

from __future__ import annotations

from typing import ClassVar, List, Optional

from pydantic import Field

from chalice_cognito.events.base import (
    CognitoEvent,
    CognitoRequest,
    CognitoResponse,
    ResponseFlag,
    StringMap,
    Violation,
)

FINAL_USER_STATUSES = ("CONFIRMED", "RESET_REQUIRED")
MESSAGE_ACTIONS = ("SUPPRESS", "RESEND")
DELIVERY_MEDIUMS = ("EMAIL", "SMS")


class UserMigrationRequest(CognitoRequest):
    #: the password the user typed; only for ``UserMigration_Authentication``
    #: (USER_PASSWORD_AUTH flows), absent for ``_ForgotPassword``.  A secret:
    #: never logged, never in error messages.
    password: Optional[str] = None
    #: ``ClientMetadata`` of (Admin)InitiateAuth; absent or ``null``
    validation_data: Optional[StringMap] = None
    #: ``ClientMetadata`` of AdminRespondToAuthChallenge / ForgotPassword
    client_metadata: Optional[StringMap] = None
    #: Cognito sends ``null`` (undocumented): the user does not exist in the pool yet
    user_attributes: Optional[StringMap] = None


class UserMigrationResponse(CognitoResponse):
    #: attributes of the migrated user (standard and ``custom:``).  Required to
    #: migrate; ``username`` only when the user signed in with an alias
    user_attributes: Optional[StringMap] = None
    #: ``CONFIRMED`` or ``RESET_REQUIRED`` (the default: the client must handle
    #: PasswordResetRequiredException)
    final_user_status: Optional[str] = None
    #: ``SUPPRESS`` to skip the welcome message (``RESEND`` also accepted by the API)
    message_action: Optional[str] = None
    #: where to send the welcome message: ``EMAIL`` and/or ``SMS`` (default SMS)
    desired_delivery_mediums: Optional[List[str]] = None
    #: true: move an alias (email/phone) that another user holds to this user
    force_alias_creation: ResponseFlag = None
    #: require SMS MFA; needs pool MFA and a ``phone_number`` attribute
    enable_sms_mfa: ResponseFlag = Field(default=None, alias="enableSMSMFA")


class UserMigrationEvent(CognitoEvent):
    """``UserMigration_Authentication`` / ``UserMigration_ForgotPassword``.

    Found the user: set ``response.user_attributes`` (and usually
    ``final_user_status="CONFIRMED"`` and ``message_action="SUPPRESS"``).
    Did not find the user: raise (the client sees ``UserMigration failed with
    error <message>.``) or return the response untouched, which Cognito treats
    as "user not found".  Setting other response fields without
    ``user_attributes`` is reported as a violation, because that is almost
    always a handler bug and Cognito would fail the migration anyway.
    """

    trigger: ClassVar[str] = "UserMigration"
    request: UserMigrationRequest = Field(default_factory=UserMigrationRequest)
    response: UserMigrationResponse = Field(default_factory=UserMigrationResponse)

    def response_violations(self) -> List[Violation]:
        r = self.response
        found: List[Violation] = []
        # cognito-local pre-populates ``desiredDeliveryMediums: []`` and
        # ``userAttributes: {}``: empty values do not count as "set".
        touched = any(
            v is not None
            for v in (
                r.final_user_status,
                r.message_action,
                r.force_alias_creation,
                r.enable_sms_mfa,
            )
        ) or bool(r.desired_delivery_mediums)
        if touched and not r.user_attributes:
            found.append(
                Violation(
                    "response.userAttributes",
                    "is required to migrate a user (leave the whole response untouched, "
                    "or raise, when the user is not found)",
                )
            )
        if r.final_user_status is not None and r.final_user_status not in FINAL_USER_STATUSES:
            found.append(
                Violation("response.finalUserStatus", "must be CONFIRMED or RESET_REQUIRED")
            )
        if r.message_action is not None and r.message_action not in MESSAGE_ACTIONS:
            found.append(Violation("response.messageAction", "must be SUPPRESS or RESEND"))
        if any(m not in DELIVERY_MEDIUMS for m in r.desired_delivery_mediums or []):
            found.append(
                Violation("response.desiredDeliveryMediums", "may only contain EMAIL and SMS")
            )
        if r.enable_sms_mfa and not (r.user_attributes or {}).get("phone_number"):
            found.append(
                Violation(
                    "response.enableSMSMFA",
                    "needs a phone_number in response.userAttributes "
                    "(Cognito fails the migration otherwise)",
                )
            )
        return found
