"""The README's quick start, deployed as written with the real command against moto.

The README's app.py and .chalice/config.json go into a project (the config's pool id swapped
for a moto pool's); ``chalice-cognito deploy`` must succeed, print every line the README shows
(ids, region and column padding normalised), leave both triggers in the pool, and the deployed
PostConfirmation handler must really put a user in the group.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import List

import boto3
import pytest
from chalice.test import Client

from chalice_cognito.testing import sample_event

pytestmark = pytest.mark.usefixtures("aws")

README = Path(__file__).resolve().parents[3] / "README.md"


def block(language: str, containing: str) -> str:
    found = [
        b
        for b in re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.DOTALL)
        if containing in b
    ]
    assert len(found) == 1, f"expected one {language} block with {containing!r} in {README}"
    return found[0]


def squeeze(line: str) -> str:
    return " ".join(line.split())


def shown_output() -> List[str]:
    """The lines the README shows after ``$ chalice-cognito deploy``."""
    lines = block("console", "$ chalice-cognito deploy").splitlines()
    return [squeeze(line) for line in lines[1:] if line.strip()]


def test_readme_quick_start_deploys_and_prints_what_the_readme_shows(
    tmp_path: Path, run_cli, h
) -> None:
    config = json.loads(block("json", '"cognito"'))
    documented_id = config["cognito"]["user_pool_id"]
    idp = boto3.client("cognito-idp", region_name=h.region)
    pool_id = h.create_pool("shop-users")["Id"]
    idp.create_group(UserPoolId=pool_id, GroupName="customers")
    config["cognito"]["user_pool_id"] = pool_id
    project = tmp_path / "shop"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text(block("python", "# app.py"))
    (project / ".chalice" / "config.json").write_text(json.dumps(config))

    result = run_cli(project, "deploy")

    assert result.exit_code == 0, result.err + result.out
    assert "Warning" not in result.err, result.err  # the README's config draws no warning
    documented_region = documented_id.split("_")[0]
    printed = {
        squeeze(line.replace(pool_id, documented_id).replace(h.region, documented_region))
        for line in result.out.splitlines()
    }
    assert [line for line in shown_output() if line not in printed] == []
    assert set(h.lambda_config(pool_id)) == {"PreSignUp", "PostConfirmation"}

    # the deployed handler's code, run against the same (moto) pool
    idp.admin_create_user(UserPoolId=pool_id, Username="ann", MessageAction="SUPPRESS")
    event = sample_event("PostConfirmation_ConfirmSignUp", user_pool_id=pool_id, user_name="ann")
    spec = importlib.util.spec_from_file_location("readme_quick_start_app", project / "app.py")
    assert spec is not None and spec.loader is not None
    readme_app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme_app)
    with Client(readme_app.app, project_dir=str(project)) as client:
        client.lambda_.invoke("post_confirmation", event)
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="ann")["Groups"]
    assert [g["GroupName"] for g in groups] == ["customers"]
