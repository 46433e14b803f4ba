"""Which pool each trigger goes to: config parsing and binding (pure)."""

from __future__ import annotations

import pytest

from chalice_cognito.app import TriggerRegistration
from chalice_cognito.iac.targets import (
    IaCConfigError,
    PoolTarget,
    bind,
    group_by_pool,
    load_pool_targets,
    parse_pools,
)
from tests.support.aws import KEY_ARN

KEY = KEY_ARN


def reg(trigger: str, name: str, pool: str | None = None, version: str | None = None):
    return TriggerRegistration(trigger=trigger, function_name=name, version=version, user_pool=pool)


def test_single_pool_section_is_the_default_pool() -> None:
    pools = parse_pools({"user_pool_resource": "UserPool", "on_conflict": "replace"})
    # keyed None for triggers without user_pool=, and by its config alias "default"
    target = PoolTarget(resource="UserPool", on_conflict="replace")
    assert pools == {None: target, "default": target}
    assert pools[None].in_template


def test_user_pools_with_default_and_shared_on_conflict() -> None:
    pools = parse_pools(
        {
            "on_conflict": "replace",
            "user_pools": {
                "customers": {"user_pool_parameter": "CustomersPoolId", "default": True},
                "staff": {"user_pool_id": "us-east-1_Staff1", "on_conflict": "fail"},
            },
        }
    )
    assert pools[None] is pools["customers"]
    assert pools["customers"].parameter == "CustomersPoolId"
    assert pools["customers"].on_conflict == "replace"
    assert pools["staff"].on_conflict == "fail"
    assert pools["staff"].logical_suffix == "Staff"


def test_single_entry_of_user_pools_is_default() -> None:
    pools = parse_pools({"user_pools": {"only": {"user_pool_name": "shop"}}})
    assert pools[None].pool_name == "shop"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"kms_key_arn": KEY}, "names no user pool"),
        ({"user_pool_id": "us-east-1_A", "on_conflict": "maybe"}, "on_conflict"),
        ({"user_pool_id": 12}, "non-empty string"),
        ({"user_pools": {}}, "non-empty object"),
        (
            {
                "user_pools": {
                    "a": {"user_pool_id": "x_1", "default": True},
                    "b": {"user_pool_id": "x_2", "default": True},
                }
            },
            "Several pools are marked default",
        ),
    ],
)
def test_bad_sections_are_refused(section, message) -> None:
    with pytest.raises(IaCConfigError, match=message):
        parse_pools(section)


def test_bind_pairs_triggers_with_pools_and_checks_kms() -> None:
    pools = parse_pools(
        {
            "user_pools": {
                "main": {"user_pool_id": "us-east-1_M", "default": True},
                "staff": {"user_pool_resource": "StaffPool"},
            }
        }
    )
    bindings = bind([reg("PreSignUp", "pre"), reg("CustomEmailSender", "mail", "staff")], pools)
    assert [b.pool.alias for b in bindings] == ["main", "staff"]
    assert bindings[1].lambda_version == "V1_0"  # catalogue default for a versioned trigger
    assert bindings[0].lambda_version is None
    # a sender on an existing pool without a key cannot be wired
    with pytest.raises(IaCConfigError, match="kms_key_arn"):
        bind([reg("CustomSMSSender", "sms")], pools)
    with pytest.raises(IaCConfigError, match="pool 'nope' is not in cognito.user_pools"):
        bind([reg("PreSignUp", "pre", "nope")], pools)


def test_bind_without_any_pool_explains_what_to_set() -> None:
    with pytest.raises(IaCConfigError, match="user_pool_resource"):
        bind([reg("PreSignUp", "pre")], {})


def test_group_by_pool_keeps_declaration_order() -> None:
    pools = parse_pools({"user_pool_id": "us-east-1_A"})
    bindings = bind([reg("PreSignUp", "a"), reg("PostConfirmation", "b")], pools)
    groups = group_by_pool(bindings)
    assert len(groups) == 1
    assert [b.function_name for b in groups[0][1]] == ["a", "b"]


def test_stage_section_wins_and_drops_the_inherited_pool_identity() -> None:
    config = {
        "cognito": {"user_pool_id": "us-east-1_Top", "kms_key_arn": KEY},
        "stages": {"prod": {"cognito": {"user_pool_resource": "UserPool"}}},
    }
    prod = load_pool_targets(config, "prod")[None]
    assert prod == PoolTarget(resource="UserPool", kms_key_arn=KEY)
    assert load_pool_targets(config, "dev")[None] == PoolTarget(
        pool_id="us-east-1_Top", kms_key_arn=KEY
    )


def test_stage_merge_per_alias() -> None:
    config = {
        "cognito": {"user_pools": {"a": {"user_pool_id": "x_1", "default": True}}},
        "stages": {"dev": {"cognito": {"user_pools": {"a": {"user_pool_name": "dev-a"}}}}},
    }
    pools = load_pool_targets(config, "dev")
    # the stage's name replaced the inherited id; "default" was kept
    assert pools["a"] == PoolTarget(alias="a", pool_name="dev-a")
    assert pools[None] is pools["a"]


def test_user_pool_id_override_makes_the_default_pool_existing() -> None:
    config = {"cognito": {"user_pools": {"main": {"user_pool_resource": "UserPool"}}}}
    overridden = load_pool_targets(config, "dev", user_pool_id="us-east-1_Over")
    assert overridden[None].pool_id == "us-east-1_Over"
    assert not overridden[None].in_template
    assert overridden["main"] == overridden[None]


def test_config_errors_become_iac_config_errors_with_suggestions() -> None:
    with pytest.raises(
        IaCConfigError, match="'user_pool_resorce'.*Did you mean 'user_pool_resource'"
    ):
        parse_pools({"user_pool_resorce": "UserPool"})
