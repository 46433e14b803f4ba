"""Against the embedded emulator the confirming read waits 0 s; against AWS the engine's 1 s."""

from __future__ import annotations

import inspect

from chalice_cognito.deploy.config import load_cognito_config
from chalice_cognito.deploy.stage import emulated_pools
from chalice_cognito.deploy.wiring import Wiring


def test_emulated_pools_confirm_without_waiting() -> None:
    cognito = load_cognito_config(
        {"cognito": {"local": True, "user_pool_name": "shop-local"}}, "local", environ={}
    )
    _, pools = emulated_pools(cognito, "shop", "local", "us-east-1")
    assert [p.plan_options().confirm_delay for p in pools.values()] == [0.0]


def test_real_aws_keeps_the_one_second_default() -> None:
    cognito = load_cognito_config(
        {"cognito": {"user_pool_id": "eu-west-1_AbC123"}}, "dev", environ={}
    )
    assert cognito.pools["default"].plan_options().confirm_delay is None  # the engine's default
    assert inspect.signature(Wiring).parameters["confirm_delay"].default == 1.0
