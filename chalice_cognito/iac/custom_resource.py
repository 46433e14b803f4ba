"""The attach Lambda: wires an existing user pool from CloudFormation or Terraform.

Runs inside Lambda with only its own zip (this module, the wiring engine of
:mod:`chalice_cognito.deploy` and the catalogue; see :mod:`.bundle`) and the
runtime's boto3: standard library, boto3 and the engine only.  It does what
``chalice-cognito attach`` does, through the same engine (resolve pool ->
plan -> apply -> verify), so the same guarantees hold: only LambdaConfig
changes, foreign triggers are never touched, a conflict fails with the
engine's reason, permissions carry SourceArn and SourceAccount.

Two event shapes:

* CloudFormation custom resource (``Custom::CognitoTriggers``): Create/Update
  attach, Delete detaches.  What this stack owns is the resource's *old*
  properties (``OldResourceProperties`` on Update, ``ResourceProperties`` on
  Delete), so a retried or repeated event is a no-op and a trigger dropped
  from the template is detached.  An Update naming another pool than the one
  in the PhysicalResourceId is refused (FAILED, nothing written): the attach
  role would no longer reach the old pool to detach it, so a move takes two
  stack updates (remove the wiring, then add the new pool).  The rollback of
  that refused Update names the original pool again and re-wires it as a
  no-op.  The result always goes to the pre-signed ``ResponseURL`` (SUCCESS or
  FAILED with the reason), so a stack never hangs.
* Terraform (``aws_lambda_invocation``, ``{"ChaliceCognito": "attach"|"detach",
  "ResourceProperties": {...}}``): Terraform cannot hand over the previous
  input, so this stack owns the slots whose function name starts with
  ``OwnerPrefix`` (``<app>-<stage>-``, Chalice's naming of deployed functions).
  A failure raises: the invocation (and ``terraform apply``) fails with it.

Properties: ``UserPoolId`` or ``UserPoolName``, ``Triggers`` (list of
``{Trigger, FunctionArn, FunctionName?, LambdaVersion?}``), ``KmsKeyArn``,
``OnConflict`` (``fail``/``replace``), ``Owner`` and ``OwnerPrefix``.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from chalice_cognito.deploy.model import ON_CONFLICT_VALUES, function_name_from_arn
from chalice_cognito.deploy.wiring import (
    Ownership,
    PlanOptions,
    PoolNotFoundError,
    PoolRef,
    PoolResult,
    PoolSettings,
    WantedTrigger,
    Wiring,
)

logger = logging.getLogger("chalice_cognito.attach")

#: PhysicalResourceId given to a Create that failed: its Delete has nothing to undo.
FAILED_CREATE_ID = "chalice-cognito-create-failed"
#: CloudFormation caps the whole response at 4 KB; keep the reason well below.
MAX_REASON = 1500
#: Seconds kept before Lambda's timeout to send a FAILED response.
DEADLINE_MARGIN = 15.0

#: Accepted values of the OnConflict property (the engine's on_conflict).
ON_CONFLICT = ON_CONFLICT_VALUES
#: Prefix of the PhysicalResourceId; the pool id follows it.
PHYSICAL_PREFIX = "chalice-cognito:"

#: (url, body) -> None: sends the response document (injectable for tests).
Sender = Callable[[str, bytes], None]


class PropertiesError(ValueError):
    """The custom resource's properties are malformed."""


class PoolChangeError(ValueError):
    """An Update names another pool than the one this resource wired.

    Refused rather than done: the attach role's policy is scoped to the pools
    of the template, so after the update it can no longer reach the old pool
    and CloudFormation's clean-up Delete of the old wiring would fail.
    """


@dataclass(frozen=True)
class Properties:
    """Parsed ``ResourceProperties``."""

    pool_id: Optional[str]
    pool_name: Optional[str]
    triggers: Tuple[WantedTrigger, ...]
    kms_key_arn: Optional[str] = None
    on_conflict: str = "fail"
    owner: str = ""
    owner_prefix: Optional[str] = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def parse(cls, raw: Optional[Mapping[str, Any]]) -> Properties:
        raw = raw or {}
        items = raw.get("Triggers")
        if items is None:
            items = []
        # A string or a map here is a template mistake; iterating it would
        # silently wire nothing (or the characters of a string).
        if not isinstance(items, list):
            raise PropertiesError(
                "Triggers must be a list of {Trigger, FunctionArn} objects, got "
                f"{type(items).__name__}: {json.dumps(items, default=str)[:200]}"
            )
        triggers = []
        seen: Dict[str, int] = {}
        for index, item in enumerate(items):
            if (
                not isinstance(item, Mapping)
                or not item.get("Trigger")
                or not item.get("FunctionArn")
            ):
                raise PropertiesError(
                    f"Triggers[{index}] must be an object with Trigger and FunctionArn, got "
                    f"{json.dumps(item, default=str)[:200]}"
                )
            name = str(item["Trigger"])
            if name in seen:
                # One slot holds one function: two entries would make the
                # result depend on their order.
                raise PropertiesError(
                    f"Triggers[{index}] repeats trigger {name!r} (already Triggers[{seen[name]}]); "
                    "a pool has one slot per trigger."
                )
            seen[name] = index
            arn = str(item["FunctionArn"])
            triggers.append(
                WantedTrigger(
                    trigger=name,
                    function_name=function_name_from_arn(arn),
                    function_arn=arn,
                    version=str(item["LambdaVersion"]) if item.get("LambdaVersion") else None,
                )
            )
        on_conflict = _opt(raw.get("OnConflict")) or "fail"
        if on_conflict not in ON_CONFLICT:
            raise PropertiesError(
                f"OnConflict must be one of {', '.join(ON_CONFLICT)}, got {on_conflict!r}."
            )
        pool_id = _opt(raw.get("UserPoolId"))
        pool_name = _opt(raw.get("UserPoolName"))
        if not pool_id and not pool_name:
            raise PropertiesError("UserPoolId or UserPoolName is required.")
        return cls(
            pool_id=pool_id,
            pool_name=pool_name,
            triggers=tuple(triggers),
            kms_key_arn=_opt(raw.get("KmsKeyArn")),
            on_conflict=on_conflict,
            owner=_opt(raw.get("Owner")) or "",
            owner_prefix=_opt(raw.get("OwnerPrefix")),
            raw=raw,
        )

    @property
    def settings(self) -> PoolSettings:
        return PoolSettings(
            alias=self.owner or "default",
            user_pool_id=self.pool_id,
            user_pool_name=None if self.pool_id else self.pool_name,
            kms_key_arn=self.kms_key_arn,
            on_conflict=self.on_conflict,
        )

    @property
    def options(self) -> PlanOptions:
        return PlanOptions(on_conflict=self.on_conflict, kms_key_arn=self.kms_key_arn)

    @property
    def same_pool_key(self) -> Tuple[Optional[str], Optional[str]]:
        """What identifies the pool: a changed key means another pool (replacement)."""
        return (self.pool_id, None if self.pool_id else self.pool_name)

    def ownership(self) -> Ownership:
        """What a stack whose properties were these attached."""
        return Ownership(
            slots={t.trigger: t.function_arn for t in self.triggers},
            kms_key_arn=self.kms_key_arn,
        )


# -- entry point -------------------------------------------------------------------


def handler(event: Dict[str, Any], context: Any) -> Dict[str, Any]:
    """Lambda entry point for both event shapes."""
    return handle(event, context)


def handle(
    event: Mapping[str, Any],
    context: Any = None,
    *,
    wiring: Optional[Wiring] = None,
    send: Optional[Sender] = None,
) -> Dict[str, Any]:
    """Dispatch an event; ``wiring`` and ``send`` are injectable for tests."""
    if "RequestType" in event and "ResponseURL" in event:
        return handle_cloudformation(event, context, wiring=wiring, send=send)
    if event.get("ChaliceCognito") in ("attach", "detach"):
        return handle_terraform(event, wiring=wiring)
    raise PropertiesError(
        "Not a CloudFormation custom-resource event nor a chalice-cognito Terraform invocation."
    )


# -- CloudFormation ------------------------------------------------------------------


def handle_cloudformation(
    event: Mapping[str, Any],
    context: Any = None,
    *,
    wiring: Optional[Wiring] = None,
    send: Optional[Sender] = None,
) -> Dict[str, Any]:
    """Run one custom-resource event and PUT the outcome to its ResponseURL."""
    request_type = str(event.get("RequestType"))
    physical_id = str(event.get("PhysicalResourceId") or "")
    data: Dict[str, Any] = {}
    try:
        engine = wiring or Wiring()
        physical_id, data = _within_deadline(lambda: _cloudformation(event, engine), context)
        status, reason = "SUCCESS", ""
    except Exception as error:  # every failure must reach CloudFormation
        status = "FAILED"
        reason = f"{type(error).__name__}: {error}"
        logger.error("chalice-cognito %s failed: %s", request_type, reason)
        if request_type == "Create":
            physical_id = FAILED_CREATE_ID
    log_stream = getattr(context, "log_stream_name", None)
    if status == "FAILED" and log_stream:
        reason = f"{reason} (log stream {log_stream})"
    response = {
        "Status": status,
        "Reason": reason[:MAX_REASON] or f"{request_type} done",
        "PhysicalResourceId": physical_id or FAILED_CREATE_ID,
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
        "NoEcho": False,
        "Data": data,
    }
    (send or send_response)(str(event["ResponseURL"]), json.dumps(response).encode("utf-8"))
    return response


def _within_deadline(
    work: Callable[[], Tuple[str, Dict[str, Any]]], context: Any
) -> Tuple[str, Dict[str, Any]]:
    """Run ``work``, giving up shortly before Lambda's timeout.

    A Lambda killed by its timeout sends no response and CloudFormation waits
    an hour; giving up first lets the stack fail now with a reason.  A run cut
    short may leave part of the wiring done: the next Update or Delete of the
    resource repairs it (the engine adopts slots already holding our function).
    """
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return work()
    budget = max(1.0, remaining() / 1000.0 - DEADLINE_MARGIN)
    outcome: Dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=run, name="chalice-cognito-attach", daemon=True)
    worker.start()
    worker.join(budget)
    if worker.is_alive():
        raise TimeoutError(
            f"gave up after {budget:.0f} s, before the Lambda timeout; the pool may be "
            "partly wired and the next stack update or delete repairs it"
        )
    if "error" in outcome:
        raise outcome["error"]
    value: Tuple[str, Dict[str, Any]] = outcome["value"]
    return value


def _cloudformation(event: Mapping[str, Any], wiring: Wiring) -> Tuple[str, Dict[str, Any]]:
    request_type = event["RequestType"]
    old_physical = str(event.get("PhysicalResourceId") or "")
    if request_type == "Delete":
        if not old_physical or old_physical == FAILED_CREATE_ID:
            return old_physical or FAILED_CREATE_ID, {}
        props = Properties.parse(event.get("ResourceProperties"))
        try:
            pool = wiring.resolve_pool(props.settings)
        except PoolNotFoundError:
            # The pool is gone: nothing points at our functions any more.
            return old_physical, {}
        result = wiring.detach(pool, props.ownership(), props.options)
        _log_result("detach", result)
        return old_physical, _data(pool)

    props = Properties.parse(event.get("ResourceProperties"))
    if request_type == "Create":
        pool = wiring.resolve_pool(props.settings)
        result = wiring.wire(pool, props.triggers, Ownership(), props.options)
        _log_result("attach", result)
        return physical_resource_id(pool, props.owner), _data(pool)
    if request_type != "Update":
        raise PropertiesError(f"Unknown RequestType {request_type!r}.")
    old = Properties.parse(event.get("OldResourceProperties"))
    pool = wiring.resolve_pool(props.settings)
    current = pool_id_of(old_physical)
    if current is None:
        # Not an id this handler gave out: only the properties can tell.
        current = pool.pool_id if old.same_pool_key == props.same_pool_key else None
    if current != pool.pool_id:
        raise PoolChangeError(
            f"This resource wires pool {current or old.pool_id or old.pool_name}; the update "
            f"names pool {pool.pool_id}. Moving to another pool in one update is refused: "
            "by the time CloudFormation would delete the old wiring, the attach role is "
            "already scoped to the new pool and cannot detach the old one. Nothing was "
            "changed. To move: (1) update the stack without the Cognito wiring (the "
            "resource's Delete detaches the old pool with the old role still in place), "
            "then (2) update it again with the new pool."
        )
    owned = old.ownership()
    if old.same_pool_key != props.same_pool_key:
        # Same pool named another way (id <-> name), or the rollback of a
        # refused move (old properties name the pool that was never wired):
        # what the pool holds of ours is either set; a slot is only treated as
        # ours if it still holds that function.
        owned = Ownership(
            slots={**props.ownership().slots, **owned.slots},
            kms_key_arn=owned.kms_key_arn or props.kms_key_arn,
        )
    result = wiring.wire(pool, props.triggers, owned, props.options)
    _log_result("attach", result)
    return old_physical or physical_resource_id(pool, props.owner), _data(pool)


def pool_id_of(physical_id: str) -> Optional[str]:
    """The pool id in a PhysicalResourceId from :func:`physical_resource_id`, else None."""
    if not physical_id.startswith(PHYSICAL_PREFIX):
        return None
    pool_id = physical_id[len(PHYSICAL_PREFIX) :].split(":", 1)[0]
    return pool_id or None


def physical_resource_id(pool: PoolRef, owner: str) -> str:
    """Stable id of "this stack's triggers on this pool"."""
    base = f"{PHYSICAL_PREFIX}{pool.pool_id}"
    return f"{base}:{owner}" if owner else base


def send_response(url: str, body: bytes) -> None:
    """PUT the response document to CloudFormation's pre-signed S3 URL."""
    request = urllib.request.Request(
        url,
        data=body,
        method="PUT",
        # The URL is signed for an empty content type.
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()


# -- Terraform ---------------------------------------------------------------------


def handle_terraform(
    event: Mapping[str, Any], *, wiring: Optional[Wiring] = None
) -> Dict[str, Any]:
    """Attach or detach for ``aws_lambda_invocation``; raises on failure."""
    wiring = wiring or Wiring()
    action = event["ChaliceCognito"]
    raw = event.get("ResourceProperties") or {}
    props = Properties.parse(raw)
    if not props.owner_prefix:
        raise PropertiesError("OwnerPrefix is required for Terraform invocations.")
    try:
        pool = wiring.resolve_pool(props.settings)
    except PoolNotFoundError:
        if action == "detach":
            return {"action": "detach", "changed": False, "pool": None}
        raise
    described = wiring.describe(pool)
    owned = owned_by_prefix(described, props.owner_prefix, props.kms_key_arn)
    wanted = props.triggers if action == "attach" else ()
    plan = wiring.plan(pool, wanted, owned, props.options, described=described)
    result = wiring.apply(plan, wanted)
    _log_result(action, result)
    return {
        "action": action,
        "changed": result.changed,
        "pool": pool.pool_id,
        "owned": result.owned.to_json(),
    }


def owned_by_prefix(
    described: Mapping[str, Any], owner_prefix: str, kms_key_arn: Optional[str]
) -> Ownership:
    """Slots of the pool holding a function whose name starts with ``owner_prefix``."""
    from chalice_cognito.catalogue import KMS_KEY_CONFIG_KEY, TRIGGERS
    from chalice_cognito.deploy.plan import read_slot

    config = described.get("LambdaConfig") or {}
    slots: Dict[str, str] = {}
    for spec in TRIGGERS:
        arn, _ = read_slot(spec, config)
        if arn and function_name_from_arn(arn).startswith(owner_prefix):
            slots[spec.name] = arn
    key = kms_key_arn if kms_key_arn and config.get(KMS_KEY_CONFIG_KEY) == kms_key_arn else None
    return Ownership(slots=slots, kms_key_arn=key)


# -- helpers -----------------------------------------------------------------------


def _data(pool: PoolRef) -> Dict[str, Any]:
    return {"UserPoolId": pool.pool_id, "UserPoolArn": pool.arn}


def _log_result(action: str, result: PoolResult) -> None:
    # ARNs and trigger names only: the engine handles no secrets.
    logger.info(
        "chalice-cognito %s on %s: changed=%s writes=%s",
        action,
        result.plan.pool.pool_id,
        result.changed,
        [list(w) for w in result.writes],
    )


def _opt(value: Any) -> Optional[str]:
    return str(value) if value not in (None, "") else None


__all__: List[str] = [
    "FAILED_CREATE_ID",
    "PoolChangeError",
    "Properties",
    "handle",
    "handle_cloudformation",
    "handle_terraform",
    "handler",
    "owned_by_prefix",
    "physical_resource_id",
    "pool_id_of",
    "send_response",
]
