"""docs/tutorial.md, steps 2-4 and 6, run as written (step 5, the local deploy, is integration).

The page's app.py and test_app.py go into a project; its tests run against its app; the two
commands of step 4 run through the real ``chalice-cognito`` and print what the page shows; both
config blocks are read by the config parser; and step 6's plan, deploy, status and delete run
against moto on the pool the page names.
"""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path
from typing import Dict, List

import boto3
import pytest

from chalice_cognito.deploy.config import load_cognito_config

pytestmark = pytest.mark.usefixtures("aws")

DOC = Path(__file__).resolve().parents[3] / "docs" / "tutorial.md"


def blocks(language: str) -> List[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def python_file(name: str) -> str:
    (source,) = [b for b in blocks("python") if b.startswith(f"# {name}\n")]
    return source


def console(first_command: str) -> List[str]:
    """The block that starts with ``$ <first_command>``: its lines."""
    (block,) = [b for b in blocks("console") if b.startswith(f"$ {first_command}")]
    return block.splitlines()


def write_project(root: Path, config: str) -> Path:
    (root / ".chalice").mkdir(parents=True)
    (root / "app.py").write_text(python_file("app.py"))
    (root / "test_app.py").write_text(python_file("test_app.py"))
    (root / ".chalice" / "config.json").write_text(config)
    return root


def test_step_3_the_tests_on_the_page_pass_against_the_app_on_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(tmp_path / "shop", blocks("json")[0])
    app_module = types.ModuleType("app")
    exec(compile(python_file("app.py"), str(project / "app.py"), "exec"), app_module.__dict__)
    monkeypatch.setitem(sys.modules, "app", app_module)
    namespace: Dict[str, object] = {}
    exec(compile(python_file("test_app.py"), str(project / "test_app.py"), "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    assert len(tests) == 2
    monkeypatch.chdir(project)
    for test in tests:
        test()


def test_step_4_events_generate_and_invoke_local_print_what_the_page_shows(
    tmp_path: Path, run_cli
) -> None:
    project = write_project(tmp_path / "shop", blocks("json")[0])
    generate, invoke, *shown = console("chalice-cognito events generate")
    gen_args = generate.split(" > ")[0].split()[2:]
    target = generate.split(" > ")[1]
    result = run_cli(project, *gen_args)
    assert result.exit_code == 0, result.err
    (project / target).write_text(result.out)
    result = run_cli(project, *invoke.split()[2:])
    assert result.exit_code == 1
    printed = (result.out + result.err).splitlines()
    assert [line for line in shown if line not in printed] == []


def test_configs_of_the_page_are_read_by_the_config_parser(tmp_path: Path) -> None:
    local, both = blocks("json")
    for source, stages in ((local, ["local"]), (both, ["local", "dev"])):
        (tmp_path / ".chalice").mkdir(exist_ok=True)
        (tmp_path / ".chalice" / "config.json").write_text(source)
        for stage in stages:
            pool = load_cognito_config(tmp_path, stage).pool_for(None)
            assert pool.user_pool_name == f"shop-{stage}"
            assert pool.local is (stage == "local")


def test_step_6_plan_deploy_status_delete_on_the_named_pool(tmp_path: Path, run_cli, h) -> None:
    config = blocks("json")[1]
    pool_name = json.loads(config)["stages"]["dev"]["cognito"]["user_pool_name"]
    pool_id = h.create_pool(pool_name)["Id"]
    boto3.client("cognito-idp", region_name=h.region).create_group(
        UserPoolId=pool_id, GroupName="customers"
    )
    project = write_project(tmp_path / "shop", config)
    commands = [line.split("#")[0].split()[1:] for line in console("chalice-cognito plan")]
    assert [c[1] for c in commands] == ["plan", "deploy", "status", "delete"]
    for command in commands:
        result = run_cli(project, *command[1:])
        assert result.exit_code == 0, (command, result.out, result.err)
        if command[1] == "status":
            assert set(h.lambda_config(pool_id)) == {"PreSignUp", "PostConfirmation"}
    assert h.lambda_config(pool_id) == {}
    assert h.function_names() == []
