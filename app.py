"""shop: the chalice-cognito example app, one handler for each of the 13 Cognito triggers.

Each handler receives the typed event of its trigger, calls the business logic
in ``chalicelib/`` and changes ``event.response`` (or raises to refuse).
Returning None sends the event back to Cognito as mutated.

Settings (environment variables, all optional):

* ``ALLOWED_SIGNUP_DOMAINS``  email domains that may sign up (default ``example.com``)
* ``CUSTOMER_GROUP``          group confirmed users join (default ``customers``)
* ``SUSPENDED_USERS``         usernames/emails refused at sign-in, comma separated
* ``SENDER_EMAIL``            SES-verified sender of codes (default ``no-reply@example.com``)
* ``CUSTOM_EMAIL_MESSAGES``   ``false`` keeps the pool's email template (needed unless
  the pool sends email through SES, ``EmailSendingAccount=DEVELOPER``)
* ``CHALICE_COGNITO_KMS_KEY_ARN`` the pool's KMS key (set by ``chalice-cognito deploy``)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice_cognito import Chalice
from chalice_cognito.senders import decrypt_code
from chalicelib import (
    audit,
    custom_senders,
    customer_groups,
    federation_mapping,
    legacy_users,
    localized_messages,
    passwordless,
    signup_policy,
    suspension,
    token_claims,
)

if TYPE_CHECKING:
    # Annotations only: the plugin imports each event model when the first
    # event of its trigger arrives, so a function's cold start only pays for
    # its own trigger.
    from chalice_cognito.events.authentication import (
        PostAuthenticationEvent,
        PreAuthenticationEvent,
    )
    from chalice_cognito.events.challenge import (
        CreateAuthChallengeEvent,
        DefineAuthChallengeEvent,
        VerifyAuthChallengeResponseEvent,
    )
    from chalice_cognito.events.federation import InboundFederationEvent
    from chalice_cognito.events.message import CustomMessageEvent
    from chalice_cognito.events.migration import UserMigrationEvent
    from chalice_cognito.events.sender import CustomEmailSenderEvent, CustomSMSSenderEvent
    from chalice_cognito.events.signup import PostConfirmationEvent, PreSignUpEvent
    from chalice_cognito.events.token import PreTokenGenerationV1Event, PreTokenGenerationV2Event

app = Chalice(app_name="shop")


# -- sign-up ------------------------------------------------------------------


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event: PreSignUpEvent) -> None:
    """Only allowed email domains may sign up; their users need no confirmation code.

    The email is *not* marked verified: the domain says who may join, not that
    this person owns the address.  Users created by an admin
    (``PreSignUp_AdminCreateUser``) are trusted and skip the domain check.
    """
    if event.source == "AdminCreateUser":
        return
    signup_policy.check_sign_up(event.request.user_attributes.get("email"))
    event.response.auto_confirm_user = True


@app.cognito_trigger("PostConfirmation", access=["AdminAddUserToGroup"])
def post_confirmation(event: PostConfirmationEvent) -> None:
    """Put each newly confirmed user in the customers group.

    Not on ``PostConfirmation_ConfirmForgotPassword``: that user confirmed long ago.
    """
    if event.source == "ConfirmSignUp" and event.user_pool_id and event.user_name:
        customer_groups.add_to_customer_group(event.user_pool_id, event.user_name)


# -- sign-in ------------------------------------------------------------------


@app.cognito_trigger("PreAuthentication")
def pre_authentication(event: PreAuthenticationEvent) -> None:
    """Refuse suspended accounts (raising denies the sign-in with this message)."""
    suspension.check_not_suspended(event.user_name, event.request.user_attributes)


@app.cognito_trigger("PostAuthentication")
def post_authentication(event: PostAuthenticationEvent) -> None:
    """Write one structured audit line per sign-in, with identifiers only."""
    audit.log_sign_in(
        user_pool_id=event.user_pool_id,
        username=event.user_name,
        attributes=event.request.user_attributes,
        client_id=event.caller_context.client_id,
        trigger_source=event.trigger_source,
        new_device_used=event.request.new_device_used,
    )


@app.cognito_trigger("PreTokenGeneration", version="V2_0")
def pre_token_generation(event: PreTokenGenerationV1Event | PreTokenGenerationV2Event) -> None:
    """Add the customer tier claim to the ID and access tokens and the orders scope.

    Wired as ``V2_0``, Cognito sends version "2" events.  The same function
    also serves V1-shaped events: the cognito-local emulator sends those (with
    version "0") whatever the wiring, and a pool still on ``V1_0`` does too.
    A V1 response can only change the ID token, so it gets the claim alone.
    """
    from chalice_cognito.events.token import PreTokenGenerationV2Event

    claims = {token_claims.TIER_CLAIM: token_claims.tier_of(event.request.user_attributes)}
    if isinstance(event, PreTokenGenerationV2Event):
        event.add_id_token_claims(claims)
        event.add_access_token_claims(claims)
        event.add_scopes(token_claims.ORDERS_SCOPE)
    else:
        event.add_claims(claims)


# -- messages -----------------------------------------------------------------


@app.cognito_trigger("CustomMessage")
def custom_message(event: CustomMessageEvent) -> None:
    """Write the code/invitation message in the user's language (``locale`` attribute).

    The texts carry Cognito's placeholders (``{####}``, and ``{username}`` for
    invitations), which Cognito replaces with the real values.
    """
    message = localized_messages.compose(
        event.source,
        event.request.user_attributes,
        code=event.request.code_parameter,
        username=event.request.username_parameter,
    )
    event.response.sms_message = message.sms_body
    if localized_messages.custom_email_enabled():
        event.response.email_subject = message.subject
        event.response.email_message = message.email_body


# -- passwordless sign-in (custom auth flow) ----------------------------------


@app.cognito_trigger("DefineAuthChallenge")
def define_auth_challenge(event: DefineAuthChallengeEvent) -> None:
    """Ask for an emailed code until one is right (tokens) or 3 attempts failed."""
    decision = passwordless.next_step(
        [
            (c.challenge_name, bool(c.challenge_result), c.challenge_metadata)
            for c in event.request.session
        ],
        user_not_found=bool(event.request.user_not_found),
    )
    event.response.challenge_name = decision.challenge_name
    event.response.issue_tokens = decision.issue_tokens
    event.response.fail_authentication = decision.fail_authentication


@app.cognito_trigger("CreateAuthChallenge")
def create_auth_challenge(event: CreateAuthChallengeEvent) -> None:
    """Email a fresh one-time code; only the verify trigger gets to see it."""
    if event.request.challenge_name != passwordless.CUSTOM_CHALLENGE:
        return
    challenge = passwordless.create_challenge(
        dict(event.request.user_attributes),
        attempt=1
        + sum(c.challenge_name == passwordless.CUSTOM_CHALLENGE for c in event.request.session),
    )
    event.response.public_challenge_parameters = challenge.public_parameters
    event.response.private_challenge_parameters = challenge.private_parameters
    event.response.challenge_metadata = challenge.metadata


@app.cognito_trigger("VerifyAuthChallengeResponse")
def verify_auth_challenge_response(event: VerifyAuthChallengeResponseEvent) -> None:
    """Compare the answer with the emailed code, in constant time."""
    expected = (event.request.private_challenge_parameters or {}).get("code")
    event.response.answer_correct = passwordless.is_correct_answer(
        expected, event.request.challenge_answer
    )


# -- users from elsewhere -----------------------------------------------------


@app.cognito_trigger("UserMigration")
def user_migration(event: UserMigrationEvent) -> None:
    """Move a user of the legacy store into the pool on first sign-in or password reset.

    Sign-in: the password is checked against the legacy hash; the user arrives
    CONFIRMED with that password and without a welcome message.  Forgot
    password: no password is sent; the user arrives with a verified email so
    Cognito can send the reset code.  Raising means "no such user".
    """
    store = legacy_users.legacy_store()
    if event.source == "ForgotPassword":
        user = store.find(event.user_name)
    else:
        user = store.authenticate(event.user_name, event.request.password)
    if user is None:
        raise ValueError("Incorrect username or password")
    event.response.user_attributes = legacy_users.migrated_attributes(user)
    event.response.message_action = "SUPPRESS"
    if event.source != "ForgotPassword":
        event.response.final_user_status = "CONFIRMED"


@app.cognito_trigger("InboundFederation")
def inbound_federation(event: InboundFederationEvent) -> None:
    """Map the identity provider's claims to the profile (every attribute to keep)."""
    attributes = event.request.attributes
    event.response.user_attributes_to_map = federation_mapping.map_attributes(
        id_token=attributes.id_token,
        user_info=attributes.user_info,
        saml_response=attributes.saml_response,
    )


# -- custom senders: Cognito hands the (encrypted) code to us -----------------


@app.cognito_trigger("CustomEmailSender", access=["AdminGetUser"])
def custom_email_sender(event: CustomEmailSenderEvent) -> None:
    """Decrypt the code and email it through the pluggable sender (SES by default)."""
    custom_senders.deliver_email(
        event.source,
        user_pool_id=event.user_pool_id,
        username=event.user_name,
        attributes=event.request.user_attributes,
        code=decrypt_code(event),
    )


@app.cognito_trigger("CustomSMSSender")
def custom_sms_sender(event: CustomSMSSenderEvent) -> None:
    """Decrypt the code and text it through the pluggable sender (SNS by default)."""
    custom_senders.deliver_sms(
        event.source,
        username=event.user_name,
        attributes=event.request.user_attributes,
        code=decrypt_code(event),
    )
