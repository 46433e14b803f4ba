"""App sources shared by test areas."""

from __future__ import annotations

#: triggers with every kind of grant: a declared action (which the body also
#: calls, so Chalice's policy autogeneration sees it and would allow it on
#: "*"), a custom sender (kms:Decrypt on the pool's key) and no grant at all
GRANTS_APP = """
import boto3
from chalice_cognito import Chalice

app = Chalice(app_name="grantsapp")


@app.cognito_trigger("PostConfirmation", access=["AdminAddUserToGroup"])
def post_confirmation(event):
    # Chalice's policy autogeneration sees this call and would allow it on "*"
    boto3.client("cognito-idp").admin_add_user_to_group(
        UserPoolId=event.user_pool_id, Username=event.user_name, GroupName="customers"
    )
    return event


@app.cognito_trigger("CustomEmailSender")
def send_email(event):
    return None


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    return event
"""
