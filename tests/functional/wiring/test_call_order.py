"""Call counts and order of the wiring engine (moto in-process): what a deploy costs.

A fresh attach is 1 DescribeUserPool to plan, a GetPolicy per function (none
for a function the deploy just created), an AddPermission per function, 1
DescribeUserPool the update is built from, 1 UpdateUserPool and 1 verifying
DescribeUserPool.  Permission writes of one batch may overlap, but every add
completes before the update's read and every removal waits for the verified
update.
"""

from __future__ import annotations

from typing import List

import boto3
import pytest
from botocore.exceptions import ConnectionClosedError

from chalice_cognito.deploy.errors import AccessDeniedError
from chalice_cognito.deploy.plan import statement_id_for
from chalice_cognito.deploy.wiring import AwsClients, Ownership, PlanOptions, Wiring

from .conftest import REGION, CallRecorder, create_function, describe, policy_statements, wanted

TRIGGERS = ("PreSignUp", "PostConfirmation", "CustomMessage")


def create_pool() -> str:
    client = boto3.client("cognito-idp", region_name=REGION)
    return str(client.create_user_pool(PoolName="order")["UserPool"]["Id"])


def functions() -> List[str]:
    return [create_function(f"fn-{i}") for i in range(len(TRIGGERS))]


def before_update(calls: List[str]) -> List[str]:
    return calls[: calls.index("UpdateUserPool")]


def test_attach_builds_the_update_from_a_read_made_after_the_permissions(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool = wiring.resolve_pool(create_pool())
    arns = functions()
    recorder.reset()
    wiring.wire(pool, [wanted(t, a) for t, a in zip(TRIGGERS, arns, strict=True)], Ownership())
    calls = recorder.calls
    expected = ["DescribeUserPool"] * 3 + ["UpdateUserPool"]
    expected += ["GetPolicy"] * 3 + ["AddPermission"] * 3
    assert sorted(calls) == sorted(expected)
    # The planning read comes first; every permission is in place before the
    # update, which is built from the read right before it.
    assert calls[0] == "DescribeUserPool"
    assert before_update(calls)[-4:] == ["AddPermission"] * 3 + ["DescribeUserPool"]
    assert calls[-1] == "DescribeUserPool"
    assert describe(pool.pool_id)["LambdaConfig"] == dict(zip(TRIGGERS, arns, strict=True))


def test_plan_applied_later_is_read_again_before_the_update(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool = wiring.resolve_pool(create_pool())
    arns = functions()
    plan = wiring.plan(
        pool, [wanted(t, a) for t, a in zip(TRIGGERS, arns, strict=True)], Ownership()
    )
    recorder.reset()
    wiring.apply(plan)  # the plan may have been shown, or other pools applied first
    assert before_update(recorder.calls)[-1] == "DescribeUserPool"
    assert before_update(recorder.calls).count("DescribeUserPool") == 1


def test_functions_just_created_need_no_policy_read(wiring: Wiring, recorder: CallRecorder) -> None:
    pool = wiring.resolve_pool(create_pool())
    arns = functions()
    recorder.reset()
    wanted_triggers = [wanted(t, a) for t, a in zip(TRIGGERS, arns, strict=True)]
    plan = wiring.plan(pool, wanted_triggers, Ownership(), without_policy=arns[:2])
    wiring.apply(plan, wanted_triggers)
    # Only the function not created by "this deploy" is read.
    assert recorder.count("GetPolicy") == 1
    assert recorder.count("DescribeUserPool") == 3
    assert recorder.writes.count("AddPermission") == 3
    for arn in arns:
        assert [s["Sid"] for s in policy_statements(arn)] == [statement_id_for(pool.pool_id)]


def test_statement_id_already_taken_on_a_function_planned_without_read_is_replaced(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool = wiring.resolve_pool(create_pool())
    fn = create_function("raced")
    # As Lambda answers when the statement id exists (moto itself accepts duplicates).
    recorder.fail(
        "AddPermission",
        "ResourceConflictException",
        f"The statement id ({statement_id_for(pool.pool_id)}) provided already exists.",
    )
    plan = wiring.plan(pool, [wanted("PreSignUp", fn)], Ownership(), without_policy=[fn])
    wiring.apply(plan)
    replaced = ["AddPermission", "RemovePermission", "AddPermission", "UpdateUserPool"]
    assert recorder.writes == replaced
    assert len(policy_statements(fn)) == 1


def test_a_failed_permission_stops_before_the_pool_update(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool = wiring.resolve_pool(create_pool())
    arns = functions()
    recorder.fail("AddPermission", "AccessDeniedException", "not allowed")
    with pytest.raises(AccessDeniedError):
        wiring.wire(pool, [wanted(t, a) for t, a in zip(TRIGGERS, arns, strict=True)], Ownership())
    assert "UpdateUserPool" not in recorder.calls
    assert recorder.count("AddPermission") == 3  # the others finished before the raise
    assert not describe(pool.pool_id).get("LambdaConfig")


def test_permissions_are_removed_only_after_the_verified_update(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool = wiring.resolve_pool(create_pool())
    arns = functions()
    owned = wiring.wire(
        pool, [wanted(t, a) for t, a in zip(TRIGGERS, arns, strict=True)], Ownership()
    ).owned
    recorder.reset()
    wiring.detach(pool, owned)
    calls = recorder.calls
    update = calls.index("UpdateUserPool")
    assert calls[update + 1] == "DescribeUserPool"
    assert calls[update + 2 :] == ["RemovePermission"] * 3
    assert all(policy_statements(arn) == [] for arn in arns)


def test_sequential_batches_with_one_worker(recorder: CallRecorder) -> None:
    wiring = Wiring(AwsClients(client_factory=recorder.factory, max_workers=1), confirm_delay=0)
    pool = wiring.resolve_pool(create_pool())
    arns = functions()
    result = wiring.wire(
        pool, [wanted(t, a) for t, a in zip(TRIGGERS, arns, strict=True)], Ownership()
    )
    # Sequential: the writes are recorded in the planner's (sorted) order.
    assert [arn for op, arn in result.writes if op == "AddPermission"] == sorted(arns)


def test_a_change_made_during_the_permission_writes_is_kept(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool = wiring.resolve_pool(create_pool())
    fn = create_function("slow")

    def other_writer() -> None:
        # Slow or throttled permission writes: meanwhile someone else sets a trigger.
        boto3.client("cognito-idp", region_name=REGION).update_user_pool(
            UserPoolId=pool.pool_id, LambdaConfig={"PostAuthentication": fn}
        )

    recorder.after("AddPermission", other_writer)
    result = wiring.wire(pool, [wanted("PreSignUp", fn)], Ownership())
    # The other writer's trigger was seen by the read the update is built from, and kept.
    assert describe(pool.pool_id)["LambdaConfig"] == {"PostAuthentication": fn, "PreSignUp": fn}
    assert result.attempts == 2


def test_busy_pool_update_is_retried_from_a_new_read(recorder: CallRecorder) -> None:
    pool_id = create_pool()
    fn = create_function("busy")
    client = boto3.client("cognito-idp", region_name=REGION)

    def backoff(_seconds: float) -> None:
        # The update in flight that made ours "busy" lands while we back off.
        client.update_user_pool(UserPoolId=pool_id, LambdaConfig={"PostAuthentication": fn})

    wiring = Wiring(AwsClients(client_factory=recorder.factory, sleep=backoff), confirm_delay=0)
    pool = wiring.resolve_pool(pool_id)
    recorder.fail(
        "UpdateUserPool",
        "ConcurrentModificationException",
        "Only one request to update this UserPool can be processed at a time",
    )
    result = wiring.wire(pool, [wanted("PreSignUp", fn)], Ownership())
    # Resending the first request would have erased the other writer's trigger.
    assert describe(pool_id)["LambdaConfig"] == {"PostAuthentication": fn, "PreSignUp": fn}
    assert result.owned.slots == {"PreSignUp": fn}


def test_confirm_delay_comes_from_the_plan_options(recorder: CallRecorder) -> None:
    pauses: List[float] = []
    wiring = Wiring(
        AwsClients(client_factory=recorder.factory, sleep=pauses.append), confirm_delay=1.0
    )
    pool = wiring.resolve_pool(create_pool())
    first, second = functions()[:2]
    recorder.reset()
    wiring.wire(pool, [wanted("PreSignUp", first)], Ownership(), PlanOptions(confirm_delay=0))
    assert pauses == []
    assert recorder.count("DescribeUserPool") == 3  # plan, before the update, verify: no pause
    wiring.wire(
        pool, [wanted("PreSignUp", second)], Ownership(), PlanOptions(on_conflict="replace")
    )
    assert pauses == [1.0]  # the engine's default


def test_an_update_whose_answer_was_lost_is_not_sent_again(
    wiring: Wiring, recorder: CallRecorder
) -> None:
    pool = wiring.resolve_pool(create_pool())
    fn = create_function("lost")
    lost = [False]

    def lose_the_answer() -> None:
        # The update reached Cognito; its answer did not reach us.
        if not lost[0]:
            lost[0] = True
            raise ConnectionClosedError(endpoint_url="https://cognito-idp.us-east-1.amazonaws.com")

    recorder.after("UpdateUserPool", lose_the_answer)
    result = wiring.wire(pool, [wanted("PreSignUp", fn)], Ownership())
    # The next round's read shows the write landed: re-planned, nothing left to send.
    assert recorder.count("UpdateUserPool") == 1
    assert describe(pool.pool_id)["LambdaConfig"] == {"PreSignUp": fn}
    assert result.owned.slots == {"PreSignUp": fn}
