"""The local-only ``local_groups`` key of the ``cognito`` config (groups seeded in the emulator)."""

from __future__ import annotations

import pytest

from chalice_cognito.deploy.config import load_cognito_config
from chalice_cognito.deploy.errors import ConfigError


def config(cognito: dict) -> dict:
    return {"version": "2.0", "app_name": "shop", "stages": {"local": {"cognito": cognito}}}


def test_local_groups_are_read_in_order() -> None:
    loaded = load_cognito_config(
        config({"local": True, "user_pool_name": "shop-local", "local_groups": ["b", "a"]}),
        "local",
        environ={},
    )
    assert loaded.pools["default"].local_groups == ("b", "a")


def test_local_groups_default_to_none_and_work_per_pool() -> None:
    loaded = load_cognito_config(
        config(
            {
                "local": True,
                "user_pools": {
                    "shop": {"user_pool_name": "shop", "local_groups": ["customers"]},
                    "staff": {"user_pool_name": "staff", "default": True},
                },
            }
        ),
        "local",
        environ={},
    )
    assert loaded.pools["shop"].local_groups == ("customers",)
    assert loaded.pools["staff"].local_groups == ()


@pytest.mark.parametrize("bad", ["customers", [""], [1], {"customers": True}])
def test_local_groups_must_be_a_list_of_names(bad: object) -> None:
    with pytest.raises(ConfigError, match="local_groups must be a list of group names"):
        load_cognito_config(
            config({"user_pool_name": "shop-local", "local_groups": bad}), "local", environ={}
        )


def test_a_typo_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'local_groups'"):
        load_cognito_config(
            config({"user_pool_name": "shop-local", "local_group": ["customers"]}),
            "local",
            environ={},
        )
