"""The CLI's ownership record .chalice/cognito/<stage>.json (and config read from disk)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalice_cognito.deploy.config import load_cognito_config
from chalice_cognito.deploy.errors import ConfigError, WiringError
from chalice_cognito.deploy.model import Ownership, PoolRef
from chalice_cognito.deploy.state import load_state, save_state, state_path

POOL = PoolRef(
    "eu-west-1_Abc",
    "eu-west-1",
    "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Abc",
    "111122223333",
)
FN = "arn:aws:lambda:eu-west-1:111122223333:function:shop-dev-pre_sign_up"


def test_round_trip_in_its_own_file(tmp_path: Path) -> None:
    state = load_state(tmp_path, "dev")
    assert state.pools == {}
    owned = Ownership(slots={"PreSignUp": FN}, kms_key_arn=None)
    path = save_state(tmp_path, state.with_pool(POOL, owned, alias="default"))
    assert path == tmp_path / ".chalice" / "cognito" / "dev.json"
    data = json.loads(path.read_text())
    assert data == {
        "schema_version": 1,
        "pools": {
            "eu-west-1_Abc": {
                "alias": "default",
                "region": "eu-west-1",
                "pool_arn": POOL.arn,
                "slots": {
                    "PreSignUp": {"function_arn": FN, "function_name": "shop-dev-pre_sign_up"}
                },
                "kms_key_arn": None,
            }
        },
    }
    # Stock chalice's deployed file is not touched.
    assert not (tmp_path / ".chalice" / "deployed").exists()
    assert load_state(tmp_path, "dev").ownership("eu-west-1_Abc") == owned


def test_empty_ownership_removes_the_file(tmp_path: Path) -> None:
    state = load_state(tmp_path, "dev").with_pool(POOL, Ownership(slots={"PreSignUp": FN}))
    save_state(tmp_path, state)
    save_state(tmp_path, state.with_pool(POOL, Ownership()))
    assert not state_path(tmp_path, "dev").exists()


def test_corrupt_record_is_reported(tmp_path: Path) -> None:
    path = state_path(tmp_path, "dev")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(WiringError, match="not valid JSON"):
        load_state(tmp_path, "dev")
    path.write_text(json.dumps({"schema_version": 9, "pools": {}}))
    with pytest.raises(WiringError, match="schema_version 9"):
        load_state(tmp_path, "dev")


def test_config_read_from_project_dir(tmp_path: Path) -> None:
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(
        json.dumps({"app_name": "shop", "cognito": {"user_pool_id": "eu-west-1_Abc"}})
    )
    cfg = load_cognito_config(tmp_path, "dev", environ={})
    assert cfg.pool_for(None).user_pool_id == "eu-west-1_Abc"
    (tmp_path / ".chalice" / "config.json").write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_cognito_config(tmp_path, "dev", environ={})
