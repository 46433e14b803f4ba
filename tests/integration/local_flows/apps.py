"""Sources of the small apps and raw Lambda functions the local-flow tests deploy."""

from __future__ import annotations

import io
import zipfile

#: Triggers that leave the codes to Cognito (CustomMessage, no sender), refuse
#: sign-ups without an invitation, sign-ins of "blocked", and put a V1 claim
#: and an overridden group in the ID token.
RULES_APP = """
from chalice_cognito import Chalice

app = Chalice(app_name="flows")

OLD_TIMERS = {"old-timer": {"email": "old@example.com", "email_verified": "true"}}


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    if event.source == "SignUp" and (event.request.validation_data or {}).get("invite") != "yes":
        raise ValueError("An invitation is required")
    if (event.request.client_metadata or {}).get("verify") == "yes":
        event.response.auto_verify_email = True


@app.cognito_trigger("CustomMessage")
def custom_message(event):
    text = "Your flows code: " + event.request.code_parameter
    if event.request.username_parameter:
        text += " for " + event.request.username_parameter
    event.response.sms_message = text


@app.cognito_trigger("PostConfirmation")
def post_confirmation(event):
    return None


@app.cognito_trigger("PreAuthentication")
def pre_authentication(event):
    if event.user_name == "blocked":
        raise ValueError("This account is blocked")


@app.cognito_trigger("PreTokenGeneration")
def pre_token_generation(event):
    event.add_claims({"team": "blue"})
    event.override_groups(["admins"])


@app.cognito_trigger("UserMigration")
def user_migration(event):
    attributes = OLD_TIMERS.get(event.user_name)
    if attributes is None:
        raise ValueError("No such user")
    event.response.user_attributes = dict(attributes)
    event.response.message_action = "SUPPRESS"
"""

#: Raw Lambda handlers (no plugin): what a broken trigger does.
RAW_HANDLERS = """
import os
import time


def slow(event, context):
    time.sleep(30)
    return event


def crash(event, context):
    os._exit(3)


def not_an_event(event, context):
    return "hello"


def no_code_message(event, context):
    event["response"]["smsMessage"] = "Welcome!"
    return event


def v3_claims(event, context):
    event["response"]["claimsAndScopeOverrideDetails"] = {
        "idTokenGeneration": {"claimsToAddOrOverride": {"plan": "pro"}},
        "accessTokenGeneration": {
            "claimsToAddOrOverride": {"quota": 5, "sub": "forged"},
            "scopesToAdd": ["reports/read"],
            "scopesToSuppress": ["aws.cognito.signin.user.admin"],
        },
    }
    return event


def verify_missing_phone(event, context):
    event["response"]["autoVerifyPhone"] = True
    return event


def bad_v1_claim(event, context):
    event["response"]["claimsOverrideDetails"] = {"claimsToAddOrOverride": {"n": 1}}
    return event
"""


def raw_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("raw.py", RAW_HANDLERS)
    return buffer.getvalue()


#: The triggers cognito-local and LocalCognito both fire, with no AWS call in
#: them (cognito-local and LocalCognito run the same deployed functions).
DIFF_APP = """
from chalice_cognito import Chalice

app = Chalice(app_name="diff")

LEGACY = {"old@example.com": "Old-Passw0rd!"}


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    email = event.request.user_attributes.get("email", "")
    if not email.endswith("@example.com"):
        raise ValueError("Only example.com may sign up")
    if email.startswith("auto-"):
        event.response.auto_confirm_user = True


@app.cognito_trigger("PostConfirmation")
def post_confirmation(event):
    return None


@app.cognito_trigger("CustomMessage")
def custom_message(event):
    event.response.sms_message = "Code: " + event.request.code_parameter


@app.cognito_trigger("PostAuthentication")
def post_authentication(event):
    return None


@app.cognito_trigger("PreTokenGeneration")
def pre_token_generation(event):
    event.add_claims({"team": "blue"})


@app.cognito_trigger("UserMigration")
def user_migration(event):
    if LEGACY.get(event.user_name) != event.request.password:
        raise ValueError("Bad legacy credentials")
    event.response.user_attributes = {"email": event.user_name, "email_verified": "true"}
    event.response.final_user_status = "CONFIRMED"
    event.response.message_action = "SUPPRESS"
"""
