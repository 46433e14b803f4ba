"""The ``cognito`` config section: both forms, stage merge, overrides, clear errors."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from chalice_cognito.deploy.config import ENV_USER_POOL_ID, CognitoConfig, load_cognito_config
from chalice_cognito.deploy.errors import ConfigError

ID = "eu-west-1_Abc123"
ID2 = "eu-west-1_Xyz789"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/k1"


def load(data: Dict[str, Any], stage: str = "dev", **kw: Any) -> CognitoConfig:
    kw.setdefault("environ", {})
    return load_cognito_config(data, stage, **kw)


def test_single_pool_form() -> None:
    cfg = load({"cognito": {"user_pool_id": ID, "kms_key_arn": KEY, "on_conflict": "replace"}})
    pool = cfg.pool_for(None)
    assert (pool.alias, pool.user_pool_id, pool.kms_key_arn) == ("default", ID, KEY)
    options = pool.plan_options()
    assert options.replace and options.kms_key_arn == KEY
    assert pool.plan_options(force=True).force


def test_stage_wins_over_top_level() -> None:
    data = {
        "cognito": {"user_pool_name": "shared", "on_conflict": "replace"},
        "stages": {"prod": {"cognito": {"user_pool_id": ID}}},
    }
    prod = load(data, "prod").pool_for(None)
    assert (prod.user_pool_id, prod.user_pool_name, prod.on_conflict) == (ID, None, "replace")
    dev = load(data, "dev").pool_for(None)
    assert (dev.user_pool_id, dev.user_pool_name) == (None, "shared")


def test_several_pools_with_default_and_shared_settings() -> None:
    data = {
        "cognito": {
            "on_conflict": "replace",
            "user_pools": {
                "customers": {"user_pool_name": "customers", "default": True},
                "staff": {"user_pool_id": ID2, "on_conflict": "fail"},
            },
        },
        "stages": {"dev": {"cognito": {"user_pools": {"staff": {"user_pool_id": ID}}}}},
    }
    cfg = load(data)
    assert cfg.default_alias == "customers"
    assert cfg.pool_for(None).on_conflict == "replace"
    staff = cfg.pool_for("staff")
    assert (staff.user_pool_id, staff.on_conflict) == (ID, "fail")
    cfg.check_aliases([None, "staff"])


def test_unknown_alias_is_named_with_suggestion() -> None:
    cfg = load({"cognito": {"user_pools": {"staff": {"user_pool_id": ID}}}})
    with pytest.raises(ConfigError, match=r"'staf'.*Did you mean 'staff'"):
        cfg.pool_for("staf")


def test_flag_beats_env_beats_config() -> None:
    data = {"cognito": {"user_pool_name": "by-name"}}
    env = {ENV_USER_POOL_ID: ID2}
    assert load(data, environ=env).pool_for(None).user_pool_id == ID2
    assert load(data, environ=env).pool_for(None).user_pool_name is None
    assert load(data, environ=env, user_pool_id=ID).pool_for(None).user_pool_id == ID
    assert load({}, environ=env).pool_for(None).user_pool_id == ID2


def test_unknown_key_suggests() -> None:
    with pytest.raises(
        ConfigError, match=r"Unknown key 'user_pool_ids'.*Did you mean 'user_pool_id'"
    ):
        load({"cognito": {"user_pool_ids": ID}})
    with pytest.raises(
        ConfigError, match=r"'defualt' in stages.dev.cognito.user_pools.a.*Did you mean 'default'"
    ):
        load({"stages": {"dev": {"cognito": {"user_pools": {"a": {"defualt": True}}}}}})


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"user_pool_id": ID, "user_pool_name": "x"}, "both user_pool_id"),
        ({"kms_key_arn": KEY}, "names no user pool"),
        ({"user_pool_id": "not-an-id"}, "is not a pool id"),
        ({"user_pool_id": ID, "on_conflict": "overwrite"}, "on_conflict must be one of"),
        (
            {"user_pool_id": ID, "kms_key_arn": "alias/foo"},
            "kms_key_arn .alias.foo. is not a KMS key ARN",
        ),
        ({"user_pool_id": ID, "local": "yes"}, "local must be true or false"),
        ({"user_pools": {}}, "non-empty object"),
        (
            {
                "user_pools": {
                    "a": {"user_pool_id": ID, "default": True},
                    "b": {"user_pool_id": ID2, "default": True},
                }
            },
            "marked default",
        ),
    ],
)
def test_bad_config_is_explained(section: Dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load({"cognito": section})


def test_no_pool_configured() -> None:
    cfg = load({})
    assert cfg.pools == {}
    with pytest.raises(ConfigError, match="No Cognito user pool configured for stage 'dev'"):
        cfg.pool_for(None)


def test_several_pools_without_default() -> None:
    cfg = load({"cognito": {"user_pools": {"a": {"user_pool_id": ID}, "b": {"user_pool_id": ID2}}}})
    with pytest.raises(ConfigError, match="none is marked"):
        cfg.pool_for(None)
    assert cfg.pool_for("b").user_pool_id == ID2


def test_packaging_only_pool_keys_are_accepted_and_refused_clearly_for_deploy() -> None:
    config = load_cognito_config(
        {"cognito": {"user_pool_resource": "UserPool", "on_conflict": "replace"}}, "dev", environ={}
    )
    with pytest.raises(ConfigError, match="packaging only.*user_pool_id or user_pool_name"):
        config.pool_for(None)
    # a stage that names the real pool makes the same config deployable
    staged = load_cognito_config(
        {
            "cognito": {"user_pool_resource": "UserPool"},
            "stages": {"prod": {"cognito": {"user_pool_id": "us-east-1_AbC123"}}},
        },
        "prod",
        environ={},
    )
    assert staged.pool_for(None).user_pool_id == "us-east-1_AbC123"


def test_a_stage_naming_a_template_pool_drops_the_inherited_id() -> None:
    """One stage merge for deploy and package: the top-level id is not the stage's pool."""
    config = load_cognito_config(
        {
            "cognito": {"user_pool_id": ID},
            "stages": {"prod": {"cognito": {"user_pool_resource": "UserPool"}}},
        },
        "prod",
        environ={},
    )
    assert config.pools["default"].user_pool_id is None
    with pytest.raises(ConfigError, match="packaging only"):
        config.pool_for(None)


def test_confirm_delay_seconds_reaches_the_plan_options() -> None:
    pools = {"user_pool_id": "us-east-1_AbC123"}
    default = load_cognito_config({"cognito": pools}, "dev", environ={}).pool_for(None)
    assert default.plan_options().confirm_delay is None  # the engine's default (1 s)
    tuned = load_cognito_config(
        {"cognito": {**pools, "confirm_delay_seconds": 0}}, "dev", environ={}
    ).pool_for(None)
    assert tuned.plan_options().confirm_delay == 0.0
    for bad in (-1, "1", True):
        with pytest.raises(ConfigError, match="confirm_delay_seconds must be a number"):
            load_cognito_config(
                {"cognito": {**pools, "confirm_delay_seconds": bad}}, "dev", environ={}
            )
