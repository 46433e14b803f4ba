"""Sign-up family: pre sign-up and post confirmation.

AWS docs: ``user-pool-lambda-pre-sign-up.html``,
``user-pool-lambda-post-confirmation.html``.
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


class PreSignUpRequest(CognitoRequest):
    #: sign-up attributes, or the IdP-mapped attributes for ``PreSignUp_ExternalProvider``
    user_attributes: StringMap = Field(default_factory=dict)
    #: ``ValidationData`` of SignUp/AdminCreateUser; often ``null``, ``{}`` for external providers
    validation_data: Optional[StringMap] = None
    #: ``ClientMetadata`` of the API call; absent when the caller sent none
    client_metadata: Optional[StringMap] = None


class PreSignUpResponse(CognitoResponse):
    #: confirm the user without a code.  Cognito pre-populates ``false``.
    auto_confirm_user: ResponseFlag = None
    #: mark the email verified; the ``email`` attribute must be present
    auto_verify_email: ResponseFlag = None
    #: mark the phone verified; the ``phone_number`` attribute must be present
    auto_verify_phone: ResponseFlag = None


class PreSignUpEvent(CognitoEvent):
    """``PreSignUp_SignUp`` / ``_AdminCreateUser`` / ``_ExternalProvider``.

    Raise to refuse the sign-up: Cognito answers
    ``UserLambdaValidationException: PreSignUp failed with error <message>.``
    The response is ignored for ``PreSignUp_AdminCreateUser``.
    """

    trigger: ClassVar[str] = "PreSignUp"
    request: PreSignUpRequest = Field(default_factory=PreSignUpRequest)
    response: PreSignUpResponse = Field(default_factory=PreSignUpResponse)

    def response_violations(self) -> List[Violation]:
        found: List[Violation] = []
        response = self.response
        if not (response.auto_verify_email or response.auto_verify_phone):
            return found  # the usual response: nothing to check
        if self.trigger_source.endswith("_AdminCreateUser"):
            return found  # Cognito ignores this response for AdminCreateUser
        attrs = self.request.user_attributes
        for flag, value, attribute in (
            ("autoVerifyEmail", response.auto_verify_email, "email"),
            ("autoVerifyPhone", response.auto_verify_phone, "phone_number"),
        ):
            if value and not attrs.get(attribute):
                found.append(
                    Violation(
                        f"response.{flag}",
                        f"can only be true when the user has a non-empty {attribute!r} "
                        "attribute (Cognito fails the sign-up otherwise)",
                    )
                )
        return found


class PostConfirmationRequest(CognitoRequest):
    #: the confirmed user's attributes (``cognito:user_status`` is ``CONFIRMED``)
    user_attributes: StringMap = Field(default_factory=dict)
    #: ``ClientMetadata`` of (Admin)ConfirmSignUp / ConfirmForgotPassword; absent when none
    client_metadata: Optional[StringMap] = None


class PostConfirmationEvent(CognitoEvent):
    """``PostConfirmation_ConfirmSignUp`` / ``_ConfirmForgotPassword``.

    Nothing is expected in ``response``; an exception still fails the
    confirmation.  Not invoked for users created with AdminCreateUser.
    """

    trigger: ClassVar[str] = "PostConfirmation"
    request: PostConfirmationRequest = Field(default_factory=PostConfirmationRequest)
    response: CognitoResponse = Field(default_factory=CognitoResponse)
