"""Authentication family: pre authentication and post authentication.

AWS docs: ``user-pool-lambda-pre-authentication.html``,
``user-pool-lambda-post-authentication.html``.  Neither trigger reads a
response: raising is the only way to act on the sign-in.
"""

from __future__ import annotations

from typing import ClassVar, Optional

from pydantic import Field

from chalice_cognito.events.base import (
    CognitoEvent,
    CognitoRequest,
    CognitoResponse,
    StringMap,
)


class PreAuthenticationRequest(CognitoRequest):
    #: the user's attributes as stored in the pool
    user_attributes: StringMap = Field(default_factory=dict)
    #: ``ClientMetadata`` of InitiateAuth/AdminInitiateAuth (Cognito names it
    #: validationData here); absent or ``null`` when the caller sent none
    validation_data: Optional[StringMap] = None
    #: sent only when the app client has ``PreventUserExistenceErrors=ENABLED``:
    #: true when the user does not exist (the trigger still runs)
    user_not_found: Optional[bool] = None


class PreAuthenticationEvent(CognitoEvent):
    """``PreAuthentication_Authentication``: allow or deny a sign-in.

    Raise to deny: Cognito answers ``UserLambdaValidationException:
    PreAuthentication failed with error <message>.``  Cognito ignores the
    response.  Not invoked for a nonexistent user unless
    PreventUserExistenceErrors is enabled, nor on a session renewal.
    """

    trigger: ClassVar[str] = "PreAuthentication"
    request: PreAuthenticationRequest = Field(default_factory=PreAuthenticationRequest)
    response: CognitoResponse = Field(default_factory=CognitoResponse)


class PostAuthenticationRequest(CognitoRequest):
    #: the user's attributes as stored in the pool
    user_attributes: StringMap = Field(default_factory=dict)
    #: only sent when device remembering is "Always" or "User Opt-In"
    new_device_used: Optional[bool] = None
    #: ``ClientMetadata`` of (Admin)RespondToAuthChallenge; never from InitiateAuth
    client_metadata: Optional[StringMap] = None


class PostAuthenticationEvent(CognitoEvent):
    """``PostAuthentication_Authentication``: act on a successful sign-in.

    Runs after authentication, before tokens are returned: an exception still
    fails the sign-in.  Nothing is expected in ``response``.
    """

    trigger: ClassVar[str] = "PostAuthentication"
    request: PostAuthenticationRequest = Field(default_factory=PostAuthenticationRequest)
    response: CognitoResponse = Field(default_factory=CognitoResponse)
