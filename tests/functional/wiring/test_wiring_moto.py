"""The wiring engine against moto in-process: settings kept, idempotence, ownership, repair."""

from __future__ import annotations

import copy
from typing import Any, Dict

import boto3
import pytest

from chalice_cognito.deploy.errors import (
    AccessDeniedError,
    AmbiguousPoolError,
    PoolNotFoundError,
    RefusedError,
)
from chalice_cognito.deploy.plan import statement_id_for
from chalice_cognito.deploy.wiring import (
    AwsClients,
    Ownership,
    PlanOptions,
    PoolSettings,
    Wiring,
)
from tests.support.aws import create_key

from .conftest import (
    REGION,
    CallRecorder,
    create_function,
    describe,
    policy_statements,
    wanted,
)

FOREIGN = "arn:aws:lambda:us-east-1:123456789012:function:someone-else"

#: every setting moto keeps, each away from its default
KITCHEN_SINK: Dict[str, Any] = {
    "PoolName": "kitchen-sink",
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireUppercase": True,
            "RequireLowercase": False,
            "RequireNumbers": True,
            "RequireSymbols": False,
            "TemporaryPasswordValidityDays": 3,
            "PasswordHistorySize": 4,
        },
        "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]},
    },
    "DeletionProtection": "ACTIVE",
    "AutoVerifiedAttributes": ["email"],
    "AliasAttributes": ["preferred_username"],
    "SmsVerificationMessage": "Your code is {####}",
    "EmailVerificationMessage": "Verify with {####}",
    "EmailVerificationSubject": "Please verify",
    "VerificationMessageTemplate": {
        "SmsMessage": "Your code is {####}",
        "EmailMessage": "Verify with {####}",
        "EmailSubject": "Please verify",
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
    },
    "SmsAuthenticationMessage": "Auth code {####}",
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
    "MfaConfiguration": "OPTIONAL",
    "DeviceConfiguration": {
        "ChallengeRequiredOnNewDevice": True,
        "DeviceOnlyRememberedOnUserPrompt": True,
    },
    "EmailConfiguration": {
        "EmailSendingAccount": "COGNITO_DEFAULT",
        "ReplyToEmailAddress": "reply@example.com",
    },
    "SmsConfiguration": {
        "SnsCallerArn": "arn:aws:iam::123456789012:role/sns",
        "ExternalId": "ext-1",
        "SnsRegion": "us-east-1",
    },
    "UserPoolTags": {"team": "identity", "cost": "42"},
    "AdminCreateUserConfig": {
        "AllowAdminCreateUserOnly": True,
        "InviteMessageTemplate": {
            "SMSMessage": "Hi {username} {####}",
            "EmailMessage": "Hello {username} {####}",
            "EmailSubject": "Welcome",
        },
    },
    "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"},
    "AccountRecoverySetting": {
        "RecoveryMechanisms": [
            {"Priority": 1, "Name": "verified_email"},
            {"Priority": 2, "Name": "verified_phone_number"},
        ]
    },
    "UserPoolTier": "PLUS",
    "LambdaConfig": {"PreAuthentication": FOREIGN},
}

#: moto quirks, not engine behaviour: moto keeps MfaConfiguration (AWS would
#: reset it) and drops the create-only UsernameAttributes/AliasAttributes/
#: UsernameConfiguration on any update (AWS cannot change them at all).
MOTO_QUIRKS = ("MfaConfiguration", "UsernameAttributes", "AliasAttributes", "UsernameConfiguration")
VOLATILE = ("LambdaConfig", "LastModifiedDate", "CreationDate", *MOTO_QUIRKS)


def comparable(pool: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in pool.items() if k not in VOLATILE}


def create_pool(**overrides: Any) -> str:
    params = {"PoolName": "plain", **overrides}
    client = boto3.client("cognito-idp", region_name=REGION)
    return str(client.create_user_pool(**params)["UserPool"]["Id"])


def grants_pool(arn: str, pool: Dict[str, Any]) -> int:
    """How many statements of ``arn`` let ``pool`` invoke it (scoped as required)."""
    count = 0
    for statement in policy_statements(arn):
        condition = statement.get("Condition", {})
        if (
            statement["Principal"] == {"Service": "cognito-idp.amazonaws.com"}
            and statement["Action"] == "lambda:InvokeFunction"
            and condition.get("ArnLike", {}).get("AWS:SourceArn") == pool["Arn"]
            and condition.get("StringEquals", {}).get("AWS:SourceAccount") == "123456789012"
        ):
            count += 1
    return count


def test_kitchen_sink_settings_survive_attach_and_detach(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool_id = create_pool(**copy.deepcopy(KITCHEN_SINK))
    original = describe(pool_id)
    fn = create_function("shop-dev-pre_sign_up")
    token = create_function("shop-dev-tokens")
    pool = wiring.resolve_pool(pool_id)

    result = wiring.wire(
        pool, [wanted("PreSignUp", fn), wanted("PreTokenGeneration", token, "V2_0")], Ownership()
    )
    attached = describe(pool_id)
    assert comparable(attached) == comparable(original)
    assert attached["LambdaConfig"] == {
        "PreAuthentication": FOREIGN,
        "PreSignUp": fn,
        "PreTokenGeneration": token,
        "PreTokenGenerationConfig": {"LambdaArn": token, "LambdaVersion": "V2_0"},
    }
    assert result.owned.slots == {"PreSignUp": fn, "PreTokenGeneration": token}
    assert result.settings_drift == ()

    wiring.detach(pool, result.owned)
    detached = describe(pool_id)
    assert comparable(detached) == comparable(original)
    assert detached["LambdaConfig"] == {"PreAuthentication": FOREIGN}


def test_attach_writes_each_shape_and_scoped_permissions(wiring: Wiring) -> None:
    pool_id = create_pool()
    arns = {name: create_function(f"app-{name}") for name in ("sign", "email", "fed")}
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    pool = wiring.resolve_pool(pool_id)
    result = wiring.wire(
        pool,
        [
            wanted("PreSignUp", arns["sign"]),
            wanted("CustomEmailSender", arns["email"]),
            wanted("InboundFederation", arns["fed"]),
        ],
        Ownership(),
        PlanOptions(kms_key_arn=key),
    )
    described = describe(pool_id)
    assert described["LambdaConfig"] == {
        "PreSignUp": arns["sign"],
        "CustomEmailSender": {"LambdaArn": arns["email"], "LambdaVersion": "V1_0"},
        "InboundFederation": {"LambdaArn": arns["fed"], "LambdaVersion": "V1_0"},
        "KMSKeyID": key,
    }
    assert result.owned.kms_key_arn == key
    for arn in arns.values():
        assert grants_pool(arn, described) == 1
        sids = [s["Sid"] for s in policy_statements(arn)]
        assert sids == [statement_id_for(pool_id)]


def test_second_attach_makes_no_write_call(wiring: Wiring, recorder: CallRecorder) -> None:
    pool_id = create_pool()
    fn = create_function("fn")
    pool = wiring.resolve_pool(pool_id)
    first = wiring.wire(pool, [wanted("PostConfirmation", fn)], Ownership())
    assert first.changed
    assert recorder.writes == ["AddPermission", "UpdateUserPool"]

    recorder.reset()
    plan = wiring.plan(pool, [wanted("PostConfirmation", fn)], first.owned)
    assert plan.is_noop
    second = wiring.apply(plan)
    assert not second.changed
    assert recorder.writes == []
    assert second.owned == first.owned
    assert len(policy_statements(fn)) == 1


def test_run_interrupted_after_permissions_is_repaired(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool_id = create_pool()
    fn = create_function("fn")
    pool = wiring.resolve_pool(pool_id)
    recorder.fail("UpdateUserPool", "InvalidParameterException", "injected crash")
    with pytest.raises(Exception, match="injected crash"):
        wiring.wire(pool, [wanted("CustomMessage", fn)], Ownership())
    assert "CustomMessage" not in describe(pool_id).get("LambdaConfig", {})
    assert len(policy_statements(fn)) == 1  # the permission step ran

    recorder.reset()
    # The ownership record was never saved: the re-run starts from nothing.
    result = wiring.wire(pool, [wanted("CustomMessage", fn)], Ownership())
    assert recorder.writes == ["UpdateUserPool"]  # permission found, not duplicated
    assert describe(pool_id)["LambdaConfig"] == {"CustomMessage": fn}
    assert result.owned.slots == {"CustomMessage": fn}
    assert len(policy_statements(fn)) == 1


def test_run_interrupted_before_saving_ownership_adopts(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool_id = create_pool()
    fn = create_function("fn")
    pool = wiring.resolve_pool(pool_id)
    wiring.wire(pool, [wanted("UserMigration", fn)], Ownership())
    recorder.reset()
    plan = wiring.plan(pool, [wanted("UserMigration", fn)], Ownership())
    assert [c.action for c in plan.slot_changes] == ["adopt"]
    result = wiring.apply(plan)
    assert recorder.writes == []
    assert result.owned.slots == {"UserMigration": fn}


def test_conflict_refusal_leaves_pool_untouched(wiring: Wiring, recorder: CallRecorder) -> None:
    pool_id = create_pool(**copy.deepcopy(KITCHEN_SINK))
    before = describe(pool_id)
    fn = create_function("mine")
    other = create_function("sign")
    pool = wiring.resolve_pool(pool_id)
    recorder.reset()
    plan = wiring.plan(
        pool, [wanted("PreSignUp", other), wanted("PreAuthentication", fn)], Ownership()
    )
    with pytest.raises(RefusedError, match=r"PreAuthentication .* held by .*someone-else"):
        wiring.apply(plan)
    assert recorder.writes == []
    assert describe(pool_id) == before
    assert policy_statements(fn) == []

    forced = wiring.wire(
        pool, [wanted("PreAuthentication", fn)], Ownership(), PlanOptions(force=True)
    )
    assert [c.action for c in forced.plan.slot_changes] == ["replace"]
    assert describe(pool_id)["LambdaConfig"] == {"PreAuthentication": fn}


def test_detach_removes_only_ours(wiring: Wiring) -> None:
    pool_id = create_pool(LambdaConfig={"PreAuthentication": FOREIGN})
    fn = create_function("mine")
    pool = wiring.resolve_pool(pool_id)
    attached = wiring.wire(pool, [wanted("PostAuthentication", fn)], Ownership())
    # We also "owned" DefineAuthChallenge once, but someone replaced it since.
    boto3.client("cognito-idp", region_name=REGION).update_user_pool(
        UserPoolId=pool_id,
        LambdaConfig={**describe(pool_id)["LambdaConfig"], "DefineAuthChallenge": FOREIGN},
    )
    owned = Ownership(slots={**attached.owned.slots, "DefineAuthChallenge": fn})
    result = wiring.detach(pool, owned)
    assert describe(pool_id)["LambdaConfig"] == {
        "PreAuthentication": FOREIGN,
        "DefineAuthChallenge": FOREIGN,
    }
    actions = {c.trigger: c.action for c in result.plan.slot_changes}
    assert actions == {"PostAuthentication": "detach", "DefineAuthChallenge": "release"}
    assert result.owned.is_empty
    assert policy_statements(fn) == []


def test_two_apps_share_one_pool(wiring: Wiring) -> None:
    pool_id = create_pool()
    shop = create_function("shop-pre")
    admin = create_function("admin-post")
    pool = wiring.resolve_pool(pool_id)
    shop_owned = wiring.wire(pool, [wanted("PreSignUp", shop)], Ownership()).owned
    admin_owned = wiring.wire(pool, [wanted("PostConfirmation", admin)], Ownership()).owned
    assert describe(pool_id)["LambdaConfig"] == {"PreSignUp": shop, "PostConfirmation": admin}

    # Each app re-deploys and then tears down: the other's trigger stays.
    assert wiring.plan(pool, [wanted("PreSignUp", shop)], shop_owned).is_noop
    wiring.detach(pool, shop_owned)
    assert describe(pool_id)["LambdaConfig"] == {"PostConfirmation": admin}
    assert grants_pool(admin, describe(pool_id)) == 1
    # The shop cannot take the admin's slot by declaring it.
    refused = wiring.plan(pool, [wanted("PostConfirmation", shop)], Ownership())
    assert refused.refused
    wiring.detach(pool, admin_owned)
    assert describe(pool_id).get("LambdaConfig", {}) == {}


def test_kms_key_removed_with_our_last_sender(wiring: Wiring) -> None:
    pool_id = create_pool()
    fn = create_function("sms")
    key = "arn:aws:kms:us-east-1:123456789012:key/k1"
    pool = wiring.resolve_pool(pool_id)
    owned = wiring.wire(
        pool, [wanted("CustomSMSSender", fn)], Ownership(), PlanOptions(kms_key_arn=key)
    ).owned
    assert describe(pool_id)["LambdaConfig"]["KMSKeyID"] == key
    wiring.detach(pool, owned)
    assert describe(pool_id).get("LambdaConfig", {}) == {}


def test_a_lost_record_leaves_no_kms_key(wiring: Wiring) -> None:
    # Killed between the update and saving the record, or the record deleted:
    # delete knows the sender only from Chalice's record of the stage's functions.
    pool_id = create_pool()
    fn = create_function("sms")
    key = create_key()
    options = PlanOptions(kms_key_arn=key)
    pool = wiring.resolve_pool(pool_id)
    wiring.wire(pool, [wanted("CustomSMSSender", fn)], Ownership(), options)
    assert describe(pool_id)["LambdaConfig"]["KMSKeyID"] == key
    result = wiring.detach(pool, Ownership(), options, recognise=[fn])
    assert describe(pool_id).get("LambdaConfig", {}) == {}
    assert result.owned.is_empty


def test_a_redeploy_without_record_adopts_the_kms_key(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool_id = create_pool()
    fn = create_function("sms")
    key = create_key()
    options = PlanOptions(kms_key_arn=key)
    pool = wiring.resolve_pool(pool_id)
    wiring.wire(pool, [wanted("CustomSMSSender", fn)], Ownership(), options)
    recorder.reset()
    adopted = wiring.wire(pool, [wanted("CustomSMSSender", fn)], Ownership(), options)
    assert recorder.writes == []
    assert adopted.owned.kms_key_arn == key
    # The record now names the key: detaching removes it, whatever the config says later.
    wiring.detach(pool, adopted.owned)
    assert describe(pool_id).get("LambdaConfig", {}) == {}


def test_missing_function_is_refused(wiring: Wiring, recorder: CallRecorder) -> None:
    pool_id = create_pool()
    pool = wiring.resolve_pool(pool_id)
    ghost = "arn:aws:lambda:us-east-1:123456789012:function:ghost"
    plan = wiring.plan(pool, [wanted("PreSignUp", ghost)], Ownership())
    assert plan.refused
    assert "does not exist" in plan.refusals[0].reason
    with pytest.raises(RefusedError):
        wiring.apply(plan)
    assert recorder.writes == []


def test_stale_statement_with_our_id_is_replaced_not_duplicated(wiring: Wiring) -> None:
    pool_id = create_pool()
    fn = create_function("fn")
    boto3.client("lambda", region_name=REGION).add_permission(
        FunctionName=fn,
        StatementId=statement_id_for(pool_id),
        Action="lambda:InvokeFunction",
        Principal="cognito-idp.amazonaws.com",
        SourceArn="arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_old",
        SourceAccount="123456789012",
    )
    pool = wiring.resolve_pool(pool_id)
    wiring.wire(pool, [wanted("PreSignUp", fn)], Ownership())
    statements = policy_statements(fn)
    assert len(statements) == 1
    assert grants_pool(fn, describe(pool_id)) == 1


def test_pool_changed_between_plan_and_apply_is_replanned(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool_id = create_pool()
    fn = create_function("fn")
    pool = wiring.resolve_pool(pool_id)
    plan = wiring.plan(pool, [wanted("PreSignUp", fn)], Ownership())
    boto3.client("cognito-idp", region_name=REGION).update_user_pool(
        UserPoolId=pool_id, LambdaConfig={"PostAuthentication": FOREIGN}
    )
    result = wiring.apply(plan)
    assert describe(pool_id)["LambdaConfig"] == {"PostAuthentication": FOREIGN, "PreSignUp": fn}
    assert result.attempts == 2


def test_concurrent_writer_overwriting_us_is_detected_and_repaired(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool_id = create_pool()
    fn = create_function("fn")
    pool = wiring.resolve_pool(pool_id)
    stale = describe(pool_id).get("LambdaConfig", {})
    client = boto3.client("cognito-idp", region_name=REGION)
    fired = []

    def other_writer() -> None:
        # Another deployment wrote its stale copy right after our update.
        if not fired:
            fired.append(True)
            client.update_user_pool(
                UserPoolId=pool_id, LambdaConfig={**stale, "PostConfirmation": FOREIGN}
            )

    recorder.after("UpdateUserPool", other_writer)
    result = wiring.wire(pool, [wanted("PreSignUp", fn)], Ownership())
    assert describe(pool_id)["LambdaConfig"] == {"PostConfirmation": FOREIGN, "PreSignUp": fn}
    assert result.attempts == 2


def test_retries_concurrent_modification(wiring: Wiring, recorder: CallRecorder) -> None:
    pool_id = create_pool()
    fn = create_function("fn")
    pool = wiring.resolve_pool(pool_id)
    recorder.fail(
        "UpdateUserPool",
        "ConcurrentModificationException",
        "Only one request to update this UserPool can be processed at a time",
        times=2,
    )
    wiring.wire(pool, [wanted("PreSignUp", fn)], Ownership())
    assert recorder.count("UpdateUserPool") == 3
    assert describe(pool_id)["LambdaConfig"] == {"PreSignUp": fn}


def test_access_denied_names_the_iam_action(wiring: Wiring, recorder: CallRecorder) -> None:
    pool_id = create_pool()
    fn = create_function("fn")
    pool = wiring.resolve_pool(pool_id)
    recorder.fail("UpdateUserPool", "AccessDeniedException", "User is not authorized")
    with pytest.raises(AccessDeniedError, match="cognito-idp:UpdateUserPool") as info:
        wiring.wire(pool, [wanted("PreSignUp", fn)], Ownership())
    assert info.value.action == "cognito-idp:UpdateUserPool"


def test_resolve_pool_by_name(wiring: Wiring) -> None:
    unique = create_pool(PoolName="customers")
    create_pool(PoolName="twin")
    create_pool(PoolName="twin")
    assert wiring.resolve_pool(PoolSettings("c", user_pool_name="customers")).pool_id == unique
    with pytest.raises(AmbiguousPoolError, match="2 user pools are named 'twin'") as info:
        wiring.resolve_pool(PoolSettings("t", user_pool_name="twin"))
    assert len(info.value.matches) == 2
    with pytest.raises(PoolNotFoundError, match="No user pool named 'custom'"):
        wiring.resolve_pool(PoolSettings("x", user_pool_name="custom"))
    with pytest.raises(
        PoolNotFoundError, match=r"us-east-1_nothere does not exist in region us-east-1"
    ):
        wiring.resolve_pool("us-east-1_nothere")


def test_status_reports_each_slot(wiring: Wiring) -> None:
    pool_id = create_pool(LambdaConfig={"PreAuthentication": FOREIGN})
    fn = create_function("fn")
    old = create_function("old")
    pool = wiring.resolve_pool(pool_id)
    owned = wiring.wire(
        pool, [wanted("PreSignUp", fn), wanted("PostConfirmation", old)], Ownership()
    ).owned
    status = wiring.status(pool, [wanted("PreSignUp", fn), wanted("CustomMessage", fn)], owned)
    states = {r.trigger: r.state for r in status.rows}
    assert states == {
        "PreSignUp": "attached",
        "PostConfirmation": "stale",
        "PreAuthentication": "other",
        "CustomMessage": "missing",
    }
    assert not status.healthy
    row = next(r for r in status.rows if r.trigger == "PreSignUp")
    assert row.permission_ok is True
    assert status.to_json()["rows"][0]["trigger"] == "PreSignUp"


def test_late_stale_write_is_caught_by_the_confirming_read(recorder: CallRecorder) -> None:
    pool_id = create_pool()
    fn = create_function("fn")
    stale = describe(pool_id).get("LambdaConfig", {})
    client = boto3.client("cognito-idp", region_name=REGION)
    pauses = []

    def pause(seconds: float) -> None:
        # While we wait to confirm, another deployment writes the copy it read
        # before our update: our first verification had already passed.
        pauses.append(seconds)
        if len(pauses) == 1:
            client.update_user_pool(
                UserPoolId=pool_id, LambdaConfig={**stale, "PostConfirmation": FOREIGN}
            )

    wiring = Wiring(AwsClients(client_factory=recorder.factory, sleep=pause), confirm_delay=1.0)
    result = wiring.wire(wiring.resolve_pool(pool_id), [wanted("PreSignUp", fn)], Ownership())
    assert describe(pool_id)["LambdaConfig"] == {"PostConfirmation": FOREIGN, "PreSignUp": fn}
    assert result.attempts == 2
    assert pauses == [1.0, 1.0]


def test_kms_denial_names_create_grant(wiring: Wiring, recorder: CallRecorder) -> None:
    pool_id = create_pool()
    fn = create_function("fn")
    pool = wiring.resolve_pool(pool_id)
    recorder.fail(
        "UpdateUserPool",
        "AccessDeniedException",
        "User is not authorized to perform: kms:CreateGrant on resource key/k1",
    )
    with pytest.raises(AccessDeniedError) as info:
        wiring.wire(
            pool,
            [wanted("CustomSMSSender", fn)],
            Ownership(),
            PlanOptions(kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k1"),
        )
    assert info.value.action == "kms:CreateGrant"


def test_missing_permission_alone_is_restored(wiring: Wiring, recorder: CallRecorder) -> None:
    pool_id = create_pool()
    fn = create_function("fn")
    pool = wiring.resolve_pool(pool_id)
    owned = wiring.wire(pool, [wanted("PreSignUp", fn)], Ownership()).owned
    boto3.client("lambda", region_name=REGION).remove_permission(
        FunctionName=fn, StatementId=statement_id_for(pool_id)
    )
    recorder.reset()
    wiring.wire(pool, [wanted("PreSignUp", fn)], owned)
    assert recorder.writes == ["AddPermission"]
    assert grants_pool(fn, describe(pool_id)) == 1


def test_function_about_to_be_created_can_be_planned(wiring: Wiring) -> None:
    pool = wiring.resolve_pool(create_pool())
    future = "arn:aws:lambda:us-east-1:123456789012:function:not-yet"
    assert wiring.plan(pool, [wanted("PreSignUp", future)]).refused
    plan = wiring.plan(pool, [wanted("PreSignUp", future)], assume_exist=[future])
    assert not plan.refused
    assert [p.function_arn for p in plan.permission_adds] == [future]


def test_setting_reset_by_the_update_is_reported(wiring: Wiring, recorder: CallRecorder) -> None:
    pool_id = create_pool(DeletionProtection="ACTIVE")
    fn = create_function("fn")
    client = boto3.client("cognito-idp", region_name=REGION)

    def reset() -> None:
        # Stands in for a Cognito that resets a setting the request carried.
        client.update_user_pool(
            UserPoolId=pool_id,
            DeletionProtection="INACTIVE",
            LambdaConfig=describe(pool_id)["LambdaConfig"],
        )

    recorder.after("UpdateUserPool", reset)
    result = wiring.wire(wiring.resolve_pool(pool_id), [wanted("PreSignUp", fn)], Ownership())
    assert "DeletionProtection" in result.settings_drift
    assert result.to_json()["settings_drift"] == list(result.settings_drift)
