"""The attach Lambda's handler against moto, with CloudFormation- and Terraform-shaped events.

Responses go to a real HTTP server on 127.0.0.1 standing in for the pre-signed
ResponseURL, so the PUT itself (method, headers, JSON document) is checked.
"""

from __future__ import annotations

import copy
import json
import threading
from typing import Any, Dict, List, Optional

import pytest

from chalice_cognito.iac import custom_resource as cr

FOREIGN = "arn:aws:lambda:us-east-1:123456789012:function:someone-else-audit"
KEEP = (
    "Policies",
    "AutoVerifiedAttributes",
    "VerificationMessageTemplate",
    "UserPoolTags",
    "AdminCreateUserConfig",
)


class Context:
    log_stream_name = "2026/11/26/[$LATEST]abc"


def event(
    request_type: str,
    url: str,
    props: Dict[str, Any],
    old: Optional[Dict[str, Any]] = None,
    physical: Optional[str] = None,
) -> Dict[str, Any]:
    e: Dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:attach",
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/shop/guid",
        "RequestId": f"req-{request_type}",
        "LogicalResourceId": "CognitoTriggers",
        "ResourceType": "Custom::CognitoTriggers",
        "ResourceProperties": {"ServiceToken": "x", **props},
    }
    if old is not None:
        e["OldResourceProperties"] = {"ServiceToken": "x", **old}
    if physical is not None:
        e["PhysicalResourceId"] = physical
    return e


def props(pool_id: str, triggers: List[Dict[str, Any]], **extra: Any) -> Dict[str, Any]:
    return {"UserPoolId": pool_id, "Owner": "shop-dev", "Triggers": triggers, **extra}


def trig(name: str, arn: str, version: Optional[str] = None) -> Dict[str, Any]:
    t = {"Trigger": name, "FunctionArn": arn}
    if version:
        t["LambdaVersion"] = version
    return t


@pytest.fixture
def setup(kit: Any) -> Dict[str, Any]:
    return {
        "pool": kit.create_pool(lambda_config={"PostAuthentication": FOREIGN}),
        "pre": kit.create_function("shop-dev-pre_sign_up"),
        "token": kit.create_function("shop-dev-pre_token"),
    }


def grants_pool(statements: List[Dict[str, Any]], pool_arn: str, account: str) -> bool:
    return any(
        s["Principal"] == {"Service": "cognito-idp.amazonaws.com"}
        and s["Condition"]["ArnLike"]["AWS:SourceArn"] == pool_arn
        and s["Condition"]["StringEquals"]["AWS:SourceAccount"] == account
        for s in statements
    )


def test_create_attaches_and_answers_the_response_url(setup, kit, calls, response_server) -> None:
    before = kit.describe(setup["pool"])
    p = props(
        setup["pool"],
        [trig("PreSignUp", setup["pre"]), trig("PreTokenGeneration", setup["token"], "V1_0")],
    )
    reply = cr.handle(event("Create", response_server.url, p), Context(), wiring=calls.wiring())

    assert len(response_server.requests) == 1
    sent = response_server.requests[0]
    # S3 pre-signed URLs are signed for an empty content type
    assert sent["headers"].get("Content-Type", "") == ""
    body = sent["body"]
    assert body == reply
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == f"chalice-cognito:{setup['pool']}:shop-dev"
    assert body["RequestId"] == "req-Create"
    assert body["LogicalResourceId"] == "CognitoTriggers"
    assert body["StackId"].startswith("arn:aws:cloudformation")
    assert body["Data"]["UserPoolId"] == setup["pool"]

    after = kit.describe(setup["pool"])
    config = after["LambdaConfig"]
    assert config["PreSignUp"] == setup["pre"]
    assert config["PreTokenGenerationConfig"] == {
        "LambdaArn": setup["token"],
        "LambdaVersion": "V1_0",
    }
    assert config["PostAuthentication"] == FOREIGN  # foreign trigger untouched
    for key in KEEP:
        assert after.get(key) == before.get(key), key
    account = after["Arn"].split(":")[4]
    assert grants_pool(kit.policy(setup["pre"]), after["Arn"], account)
    assert grants_pool(kit.policy(setup["token"]), after["Arn"], account)


def test_retried_create_makes_no_write(setup, calls, response_server) -> None:
    e = event(
        "Create", response_server.url, props(setup["pool"], [trig("PreSignUp", setup["pre"])])
    )
    cr.handle(e, Context(), wiring=calls.wiring())
    assert calls.writes  # the first run wrote
    calls.names.clear()
    cr.handle(copy.deepcopy(e), Context(), wiring=calls.wiring())
    assert response_server.last["Status"] == "SUCCESS"
    assert calls.writes == []


def test_update_detaches_removed_triggers_and_changes_versions(
    setup, kit, calls, response_server
) -> None:
    first = props(
        setup["pool"],
        [trig("PreSignUp", setup["pre"]), trig("PreTokenGeneration", setup["token"], "V1_0")],
    )
    cr.handle(event("Create", response_server.url, first), wiring=calls.wiring())
    physical = response_server.last["PhysicalResourceId"]

    second = props(setup["pool"], [trig("PreTokenGeneration", setup["token"], "V3_0")])
    cr.handle(
        event("Update", response_server.url, second, old=first, physical=physical),
        wiring=calls.wiring(),
    )
    body = response_server.last
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == physical  # same pool: no replacement
    config = kit.describe(setup["pool"])["LambdaConfig"]
    assert "PreSignUp" not in config
    assert config["PreTokenGenerationConfig"]["LambdaVersion"] == "V3_0"
    assert config["PostAuthentication"] == FOREIGN
    assert kit.policy(setup["pre"]) == []  # permission of the detached function removed


def test_conflict_fails_the_stack_operation_with_the_reason(kit, calls, response_server) -> None:
    pool = kit.create_pool(lambda_config={"PreSignUp": FOREIGN})
    pre = kit.create_function("shop-dev-pre_sign_up")
    before = kit.describe(pool)
    cr.handle(
        event("Create", response_server.url, props(pool, [trig("PreSignUp", pre)])),
        Context(),
        wiring=calls.wiring(),
    )
    body = response_server.last
    assert body["Status"] == "FAILED"
    assert "PreSignUp" in body["Reason"] and FOREIGN in body["Reason"]
    assert "on_conflict" in body["Reason"]
    assert Context.log_stream_name in body["Reason"]
    assert body["PhysicalResourceId"] == cr.FAILED_CREATE_ID
    assert calls.writes == []
    assert kit.describe(pool)["LambdaConfig"] == before["LambdaConfig"]

    # CloudFormation then deletes the failed resource: nothing to undo, no call at all
    calls.names.clear()
    cr.handle(
        event(
            "Delete",
            response_server.url,
            props(pool, [trig("PreSignUp", pre)]),
            physical=cr.FAILED_CREATE_ID,
        ),
        wiring=calls.wiring(),
    )
    assert response_server.last["Status"] == "SUCCESS"
    assert calls.names == []


def test_on_conflict_replace_takes_the_slot(kit, calls, response_server) -> None:
    pool = kit.create_pool(lambda_config={"PreSignUp": FOREIGN})
    pre = kit.create_function("shop-dev-pre_sign_up")
    p = props(pool, [trig("PreSignUp", pre)], OnConflict="replace")
    cr.handle(event("Create", response_server.url, p), wiring=calls.wiring())
    assert response_server.last["Status"] == "SUCCESS"
    assert kit.describe(pool)["LambdaConfig"]["PreSignUp"] == pre


def test_delete_detaches_only_what_the_stack_owns(setup, kit, calls, response_server) -> None:
    p = props(setup["pool"], [trig("PreSignUp", setup["pre"])])
    cr.handle(event("Create", response_server.url, p), wiring=calls.wiring())
    physical = response_server.last["PhysicalResourceId"]
    cr.handle(event("Delete", response_server.url, p, physical=physical), wiring=calls.wiring())
    body = response_server.last
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert body["PhysicalResourceId"] == physical
    config = kit.describe(setup["pool"])["LambdaConfig"]
    assert config == {"PostAuthentication": FOREIGN}
    assert kit.policy(setup["pre"]) == []
    # a repeated Delete is a no-op
    calls.names.clear()
    cr.handle(event("Delete", response_server.url, p, physical=physical), wiring=calls.wiring())
    assert response_server.last["Status"] == "SUCCESS"
    assert calls.writes == []


def test_delete_leaves_a_slot_someone_else_took_since(setup, kit, calls, response_server) -> None:
    import boto3

    p = props(setup["pool"], [trig("PreSignUp", setup["pre"])])
    cr.handle(event("Create", response_server.url, p), wiring=calls.wiring())
    physical = response_server.last["PhysicalResourceId"]
    other = "arn:aws:lambda:us-east-1:123456789012:function:other-team"
    described = kit.describe(setup["pool"])
    boto3.client("cognito-idp", region_name=kit.region).update_user_pool(
        UserPoolId=setup["pool"],
        LambdaConfig={**described["LambdaConfig"], "PreSignUp": other},
    )
    cr.handle(event("Delete", response_server.url, p, physical=physical), wiring=calls.wiring())
    assert response_server.last["Status"] == "SUCCESS"
    assert kit.describe(setup["pool"])["LambdaConfig"]["PreSignUp"] == other


def test_update_to_another_pool_is_refused_and_changes_neither_pool(
    setup, kit, calls, response_server
) -> None:
    old = props(setup["pool"], [trig("PreSignUp", setup["pre"])])
    cr.handle(event("Create", response_server.url, old), wiring=calls.wiring())
    old_physical = response_server.last["PhysicalResourceId"]
    second_pool = kit.create_pool("shop-users-2")
    before_old, before_new = kit.describe(setup["pool"]), kit.describe(second_pool)
    calls.names.clear()
    new = props(second_pool, [trig("PreSignUp", setup["pre"])])
    cr.handle(
        event("Update", response_server.url, new, old=old, physical=old_physical),
        wiring=calls.wiring(),
    )
    body = response_server.last
    assert body["Status"] == "FAILED"
    # the physical id stays: CloudFormation must not schedule a Delete of the old wiring
    assert body["PhysicalResourceId"] == old_physical
    assert setup["pool"] in body["Reason"] and second_pool in body["Reason"]
    assert "two" in body["Reason"] or "(2)" in body["Reason"]
    assert calls.writes == []
    assert kit.describe(setup["pool"])["LambdaConfig"] == before_old["LambdaConfig"]
    assert kit.describe(second_pool)["LambdaConfig"] == before_new["LambdaConfig"]
    assert kit.describe(setup["pool"])["LambdaConfig"]["PreSignUp"] == setup["pre"]

    # CloudFormation's rollback: Update back to the old properties, "old" = the refused ones
    cr.handle(
        event("Update", response_server.url, old, old=new, physical=old_physical),
        wiring=calls.wiring(),
    )
    assert response_server.last["Status"] == "SUCCESS", response_server.last["Reason"]
    assert response_server.last["PhysicalResourceId"] == old_physical
    assert calls.writes == []
    assert kit.describe(setup["pool"])["LambdaConfig"] == before_old["LambdaConfig"]
    assert kit.describe(second_pool)["LambdaConfig"] == before_new["LambdaConfig"]


def test_move_in_two_updates_remove_then_add(setup, kit, calls, response_server) -> None:
    """The documented way: the Delete detaches (old role in place), then a Create attaches."""
    old = props(setup["pool"], [trig("PreSignUp", setup["pre"])])
    cr.handle(event("Create", response_server.url, old), wiring=calls.wiring())
    old_physical = response_server.last["PhysicalResourceId"]
    cr.handle(
        event("Delete", response_server.url, old, physical=old_physical), wiring=calls.wiring()
    )
    assert response_server.last["Status"] == "SUCCESS"
    assert "PreSignUp" not in kit.describe(setup["pool"])["LambdaConfig"]
    second_pool = kit.create_pool("shop-users-2")
    cr.handle(
        event("Create", response_server.url, props(second_pool, [trig("PreSignUp", setup["pre"])])),
        wiring=calls.wiring(),
    )
    assert response_server.last["Status"] == "SUCCESS"
    assert kit.describe(second_pool)["LambdaConfig"]["PreSignUp"] == setup["pre"]


def test_same_pool_named_by_name_instead_of_id_is_not_a_move(kit, calls, response_server) -> None:
    pool = kit.create_pool("named-pool")
    pre = kit.create_function("shop-dev-pre_sign_up")
    by_id = props(pool, [trig("PreSignUp", pre)])
    cr.handle(event("Create", response_server.url, by_id), wiring=calls.wiring())
    physical = response_server.last["PhysicalResourceId"]
    by_name = {"UserPoolName": "named-pool", "Owner": "shop-dev", "Triggers": []}
    cr.handle(
        event("Update", response_server.url, by_name, old=by_id, physical=physical),
        wiring=calls.wiring(),
    )
    assert response_server.last["Status"] == "SUCCESS", response_server.last["Reason"]
    assert response_server.last["PhysicalResourceId"] == physical
    # the trigger dropped in the same update is detached: the old ownership counts
    assert "PreSignUp" not in kit.describe(pool)["LambdaConfig"]


def test_pool_id_of_physical_ids() -> None:
    assert cr.pool_id_of("chalice-cognito:us-east-1_Abc:shop-dev") == "us-east-1_Abc"
    assert cr.pool_id_of("chalice-cognito:us-east-1_Abc") == "us-east-1_Abc"
    assert cr.pool_id_of(cr.FAILED_CREATE_ID) is None
    assert cr.pool_id_of("something-else") is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"OnConflict": "force"}, "OnConflict must be one of fail, replace"),
        ({"Triggers": {"Trigger": "PreSignUp"}}, "Triggers must be a list"),
        ({"Triggers": "PreSignUp"}, "Triggers must be a list"),
        ({"Triggers": ["PreSignUp"]}, "Triggers[0] must be an object"),
        (
            {
                "Triggers": [
                    {"Trigger": "PreSignUp", "FunctionArn": "arn:aws:lambda:r:1:function:a"},
                    {"Trigger": "PreSignUp", "FunctionArn": "arn:aws:lambda:r:1:function:b"},
                ]
            },
            "Triggers[1] repeats trigger 'PreSignUp'",
        ),
    ],
)
def test_invalid_properties_fail_with_a_clear_reason(
    changes, expected, kit, calls, response_server
) -> None:
    pool = kit.create_pool("checked-pool")
    p = {**props(pool, []), **changes}
    cr.handle(event("Create", response_server.url, p), wiring=calls.wiring())
    body = response_server.last
    assert body["Status"] == "FAILED"
    assert expected in body["Reason"]
    assert calls.writes == []
    assert kit.describe(pool)["LambdaConfig"] == {}


def test_delete_of_a_vanished_pool_succeeds(kit, calls, response_server) -> None:
    pre = kit.create_function("shop-dev-pre_sign_up")
    p = props("us-east-1_Gone1", [trig("PreSignUp", pre)])
    cr.handle(
        event(
            "Delete", response_server.url, p, physical="chalice-cognito:us-east-1_Gone1:shop-dev"
        ),
        wiring=calls.wiring(),
    )
    assert response_server.last["Status"] == "SUCCESS"


def test_create_on_a_missing_pool_fails_with_pool_and_region(kit, calls, response_server) -> None:
    pre = kit.create_function("shop-dev-pre_sign_up")
    cr.handle(
        event("Create", response_server.url, props("us-east-1_Gone1", [trig("PreSignUp", pre)])),
        wiring=calls.wiring(),
    )
    body = response_server.last
    assert body["Status"] == "FAILED"
    assert "us-east-1_Gone1" in body["Reason"]


def test_pool_by_name(kit, calls, response_server) -> None:
    pool = kit.create_pool("by-name-pool")
    pre = kit.create_function("shop-dev-pre_sign_up")
    p = {"UserPoolName": "by-name-pool", "Owner": "shop-dev", "Triggers": [trig("PreSignUp", pre)]}
    cr.handle(event("Create", response_server.url, p), wiring=calls.wiring())
    assert response_server.last["Status"] == "SUCCESS", response_server.last["Reason"]
    assert response_server.last["Data"]["UserPoolId"] == pool
    assert kit.describe(pool)["LambdaConfig"]["PreSignUp"] == pre


def test_malformed_properties_still_answer(response_server, calls) -> None:
    e = event("Create", response_server.url, {"Triggers": [{"Trigger": "PreSignUp"}]})
    cr.handle(e, wiring=calls.wiring())
    body = response_server.last
    assert body["Status"] == "FAILED"
    assert "FunctionArn" in body["Reason"]


def test_lambda_entry_point_with_default_wiring(setup, kit, response_server) -> None:
    """``handler`` as Lambda calls it: a fresh engine from the environment's boto3 settings."""
    p = props(setup["pool"], [trig("PreSignUp", setup["pre"])])
    reply = cr.handler(event("Create", response_server.url, p), Context())
    assert reply["Status"] == "SUCCESS", reply["Reason"]
    assert response_server.requests[-1]["body"]["Status"] == "SUCCESS"
    assert kit.describe(setup["pool"])["LambdaConfig"]["PreSignUp"] == setup["pre"]


def test_gives_up_before_the_lambda_timeout(response_server) -> None:
    """A stuck run still answers FAILED, instead of leaving the stack waiting an hour."""
    release = threading.Event()

    class StuckWiring:
        def resolve_pool(self, settings: Any) -> Any:
            release.wait(30)
            raise AssertionError("released")

    class ShortContext(Context):
        def get_remaining_time_in_millis(self) -> int:
            return int((cr.DEADLINE_MARGIN + 1) * 1000)  # a 1 s budget

    p = props("us-east-1_Slow1", [trig("PreSignUp", "arn:aws:lambda:us-east-1:1:function:f")])
    try:
        cr.handle(event("Create", response_server.url, p), ShortContext(), wiring=StuckWiring())
    finally:
        release.set()
    body = response_server.last
    assert body["Status"] == "FAILED"
    assert "before the Lambda timeout" in body["Reason"]


def test_errors_inside_the_deadline_are_reported(response_server) -> None:
    class BrokenWiring:
        def resolve_pool(self, settings: Any) -> Any:
            raise RuntimeError("boom")

    class LongContext(Context):
        def get_remaining_time_in_millis(self) -> int:
            return 300_000

    p = props("us-east-1_X1", [trig("PreSignUp", "arn:aws:lambda:us-east-1:1:function:f")])
    cr.handle(event("Create", response_server.url, p), LongContext(), wiring=BrokenWiring())
    assert response_server.last["Status"] == "FAILED"
    assert "RuntimeError: boom" in response_server.last["Reason"]


# -- Terraform invocations ------------------------------------------------------------


def tf_event(action: str, pool: str, triggers: List[Dict[str, Any]]) -> Dict[str, Any]:
    props = {"UserPoolId": pool, "Owner": "shop-dev", "OwnerPrefix": "shop-dev-"}
    if action == "attach":
        props["Triggers"] = triggers
    return {"ChaliceCognito": action, "ResourceProperties": props}


def test_terraform_attach_reattach_and_detach(setup, kit, calls) -> None:
    both = [trig("PreSignUp", setup["pre"]), trig("PreTokenGeneration", setup["token"], "V1_0")]
    result = cr.handle(tf_event("attach", setup["pool"], both), wiring=calls.wiring())
    assert result["changed"] is True
    assert kit.describe(setup["pool"])["LambdaConfig"]["PreSignUp"] == setup["pre"]

    # same input again (a Terraform re-run): nothing to write
    calls.names.clear()
    assert (
        cr.handle(tf_event("attach", setup["pool"], both), wiring=calls.wiring())["changed"]
        is False
    )
    assert calls.writes == []

    # a trigger removed from the app: owned by prefix, so detached on re-attach
    cr.handle(tf_event("attach", setup["pool"], both[1:]), wiring=calls.wiring())
    config = kit.describe(setup["pool"])["LambdaConfig"]
    assert "PreSignUp" not in config
    assert config["PostAuthentication"] == FOREIGN

    # terraform destroy: every slot of this app goes, the foreign one stays
    cr.handle(tf_event("detach", setup["pool"], []), wiring=calls.wiring())
    assert kit.describe(setup["pool"])["LambdaConfig"] == {"PostAuthentication": FOREIGN}
    assert kit.policy(setup["token"]) == []


def test_terraform_conflict_raises(kit, calls) -> None:
    pool = kit.create_pool(lambda_config={"PreSignUp": FOREIGN})
    pre = kit.create_function("shop-dev-pre_sign_up")
    from chalice_cognito.deploy.wiring import RefusedError

    with pytest.raises(RefusedError, match="PreSignUp"):
        cr.handle(tf_event("attach", pool, [trig("PreSignUp", pre)]), wiring=calls.wiring())
    assert calls.writes == []


def test_terraform_detach_of_a_vanished_pool_is_fine(calls) -> None:
    assert (
        cr.handle(tf_event("detach", "us-east-1_Gone1", []), wiring=calls.wiring())["changed"]
        is False
    )


def test_unknown_event_is_rejected() -> None:
    with pytest.raises(cr.PropertiesError):
        cr.handle({"hello": "world"})


def test_owned_by_prefix_reads_both_shapes() -> None:
    described = {
        "LambdaConfig": {
            "PreSignUp": "arn:aws:lambda:r:1:function:shop-dev-a",
            "PreTokenGenerationConfig": {
                "LambdaArn": "arn:aws:lambda:r:1:function:shop-dev-b",
                "LambdaVersion": "V2_0",
            },
            "PostAuthentication": "arn:aws:lambda:r:1:function:shop-prod-c",
            "KMSKeyID": "arn:key",
        }
    }
    owned = cr.owned_by_prefix(described, "shop-dev-", "arn:key")
    assert set(owned.slots) == {"PreSignUp", "PreTokenGeneration"}
    assert owned.kms_key_arn == "arn:key"
    assert cr.owned_by_prefix(described, "shop-dev-", "arn:other").kms_key_arn is None
    json.dumps(owned.to_json())
