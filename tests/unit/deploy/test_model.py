"""Ownership round-trips and helpers of the engine's values."""

from __future__ import annotations

import pytest

from chalice_cognito.deploy.model import Ownership, function_name_from_arn, region_from_pool_id


def test_ownership_round_trip_and_state_file_shape() -> None:
    owned = Ownership(slots={"PreSignUp": "arn:aws:lambda:r:1:function:f"}, kms_key_arn="arn:k")
    assert Ownership.from_json(owned.to_json()) == owned
    record = {
        "slots": {
            "PreSignUp": {"function_arn": "arn:aws:lambda:r:1:function:f", "function_name": "f"}
        },
        "kms_key_arn": "arn:k",
    }
    assert Ownership.from_json(record) == owned
    assert Ownership.from_json(None).is_empty


def test_ownership_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="no function ARN"):
        Ownership.from_json({"slots": {"PreSignUp": {"name": "x"}}})


def test_helpers() -> None:
    assert function_name_from_arn("arn:aws:lambda:eu-west-1:1:function:shop-dev-x:live") == (
        "shop-dev-x"
    )
    assert function_name_from_arn("plain") == "plain"
    assert region_from_pool_id("eu-west-1_Abc") == "eu-west-1"
