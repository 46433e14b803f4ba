"""``make demo``'s line per trigger for a stage without ``alias``: it says $LATEST and how to change it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from chalice_cognito.local.cognito_flows.demo import wiring_lines

ARN = "arn:aws:lambda:us-east-1:123456789012:function:shop-local-{}"


def _no_client(service: str) -> Any:
    raise AssertionError(f"an unqualified ARN needs no {service} call")


def test_unqualified_triggers_say_they_run_latest_and_how_to_add_the_alias() -> None:
    cognito = SimpleNamespace(
        lambda_config={
            "PreSignUp": ARN.format("pre_sign_up"),
            "PreTokenGeneration": ARN.format("pre_token_generation"),
            "PreTokenGenerationConfig": {
                "LambdaArn": ARN.format("pre_token_generation"),
                "LambdaVersion": "V2_0",
            },
            "KMSKeyID": "arn:aws:kms:us-east-1:123456789012:key/k",
        },
        client=_no_client,
    )
    lines = wiring_lines(cognito)
    assert lines[1:3] == [
        f"  PreSignUp           {ARN.format('pre_sign_up')}  ($LATEST, unqualified)",
        f"  PreTokenGeneration  {ARN.format('pre_token_generation')}  ($LATEST, unqualified)",
    ]
    assert len(lines) == 4 and '"alias": "live"' in lines[3] and "$LATEST" in lines[3]
