"""The example app's triggers firing on real cognito-idp calls (boto3 -> LocalCognito).

One LocalCognito for the module: the example app (app.py, chalicelib/, its
'local' stage) deployed to the embedded AWS as ``deploy --local`` does, every
trigger wired, a custom email sender with the pool's KMS key.  Each test
drives the API with boto3 and reads what the triggers received and did.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

from chalice_cognito.local.cognito_flows.auth import decode_claims
from chalice_cognito.local.cognito_flows.local_cognito import LocalCognito

from .conftest import copy_example_app

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("local-flows-example")]

PASSWORD = "Corr3ct-Horse!"


@pytest.fixture(scope="module")
def local_cognito_options(
    tmp_path_factory: pytest.TempPathFactory, shared_pip_cache: None
) -> Dict[str, Any]:
    """The plugin's ``local_cognito`` fixture, pointed at a copy of the example app."""
    project = copy_example_app(tmp_path_factory.mktemp("example") / "shop")
    # Cognito waits 5 s; this loaded CI machine may need longer for a warm call.
    return {"project_dir": str(project), "stage": "local", "trigger_timeout": 20.0}


@pytest.fixture
def cognito(local_cognito: LocalCognito) -> LocalCognito:
    """The pytest plugin's fixture (one LocalCognito per module, records cleared per test)."""
    return local_cognito


@pytest.fixture
def idp(cognito: LocalCognito) -> Any:
    return cognito.client("cognito-idp")


def sources(cognito: LocalCognito) -> List[str]:
    return [i.trigger_source for i in cognito.invocations]


def error_of(call: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def sign_up(cognito: LocalCognito, idp: Any, username: str, email: str) -> Any:
    return idp.sign_up(
        ClientId=cognito.client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
        ValidationData=[{"Name": "invite", "Value": "spring"}],
        ClientMetadata={"campaign": "launch"},
    )


def password_sign_in(
    cognito: LocalCognito, idp: Any, username: str, password: str = PASSWORD
) -> Any:
    return idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]


def test_demo_story_prints_each_trigger_as_it_fires(cognito: LocalCognito) -> None:
    """What ``make demo`` shows (first in the module: it migrates the legacy user)."""
    from chalice_cognito.local.cognito_flows.console import describe
    from chalice_cognito.local.cognito_flows.demo import story

    lines: List[str] = []
    cognito.recorder.listeners.append(lambda item: lines.append(describe(item)))
    try:
        story(cognito, lines.append)
    finally:
        cognito.recorder.listeners.clear()
    text = "\n".join(lines)
    assert "refused: UserLambdaValidationException: PreSignUp failed with error Sign-ups" in text
    assert "confirmed: True; groups: customers" in text
    assert "ID token: shop:tier=standard" in text and "shop/orders.read" in text
    assert "answered: tokens issued" in text
    assert "now in the pool as legacy@example.com (CONFIRMED)" in text
    fired = [line.split()[1] for line in lines if line.startswith("  trigger ")]
    for source in (
        "PreSignUp_SignUp",
        "PostConfirmation_ConfirmSignUp",
        "TokenGeneration_Authentication",
        "CreateAuthChallenge_Authentication",
        "VerifyAuthChallengeResponse_Authentication",
        "UserMigration_Authentication",
    ):
        assert source in fired
    assert "Demo-Passw0rd!" not in text and "Legacy-Passw0rd!" not in text


def test_demo_shows_each_trigger_wired_to_the_live_alias(cognito: LocalCognito) -> None:
    """``make demo``'s line per trigger: the example's local stage has ``"alias": "live"``."""
    from chalice_cognito.local.cognito_flows.demo import wiring_lines

    lines = wiring_lines(cognito)
    triggers = [ln for ln in lines[1:] if ln.startswith("  ") and ":function:" in ln]
    # every wired slot once (PreTokenGeneration's two LambdaConfig keys are one trigger)
    assert len(triggers) == 13, lines
    for line in triggers:
        assert line.split()[1].endswith(":live") and line.endswith("(alias live -> version 1)")
    assert not [ln for ln in lines if "unqualified" in ln], lines
    # ...and what the demo's triggers run is that alias: a sign-up fires through it
    idp = cognito.client("cognito-idp")
    sign_up(cognito, idp, "alias-check", "alias-check@example.com")
    assert "PreSignUp_SignUp" in sources(cognito)


def test_start_reports_what_cannot_be_emulated(cognito: LocalCognito) -> None:
    assert cognito.endpoint_url.startswith("http://127.0.0.1:")
    assert cognito.user_pool_id and cognito.client_id
    reported = " ".join(cognito.not_emulated)
    for trigger_source in (
        "InboundFederation_ExternalProvider",
        "PreSignUp_ExternalProvider",
        "TokenGeneration_ClientCredentials",
    ):
        assert trigger_source in reported
    pool = cognito.client("cognito-idp").describe_user_pool(UserPoolId=cognito.user_pool_id)
    assert pool["UserPool"]["AutoVerifiedAttributes"] == ["email"]
    client = cognito.client("cognito-idp").describe_user_pool_client(
        UserPoolId=cognito.user_pool_id, ClientId=cognito.client_id
    )["UserPoolClient"]
    assert "ClientSecret" not in client
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_CUSTOM_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }


def test_refused_sign_up_fails_with_cognitos_text_and_creates_no_user(cognito, idp) -> None:
    error = error_of(lambda: sign_up(cognito, idp, "mallory", "mallory@elsewhere.test"))
    assert (error.response["Error"]["Code"], error.response["Error"]["Message"]) == (
        "UserLambdaValidationException",
        "PreSignUp failed with error Sign-ups are limited to example.com.",
    )
    assert sources(cognito) == ["PreSignUp_SignUp"]
    assert "Sign-ups are limited" in (cognito.invocations[0].error or "")
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_get_user(UserPoolId=cognito.user_pool_id, Username="mallory")


def test_accepted_sign_up_is_auto_confirmed_and_lands_in_its_group(cognito, idp) -> None:
    answer = sign_up(cognito, idp, "ann", "ann@example.com")
    assert answer["UserConfirmed"] is True
    assert "CodeDeliveryDetails" not in answer  # auto-confirmed: no code sent
    assert sources(cognito) == ["PreSignUp_SignUp", "PostConfirmation_ConfirmSignUp"]
    pre = cognito.invocations[0].event
    assert pre["version"] == "1" and pre["userPoolId"] == cognito.user_pool_id
    assert pre["callerContext"]["clientId"] == cognito.client_id
    assert pre["request"]["validationData"] == {"invite": "spring"}
    assert pre["request"]["clientMetadata"] == {"campaign": "launch"}
    assert pre["request"]["userAttributes"] == {"email": "ann@example.com"}
    assert cognito.invocations[0].response["response"]["autoConfirmUser"] is True
    post = cognito.invocations[1].event
    assert post["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    assert post["request"]["clientMetadata"] == {"campaign": "launch"}
    user = idp.admin_get_user(UserPoolId=cognito.user_pool_id, Username="ann")
    assert user["UserStatus"] == "CONFIRMED"
    groups = idp.admin_list_groups_for_user(UserPoolId=cognito.user_pool_id, Username="ann")
    assert [g["GroupName"] for g in groups["Groups"]] == ["customers"]


def test_sign_in_tokens_carry_the_apps_claims_and_scope(cognito, idp) -> None:
    sign_up(cognito, idp, "bea", "bea@example.com")
    cognito.clear()
    tokens = password_sign_in(cognito, idp, "bea")
    assert sources(cognito) == [
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
    ]
    token_event = cognito.invocations[-1].event
    assert token_event["version"] == "2"  # wired as V2_0
    assert token_event["request"]["scopes"] == ["aws.cognito.signin.user.admin"]
    assert token_event["request"]["groupConfiguration"]["groupsToOverride"] == ["customers"]
    id_claims = decode_claims(tokens["IdToken"])
    access_claims = decode_claims(tokens["AccessToken"])
    assert id_claims["shop:tier"] == "standard" and access_claims["shop:tier"] == "standard"
    assert access_claims["scope"].split() == ["aws.cognito.signin.user.admin", "shop/orders.read"]
    assert id_claims["cognito:groups"] == ["customers"]
    # The re-signed access token is still the one the pool knows.
    assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == "bea"
    # PreAuthentication gets ClientMetadata as validationData (none here).
    assert cognito.invocations[0].event["request"]["validationData"] is None


def test_refresh_fires_token_generation_refresh_tokens(cognito, idp) -> None:
    sign_up(cognito, idp, "cyd", "cyd@example.com")
    tokens = password_sign_in(cognito, idp, "cyd")
    cognito.clear()
    refreshed = idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    assert sources(cognito) == ["TokenGeneration_RefreshTokens"]
    assert decode_claims(refreshed["AccessToken"])["shop:tier"] == "standard"


def test_get_tokens_from_refresh_token_fires_token_generation_authentication(cognito, idp) -> None:
    sign_up(cognito, idp, "cal", "cal@example.com")
    tokens = password_sign_in(cognito, idp, "cal")
    cognito.clear()
    refreshed = idp.get_tokens_from_refresh_token(
        ClientId=cognito.client_id,
        RefreshToken=tokens["RefreshToken"],
        ClientMetadata={"screen": "home"},
    )["AuthenticationResult"]
    assert sources(cognito) == ["TokenGeneration_Authentication"]
    assert cognito.invocations[0].event["request"]["clientMetadata"] == {"screen": "home"}
    assert decode_claims(refreshed["IdToken"])["shop:tier"] == "standard"


def test_wrong_password_fails_after_pre_authentication(cognito, idp) -> None:
    sign_up(cognito, idp, "dan", "dan@example.com")
    cognito.clear()
    error = error_of(lambda: password_sign_in(cognito, idp, "dan", "Wrong-Passw0rd!"))
    assert error.response["Error"]["Code"] == "NotAuthorizedException"
    assert sources(cognito) == ["PreAuthentication_Authentication"]


def test_custom_challenge_loop_wrong_then_right_answer(cognito, idp) -> None:
    sign_up(cognito, idp, "eve", "eve@example.com")
    cognito.clear()
    started = idp.initiate_auth(
        ClientId=cognito.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "eve"}
    )
    assert started["ChallengeName"] == "CUSTOM_CHALLENGE"
    params = started["ChallengeParameters"]
    assert params["destination"] == "e***@example.com" and params["attempt"] == "1"
    assert params["USERNAME"] == "eve"
    assert "code" not in params  # private parameters stay private
    assert sources(cognito) == [
        "PreAuthentication_Authentication",
        "DefineAuthChallenge_Authentication",
        "CreateAuthChallenge_Authentication",
    ]
    assert cognito.invocations[1].event["request"]["session"] == []
    code = cognito.invocations[2].response["response"]["privateChallengeParameters"]["code"]

    again = idp.respond_to_auth_challenge(
        ClientId=cognito.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=started["Session"],
        ChallengeResponses={
            "USERNAME": "eve",
            "ANSWER": "000000" if code != "000000" else "111111",
        },
    )
    assert again["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert again["ChallengeParameters"]["attempt"] == "2"
    verify = next(i for i in cognito.invocations if i.trigger == "VerifyAuthChallengeResponse")
    assert verify.event["request"]["challengeAnswer"] == "***"  # recorded scrubbed
    define = [i for i in cognito.invocations if i.trigger == "DefineAuthChallenge"][-1]
    assert define.event["request"]["session"] == [
        {
            "challengeName": "CUSTOM_CHALLENGE",
            "challengeResult": False,
            "challengeMetadata": "EMAIL_CODE",
        }
    ]
    code = [i for i in cognito.invocations if i.trigger == "CreateAuthChallenge"][-1].response[
        "response"
    ]["privateChallengeParameters"]["code"]
    cognito.clear()
    done = idp.respond_to_auth_challenge(
        ClientId=cognito.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=again["Session"],
        ChallengeResponses={"USERNAME": "eve", "ANSWER": code},
    )
    assert "AccessToken" in done["AuthenticationResult"]
    assert sources(cognito) == [
        "VerifyAuthChallengeResponse_Authentication",
        "DefineAuthChallenge_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
    ]
    assert [s["challengeResult"] for s in cognito.invocations[1].event["request"]["session"]] == [
        False,
        True,
    ]
    # A used session cannot be answered again.
    error = error_of(
        lambda: idp.respond_to_auth_challenge(
            ClientId=cognito.client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=again["Session"],
            ChallengeResponses={"USERNAME": "eve", "ANSWER": code},
        )
    )
    assert error.response["Error"]["Code"] == "NotAuthorizedException"


def test_legacy_user_migrates_on_first_sign_in(cognito, idp) -> None:
    # The demo story may have migrated this user already: start from the legacy store.
    with contextlib.suppress(idp.exceptions.UserNotFoundException):
        idp.admin_delete_user(UserPoolId=cognito.user_pool_id, Username="legacy@example.com")
    cognito.clear()
    tokens = password_sign_in(cognito, idp, "legacy@example.com", "Legacy-Passw0rd!")
    assert sources(cognito)[:2] == [
        "UserMigration_Authentication",
        "PreAuthentication_Authentication",
    ]
    migration = cognito.invocations[0]
    assert migration.event["request"]["password"] == "***"
    assert "Legacy-Passw0rd!" not in repr(cognito.invocations)
    assert migration.response["response"]["finalUserStatus"] == "CONFIRMED"
    user = idp.admin_get_user(UserPoolId=cognito.user_pool_id, Username="legacy@example.com")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["UserStatus"] == "CONFIRMED" and attributes["name"] == "Lee Gacy"
    assert decode_claims(tokens["IdToken"])["cognito:username"] == "legacy@example.com"
    # A second sign-in finds the user: no migration.
    cognito.clear()
    password_sign_in(cognito, idp, "legacy@example.com", "Legacy-Passw0rd!")
    assert "UserMigration_Authentication" not in sources(cognito)


def test_unknown_user_with_wrong_legacy_password_is_refused(cognito, idp) -> None:
    error = error_of(lambda: password_sign_in(cognito, idp, "nobody@example.com", "x-Passw0rd!"))
    assert error.response["Error"]["Code"] == "UserLambdaValidationException"
    assert error.response["Error"]["Message"] == (
        "UserMigration failed with error Incorrect username or password."
    )
    assert "x-Passw0rd!" not in repr(cognito.invocations)


def test_admin_create_user_hands_the_encrypted_password_to_the_sender(cognito, idp) -> None:
    idp.admin_create_user(
        UserPoolId=cognito.user_pool_id,
        Username="fay",
        UserAttributes=[{"Name": "email", "Value": "fay@example.com"}],
        DesiredDeliveryMediums=["EMAIL"],
    )
    assert sources(cognito) == ["PreSignUp_AdminCreateUser", "CustomEmailSender_AdminCreateUser"]
    pre = cognito.invocations[0].event
    assert pre["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"
    sender = cognito.invocations[1]
    assert sender.error is None, sender.error
    ciphertext = sender.event["request"]["code"]
    assert sender.event["request"]["type"] == "customEmailSenderRequestV1"
    temporary = cognito.decrypt(ciphertext)
    assert temporary not in ciphertext and cognito.messages == []  # the sender sends, not Cognito
    cognito.clear()
    challenge = idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "fay", "PASSWORD": temporary},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = idp.respond_to_auth_challenge(
        ClientId=cognito.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "fay", "NEW_PASSWORD": PASSWORD},
    )
    assert "IdToken" in done["AuthenticationResult"]
    assert sources(cognito) == [
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_NewPasswordChallenge",
    ]


def test_forgot_password_code_goes_to_the_sender_then_post_confirmation(cognito, idp) -> None:
    password_sign_in(cognito, idp, "legacy@example.com", "Legacy-Passw0rd!")  # migrated, verified
    cognito.clear()
    sent = idp.forgot_password(ClientId=cognito.client_id, Username="legacy@example.com")
    assert sent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert sources(cognito) == ["CustomEmailSender_ForgotPassword"]
    code = cognito.last_code("legacy@example.com")
    assert code and len(code) == 6
    wrong = error_of(
        lambda: idp.confirm_forgot_password(
            ClientId=cognito.client_id,
            Username="legacy@example.com",
            ConfirmationCode="not-it",
            Password="N3w-Passw0rd!",
        )
    )
    assert wrong.response["Error"]["Code"] == "CodeMismatchException"
    idp.confirm_forgot_password(
        ClientId=cognito.client_id,
        Username="legacy@example.com",
        ConfirmationCode=code,
        Password="N3w-Passw0rd!",
        ClientMetadata={"origin": "reset-page"},
    )
    post = cognito.invocations[-1]
    assert post.trigger_source == "PostConfirmation_ConfirmForgotPassword"
    assert post.event["request"]["clientMetadata"] == {"origin": "reset-page"}
    password_sign_in(cognito, idp, "legacy@example.com", "N3w-Passw0rd!")
    # The example's group logic only runs for ConfirmSignUp.
    groups = idp.admin_list_groups_for_user(
        UserPoolId=cognito.user_pool_id, Username="legacy@example.com"
    )
    assert groups["Groups"] == []


def test_attribute_update_and_verification_codes_go_to_the_sender(cognito, idp) -> None:
    sign_up(cognito, idp, "gil", "gil@example.com")
    tokens = password_sign_in(cognito, idp, "gil")
    cognito.clear()
    answer = idp.update_user_attributes(
        AccessToken=tokens["AccessToken"],
        UserAttributes=[{"Name": "email", "Value": "gil.new@example.com"}],
    )
    assert [d["AttributeName"] for d in answer["CodeDeliveryDetailsList"]] == ["email"]
    assert sources(cognito) == ["CustomEmailSender_UpdateUserAttribute"]
    idp.get_user_attribute_verification_code(
        AccessToken=tokens["AccessToken"], AttributeName="email"
    )
    assert sources(cognito)[-1] == "CustomEmailSender_VerifyUserAttribute"
    code = cognito.last_code("gil")
    idp.verify_user_attribute(AccessToken=tokens["AccessToken"], AttributeName="email", Code=code)
    user = idp.get_user(AccessToken=tokens["AccessToken"])
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email"] == "gil.new@example.com" and attributes["email_verified"] == "true"


def test_functions_run_from_the_zip_warm(cognito: LocalCognito) -> None:
    # prewarm=True: every function's interpreter started at start-up, none cold now.
    assert cognito.invocations == [] or all(not i.cold for i in cognito.invocations)
    assert Path(cognito.project_dir, ".chalice", "deployments").is_dir()


# The example of docs/how-to/testing-end-to-end.md, verbatim (tests/functional/local_flows/
# test_docs_page.py checks it is the same text).
# fmt: off
def test_sign_up_lands_in_the_customers_group(local_cognito):
    idp = local_cognito.client("cognito-idp")
    idp.sign_up(ClientId=local_cognito.client_id, Username="ada", Password="Corr3ct-Horse!",
                UserAttributes=[{"Name": "email", "Value": "ada@example.com"}])
    assert [i.trigger_source for i in local_cognito.invocations] == [
        "PreSignUp_SignUp", "PostConfirmation_ConfirmSignUp"]
    groups = idp.admin_list_groups_for_user(UserPoolId=local_cognito.user_pool_id, Username="ada")
    assert [g["GroupName"] for g in groups["Groups"]] == ["customers"]
# fmt: on
