"""The pure planner: shapes, ownership, conflicts, KMS, tiers, permissions (no I/O)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import pytest

from chalice_cognito.catalogue import TRIGGERS
from chalice_cognito.deploy.model import (
    Ownership,
    PlanOptions,
    PoolPlan,
    PoolRef,
    WantedTrigger,
)
from chalice_cognito.deploy.plan import (
    make_plan,
    make_status,
    read_slot,
    statement_grants,
    statement_id_for,
)

POOL_ID = "eu-west-1_Abc123"
POOL = PoolRef(
    pool_id=POOL_ID,
    region="eu-west-1",
    arn=f"arn:aws:cognito-idp:eu-west-1:111122223333:userpool/{POOL_ID}",
    account_id="111122223333",
    name="pool",
    tier="ESSENTIALS",
)
KEY = "arn:aws:kms:eu-west-1:111122223333:key/k1"
OTHER_KEY = "arn:aws:kms:eu-west-1:111122223333:key/k2"


def arn(name: str) -> str:
    return f"arn:aws:lambda:eu-west-1:111122223333:function:{name}"


def want(trigger: str, name: str, version: Optional[str] = None) -> WantedTrigger:
    return WantedTrigger(trigger, name, arn(name), version)


def granting(pool: PoolRef = POOL) -> Dict[str, Any]:
    return {
        "Sid": statement_id_for(pool.pool_id),
        "Effect": "Allow",
        "Principal": {"Service": "cognito-idp.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Condition": {
            "ArnLike": {"AWS:SourceArn": pool.arn},
            "StringEquals": {"AWS:SourceAccount": pool.account_id},
        },
    }


def plan(
    config: Dict[str, Any],
    wanted: Sequence[WantedTrigger],
    owned: Optional[Ownership] = None,
    options: Optional[PlanOptions] = None,
    tier: str = "ESSENTIALS",
    policies: Optional[Dict[str, Any]] = None,
) -> PoolPlan:
    owned = owned or Ownership()
    options = options or PlanOptions()
    described = {"Id": POOL_ID, "Arn": POOL.arn, "LambdaConfig": config, "UserPoolTier": tier}
    if policies is None:
        names = {w.function_arn for w in wanted} | set(owned.slots.values())
        policies = {a: [] for a in names}
    return make_plan(POOL, described, wanted, owned, options, policies)


def actions(p: PoolPlan) -> Dict[str, str]:
    return {c.trigger: c.action for c in p.slot_changes}


@pytest.mark.parametrize("spec", [t for t in TRIGGERS if not t.versioned], ids=lambda t: t.name)
def test_plain_triggers_are_arn_strings(spec: Any) -> None:
    p = plan({}, [want(spec.name, "fn")])
    assert p.lambda_config_after == {spec.config_key: arn("fn")}
    assert actions(p) == {spec.name: "attach"}


@pytest.mark.parametrize("trigger", ["InboundFederation", "PreTokenGeneration"])
def test_versioned_triggers_default_to_v1(trigger: str) -> None:
    p = plan({}, [want(trigger, "fn")])
    assert p.lambda_config_after[
        "PreTokenGenerationConfig" if trigger == "PreTokenGeneration" else trigger
    ] == {"LambdaArn": arn("fn"), "LambdaVersion": "V1_0"}


@pytest.mark.parametrize("version", ["V1_0", "V2_0", "V3_0"])
def test_pre_token_generation_keeps_legacy_key_consistent(version: str) -> None:
    p = plan(
        {"PreTokenGeneration": arn("old")},
        [want("PreTokenGeneration", "fn", version)],
        Ownership(slots={"PreTokenGeneration": arn("old")}),
    )
    assert p.lambda_config_after == {
        "PreTokenGeneration": arn("fn"),
        "PreTokenGenerationConfig": {"LambdaArn": arn("fn"), "LambdaVersion": version},
    }
    assert actions(p) == {"PreTokenGeneration": "update"}


def test_inconsistent_legacy_key_is_repaired() -> None:
    config = {
        "PreTokenGeneration": arn("stale"),
        "PreTokenGenerationConfig": {"LambdaArn": arn("fn"), "LambdaVersion": "V2_0"},
    }
    p = plan(config, [want("PreTokenGeneration", "fn", "V2_0")])
    assert actions(p) == {"PreTokenGeneration": "update"}
    assert p.lambda_config_after["PreTokenGeneration"] == arn("fn")


def test_version_change_of_our_trigger_is_an_update() -> None:
    config = {
        "PreTokenGeneration": arn("fn"),
        "PreTokenGenerationConfig": {"LambdaArn": arn("fn"), "LambdaVersion": "V1_0"},
    }
    owned = Ownership(slots={"PreTokenGeneration": arn("fn")})
    p = plan(config, [want("PreTokenGeneration", "fn", "V2_0")], owned)
    assert actions(p) == {"PreTokenGeneration": "update"}
    assert p.slot_changes[0].before_version == "V1_0"
    assert p.slot_changes[0].after_version == "V2_0"


def test_legacy_only_slot_reads_as_v1() -> None:
    assert read_slot(
        next(t for t in TRIGGERS if t.name == "PreTokenGeneration"),
        {"PreTokenGeneration": arn("fn")},
    ) == (arn("fn"), "V1_0")


@pytest.mark.parametrize("version", ["V2_0", "V3_0"])
def test_lite_pool_refuses_access_token_versions(version: str) -> None:
    p = plan({}, [want("PreTokenGeneration", "fn", version)], tier="LITE")
    assert p.refused
    assert "LITE" in p.refusals[0].reason and version in p.refusals[0].reason


def test_lite_pool_accepts_v1() -> None:
    assert not plan({}, [want("PreTokenGeneration", "fn", "V1_0")], tier="LITE").refused


def test_invalid_version_is_refused() -> None:
    p = plan({}, [want("InboundFederation", "fn", "V2_0")])
    assert p.refused


def test_noop_when_already_attached_and_owned() -> None:
    owned = Ownership(slots={"PreSignUp": arn("fn")})
    p = plan(
        {"PreSignUp": arn("fn")},
        [want("PreSignUp", "fn")],
        owned,
        policies={arn("fn"): [granting()]},
    )
    assert p.is_noop and not p.refused
    assert actions(p) == {"PreSignUp": "keep"}
    assert p.owned_after == owned


def test_exact_slot_is_adopted_without_write() -> None:
    p = plan(
        {"PreSignUp": arn("fn")}, [want("PreSignUp", "fn")], policies={arn("fn"): [granting()]}
    )
    assert actions(p) == {"PreSignUp": "adopt"}
    assert p.is_noop
    assert p.owned_after.slots == {"PreSignUp": arn("fn")}


def test_foreign_slot_is_refused_and_named() -> None:
    p = plan({"PreSignUp": arn("theirs")}, [want("PreSignUp", "mine")])
    assert p.refused
    refusal = p.refusals[0]
    assert refusal.trigger == "PreSignUp"
    assert refusal.holder_arn == arn("theirs")
    assert "PreSignUp" in refusal.reason and arn("theirs") in refusal.reason
    assert "PreSignUp" not in p.owned_after.slots


@pytest.mark.parametrize(
    "options",
    [PlanOptions(on_conflict="replace"), PlanOptions(force=True)],
    ids=["replace", "force"],
)
def test_foreign_slot_replaced_when_allowed(options: PlanOptions) -> None:
    p = plan({"PreSignUp": arn("theirs")}, [want("PreSignUp", "mine")], options=options)
    assert not p.refused
    assert actions(p) == {"PreSignUp": "replace"}
    assert p.lambda_config_after == {"PreSignUp": arn("mine")}


def test_undeclared_foreign_slots_are_never_touched() -> None:
    config = {"PostAuthentication": arn("theirs"), "CustomMessage": arn("theirs2")}
    p = plan(config, [want("PreSignUp", "mine")])
    assert p.lambda_config_after == {**config, "PreSignUp": arn("mine")}


def test_owned_but_undeclared_slot_is_detached_if_still_ours() -> None:
    owned = Ownership(slots={"PreSignUp": arn("mine"), "PostConfirmation": arn("mine")})
    config = {"PreSignUp": arn("mine"), "PostConfirmation": arn("theirs")}
    p = plan(config, [], owned, policies={arn("mine"): [granting()]})
    assert actions(p) == {"PreSignUp": "detach", "PostConfirmation": "release"}
    assert p.lambda_config_after == {"PostConfirmation": arn("theirs")}
    assert p.owned_after.is_empty
    assert [r.function_arn for r in p.permission_removes] == [arn("mine")]


def test_permission_kept_while_function_still_serves_pool() -> None:
    owned = Ownership(slots={"PreSignUp": arn("mine"), "PostConfirmation": arn("mine")})
    config = {"PreSignUp": arn("mine"), "PostConfirmation": arn("mine")}
    p = plan(config, [want("PreSignUp", "mine")], owned, policies={arn("mine"): [granting()]})
    assert actions(p) == {"PreSignUp": "keep", "PostConfirmation": "detach"}
    assert p.permission_removes == ()


def test_permission_added_once_per_function() -> None:
    p = plan({}, [want("PreSignUp", "fn"), want("PostConfirmation", "fn")])
    assert len(p.permission_adds) == 1
    add = p.permission_adds[0]
    assert (add.source_arn, add.source_account) == (POOL.arn, POOL.account_id)
    assert add.statement_id == statement_id_for(POOL_ID)
    assert not add.replace


def test_statement_for_another_pool_does_not_count() -> None:
    other = PoolRef(
        "eu-west-1_Other", "eu-west-1", POOL.arn.replace(POOL_ID, "eu-west-1_Other"), "111122223333"
    )
    stale = {**granting(other), "Sid": statement_id_for(POOL_ID)}
    p = plan({}, [want("PreSignUp", "fn")], policies={arn("fn"): [stale]})
    assert p.permission_adds[0].replace  # our Sid is taken by a stale statement
    assert not statement_grants(stale, POOL)


def test_unscoped_statement_does_not_count() -> None:
    loose = {
        "Sid": "x",
        "Effect": "Allow",
        "Principal": {"Service": "cognito-idp.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
    }
    assert not statement_grants(loose, POOL)
    assert statement_grants(granting(), POOL)


def test_missing_function_is_refused() -> None:
    p = plan({}, [want("PreSignUp", "ghost")], policies={arn("ghost"): None})
    assert p.refused and "does not exist" in p.refusals[0].reason


def test_duplicate_declaration_is_refused() -> None:
    p = plan({}, [want("PreSignUp", "a"), want("PreSignUp", "b")])
    assert p.refused and "declared twice" in p.refusals[0].reason


def test_unknown_trigger_is_refused_with_suggestion() -> None:
    p = plan({}, [want("PreSignup", "a")])
    assert p.refused and "PreSignUp" in p.refusals[0].reason


# -- KMS ---------------------------------------------------------------------------


def test_sender_sets_kms_key_and_owns_it() -> None:
    p = plan({}, [want("CustomEmailSender", "s")], options=PlanOptions(kms_key_arn=KEY))
    assert p.lambda_config_after == {
        "CustomEmailSender": {"LambdaArn": arn("s"), "LambdaVersion": "V1_0"},
        "KMSKeyID": KEY,
    }
    assert p.owned_after.kms_key_arn == KEY


def test_sender_without_key_is_refused() -> None:
    p = plan({"KMSKeyID": KEY}, [want("CustomSMSSender", "s")])
    assert p.refused
    assert "kms_key_arn" in p.refusals[0].reason and KEY in p.refusals[0].reason


def test_sender_with_another_key_than_the_pool_is_refused() -> None:
    p = plan(
        {"KMSKeyID": OTHER_KEY},
        [want("CustomSMSSender", "s")],
        options=PlanOptions(kms_key_arn=KEY),
    )
    assert p.refused and OTHER_KEY in p.refusals[0].reason
    assert p.refusals[0].holder_arn == OTHER_KEY


def test_existing_identical_key_is_used_but_not_owned() -> None:
    p = plan(
        {"KMSKeyID": KEY}, [want("CustomSMSSender", "s")], options=PlanOptions(kms_key_arn=KEY)
    )
    assert not p.refused
    assert p.owned_after.kms_key_arn is None


def test_our_key_can_be_rotated_when_no_foreign_sender() -> None:
    owned = Ownership(slots={"CustomSMSSender": arn("s")}, kms_key_arn=OTHER_KEY)
    config = {
        "CustomSMSSender": {"LambdaArn": arn("s"), "LambdaVersion": "V1_0"},
        "KMSKeyID": OTHER_KEY,
    }
    p = plan(config, [want("CustomSMSSender", "s")], owned, PlanOptions(kms_key_arn=KEY))
    assert not p.refused
    assert p.lambda_config_after["KMSKeyID"] == KEY


def test_our_key_stays_while_a_foreign_sender_uses_it() -> None:
    owned = Ownership(slots={"CustomSMSSender": arn("s")}, kms_key_arn=KEY)
    config = {
        "CustomSMSSender": {"LambdaArn": arn("s"), "LambdaVersion": "V1_0"},
        "CustomEmailSender": {"LambdaArn": arn("theirs"), "LambdaVersion": "V1_0"},
        "KMSKeyID": KEY,
    }
    p = plan(config, [], owned)
    assert p.lambda_config_after == {
        "CustomEmailSender": {"LambdaArn": arn("theirs"), "LambdaVersion": "V1_0"},
        "KMSKeyID": KEY,
    }


def test_key_we_did_not_set_is_never_removed() -> None:
    owned = Ownership(slots={"CustomSMSSender": arn("s")})
    config = {"CustomSMSSender": {"LambdaArn": arn("s"), "LambdaVersion": "V1_0"}, "KMSKeyID": KEY}
    p = plan(config, [], owned)
    assert p.lambda_config_after == {"KMSKeyID": KEY}


# A lost ownership record (killed between the update and saving the record, or
# the record deleted) must not leave the key in the pool for ever (issue 10, defect 4).

SENDER = {"LambdaArn": arn("s"), "LambdaVersion": "V1_0"}


def test_detach_without_a_record_removes_the_configured_key() -> None:
    # The sender slot counts as ours (recognised from Chalice's record); the key is not recorded.
    recognised = Ownership(slots={"CustomSMSSender": arn("s")})
    config = {"CustomSMSSender": SENDER, "KMSKeyID": KEY}
    p = plan(config, [], recognised, PlanOptions(kms_key_arn=KEY))
    assert actions(p) == {"CustomSMSSender": "detach"}
    assert p.lambda_config_after == {}
    assert p.owned_after.is_empty


def test_a_leftover_configured_key_is_removed_when_no_sender_is_left() -> None:
    # What an earlier run that lost its record left behind: the key, no sender.
    p = plan(
        {"KMSKeyID": KEY, "PreSignUp": arn("theirs")}, [], options=PlanOptions(kms_key_arn=KEY)
    )
    assert p.lambda_config_after == {"PreSignUp": arn("theirs")}


def test_a_leftover_key_this_stage_does_not_configure_is_kept() -> None:
    p = plan({"KMSKeyID": OTHER_KEY}, [], options=PlanOptions(kms_key_arn=KEY))
    assert p.is_noop


def test_the_configured_key_stays_while_another_sender_uses_it() -> None:
    recognised = Ownership(slots={"CustomSMSSender": arn("s")})
    theirs = {"LambdaArn": arn("theirs"), "LambdaVersion": "V1_0"}
    config = {"CustomSMSSender": SENDER, "CustomEmailSender": theirs, "KMSKeyID": KEY}
    p = plan(config, [], recognised, PlanOptions(kms_key_arn=KEY))
    assert p.lambda_config_after == {"CustomEmailSender": theirs, "KMSKeyID": KEY}


def test_an_adopted_sender_adopts_the_configured_key() -> None:
    config = {"CustomSMSSender": SENDER, "KMSKeyID": KEY}
    p = plan(
        config,
        [want("CustomSMSSender", "s")],
        policies={arn("s"): [granting()]},
        options=PlanOptions(kms_key_arn=KEY),
    )
    assert actions(p) == {"CustomSMSSender": "adopt"}
    assert p.is_noop
    assert p.owned_after.kms_key_arn == KEY
    # ...so a later detach removes it even once the config no longer names it.
    later = plan(config, [], p.owned_after, policies={arn("s"): [granting()]})
    assert later.lambda_config_after == {}


# -- JSON and status -------------------------------------------------------------------


def test_plan_json_shape() -> None:
    data = plan({"PreAuthentication": arn("theirs")}, [want("PreSignUp", "fn")]).to_json()
    assert set(data) == {
        "pool",
        "noop",
        "refused",
        "refusals",
        "slots",
        "lambda_config",
        "permissions",
        "owned_before",
        "owned_after",
    }
    assert data["lambda_config"]["diff"] == [
        {"key": "PreSignUp", "before": None, "after": arn("fn")}
    ]
    assert data["slots"] == [
        {
            "trigger": "PreSignUp",
            "action": "attach",
            "before": {"arn": None, "version": None},
            "after": {"arn": arn("fn"), "version": None},
        }
    ]
    assert data["permissions"]["add"][0]["principal"] == "cognito-idp.amazonaws.com"


def test_status_drift_and_foreign() -> None:
    config = {
        "PreTokenGenerationConfig": {"LambdaArn": arn("fn"), "LambdaVersion": "V1_0"},
        "PreSignUp": arn("theirs"),
    }
    status = make_status(
        POOL,
        {"Id": POOL_ID, "LambdaConfig": config},
        [want("PreTokenGeneration", "fn", "V2_0"), want("PreSignUp", "fn")],
        Ownership(),
        {arn("fn"): []},
    )
    rows = {r.trigger: r for r in status.rows}
    assert rows["PreTokenGeneration"].state == "drift"
    assert rows["PreTokenGeneration"].permission_ok is False
    assert rows["PreSignUp"].state == "foreign"
    assert not status.healthy


def test_statement_for_another_account_does_not_count() -> None:
    other_account = granting()
    other_account["Condition"]["StringEquals"]["AWS:SourceAccount"] = "999999999999"
    assert not statement_grants(other_account, POOL)


def test_permission_kept_while_another_owner_still_uses_our_function() -> None:
    owned = Ownership(slots={"PreSignUp": arn("mine")})
    config = {"PreSignUp": arn("mine"), "PostConfirmation": arn("mine")}
    p = plan(config, [], owned, policies={arn("mine"): [granting()]})
    assert actions(p) == {"PreSignUp": "detach"}
    assert p.lambda_config_after == {"PostConfirmation": arn("mine")}
    assert p.permission_removes == ()


@pytest.mark.parametrize("held", ["fn", "fn:3", "fn:old"])
def test_the_stage_own_function_under_another_qualifier_is_ours(held: str) -> None:
    """Recorded ``fn:live``, the slot holds ``fn`` ($LATEST, e.g. rewired by hand) or another
    qualifier of it: an update of the stage's own slot, no --force needed."""
    owned = Ownership(slots={"PreSignUp": arn("fn:live")})
    p = plan(
        {"PreSignUp": arn(held)},
        [want("PreSignUp", "fn:live")],
        owned,
        policies={arn("fn:live"): [granting()], arn(held): [granting()]},
    )
    assert not p.refused
    assert actions(p) == {"PreSignUp": "update"}
    assert p.lambda_config_after == {"PreSignUp": arn("fn:live")}
    assert p.owned_after.slots == {"PreSignUp": arn("fn:live")}


def test_the_record_is_ours_under_any_qualifier_when_undeclared() -> None:
    owned = Ownership(slots={"PreSignUp": arn("fn:live")})
    p = plan({"PreSignUp": arn("fn")}, [], owned, policies={arn("fn"): [granting()]})
    assert actions(p) == {"PreSignUp": "detach"} and p.lambda_config_after == {}


def test_another_function_with_a_name_starting_alike_is_still_foreign() -> None:
    owned = Ownership(slots={"PreSignUp": arn("fn:live")})
    p = plan({"PreSignUp": arn("fn2")}, [want("PreSignUp", "fn:live")], owned)
    assert p.refused and actions(p) == {"PreSignUp": "conflict"}
