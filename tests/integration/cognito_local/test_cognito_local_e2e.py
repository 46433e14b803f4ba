"""The example app's triggers, invoked by cognito-local through ``chalice-cognito``'s server."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Dict

import pytest
from botocore.exceptions import ClientError

from .conftest import Stack

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("cognito_local")]

PASSWORD = "Corr3ct-Horse-Battery!"


def sign_up(stack: Stack, email: str, **attributes: str) -> Dict[str, Any]:
    attrs = [{"Name": "email", "Value": email}]
    attrs += [{"Name": k, "Value": v} for k, v in attributes.items()]
    return stack.idp.sign_up(  # type: ignore[no-any-return]
        ClientId=stack.client_id, Username=email, Password=PASSWORD, UserAttributes=attrs
    )


def claims(jwt: str) -> Dict[str, Any]:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def test_allowed_domain_is_auto_confirmed_and_joins_the_group(stack: Stack) -> None:
    result = sign_up(stack, "ann@example.com")
    assert result["UserConfirmed"] is True  # PreSignUp auto-confirm
    user = stack.idp.admin_get_user(UserPoolId=stack.pool_id, Username="ann@example.com")
    assert user["UserStatus"] == "CONFIRMED"
    # PostConfirmation called AdminAddUserToGroup on the emulator.
    groups = stack.idp.admin_list_groups_for_user(
        UserPoolId=stack.pool_id, Username=result["UserSub"]
    )["Groups"]
    assert [g["GroupName"] for g in groups] == ["customers"]


def test_refused_domain_fails_with_our_message(stack: Stack) -> None:
    with pytest.raises(ClientError) as info:
        sign_up(stack, "eve@evil.test")
    error = info.value.response["Error"]
    assert error["Code"] == "UserLambdaValidationException"
    # Worded exactly as Cognito words it: the config names each function after its trigger.
    assert error["Message"] == "PreSignUp failed with error Sign-ups are limited to example.com."
    with pytest.raises(ClientError):
        stack.idp.admin_get_user(UserPoolId=stack.pool_id, Username="eve@evil.test")


def test_custom_message_localises_the_reset_code_message(stack: Stack) -> None:
    sign_up(stack, "amelie@example.com", locale="fr")
    stack.idp.forgot_password(ClientId=stack.client_id, Username="amelie@example.com")
    output = stack.cognito.output()
    assert "Utilisez le code" in output  # the French reset text of the example app
    assert "{####}" not in output  # the placeholder was replaced by the real code


def test_sign_in_token_carries_the_claim_from_pre_token_generation(stack: Stack) -> None:
    sign_up(stack, "gold@example.com", **{"custom:tier": "gold"})
    auth = stack.idp.initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "gold@example.com", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    assert claims(auth["IdToken"])["shop:tier"] == "gold"
    # The V2_0-declared handler served cognito-local's V1-shaped event, and
    # PostAuthentication ran after the sign-in.
    output = stack.server_output()
    assert "TokenGeneration_Authentication: ok" in output
    assert "PostAuthentication_Authentication: ok" in output


def test_legacy_user_is_migrated_on_first_sign_in(stack: Stack) -> None:
    auth = stack.idp.initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "legacy@example.com", "PASSWORD": "Legacy-Passw0rd!"},
    )["AuthenticationResult"]
    assert claims(auth["IdToken"])["email"] == "legacy@example.com"
    user = stack.idp.admin_get_user(UserPoolId=stack.pool_id, Username="legacy@example.com")
    assert user["UserStatus"] == "CONFIRMED"


def test_unknown_user_is_not_migrated(stack: Stack) -> None:
    with pytest.raises(ClientError) as info:
        stack.idp.initiate_auth(
            ClientId=stack.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "old@example.com", "PASSWORD": "nope-Nope-1"},
        )
    assert info.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_server_log_has_no_secrets(stack: Stack) -> None:
    """Its own sign-up and a refused migration: neither password reaches the server log."""
    sign_up(stack, "quiet@example.com")
    wrong = "Wr0ng-Legacy-Passw0rd!"
    with pytest.raises(stack.idp.exceptions.ClientError):
        stack.idp.initiate_auth(
            ClientId=stack.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "legacy@example.com", "PASSWORD": wrong},
        )
    output = stack.server_output()
    assert "invoke pre_sign_up (PreSignUp) PreSignUp_SignUp" in output
    assert "UserMigration_Authentication" in output
    for secret in (PASSWORD, wrong):
        assert secret not in output


def test_config_names_only_the_emulated_triggers(stack: Stack) -> None:
    config = json.loads((Path(stack.cognito.workdir) / ".cognito" / "config.json").read_text())
    assert config["TriggerFunctions"] == {
        "CustomMessage": "CustomMessage",
        "PostAuthentication": "PostAuthentication",
        "PostConfirmation": "PostConfirmation",
        "PreSignUp": "PreSignUp",
        "PreTokenGeneration": "PreTokenGeneration",
        "UserMigration": "UserMigration",
    }
    endpoint = config["LambdaClient"]["endpoint"]
    assert endpoint.startswith("http://127.0.0.1:")
    assert f"on {endpoint}" in stack.server_output()


def test_the_invoke_endpoint_is_stock_chalice_local_too(stack: Stack) -> None:
    import urllib.error
    import urllib.request

    config = json.loads((Path(stack.cognito.workdir) / ".cognito" / "config.json").read_text())
    endpoint = config["LambdaClient"]["endpoint"]
    # The example app has no HTTP route: stock `chalice local` answers like API Gateway.
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(endpoint + "/orders")
    assert info.value.code == 403
    assert b"Missing Authentication Token" in info.value.read()
