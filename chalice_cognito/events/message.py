"""Custom message: write the verification, invitation, reset and MFA messages.

AWS doc: ``user-pool-lambda-custom-message.html``.
"""

from __future__ import annotations

from typing import ClassVar, List, Optional

from pydantic import Field

from chalice_cognito.events.base import (
    CognitoEvent,
    CognitoRequest,
    CognitoResponse,
    StringMap,
    Violation,
)

SMS_MAX = 140
EMAIL_MAX = 20000
SUBJECT_MAX = 140


class CustomMessageRequest(CognitoRequest):
    #: the user's attributes
    user_attributes: StringMap = Field(default_factory=dict)
    #: placeholder Cognito replaces by the code (or temporary password), e.g. ``{####}``
    code_parameter: Optional[str] = None
    #: ``{username}`` placeholder; only for ``CustomMessage_AdminCreateUser``, else ``null``
    username_parameter: Optional[str] = None
    #: ``{##Click Here##}`` placeholder for confirm-by-link emails; not always sent
    link_parameter: Optional[str] = None
    #: ``ClientMetadata`` of the API call (not sent by InitiateAuth)
    client_metadata: Optional[StringMap] = None


class CustomMessageResponse(CognitoResponse):
    #: SMS text; must contain ``codeParameter``; at most 140 characters
    sms_message: Optional[str] = None
    #: email body (HTML allowed); must contain ``codeParameter``; at most 20,000
    #: characters; only used when the pool sends email through SES (DEVELOPER)
    email_message: Optional[str] = None
    #: email subject; at most 140 characters; DEVELOPER email account only
    email_subject: Optional[str] = None


class CustomMessageEvent(CognitoEvent):
    """``CustomMessage_*``: customise the message Cognito sends.

    A ``null`` (or empty) response field keeps the pool's own template.
    ``CustomMessage_AdminCreateUser`` messages must contain both the code
    (temporary password) and the username placeholders.
    """

    trigger: ClassVar[str] = "CustomMessage"
    request: CustomMessageRequest = Field(default_factory=CustomMessageRequest)
    response: CustomMessageResponse = Field(default_factory=CustomMessageResponse)

    def response_violations(self) -> List[Violation]:
        req, resp = self.request, self.response
        found: List[Violation] = []
        # Messages name the fields and quote the placeholders (``{####}`` is not a
        # secret: Cognito puts the code in after the trigger), never the message text.
        for wire, text, limit in (
            ("smsMessage", resp.sms_message, SMS_MAX),
            ("emailMessage", resp.email_message, EMAIL_MAX),
        ):
            if not text:
                continue
            if len(text) > limit:
                found.append(
                    Violation(f"response.{wire}", f"is {len(text)} characters; at most {limit}")
                )
            code = req.code_parameter
            # Confirm-by-link emails carry the link placeholder instead of the code.
            link = req.link_parameter if wire == "emailMessage" else None
            if code and code not in text and not (link and link in text):
                found.append(
                    Violation(
                        f"response.{wire}",
                        f"must contain the code placeholder {code} (request.codeParameter)"
                        + (f" or the link placeholder {link}" if link else ""),
                    )
                )
            username = req.username_parameter
            if self.source == "AdminCreateUser" and username and username not in text:
                found.append(
                    Violation(
                        f"response.{wire}",
                        f"must contain the username placeholder {username} "
                        "(request.usernameParameter) for AdminCreateUser",
                    )
                )
        if resp.email_subject and len(resp.email_subject) > SUBJECT_MAX:
            found.append(
                Violation(
                    "response.emailSubject",
                    f"is {len(resp.email_subject)} characters; at most {SUBJECT_MAX}",
                )
            )
        return found
