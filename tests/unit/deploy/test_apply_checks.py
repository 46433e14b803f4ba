"""Pure parts of apply and the public helpers: verification and registration grouping."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from chalice_cognito.app import TriggerRegistration
from chalice_cognito.deploy.apply import holds_plan
from chalice_cognito.deploy.errors import FunctionNotFoundError
from chalice_cognito.deploy.model import Ownership, PlanOptions, PoolRef, WantedTrigger
from chalice_cognito.deploy.plan import make_plan
from chalice_cognito.deploy.wiring import wanted_from_registrations

POOL = PoolRef(
    "eu-west-1_A",
    "eu-west-1",
    "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_A",
    "111122223333",
)


def arn(name: str) -> str:
    return f"arn:aws:lambda:eu-west-1:111122223333:function:{name}"


NOTHING = Ownership()


def make(config: Dict[str, Any], wanted: Any, owned: Ownership = NOTHING) -> Any:
    policies = {w.function_arn: [] for w in wanted}
    policies.update({a: [] for a in owned.slots.values()})
    return make_plan(POOL, {"LambdaConfig": config}, wanted, owned, PlanOptions(), policies)


def test_verification_checks_only_our_slots() -> None:
    plan = make({}, [WantedTrigger("PreTokenGeneration", "t", arn("t"), "V2_0")])
    ours = {
        "PreTokenGeneration": arn("t"),
        "PreTokenGenerationConfig": {"LambdaArn": arn("t"), "LambdaVersion": "V2_0"},
    }
    assert holds_plan(plan, ours)
    # Another owner adding a trigger meanwhile is fine.
    assert holds_plan(plan, {**ours, "PostConfirmation": arn("other")})
    # Our slot lost, wrong version, or legacy key pointing elsewhere: not verified.
    assert not holds_plan(plan, {})
    assert not holds_plan(
        plan, {"PreTokenGenerationConfig": {"LambdaArn": arn("t"), "LambdaVersion": "V1_0"}}
    )
    assert not holds_plan(plan, {**ours, "PreTokenGeneration": arn("other")})


def test_verification_of_a_detach() -> None:
    owned = Ownership(slots={"PreSignUp": arn("mine")})
    plan = make({"PreSignUp": arn("mine")}, [], owned)
    assert holds_plan(plan, {})
    assert holds_plan(plan, {"PreSignUp": arn("someone-else")})
    assert not holds_plan(plan, {"PreSignUp": arn("mine")})


def test_registrations_grouped_by_pool_alias() -> None:
    regs = [
        TriggerRegistration("PreSignUp", "pre_sign_up"),
        TriggerRegistration("PreTokenGeneration", "tokens", version="V2_0", user_pool="staff"),
    ]
    grouped = wanted_from_registrations(
        regs, {"pre_sign_up": arn("shop-dev-pre_sign_up"), "tokens": arn("shop-dev-tokens")}
    )
    assert grouped == {
        None: [WantedTrigger("PreSignUp", "shop-dev-pre_sign_up", arn("shop-dev-pre_sign_up"))],
        "staff": [
            WantedTrigger("PreTokenGeneration", "shop-dev-tokens", arn("shop-dev-tokens"), "V2_0")
        ],
    }
    with pytest.raises(FunctionNotFoundError, match="pre_sign_up"):
        wanted_from_registrations(regs, {})
