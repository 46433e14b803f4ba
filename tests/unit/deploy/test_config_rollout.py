"""The rollout keys of the ``cognito`` section (issue 14): parsed, and refused clearly."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from chalice_cognito.deploy.config import (
    AlarmSettings,
    CanarySettings,
    load_cognito_config,
)
from chalice_cognito.deploy.errors import ConfigError

POOL = "us-east-1_AbC123"
TOPIC = "arn:aws:sns:us-east-1:123456789012:auth-alarms"


def _config(**cognito: Any) -> Dict[str, Any]:
    return {"stages": {"prod": {"cognito": {"user_pool_id": POOL, **cognito}}}}


def test_defaults_without_the_keys() -> None:
    config = load_cognito_config(_config(), "prod")
    assert (config.alias, config.keep_versions, config.canary, config.alarms) == (
        None,
        3,
        None,
        None,
    )


def test_every_key_parsed_and_the_stage_wins() -> None:
    data = _config(alias="live", canary={"percent": 10, "minutes": 5}, keep_versions=5)
    data["cognito"] = {"alias": "top", "alarms": {"sns_topic_arn": TOPIC}}
    config = load_cognito_config(data, "prod")
    assert config.alias == "live"
    assert config.keep_versions == 5
    assert config.canary == CanarySettings(10.0, 5.0)
    assert config.canary.weight == pytest.approx(0.1)
    assert config.alarms == AlarmSettings(TOPIC)


def test_the_multi_pool_form_takes_them_next_to_user_pools() -> None:
    data = {
        "cognito": {
            "alias": "live",
            "user_pools": {"a": {"user_pool_id": POOL, "default": True}},
        }
    }
    assert load_cognito_config(data, "dev").alias == "live"


@pytest.mark.parametrize(
    ("cognito", "message"),
    [
        ({"alias": "12"}, "alias must be a Lambda alias name"),
        ({"alias": "live\n"}, "alias must be a Lambda alias name"),
        ({"alias": 3}, "alias must be a Lambda alias name"),
        ({"alias": "live", "keep_versions": 0}, "keep_versions must be a whole number from 1"),
        ({"alias": "live", "keep_versions": True}, "keep_versions must be a whole number"),
        ({"alias": "live", "keep_versions": 2.5}, "keep_versions must be a whole number"),
        ({"canary": {"percent": 10}}, 'canary needs "alias"'),
        ({"alias": "live", "canary": {"percent": 0}}, "percent must be a number above 0"),
        ({"alias": "live", "canary": {"percent": 100}}, "percent must be a number above 0"),
        ({"alias": "live", "canary": {"percent": "10"}}, "percent must be a number above 0"),
        ({"alias": "live", "canary": {"percent": 10, "minutes": -1}}, "minutes must be"),
        ({"alias": "live", "canary": {"percent": 10, "mins": 5}}, "Unknown key 'mins'"),
        ({"alias": "live", "canary": 10}, "canary must be an object"),
        (
            {"alias": "live", "canary": {"percent": 10, "type": "Linear"}},
            'type must be "canary" (one step) or "linear"',
        ),
        ({"alarms": {"sns_topic_arn": "auth-alarms"}}, "sns_topic_arn must be an SNS topic ARN"),
        ({"alarms": {"topic": TOPIC}}, "Unknown key 'topic'"),
        ({"alarms": TOPIC}, "alarms must be an object"),
    ],
)
def test_malformed_values_are_refused_with_the_key_and_the_fix(
    cognito: Dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_cognito_config(_config(**cognito), "prod")
    assert message in str(error.value)
    assert "stages.prod.cognito" in str(error.value)


def test_canary_type_linear_is_parsed_and_canary_is_the_default() -> None:
    linear = _config(alias="live", canary={"percent": 10, "minutes": 2, "type": "linear"})
    assert load_cognito_config(linear, "prod").canary == CanarySettings(10.0, 2.0, "linear")
    plain = _config(alias="live", canary={"percent": 10})
    assert load_cognito_config(plain, "prod").canary == CanarySettings(10.0, 10.0, "canary")


def test_linear_steps_move_by_percent_until_all_of_the_traffic() -> None:
    from chalice_cognito.deploy.rollout_commands import linear_steps

    assert linear_steps(CanarySettings(10.0, 1.0, "linear")) == [
        0.2,
        0.3,
        0.4,
        0.5,
        0.6,
        0.7,
        0.8,
        0.9,
    ]
    assert linear_steps(CanarySettings(30.0, 5.0, "linear")) == [0.6, 0.9]
    assert linear_steps(CanarySettings(50.0, 5.0, "linear")) == []
    assert linear_steps(CanarySettings(10.0, 5.0)) == [] and linear_steps(None) == []
