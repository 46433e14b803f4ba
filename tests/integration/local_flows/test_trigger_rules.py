"""Cognito's rules around triggers, through boto3 against LocalCognito.

A small app (``apps.RULES_APP``) leaves codes to Cognito (CustomMessage, no
sender) and uses a V1 PreTokenGeneration; raw Lambda functions created in the
emulator stand in for broken triggers (slow, crashing, answering garbage,
breaking a message rule), swapped into the pool's LambdaConfig by a test and
restored after it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from botocore.exceptions import ClientError

from chalice_cognito.local.cognito_flows.auth import decode_claims
from chalice_cognito.local.cognito_flows.local_cognito import LocalCognito

from .apps import RULES_APP, raw_zip
from .conftest import start, write_app

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("local-flows-rules")]

PASSWORD = "Corr3ct-Horse!"
#: Short enough to keep the timeout test quick, long enough for a warm call here.
TIMEOUT = 3.0


@pytest.fixture(scope="module")
def cognito(
    tmp_path_factory: pytest.TempPathFactory, shared_pip_cache: None
) -> Iterator[LocalCognito]:
    project = write_app(tmp_path_factory.mktemp("rules") / "flows", RULES_APP)
    emulator = start(project, trigger_timeout=TIMEOUT)
    lam = emulator.client("lambda")
    role = emulator.client("iam").create_role(
        RoleName="raw-triggers",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    for handler in (
        "slow",
        "crash",
        "not_an_event",
        "no_code_message",
        "bad_v1_claim",
        "v3_claims",
        "verify_missing_phone",
    ):
        lam.create_function(
            FunctionName=f"raw-{handler}",
            Runtime="python3.11",
            Role=role,
            Handler=f"raw.{handler}",
            Code={"ZipFile": raw_zip()},
        )
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def idp(cognito: LocalCognito) -> Any:
    cognito.clear()
    return cognito.client("cognito-idp")


@pytest.fixture
def swap(cognito: LocalCognito, idp: Any) -> Iterator[Any]:
    """``swap(trigger, function_name_or_arn)`` for one test; LambdaConfig restored after."""
    original = dict(cognito.lambda_config)

    def replace(trigger: str, target: str) -> None:
        arn = (
            target
            if target.startswith("arn:")
            else (f"arn:aws:lambda:{cognito.region}:123456789012:function:{target}")
        )
        config = dict(original)
        config[trigger] = arn
        if trigger == "PreTokenGeneration" and "PreTokenGenerationConfig" in config:
            # Cognito requires both to name the same function.
            config["PreTokenGenerationConfig"] = dict(
                config["PreTokenGenerationConfig"], LambdaArn=arn
            )
        set_lambda_config(cognito, idp, config)

    yield replace
    set_lambda_config(cognito, idp, original)


def set_lambda_config(cognito: LocalCognito, idp: Any, config: Dict[str, Any]) -> None:
    """UpdateUserPool resets what it is not given (as in AWS): keep the pool's verification."""
    idp.update_user_pool(
        UserPoolId=cognito.user_pool_id, LambdaConfig=config, AutoVerifiedAttributes=["email"]
    )


def sources(cognito: LocalCognito) -> List[str]:
    return [i.trigger_source for i in cognito.invocations]


def failure(call: Any) -> Dict[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    return dict(caught.value.response["Error"])


def sign_up(cognito: LocalCognito, idp: Any, username: str, **extra: Any) -> Any:
    return idp.sign_up(
        ClientId=cognito.client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
        ValidationData=[{"Name": "invite", "Value": "yes"}],
        **extra,
    )


def confirmed_user(cognito: LocalCognito, idp: Any, username: str) -> None:
    sign_up(cognito, idp, username)
    idp.confirm_sign_up(
        ClientId=cognito.client_id,
        Username=username,
        ConfirmationCode=cognito.messages[-1].code,
    )


def password_sign_in(cognito: LocalCognito, idp: Any, username: str) -> Any:
    return idp.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )


# -- sign-up with codes sent by Cognito ------------------------------------------


def test_sign_up_without_invitation_is_refused(cognito, idp) -> None:
    error = failure(
        lambda: idp.sign_up(
            ClientId=cognito.client_id,
            Username="nobody",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "nobody@example.com"}],
        )
    )
    assert error == {
        "Code": "UserLambdaValidationException",
        "Message": "PreSignUp failed with error An invitation is required.",
    }
    assert cognito.invocations[0].event["request"]["validationData"] is None
    assert "clientMetadata" not in cognito.invocations[0].event["request"]


def test_unconfirmed_user_gets_the_code_through_custom_message(cognito, idp) -> None:
    answer = sign_up(cognito, idp, "hal")
    assert answer["UserConfirmed"] is False
    assert answer["CodeDeliveryDetails"] == {
        "Destination": "h***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    assert sources(cognito) == ["PreSignUp_SignUp", "CustomMessage_SignUp"]
    event = cognito.invocations[1].event
    assert event["request"]["codeParameter"] == "{####}"
    assert event["request"]["usernameParameter"] is None
    assert event["request"]["userAttributes"]["cognito:user_status"] == "UNCONFIRMED"
    [message] = cognito.messages
    assert (message.channel, message.destination) == ("email", "hal@example.com")
    # The handler only wrote the SMS text: the email uses the pool's template.
    assert message.body == f"Your verification code is {message.code}. "
    assert message.subject == "Your verification code"
    error = failure(lambda: password_sign_in(cognito, idp, "hal"))
    assert error["Code"] == "UserNotConfirmedException"


def test_confirm_sign_up_with_the_code_fires_post_confirmation(cognito, idp) -> None:
    sign_up(cognito, idp, "ida")
    code = cognito.messages[-1].code
    wrong = failure(
        lambda: idp.confirm_sign_up(
            ClientId=cognito.client_id, Username="ida", ConfirmationCode="999999x"
        )
    )
    assert wrong["Code"] == "CodeMismatchException"
    cognito.clear()
    idp.confirm_sign_up(
        ClientId=cognito.client_id,
        Username="ida",
        ConfirmationCode=code,
        ClientMetadata={"from": "email-link"},
    )
    assert sources(cognito) == ["PostConfirmation_ConfirmSignUp"]
    assert cognito.invocations[0].event["request"]["clientMetadata"] == {"from": "email-link"}
    user = idp.admin_get_user(UserPoolId=cognito.user_pool_id, Username="ida")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["UserStatus"] == "CONFIRMED" and attributes["email_verified"] == "true"


def test_resend_confirmation_code_fires_custom_message_resend_code(cognito, idp) -> None:
    sign_up(cognito, idp, "jon")
    first = cognito.messages[-1].code
    cognito.clear()
    idp.resend_confirmation_code(ClientId=cognito.client_id, Username="jon")
    assert sources(cognito) == ["CustomMessage_ResendCode"]
    second = cognito.messages[-1].code
    # Only the latest code confirms (unless the draw repeated it).
    if first != second:
        assert (
            failure(
                lambda: idp.confirm_sign_up(
                    ClientId=cognito.client_id, Username="jon", ConfirmationCode=first
                )
            )["Code"]
            == "CodeMismatchException"
        )
    idp.confirm_sign_up(ClientId=cognito.client_id, Username="jon", ConfirmationCode=second)


def test_auto_verify_email_is_applied(cognito, idp) -> None:
    sign_up(cognito, idp, "kim", ClientMetadata={"verify": "yes"})
    user = idp.admin_get_user(UserPoolId=cognito.user_pool_id, Username="kim")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email_verified"] == "true" and user["UserStatus"] == "UNCONFIRMED"


def test_admin_create_user_invitation_through_custom_message(cognito, idp) -> None:
    idp.admin_create_user(
        UserPoolId=cognito.user_pool_id,
        Username="lea",
        UserAttributes=[{"Name": "email", "Value": "lea@example.com"}],
        DesiredDeliveryMediums=["EMAIL"],
    )
    assert sources(cognito) == ["PreSignUp_AdminCreateUser", "CustomMessage_AdminCreateUser"]
    event = cognito.invocations[1].event
    assert event["request"]["usernameParameter"] == "{username}"
    assert event["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"
    [message] = cognito.messages
    assert message.body == f"Your username is lea and temporary password is {message.code}. "


# -- sign-in ------------------------------------------------------------------------


def test_pre_authentication_refusal_blocks_the_sign_in(cognito, idp) -> None:
    confirmed_user(cognito, idp, "blocked")
    cognito.clear()
    error = failure(lambda: password_sign_in(cognito, idp, "blocked"))
    assert error == {
        "Code": "UserLambdaValidationException",
        "Message": "PreAuthentication failed with error This account is blocked.",
    }
    assert sources(cognito) == ["PreAuthentication_Authentication"]


def test_v1_token_claims_and_group_override(cognito, idp) -> None:
    confirmed_user(cognito, idp, "max")
    cognito.clear()
    tokens = password_sign_in(cognito, idp, "max")["AuthenticationResult"]
    event = cognito.invocations[-1].event
    assert event["version"] == "1" and "scopes" not in event["request"]
    id_claims = decode_claims(tokens["IdToken"])
    access_claims = decode_claims(tokens["AccessToken"])
    assert id_claims["team"] == "blue" and "team" not in access_claims
    assert id_claims["cognito:groups"] == ["admins"] == access_claims["cognito:groups"]


def test_forgot_password_migrates_an_unknown_user(cognito, idp) -> None:
    sent = idp.forgot_password(
        ClientId=cognito.client_id, Username="old-timer", ClientMetadata={"app": "web"}
    )
    assert sent["CodeDeliveryDetails"]["AttributeName"] == "email"
    assert sources(cognito) == ["UserMigration_ForgotPassword", "CustomMessage_ForgotPassword"]
    migration = cognito.invocations[0].event
    assert "password" not in migration["request"]
    assert migration["request"]["clientMetadata"] == {"app": "web"}
    user = idp.admin_get_user(UserPoolId=cognito.user_pool_id, Username="old-timer")
    assert user["UserStatus"] == "RESET_REQUIRED"
    code = cognito.messages[-1].code
    idp.confirm_forgot_password(
        ClientId=cognito.client_id, Username="old-timer", ConfirmationCode=code, Password=PASSWORD
    )
    assert sources(cognito)[-1] == "PostConfirmation_ConfirmForgotPassword"
    assert "AuthenticationResult" in password_sign_in(cognito, idp, "old-timer")


def test_forgot_password_needs_a_verified_channel(cognito, idp) -> None:
    confirmed_user(cognito, idp, "ned")
    idp.admin_update_user_attributes(
        UserPoolId=cognito.user_pool_id,
        Username="ned",
        UserAttributes=[{"Name": "email_verified", "Value": "false"}],
    )
    error = failure(lambda: idp.forgot_password(ClientId=cognito.client_id, Username="ned"))
    assert error["Code"] == "InvalidParameterException"


def test_attribute_verification_codes_through_custom_message(cognito, idp) -> None:
    confirmed_user(cognito, idp, "oli")
    tokens = password_sign_in(cognito, idp, "oli")["AuthenticationResult"]
    cognito.clear()
    idp.update_user_attributes(
        AccessToken=tokens["AccessToken"],
        UserAttributes=[{"Name": "email", "Value": "oli2@example.com"}],
    )
    idp.get_user_attribute_verification_code(
        AccessToken=tokens["AccessToken"], AttributeName="email"
    )
    assert sources(cognito) == [
        "CustomMessage_UpdateUserAttribute",
        "CustomMessage_VerifyUserAttribute",
    ]
    assert [m.destination for m in cognito.messages] == ["oli2@example.com"] * 2
    idp.verify_user_attribute(
        AccessToken=tokens["AccessToken"], AttributeName="email", Code=cognito.messages[-1].code
    )


# -- broken triggers ----------------------------------------------------------------


def test_slow_trigger_fails_the_call_like_cognito_and_the_emulator_keeps_serving(
    cognito, idp, swap
) -> None:
    confirmed_user(cognito, idp, "pam")
    swap("PostAuthentication", "raw-slow")
    cognito.clear()
    error = failure(lambda: password_sign_in(cognito, idp, "pam"))
    assert error == {
        "Code": "UnexpectedLambdaException",
        "Message": "PostAuthentication invocation failed due to error Socket timeout while "
        "invoking Lambda function.",
    }
    assert cognito.invocations[-1].error and "Socket timeout" in cognito.invocations[-1].error
    set_lambda_config(cognito, idp, cognito.lambda_config)
    assert "AuthenticationResult" in password_sign_in(cognito, idp, "pam")


def test_crashing_trigger_fails_with_invalid_lambda_response(cognito, idp, swap) -> None:
    confirmed_user(cognito, idp, "quinn")
    swap("PreAuthentication", "raw-crash")
    for _ in range(2):  # the dead interpreter is replaced: the same answer, no hang
        error = failure(lambda: password_sign_in(cognito, idp, "quinn"))
        assert error == {
            "Code": "InvalidLambdaResponseException",
            "Message": "Unrecognizable lambda output",
        }


def test_trigger_answering_garbage_fails_with_invalid_lambda_response(cognito, idp, swap) -> None:
    swap("PreSignUp", "raw-not_an_event")
    error = failure(lambda: sign_up(cognito, idp, "rae"))
    assert error["Code"] == "InvalidLambdaResponseException"
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_get_user(UserPoolId=cognito.user_pool_id, Username="rae")


def test_custom_message_without_the_code_breaks_cognitos_rule(cognito, idp, swap) -> None:
    swap("CustomMessage", "raw-no_code_message")
    error = failure(lambda: sign_up(cognito, idp, "sid"))
    assert error["Code"] == "InvalidLambdaResponseException"
    assert "{####}" in error["Message"]


def test_v1_claim_that_is_not_a_string_breaks_cognitos_rule(cognito, idp, swap) -> None:
    confirmed_user(cognito, idp, "tia")
    swap("PreTokenGeneration", "raw-bad_v1_claim")
    error = failure(lambda: password_sign_in(cognito, idp, "tia"))
    assert error["Code"] == "InvalidLambdaResponseException"


def test_unknown_function_fails_like_cognito(cognito, idp, swap) -> None:
    swap("PreSignUp", "no-such-function")
    error = failure(lambda: sign_up(cognito, idp, "uma"))
    assert error == {
        "Code": "UnexpectedLambdaException",
        "Message": "PreSignUp invocation failed due to error ResourceNotFoundException.",
    }


def test_untouched_operations_pass_through_to_moto(cognito, idp) -> None:
    listed = idp.list_users(UserPoolId=cognito.user_pool_id)
    assert isinstance(listed["Users"], list)
    assert Path(cognito.project_dir, "app.py").is_file()


def test_v3_token_generation_changes_both_tokens_and_the_scopes(cognito, idp) -> None:
    confirmed_user(cognito, idp, "vic")
    arn = f"arn:aws:lambda:{cognito.region}:123456789012:function:raw-v3_claims"
    config = dict(cognito.lambda_config)
    config["PreTokenGeneration"] = arn
    config["PreTokenGenerationConfig"] = {"LambdaVersion": "V3_0", "LambdaArn": arn}
    set_lambda_config(cognito, idp, config)
    try:
        cognito.clear()
        tokens = password_sign_in(cognito, idp, "vic")["AuthenticationResult"]
    finally:
        set_lambda_config(cognito, idp, cognito.lambda_config)
    event = cognito.invocations[-1].event
    assert event["version"] == "3"
    assert event["request"]["scopes"] == ["aws.cognito.signin.user.admin"]
    assert event["response"] == {"claimsAndScopeOverrideDetails": None}
    id_claims = decode_claims(tokens["IdToken"])
    access_claims = decode_claims(tokens["AccessToken"])
    assert id_claims["plan"] == "pro" and "plan" not in access_claims
    assert access_claims["quota"] == 5
    assert access_claims["scope"] == "reports/read"
    assert access_claims["sub"] != "forged"  # a protected claim is left alone


def test_admin_attribute_update_sends_a_code_without_an_app_client(cognito, idp) -> None:
    confirmed_user(cognito, idp, "wes")
    cognito.clear()
    idp.admin_update_user_attributes(
        UserPoolId=cognito.user_pool_id,
        Username="wes",
        UserAttributes=[{"Name": "email", "Value": "wes2@example.com"}],
    )
    assert sources(cognito) == ["CustomMessage_UpdateUserAttribute"]
    assert cognito.invocations[0].event["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"
    assert cognito.messages[-1].destination == "wes2@example.com"


def test_auto_verify_phone_without_a_phone_fails_and_creates_no_user(cognito, idp, swap) -> None:
    swap("PreSignUp", "raw-verify_missing_phone")
    error = failure(lambda: sign_up(cognito, idp, "xan"))
    assert error["Code"] == "InvalidParameterException"
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_get_user(UserPoolId=cognito.user_pool_id, Username="xan")


def test_a_flow_the_app_client_does_not_allow_is_refused(cognito, idp) -> None:
    confirmed_user(cognito, idp, "yan")
    client = idp.create_user_pool_client(
        UserPoolId=cognito.user_pool_id,
        ClientName="srp-only",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    cognito.clear()
    error = failure(
        lambda: idp.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "yan", "PASSWORD": PASSWORD},
        )
    )
    assert error == {
        "Code": "InvalidParameterException",
        "Message": "USER_PASSWORD_AUTH flow not enabled for this client",
    }
    assert cognito.invocations == []
