"""Malformed ``cognito`` sections: each is refused by the config parser, before any AWS call.

Issue 10, defect 7: values such as ``"confirm_delay_seconds": 1e300`` (or
``Infinity`` / ``NaN``, which Python's ``json`` accepts) and ids with a
trailing newline used to pass validation and then fail half-way through a
deploy.  Every case below must raise :class:`ConfigError` from
:func:`load_cognito_config` with one line that names the key and says what to
write instead.  The config is given as JSON *text* (parsed like the file), so
the non-standard JSON constants are covered as users write them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from chalice_cognito.deploy.config import load_cognito_config, read_config_file
from chalice_cognito.deploy.errors import ConfigError

ID = "eu-west-1_Abc123"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

#: (case id, the "cognito" section as JSON text, the key the message must name,
#: a word of the fix the message must give)
CASES: List[Tuple[str, str, str, str]] = [
    # confirm_delay_seconds: finite, in [0, 60]
    (
        "delay-1e300",
        f'{{"user_pool_id": "{ID}", "confirm_delay_seconds": 1e300}}',
        "confirm_delay_seconds",
        "from 0 to 60",
    ),
    (
        "delay-infinity",
        f'{{"user_pool_id": "{ID}", "confirm_delay_seconds": Infinity}}',
        "confirm_delay_seconds",
        "from 0 to 60",
    ),
    (
        "delay-minus-infinity",
        f'{{"user_pool_id": "{ID}", "confirm_delay_seconds": -Infinity}}',
        "confirm_delay_seconds",
        "from 0 to 60",
    ),
    (
        "delay-nan",
        f'{{"user_pool_id": "{ID}", "confirm_delay_seconds": NaN}}',
        "confirm_delay_seconds",
        "from 0 to 60",
    ),
    (
        "delay-negative",
        f'{{"user_pool_id": "{ID}", "confirm_delay_seconds": -0.5}}',
        "confirm_delay_seconds",
        "from 0 to 60",
    ),
    (
        "delay-too-long",
        f'{{"user_pool_id": "{ID}", "confirm_delay_seconds": 61}}',
        "confirm_delay_seconds",
        "from 0 to 60",
    ),
    (
        "delay-string",
        f'{{"user_pool_id": "{ID}", "confirm_delay_seconds": "1"}}',
        "confirm_delay_seconds",
        "from 0 to 60",
    ),
    (
        "delay-bool",
        f'{{"user_pool_id": "{ID}", "confirm_delay_seconds": true}}',
        "confirm_delay_seconds",
        "from 0 to 60",
    ),
    (
        "delay-list",
        f'{{"user_pool_id": "{ID}", "confirm_delay_seconds": [1]}}',
        "confirm_delay_seconds",
        "from 0 to 60",
    ),
    (
        "delay-multi-form",
        f'{{"confirm_delay_seconds": 1e309, "user_pools": {{"a": {{"user_pool_id": "{ID}"}}}}}}',
        "confirm_delay_seconds",
        "from 0 to 60",
    ),
    # user_pool_id: fullmatch, no trailing newline
    ("id-trailing-newline", f'{{"user_pool_id": "{ID}\\n"}}', "user_pool_id", "trailing newline"),
    ("id-leading-space", f'{{"user_pool_id": " {ID}"}}', "user_pool_id", "<region>_<id>"),
    ("id-no-underscore", '{"user_pool_id": "euwest1Abc123"}', "user_pool_id", "<region>_<id>"),
    (
        "id-too-long",
        '{"user_pool_id": "eu-west-1_' + "A" * 60 + '"}',
        "user_pool_id",
        "<region>_<id>",
    ),
    ("id-number", '{"user_pool_id": 12345}', "user_pool_id", "non-empty string"),
    ("id-empty", '{"user_pool_id": ""}', "user_pool_id", "non-empty string"),
    ("id-non-ascii", '{"user_pool_id": "eu-west-1_Abc\\u00e9"}', "user_pool_id", "<region>_<id>"),
    # kms_key_arn: a whole key ARN
    (
        "key-trailing-newline",
        f'{{"user_pool_id": "{ID}", "kms_key_arn": "{KEY}\\n"}}',
        "kms_key_arn",
        "trailing newline",
    ),
    (
        "key-alias-arn",
        f'{{"user_pool_id": "{ID}", "kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:alias/x"}}',
        "kms_key_arn",
        "not an alias",
    ),
    (
        "key-id-only",
        f'{{"user_pool_id": "{ID}", "kms_key_arn": "1234abcd-12ab"}}',
        "kms_key_arn",
        "arn:aws:kms",
    ),
    (
        "key-short-account",
        f'{{"user_pool_id": "{ID}", "kms_key_arn": "arn:aws:kms:eu-west-1:1111:key/k"}}',
        "kms_key_arn",
        "arn:aws:kms",
    ),
    (
        "key-not-kms",
        f'{{"user_pool_id": "{ID}", "kms_key_arn": "arn:aws:s3:::bucket"}}',
        "kms_key_arn",
        "arn:aws:kms",
    ),
    # user_pool_name / region
    (
        "name-trailing-newline",
        '{"user_pool_name": "shop\\n"}',
        "user_pool_name",
        "trailing space or newline",
    ),
    ("name-bad-char", '{"user_pool_name": "shop/prod"}', "user_pool_name", "+=,.@-"),
    ("name-too-long", '{"user_pool_name": "' + "n" * 129 + '"}', "user_pool_name", "1-128"),
    (
        "region-trailing-newline",
        '{"user_pool_name": "shop", "region": "eu-west-1\\n"}',
        "region",
        "eu-west-1",
    ),
    ("region-upper", '{"user_pool_name": "shop", "region": "EU-WEST-1"}', "region", "eu-west-1"),
    # on_conflict / booleans
    (
        "conflict-unknown",
        f'{{"user_pool_id": "{ID}", "on_conflict": "overwrite"}}',
        "on_conflict",
        "one of",
    ),
    (
        "conflict-list",
        f'{{"user_pool_id": "{ID}", "on_conflict": ["fail"]}}',
        "on_conflict",
        "one of",
    ),
    ("local-string", f'{{"user_pool_id": "{ID}", "local": "yes"}}', "local", "true or false"),
    (
        "default-number",
        f'{{"user_pools": {{"a": {{"user_pool_id": "{ID}", "default": 1}}}}}}',
        "default",
        "true or false",
    ),
    (
        "bytecode-string",
        f'{{"user_pool_id": "{ID}", "precompile_bytecode": "true"}}',
        "precompile_bytecode",
        "true or false",
    ),
    # local_groups
    (
        "groups-not-list",
        '{"user_pool_name": "shop", "local": true, "local_groups": "staff"}',
        "local_groups",
        "list of group names",
    ),
    (
        "groups-newline",
        '{"user_pool_name": "shop", "local": true, "local_groups": ["staff\\n"]}',
        "local_groups",
        "no spaces or newlines",
    ),
    (
        "groups-duplicate",
        '{"user_pool_name": "shop", "local": true, "local_groups": ["a", "a"]}',
        "local_groups",
        "once",
    ),
    # packaging keys, aliases, shape
    (
        "resource-newline",
        '{"user_pool_resource": "UserPool\\n"}',
        "user_pool_resource",
        "trailing newline",
    ),
    ("parameter-space", '{"user_pool_parameter": "Pool Id"}', "user_pool_parameter", "no spaces"),
    (
        "kms-resource-newline",
        f'{{"user_pool_id": "{ID}", "kms_key_resource": "Key\\n"}}',
        "kms_key_resource",
        "trailing newline",
    ),
    (
        "alias-with-space",
        f'{{"user_pools": {{"my pool": {{"user_pool_id": "{ID}"}}}}}}',
        "alias",
        "rename it",
    ),
    (
        "unknown-key",
        f'{{"user_pool_id": "{ID}", "kms_key": "{KEY}"}}',
        "kms_key",
        "Did you mean 'kms_key_arn'",
    ),
    (
        "entry-not-object",
        '{"user_pools": {"a": "eu-west-1_Abc123"}}',
        "user_pools.a",
        "JSON object",
    ),
]


def _load_text(tmp_path: Path, section: str) -> Any:
    config = tmp_path / ".chalice" / "config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('{"app_name": "x", "stages": {"dev": {}}, "cognito": ' + section + "}")
    return load_cognito_config(read_config_file(tmp_path), "dev", environ={})


def test_there_are_at_least_as_many_cases_as_the_issue_tried() -> None:
    assert len(CASES) >= 37
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("section", "key", "fix"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_config_is_one_line_naming_the_key_and_the_fix(
    tmp_path: Path, section: str, key: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load_text(tmp_path, section)
    message = str(caught.value)
    assert "\n" not in message.replace("\\n", ""), message  # one line (a repr'd \n is fine)
    assert key in message, message
    assert fix in message, message


@pytest.mark.parametrize(
    "override", [f"{ID}\n", f" {ID}", "eu-west-1", "eu-west-1_Abc-123", "x" * 60 + "_A"]
)
def test_malformed_pool_id_override_is_refused(override: str) -> None:
    with pytest.raises(ConfigError, match="--user-pool-id or CHALICE_COGNITO_USER_POOL_ID"):
        load_cognito_config({"cognito": {"user_pool_name": "shop"}}, "dev", user_pool_id=override)


@pytest.mark.parametrize(
    "section",
    [
        {"user_pool_id": ID, "confirm_delay_seconds": 0},
        {"user_pool_id": ID, "confirm_delay_seconds": 60},
        {"user_pool_id": ID, "confirm_delay_seconds": 2.5, "kms_key_arn": KEY},
        {"user_pool_id": "local_5or0dDbd"},  # cognito-local's ids
        {"user_pool_name": "shop prod+1@x.y", "region": "us-gov-west-1"},
        {"user_pool_resource": "module.auth.aws_cognito_user_pool.pool[0]"},
        {"user_pool_parameter": "UserPoolId", "kms_key_resource": "SendersKey"},
        {"user_pool_name": "s", "local": True, "local_groups": ["customers", "Ärzte:2"]},
        {"user_pools": {"staff.eu-1": {"user_pool_id": ID}}},
    ],
)
def test_well_formed_values_at_the_edges_pass(section: Dict[str, Any]) -> None:
    load_cognito_config(json.loads(json.dumps({"cognito": section})), "dev", environ={})
