"""The "Using the engine from Python" example of docs/how-to/wiring.md runs as written, on moto.

Only the example's elided function ARN is replaced by a real (moto) function's; the project
directory holds a config naming a moto pool.  The pool must then hold the trigger, and the
ownership record the example saves must name it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from moto import mock_aws

from tests.support import aws

DOC = Path(__file__).resolve().parents[3] / "docs" / "how-to" / "wiring.md"
ELIDED_ARN = "arn:aws:lambda:...:function:shop-dev-pre_sign_up"


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", aws.REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def example() -> str:
    section = DOC.read_text().split("## Using the engine from Python", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert block, f"no Python example under 'Using the engine from Python' in {DOC}"
    return block.group(1)


def keys(value: Any) -> Any:
    """The key structure of a JSON value (dicts keyed by pool id or trigger by their entry)."""
    if isinstance(value, dict):
        return {k: keys(v) for k, v in value.items()}
    return None


def documented_record() -> Dict[str, Any]:
    section = DOC.read_text().split("## The ownership file", 1)[1]
    block = re.search(r"```json\n(.*?)```", section, flags=re.DOTALL)
    assert block, f"no JSON example of the ownership file in {DOC}"
    return dict(json.loads(block.group(1)))


def test_engine_example_wires_the_pool_and_saves_the_ownership(
    moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool_id = aws.client("cognito-idp").create_user_pool(PoolName="shop")["UserPool"]["Id"]
    arn = aws.create_function("shop-dev-pre_sign_up")
    (tmp_path / ".chalice").mkdir()
    config = {"version": "2.0", "app_name": "shop", "cognito": {"user_pool_id": pool_id}}
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    monkeypatch.chdir(tmp_path)
    source = example()
    assert ELIDED_ARN in source

    namespace: Dict[str, Any] = {}
    exec(compile(source.replace(ELIDED_ARN, arn), str(DOC), "exec"), namespace)

    assert aws.lambda_config(pool_id) == {"PreSignUp": arn}
    assert [s["Principal"] for s in aws.policy_statements(arn)] == [
        {"Service": "cognito-idp.amazonaws.com"}
    ]
    record = json.loads((tmp_path / ".chalice" / "cognito" / "dev.json").read_text())
    assert record["pools"][pool_id]["slots"]["PreSignUp"]["function_arn"] == arn

    # the ownership file the page shows has the shape of the one the example saved
    shown = documented_record()
    (shown_pool,) = shown["pools"].values()
    assert keys(shown) == {"schema_version": None, "pools": keys(shown["pools"])}
    assert keys(record) == {"schema_version": None, "pools": keys(record["pools"])}
    assert keys(shown_pool) == keys(record["pools"][pool_id])
    assert record["schema_version"] == shown["schema_version"]
