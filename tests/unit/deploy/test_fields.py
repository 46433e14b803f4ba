"""The UpdateUserPool request: derived from botocore's model, LambdaConfig the only change."""

from __future__ import annotations

import botocore.session

from chalice_cognito.deploy.fields import build_update_request, copyable_fields

DESCRIBED = {
    "Id": "eu-west-1_Abc",
    "Name": "pool",
    "Arn": "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Abc",
    "CreationDate": "2024-01-01",
    "LastModifiedDate": "2024-01-01",
    "EstimatedNumberOfUsers": 3,
    "SchemaAttributes": [{"Name": "email"}],
    "UsernameAttributes": ["email"],
    "Status": "Enabled",
    "Domain": "my-domain",
    "DeletionProtection": "ACTIVE",
    "MfaConfiguration": "OPTIONAL",
    "Policies": {"PasswordPolicy": {"MinimumLength": 10, "TemporaryPasswordValidityDays": 2}},
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True, "UnusedAccountValidityDays": 7},
    "VerificationMessageTemplate": {"EmailMessage": "new {####}", "SmsMessage": "sms {####}"},
    "EmailVerificationMessage": "old {####}",
    "SmsVerificationMessage": "sms {####}",
    "UserPoolTags": {"a": "b"},
    "LambdaConfig": {"PreSignUp": "arn:old"},
    "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT", "NotInModel": 1},
}


def test_fields_are_the_model_intersection() -> None:
    model = botocore.session.get_session().get_service_model("cognito-idp")
    update = set(model.operation_model("UpdateUserPool").input_shape.members)
    described = set(model.shape_for("UserPoolType").members)
    pairs = dict(copyable_fields())
    assert set(pairs) == update  # every UpdateUserPool member has a described source
    assert {pairs[k] for k in pairs} <= described
    assert pairs["PoolName"] == "Name" and pairs["UserPoolId"] == "Id"


def test_request_copies_settings_and_replaces_lambda_config() -> None:
    request = build_update_request(DESCRIBED, {"PostConfirmation": "arn:new"})
    assert request["UserPoolId"] == "eu-west-1_Abc"
    assert request["PoolName"] == "pool"
    assert request["LambdaConfig"] == {"PostConfirmation": "arn:new"}
    assert request["DeletionProtection"] == "ACTIVE"
    assert request["MfaConfiguration"] == "OPTIONAL"
    assert request["UserPoolTags"] == {"a": "b"}
    for read_only in (
        "Arn",
        "CreationDate",
        "EstimatedNumberOfUsers",
        "SchemaAttributes",
        "UsernameAttributes",
        "Status",
        "Domain",
        "Name",
        "Id",
    ):
        assert read_only not in request
    # Members outside the model are dropped, not sent.
    assert request["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}


def test_deprecated_validity_dropped_when_temporary_password_days_set() -> None:
    request = build_update_request(DESCRIBED, {})
    assert request["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    without = {**DESCRIBED, "Policies": {"PasswordPolicy": {"MinimumLength": 10}}}
    assert (
        build_update_request(without, {})["AdminCreateUserConfig"]["UnusedAccountValidityDays"] == 7
    )


def test_legacy_verification_messages_only_when_consistent() -> None:
    request = build_update_request(DESCRIBED, {})
    assert "EmailVerificationMessage" not in request  # disagrees with the template
    assert request["SmsVerificationMessage"] == "sms {####}"  # agrees
    assert request["VerificationMessageTemplate"]["EmailMessage"] == "new {####}"


def test_request_validates_against_the_model() -> None:
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("cognito-idp")
    shape = model.operation_model("UpdateUserPool").input_shape
    report = ParamValidator().validate(build_update_request(DESCRIBED, {}), shape)
    assert not report.has_errors(), report.generate_report()
