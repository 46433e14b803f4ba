"""Passwordless sign-in with a one-time code sent by email (custom auth flow).

The three custom-auth triggers play together:

1. DefineAuthChallenge (:func:`next_step`) asks for ``CUSTOM_CHALLENGE`` until
   the user answers one correctly (tokens are issued) or has failed
   :data:`MAX_ATTEMPTS` times (sign-in fails).
2. CreateAuthChallenge (:func:`create_challenge`) draws a fresh 6-digit code
   with :mod:`secrets`, emails it through the pluggable email sender and keeps
   it in ``privateChallengeParameters``, which only the verify trigger sees.
   The client only learns where the code went (a masked address).
3. VerifyAuthChallengeResponse (:func:`is_correct_answer`) compares the answer
   in constant time (:func:`hmac.compare_digest`).

A new code is drawn for every attempt.  The well-known alternative, putting the
code in ``challengeMetadata`` to reuse it on retries, copies a secret into the
session that every later trigger of the flow receives (and may log); here only
``privateChallengeParameters`` ever holds it.

The client starts with ``InitiateAuth(AuthFlow="CUSTOM_AUTH",
AuthParameters={"USERNAME": ...})`` and answers with
``RespondToAuthChallenge(ChallengeName="CUSTOM_CHALLENGE",
ChallengeResponses={"USERNAME": ..., "ANSWER": "<code>"})``.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

from chalicelib.delivery import email_sender, mask_email
from chalicelib.localized_messages import compose

CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
#: our name for the challenge; it comes back in each later session entry.
CHALLENGE_METADATA = "EMAIL_CODE"
MAX_ATTEMPTS = 3
CODE_DIGITS = 6

#: One session entry: (challengeName, challengeResult, challengeMetadata).
SessionEntry = Tuple[Optional[str], bool, Optional[str]]


@dataclass(frozen=True)
class Decision:
    """DefineAuthChallenge's answer: the next challenge, tokens, or failure."""

    challenge_name: Optional[str]
    issue_tokens: bool
    fail_authentication: bool


ASK = Decision(CUSTOM_CHALLENGE, issue_tokens=False, fail_authentication=False)
ISSUE_TOKENS = Decision(None, issue_tokens=True, fail_authentication=False)
FAIL = Decision(None, issue_tokens=False, fail_authentication=True)


def next_step(session: Sequence[SessionEntry], user_not_found: bool = False) -> Decision:
    """Decide what comes after ``session`` (chronological, oldest first)."""
    if user_not_found:
        return FAIL
    # This pool's custom flow is passwordless only: an SRP or password step in
    # the session means a client mixing flows, which we do not honour.
    if any(name != CUSTOM_CHALLENGE or meta != CHALLENGE_METADATA for name, _, meta in session):
        return FAIL
    if session and session[-1][1]:
        return ISSUE_TOKENS
    if len(session) >= MAX_ATTEMPTS:
        return FAIL
    return ASK


def new_code() -> str:
    """A uniformly random numeric code of :data:`CODE_DIGITS` digits (leading zeros kept)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


@dataclass(frozen=True)
class Challenge:
    """CreateAuthChallenge's answer."""

    public_parameters: Dict[str, str]
    private_parameters: Dict[str, str]
    metadata: str = CHALLENGE_METADATA


def create_challenge(attributes: Dict[str, str], attempt: int) -> Challenge:
    """Draw a code, email it to the user's address and return the challenge.

    Raises ValueError when the account has no email address to send to.
    """
    email = attributes.get("email")
    if not email:
        raise ValueError("This account has no email address for a sign-in code")
    code = new_code()
    message = compose("Authentication", attributes, code=code)
    email_sender().send_email(email, message.subject, message.email_body)
    return Challenge(
        public_parameters={
            "delivery": "EMAIL",
            "destination": mask_email(email),
            "attempt": str(attempt),
            "attemptsAllowed": str(MAX_ATTEMPTS),
        },
        private_parameters={"code": code},
    )


def is_correct_answer(expected: Optional[str], answer: Optional[str]) -> bool:
    """Compare the user's answer with the code in constant time.

    Bytes, because :func:`hmac.compare_digest` refuses non-ASCII ``str`` and an
    answer is whatever the client typed.
    """
    if not expected or answer is None:
        return False
    return hmac.compare_digest(answer.strip().encode("utf-8"), expected.encode("utf-8"))
