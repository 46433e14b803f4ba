"""Apply a :class:`PoolPlan`: the ONLY module of chalice-cognito that writes to AWS.

Order, chosen so the pool never points at a function Cognito may not invoke
and a failure at any step leaves a state the next run repairs:

1. add invoke permissions (a permission without a trigger is harmless), one
   AddPermission per function, concurrently; every one has completed before
   step 3;
2. only for a plan that is not *fresh* (made earlier, e.g. shown by ``plan``
   first or planned together with other pools): re-read the pool, and if its
   LambdaConfig moved since planning, re-plan on the fresh copy.  A fresh plan
   (:meth:`Wiring.wire <chalice_cognito.deploy.wiring.Wiring.wire>`, and every
   re-plan below, made from a read moments old) skips this read: its own
   DescribeUserPool is the copy the update is built from, and step 4 catches
   what a concurrent writer did in between;
3. UpdateUserPool with every described setting copied (:mod:`.fields`) and
   the planned LambdaConfig;
4. read the pool back and verify our slots (and, after ``confirm_delay``, once
   more, to catch a concurrent writer whose stale copy landed after us); if a
   slot is not what we planned, re-plan on the fresh pool and go again;
5. remove the permissions of functions that no longer serve the pool,
   concurrently, only after the verified update.

No write call at all when the plan is a no-op.  Throttling, concurrent
modification and "Only one request to update this UserPool can be processed at
a time" are retried with backoff by :class:`~chalice_cognito.deploy.aws.AwsClients`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from chalice_cognito.catalogue import BY_NAME, KMS_KEY_CONFIG_KEY
from chalice_cognito.deploy import plan as _plan
from chalice_cognito.deploy.aws import error_code, error_message, is_retryable
from chalice_cognito.deploy.errors import RefusedError, VerificationError
from chalice_cognito.deploy.fields import build_update_request
from chalice_cognito.deploy.model import (
    COGNITO_PRINCIPAL,
    PermissionChange,
    PoolPlan,
    PoolResult,
    WantedTrigger,
)

if TYPE_CHECKING:  # pragma: no cover
    from chalice_cognito.deploy.wiring import Wiring


def apply_plan(
    wiring: Wiring, plan: PoolPlan, wanted: Sequence[WantedTrigger], *, fresh: bool = False
) -> PoolResult:
    """Apply ``plan`` (see the module docstring); re-plan and retry on interference.

    ``fresh``: the plan's DescribeUserPool was made just before this call, so
    step 2's re-read is skipped (see the module docstring).
    """
    writes: List[Tuple[str, str]] = []
    drift: Tuple[str, ...] = ()
    rounds = 0
    read_at = plan.read_at  # when the copy the next re-plan starts from was read
    while True:
        rounds += 1
        if plan.refused:
            raise RefusedError(plan)
        if plan.is_noop:
            return _result(plan, writes, rounds, plan.lambda_config_after)

        # Different functions: the adds may overlap; all are done before the update.
        for done in wiring.aws.map(
            lambda change: _add_permission(wiring, change), plan.permission_adds
        ):
            writes.extend(done)

        if plan.lambda_config_changed:
            moved: Optional[Mapping[str, Any]] = None
            busy = 0  # UpdateUserPool answers "busy" (another update in flight, throttling)
            while True:
                if _read_is_recent(wiring, plan, fresh):
                    current: Mapping[str, Any] = plan.described
                else:
                    read_at = wiring.clock()
                    current = wiring.describe(plan.pool)
                if dict(current.get("LambdaConfig") or {}) != dict(plan.lambda_config_before):
                    moved = current
                    break
                request = build_update_request(current, plan.lambda_config_after)
                try:
                    wiring.aws.call(
                        "cognito-idp",
                        plan.pool.region,
                        "UpdateUserPool",
                        resource=plan.pool.pool_id,
                        retry=False,
                        **request,
                    )
                except (ClientError, BotocoreConnectionError, HTTPClientError) as error:
                    busy += 1
                    if not is_retryable(error) or busy >= wiring.aws.max_attempts:
                        raise
                    # Another writer was updating this very pool: sending the same
                    # request again later would write a copy older than its change.
                    # Back off, then build the next request from a new read.
                    wiring.sleep(wiring.aws.backoff(busy))
                    fresh = False
                    continue
                break
            if moved is not None:
                # The pool moved since planning: plan again on what is there now.
                if rounds >= wiring.max_rounds:
                    raise VerificationError(
                        f"User pool {plan.pool.pool_id} kept changing while wiring; "
                        f"gave up after {rounds} attempts.",
                        plan,
                    )
                plan = dataclasses.replace(
                    wiring.plan(
                        plan.pool, wanted, plan.owned_before, plan.options, described=moved
                    ),
                    read_at=read_at,
                )
                fresh = True
                continue
            writes.append(("UpdateUserPool", plan.pool.pool_id))

            read_at = wiring.clock()
            seen = wiring.describe(plan.pool)
            ok = holds_plan(plan, seen.get("LambdaConfig") or {})
            delay = confirm_delay(wiring, plan)
            if ok and delay > 0:
                wiring.sleep(delay)
                read_at = wiring.clock()
                seen = wiring.describe(plan.pool)
                ok = holds_plan(plan, seen.get("LambdaConfig") or {})
            if not ok:
                if rounds >= wiring.max_rounds:
                    raise VerificationError(
                        f"User pool {plan.pool.pool_id} does not hold the planned triggers "
                        f"after {rounds} attempts (another deployment keeps overwriting "
                        "LambdaConfig?).",
                        plan,
                    )
                # Another writer's stale copy replaced ours: re-plan from what is there.
                plan = dataclasses.replace(
                    wiring.plan(plan.pool, wanted, plan.owned_before, plan.options, described=seen),
                    read_at=read_at,
                )
                fresh = True
                continue
            verified: Mapping[str, Any] = seen.get("LambdaConfig") or {}
            drift = settings_drift(request, build_update_request(seen, verified))
        else:
            verified = plan.lambda_config_after

        # Only after the verified update: no slot of ours points at these any more.
        for done in wiring.aws.map(
            lambda change: _remove_permission(wiring, change), plan.permission_removes
        ):
            writes.extend(done)
        return _result(plan, writes, rounds, verified, drift)


def confirm_delay(wiring: Wiring, plan: PoolPlan) -> float:
    """Seconds before the confirming read: the plan's option, else the engine's default."""
    if plan.options.confirm_delay is not None:
        return max(0.0, plan.options.confirm_delay)
    return wiring.confirm_delay


def _read_is_recent(wiring: Wiring, plan: PoolPlan, fresh: bool) -> bool:
    """True when the update may be built from the plan's own read (no re-read first).

    Only for a plan applied as soon as it was made, whose read is younger than
    ``max_read_age``: a longer gap (throttled permission writes) would widen the
    window in which another writer's change is overwritten unseen.
    """
    if not (fresh and plan.described and plan.read_at is not None):
        return False
    return wiring.clock() - plan.read_at <= wiring.max_read_age


def holds_plan(plan: PoolPlan, config: Mapping[str, Any]) -> bool:
    """True when ``config`` holds every slot this plan makes ours, and none it detached.

    Only our own slots are checked: other owners may legitimately change
    theirs at the same time.
    """
    after = plan.lambda_config_after
    for trigger in plan.owned_after.slots:
        spec = BY_NAME[trigger]
        if _plan.read_slot(spec, config) != _plan.read_slot(spec, after):
            return False
        if not _plan.slot_consistent(spec, config):
            return False
    for change in plan.slot_changes:
        if change.action == "detach":
            arn, _ = _plan.read_slot(BY_NAME[change.trigger], config)
            if arn == change.before_arn:
                return False
    key_after = after.get(KMS_KEY_CONFIG_KEY)
    return not (plan.owned_after.kms_key_arn and config.get(KMS_KEY_CONFIG_KEY) != key_after)


def _add_permission(wiring: Wiring, change: PermissionChange) -> List[Tuple[str, str]]:
    """Grant the pool's invoke permission on one function; return the writes made.

    Runs in a worker thread next to the other functions' adds, so it returns
    its writes instead of appending to a shared list.
    """
    writes: List[Tuple[str, str]] = []
    region = change.function_arn.split(":")[3]
    params: Dict[str, Any] = {
        "FunctionName": change.function_arn,
        "StatementId": change.statement_id,
        "Action": "lambda:InvokeFunction",
        "Principal": COGNITO_PRINCIPAL,
        "SourceArn": change.source_arn,
        "SourceAccount": change.source_account,
    }
    if change.replace:
        writes.extend(_remove_permission(wiring, change))
    try:
        wiring.aws.call("lambda", region, "AddPermission", resource=change.function_arn, **params)
    except ClientError as error:
        if error_code(error) != "ResourceConflictException" or "already exists" not in (
            error_message(error).lower()
        ):
            raise
        # Our statement id is there with other content (e.g. an older pool ARN),
        # or on a function planned without a policy read: replace it, since the
        # planner found no statement granting this pool.
        writes.extend(_remove_permission(wiring, change))
        wiring.aws.call("lambda", region, "AddPermission", resource=change.function_arn, **params)
    writes.append(("AddPermission", change.function_arn))
    return writes


def _remove_permission(wiring: Wiring, change: PermissionChange) -> List[Tuple[str, str]]:
    """Remove our statement from one function; return the writes made (for ``PoolResult``)."""
    region = change.function_arn.split(":")[3]
    try:
        wiring.aws.call(
            "lambda",
            region,
            "RemovePermission",
            resource=change.function_arn,
            FunctionName=change.function_arn,
            StatementId=change.statement_id,
        )
    except ClientError as error:
        # Already gone (a concurrent detach, or a deleted function): the goal is met.
        if error_code(error) != "ResourceNotFoundException":
            raise
    return [("RemovePermission", change.function_arn)]


def settings_drift(sent: Mapping[str, Any], seen: Mapping[str, Any]) -> Tuple[str, ...]:
    """Settings (other than LambdaConfig) that read back differently from what was sent.

    Empty when the update kept every setting.  Non-empty means Cognito reset or
    normalised something (or someone changed it meanwhile): worth a warning.
    """
    keys = (set(sent) | set(seen)) - {"LambdaConfig"}
    return tuple(sorted(k for k in keys if sent.get(k) != seen.get(k)))


def _result(
    plan: PoolPlan,
    writes: List[Tuple[str, str]],
    rounds: int,
    config: Mapping[str, Any],
    drift: Tuple[str, ...] = (),
) -> PoolResult:
    return PoolResult(
        plan=plan,
        changed=bool(writes),
        owned=plan.owned_after,
        lambda_config=dict(config),
        attempts=rounds,
        writes=tuple(writes),
        settings_drift=drift,
    )
