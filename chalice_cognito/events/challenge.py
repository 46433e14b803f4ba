"""Custom authentication challenge family: define, create and verify auth challenge.

AWS docs: ``user-pool-lambda-challenge.html``,
``user-pool-lambda-define-auth-challenge.html``,
``user-pool-lambda-create-auth-challenge.html``,
``user-pool-lambda-verify-auth-challenge-response.html``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional

from pydantic import Field

from chalice_cognito.events.base import (
    CognitoEvent,
    CognitoModel,
    CognitoRequest,
    CognitoResponse,
    ResponseFlag,
    StringMap,
    Violation,
    WireStr,
)

#: Challenge names documented for the ``session`` list.  The field stays an
#: open ``str``: Cognito adds challenge types, and real events carry ``null``.
KNOWN_CHALLENGE_NAMES = (
    "CUSTOM_CHALLENGE",
    "SRP_A",
    "PASSWORD_VERIFIER",
    "SMS_MFA",
    "EMAIL_OTP",
    "SOFTWARE_TOKEN_MFA",
    "DEVICE_SRP_AUTH",
    "DEVICE_PASSWORD_VERIFIER",
    "ADMIN_NO_SRP_AUTH",
    "NEW_PASSWORD_REQUIRED",
)


class ChallengeResult(CognitoModel):
    """One entry of ``request.session``: a challenge already presented in this sign-in."""

    #: e.g. ``SRP_A``, ``PASSWORD_VERIFIER``, ``CUSTOM_CHALLENGE``; ``null`` seen in real events
    challenge_name: Optional[str] = None
    #: true when the user answered this challenge correctly
    challenge_result: Optional[bool] = None
    #: the ``challengeMetadata`` your create-auth trigger set; ``null`` for built-in challenges
    challenge_metadata: Optional[str] = None


class _ChallengeRequest(CognitoRequest):
    #: the user's attributes as stored in the pool
    user_attributes: StringMap = Field(default_factory=dict)
    #: ``ClientMetadata`` of (Admin)RespondToAuthChallenge; absent from InitiateAuth
    client_metadata: Optional[StringMap] = None
    #: only with ``PreventUserExistenceErrors=ENABLED``: the user does not exist
    user_not_found: Optional[bool] = None


class _SessionRequest(_ChallengeRequest):
    #: challenges presented so far, oldest first; ``[]`` on the first call of a
    #: CUSTOM_AUTH flow that starts without SRP
    session: List[ChallengeResult] = Field(default_factory=list)


class DefineAuthChallengeRequest(_SessionRequest):
    pass


class DefineAuthChallengeResponse(CognitoResponse):
    #: the next challenge (``CUSTOM_CHALLENGE``, ``PASSWORD_VERIFIER``, ...); Cognito sends ``null``
    challenge_name: Optional[str] = None
    #: true: the user is authenticated, Cognito issues tokens
    issue_tokens: ResponseFlag = None
    #: true: end the sign-in with NotAuthorizedException
    fail_authentication: ResponseFlag = None


class _SessionEvent:
    """``last_challenge`` for the events that carry the challenge ``session``."""

    request: Any

    @property
    def last_challenge(self) -> Optional[ChallengeResult]:
        """The most recent ``session`` entry, or None at the start of the flow."""
        session: List[ChallengeResult] = self.request.session or []
        return session[-1] if session else None


class DefineAuthChallengeEvent(_SessionEvent, CognitoEvent):
    """``DefineAuthChallenge_Authentication``: decide the next step of a custom sign-in.

    Set ``response.issue_tokens``, ``response.fail_authentication``, or
    ``response.challenge_name`` for the next challenge.  Always look at the
    ``session`` (and :attr:`last_challenge`) before issuing tokens.
    """

    trigger: ClassVar[str] = "DefineAuthChallenge"
    request: DefineAuthChallengeRequest = Field(default_factory=DefineAuthChallengeRequest)
    response: DefineAuthChallengeResponse = Field(default_factory=DefineAuthChallengeResponse)

    def response_violations(self) -> List[Violation]:
        if self.response.issue_tokens and self.response.fail_authentication:
            return [
                Violation(
                    "response.issueTokens",
                    "and response.failAuthentication cannot both be true",
                )
            ]
        return []


class CreateAuthChallengeRequest(_SessionRequest):
    #: the challenge that define auth challenge chose (normally ``CUSTOM_CHALLENGE``)
    challenge_name: Optional[str] = None


class CreateAuthChallengeResponse(CognitoResponse):
    #: sent to the client as ``ChallengeParameters``; a map of strings
    public_challenge_parameters: Optional[Dict[str, Any]] = None
    #: passed only to verify auth challenge response (e.g. the expected answer); a map of strings
    private_challenge_parameters: Optional[Dict[str, Any]] = None
    #: your name for this challenge; appears as ``challengeMetadata`` in later sessions
    challenge_metadata: Optional[str] = None


class CreateAuthChallengeEvent(_SessionEvent, CognitoEvent):
    """``CreateAuthChallenge_Authentication``: build the challenge the client must answer."""

    trigger: ClassVar[str] = "CreateAuthChallenge"
    request: CreateAuthChallengeRequest = Field(default_factory=CreateAuthChallengeRequest)
    response: CreateAuthChallengeResponse = Field(default_factory=CreateAuthChallengeResponse)

    def response_violations(self) -> List[Violation]:
        found: List[Violation] = []
        for wire, params in (
            ("publicChallengeParameters", self.response.public_challenge_parameters),
            ("privateChallengeParameters", self.response.private_challenge_parameters),
        ):
            bad = sorted(k for k, v in (params or {}).items() if not isinstance(v, str))
            if bad:
                # Keys only: private parameters usually hold the expected answer.
                found.append(
                    Violation(
                        f"response.{wire}",
                        f"values must be strings (not for: {', '.join(bad)})",
                    )
                )
        return found


class VerifyAuthChallengeResponseRequest(_ChallengeRequest):
    #: what create auth challenge put in ``privateChallengeParameters``
    private_challenge_parameters: Optional[StringMap] = None
    #: the client's ``ChallengeResponses.ANSWER``; a secret, never logged
    challenge_answer: Optional[WireStr] = None


class VerifyAuthChallengeResponseResponse(CognitoResponse):
    #: true when the answer is right; Cognito sends ``null``
    answer_correct: ResponseFlag = None


class VerifyAuthChallengeResponseEvent(CognitoEvent):
    """``VerifyAuthChallengeResponse_Authentication``: check the user's answer.

    Set ``response.answer_correct``; define auth challenge then sees the
    result in the next ``session`` entry.
    """

    trigger: ClassVar[str] = "VerifyAuthChallengeResponse"
    request: VerifyAuthChallengeResponseRequest = Field(
        default_factory=VerifyAuthChallengeResponseRequest
    )
    response: VerifyAuthChallengeResponseResponse = Field(
        default_factory=VerifyAuthChallengeResponseResponse
    )
