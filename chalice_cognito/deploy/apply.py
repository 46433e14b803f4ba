"""Apply a :class:`PoolPlan`: the ONLY module of chalice-cognito that writes to AWS.

One bounded loop of rounds (at most ``max_attempts``).  A round, in an order
chosen so the pool never points at a function Cognito may not invoke and a
failure at any step leaves a state the next run repairs:

1. add invoke permissions (a permission without a trigger is harmless), one
   AddPermission per function, concurrently; every one has completed before
   step 2;
2. read the pool (DescribeUserPool).  If its LambdaConfig is no longer what
   the plan started from, re-plan on this copy: next round;
3. UpdateUserPool built from *that* read (every described setting copied,
   :mod:`.fields`) with the planned LambdaConfig.  The request is never sent
   twice: when it is refused as busy or throttled (or fails in transit), back
   off with jitter and go to the next round, which reads the pool again;
4. after ``confirm_delay`` read the pool back and check our slots (a
   concurrent writer's stale copy may have landed after ours); if a slot is
   not what we planned, re-plan on this copy: next round;
5. remove the permissions of functions that no longer serve the pool,
   concurrently, only after the verified update.

No write call at all when the plan is a no-op.  Every other call retries on
throttling with backoff in :class:`~chalice_cognito.deploy.aws.AwsClients`:
reads, AddPermission (a duplicate is answered "already exists" and handled)
and RemovePermission (an absent statement is done), all safe to resend as is.

Cognito has no conditional write, so one window remains: another writer's
change landing between our read (step 2) and our write (step 3), one round
trip, is overwritten.  The other writer, if it is this engine, sees that in
its own step 4 and goes again; a write held in transit for longer than the
confirm window cannot be detected by anyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Sequence, Tuple

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

#: errors of a call that may or may not have reached the service
_CALL_ERRORS = (ClientError, BotocoreConnectionError, HTTPClientError)


def apply_plan(wiring: Wiring, plan: PoolPlan, wanted: Sequence[WantedTrigger]) -> PoolResult:
    """Apply ``plan`` (see the module docstring); re-plan on interference, at most
    ``wiring.max_rounds`` rounds."""
    writes: List[Tuple[str, str]] = []
    for rounds in range(1, wiring.max_rounds + 1):
        if plan.refused:
            raise RefusedError(plan)
        if plan.is_noop:
            return _result(plan, writes, rounds, plan.lambda_config_after)
        # Different functions: the adds may overlap; all are done before the update.
        for done in wiring.aws.map(lambda c: _add_permission(wiring, c), plan.permission_adds):
            writes.extend(done)
        if not plan.lambda_config_changed:
            _remove_permissions(wiring, plan, writes)
            return _result(plan, writes, rounds, plan.lambda_config_after)

        current = wiring.describe(plan.pool)
        if dict(current.get("LambdaConfig") or {}) != dict(plan.lambda_config_before):
            plan = _replan(wiring, plan, wanted, current)  # the pool moved since planning
            continue
        model = _service_model(wiring, plan)
        request = build_update_request(current, plan.lambda_config_after, model)
        try:
            wiring.aws.call(
                "cognito-idp",
                plan.pool.region,
                "UpdateUserPool",
                resource=plan.pool.pool_id,
                retry=False,
                **request,
            )
        except _CALL_ERRORS as error:
            if not is_retryable(error) or rounds == wiring.max_rounds:
                raise
            # Busy, throttled or lost: sending this request again later would
            # write a copy older than what happened meanwhile.  Back off; the
            # next round builds a new request from a new read.
            wiring.aws.sleep(wiring.aws.backoff(rounds))
            continue
        writes.append(("UpdateUserPool", plan.pool.pool_id))

        delay = confirm_delay(wiring, plan)
        if delay > 0:
            wiring.aws.sleep(delay)
        seen = wiring.describe(plan.pool)
        verified: Mapping[str, Any] = seen.get("LambdaConfig") or {}
        if not holds_plan(plan, verified):
            # Another writer's stale copy replaced ours: re-plan from what is there.
            plan = _replan(wiring, plan, wanted, seen)
            continue
        _remove_permissions(wiring, plan, writes)
        drift = settings_drift(request, build_update_request(seen, verified, model))
        return _result(plan, writes, rounds, verified, drift)
    raise VerificationError(
        f"User pool {plan.pool.pool_id} kept changing while wiring (another deployment "
        f"writing LambdaConfig at the same time?); gave up after {wiring.max_rounds} attempts.",
        plan,
    )


def _service_model(wiring: Wiring, plan: PoolPlan) -> Any:
    """The cognito-idp model of the client that read the pool (None: fields loads its own)."""
    client = wiring.aws.client("cognito-idp", plan.pool.region)
    return getattr(getattr(client, "meta", None), "service_model", None)


def _replan(
    wiring: Wiring, plan: PoolPlan, wanted: Sequence[WantedTrigger], described: Mapping[str, Any]
) -> PoolPlan:
    return wiring.plan(plan.pool, wanted, plan.owned_before, plan.options, described=described)


def _remove_permissions(wiring: Wiring, plan: PoolPlan, writes: List[Tuple[str, str]]) -> None:
    """Only after the verified update: no slot of ours points at these functions any more."""
    for done in wiring.aws.map(lambda c: _remove_permission(wiring, c), plan.permission_removes):
        writes.extend(done)


def confirm_delay(wiring: Wiring, plan: PoolPlan) -> float:
    """Seconds before the verifying read: the plan's option, else the engine's default."""
    if plan.options.confirm_delay is not None:
        return max(0.0, plan.options.confirm_delay)
    return wiring.confirm_delay


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
    # An alias-qualified ARN (``...:function:NAME:live``) is sent as the
    # function plus ``Qualifier``: the grant lands on the alias's own policy.
    qualifier = change.function_arn.partition(":function:")[2].partition(":")[2]
    params: Dict[str, Any] = {
        "FunctionName": change.function_arn.rsplit(":", 1)[0] if qualifier else change.function_arn,
        "StatementId": change.statement_id,
        "Action": "lambda:InvokeFunction",
        "Principal": COGNITO_PRINCIPAL,
        "SourceArn": change.source_arn,
        "SourceAccount": change.source_account,
    }
    if qualifier:
        params["Qualifier"] = qualifier
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
