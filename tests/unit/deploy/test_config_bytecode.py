"""The ``precompile_bytecode`` key: a project setting in the ``cognito`` section."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from chalice_cognito.deploy.config import (
    CognitoConfig,
    load_cognito_config,
    precompile_bytecode,
)
from chalice_cognito.deploy.errors import ConfigError

ID = "eu-west-1_Abc123"


def load(data: Dict[str, Any], stage: str = "dev", **kw: Any) -> CognitoConfig:
    kw.setdefault("environ", {})
    return load_cognito_config(data, stage, **kw)


@pytest.mark.parametrize(
    ("data", "stage", "expected"),
    [
        ({}, "dev", True),  # on by default
        ({"cognito": {"user_pool_id": ID}}, "dev", True),
        ({"cognito": {"user_pool_id": ID, "precompile_bytecode": False}}, "dev", False),
        ({"cognito": {"user_pool_id": ID, "precompile_bytecode": True}}, "dev", True),
        # next to user_pools (the multi-pool form)
        (
            {"cognito": {"precompile_bytecode": False, "user_pools": {"a": {"user_pool_id": ID}}}},
            "dev",
            False,
        ),
        # the stage wins over the top level, either way round
        (
            {
                "cognito": {"user_pool_id": ID, "precompile_bytecode": False},
                "stages": {"prod": {"cognito": {"precompile_bytecode": True}}},
            },
            "prod",
            True,
        ),
        (
            {
                "cognito": {"user_pool_id": ID},
                "stages": {"prod": {"cognito": {"precompile_bytecode": False}}},
            },
            "prod",
            False,
        ),
        (
            {
                "cognito": {"user_pool_id": ID, "precompile_bytecode": True},
                "stages": {"prod": {"cognito": {"precompile_bytecode": False}}},
            },
            "dev",
            True,
        ),
    ],
)
def test_key_is_read_with_stage_precedence(
    data: Dict[str, Any], stage: str, expected: bool
) -> None:
    assert precompile_bytecode(data, stage) is expected
    assert load(data, stage).precompile_bytecode is expected


def test_key_is_not_a_pool_setting() -> None:
    # alone in a section it names no pool (no "names no user pool" error)
    cfg = load({"cognito": {"precompile_bytecode": False}})
    assert cfg.pools == {} and cfg.precompile_bytecode is False
    staged = load(
        {
            "cognito": {"user_pool_id": ID},
            "stages": {"dev": {"cognito": {"precompile_bytecode": False}}},
        }
    )
    assert staged.pool_for(None).user_pool_id == ID
    multi = load(
        {"cognito": {"precompile_bytecode": False, "user_pools": {"a": {"user_pool_id": ID}}}}
    )
    assert list(multi.pools) == ["a"]


@pytest.mark.parametrize("value", ["false", 0, 1, None, [], "no"])
def test_non_bool_is_refused(value: Any) -> None:
    data = {"cognito": {"user_pool_id": ID, "precompile_bytecode": value}}
    with pytest.raises(ConfigError, match=r"cognito: precompile_bytecode must be true or false"):
        precompile_bytecode(data, "dev")
    with pytest.raises(ConfigError, match="precompile_bytecode must be true or false"):
        load(data)


def test_non_bool_in_a_stage_names_the_stage() -> None:
    data = {"stages": {"prod": {"cognito": {"precompile_bytecode": "off"}}}}
    with pytest.raises(ConfigError, match=r"stages\.prod\.cognito: precompile_bytecode"):
        precompile_bytecode(data, "prod")


def test_key_inside_a_pool_entry_is_refused_with_a_suggestion() -> None:
    data = {"cognito": {"user_pools": {"a": {"user_pool_id": ID, "precompile_bytecode": False}}}}
    with pytest.raises(ConfigError, match=r"Unknown key 'precompile_bytecode'"):
        load(data)


def test_typo_suggests_the_key() -> None:
    with pytest.raises(ConfigError, match="Did you mean 'precompile_bytecode'"):
        load({"cognito": {"user_pool_id": ID, "precompile_bytecodes": False}})
