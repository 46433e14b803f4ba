"""LambdaConfig shapes per format, for every trigger of the catalogue."""

from __future__ import annotations

import pytest

from chalice_cognito.catalogue import KMS_KEY_CONFIG_KEY, TRIGGERS, TriggerSpec
from chalice_cognito.iac.shapes import cfn_entries, snake, terraform_attributes, terraform_blocks

ARN = {"Fn::GetAtt": ["Fn", "Arn"]}
KEY = "arn:aws:kms:us-east-1:123456789012:key/k"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("PreSignUp", "pre_sign_up"),
        ("KMSKeyID", "kms_key_id"),
        ("CustomSMSSender", "custom_sms_sender"),
        ("PreTokenGenerationConfig", "pre_token_generation_config"),
        ("VerifyAuthChallengeResponse", "verify_auth_challenge_response"),
    ],
)
def test_snake_matches_terraform_attribute_names(key: str, expected: str) -> None:
    assert snake(key) == expected


@pytest.mark.parametrize("spec", TRIGGERS, ids=lambda s: s.name)
def test_cfn_entry_shape_follows_the_catalogue(spec: TriggerSpec) -> None:
    version = spec.versions[-1] if spec.versions else None
    entries = cfn_entries(spec, version, ARN, KEY if spec.requires_kms else None)
    if spec.versioned:
        assert entries[spec.config_key] == {"LambdaArn": ARN, "LambdaVersion": version}
    else:
        assert entries[spec.config_key] == ARN
    assert (KMS_KEY_CONFIG_KEY in entries) == spec.requires_kms
    assert set(entries) <= {spec.config_key, KMS_KEY_CONFIG_KEY}


def test_versioned_entry_defaults_to_the_catalogue_version() -> None:
    spec = next(t for t in TRIGGERS if t.name == "PreTokenGeneration")
    assert cfn_entries(spec, None, ARN)["PreTokenGenerationConfig"]["LambdaVersion"] == "V1_0"


def test_sender_without_key_is_an_error() -> None:
    spec = next(t for t in TRIGGERS if t.requires_kms)
    with pytest.raises(ValueError, match="KMS"):
        cfn_entries(spec, None, ARN)


@pytest.mark.parametrize("spec", TRIGGERS, ids=lambda s: s.name)
def test_terraform_attributes_and_blocks(spec: TriggerSpec) -> None:
    attrs = terraform_attributes(spec, "${x.arn}", KEY)
    blocks = terraform_blocks(spec, "V1_0", "${x.arn}")
    if spec.versioned:
        assert blocks == {
            snake(spec.config_key): {"lambda_arn": "${x.arn}", "lambda_version": "V1_0"}
        }
        if spec.legacy_key:
            assert attrs[snake(spec.legacy_key)] == "${x.arn}"
            later = terraform_attributes(spec, "${x.arn}", KEY, spec.versions[-1])
            assert snake(spec.legacy_key) not in later
    else:
        assert blocks == {}
        assert attrs[snake(spec.config_key)] == "${x.arn}"
    assert ("kms_key_id" in attrs) == spec.requires_kms
