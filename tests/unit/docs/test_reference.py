"""The generated reference pages cover everything they claim to, and fail loudly when they cannot.

The pages under docs/reference/ hold markers that docs/gen_reference.py (a MkDocs hook) fills at
build time; these tests check what it generates against the catalogue, the config parser and the
click group, the same sources it reads, so an entry silently missing is a failure here.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_reference", ROOT / "docs" / "gen_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_reference"] = module
    spec.loader.exec_module(module)
    return module


def headings(markdown: str) -> list[str]:
    return re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)


def test_every_trigger_has_a_section_naming_its_sources_and_model(gen: ModuleType) -> None:
    from chalice_cognito.catalogue import TRIGGERS

    text = gen.render("triggers")
    for spec in TRIGGERS:
        assert spec.name in headings(text)
        section = text.split(f"## {spec.name}\n", 1)[1].split("\n## ", 1)[0]
        for source in spec.trigger_sources:
            assert f"`{source}`" in section
        for path in spec.models.values():
            assert path.split(":")[1] in section


def test_every_event_model_and_field_is_documented(gen: ModuleType) -> None:
    from chalice_cognito.catalogue import TRIGGERS

    text = gen.render("events")
    titles = headings(text)
    models = gen.event_models()
    assert {p.split(":")[1] for s in TRIGGERS for p in s.models.values()} == {
        m.__name__ for m in models
    }
    for model in models:
        assert model.__name__ in titles
        section = text.split(f"## {model.__name__}\n", 1)[1].split("\n## ", 1)[0]
        for part in ("request", "response"):
            for name, info in model.model_fields[part].annotation.model_fields.items():
                assert f"| `{name}` | `{info.alias}` |" in section, (model.__name__, part, name)


def test_every_link_to_a_nested_model_has_its_section(gen: ModuleType) -> None:
    text = gen.render("events")
    anchors = {t.strip("`").lower() for t in headings(text)}
    targets = set(re.findall(r"\]\(#([a-z0-9_-]+)\)", text))
    assert targets and targets <= anchors


def test_every_config_key_the_parser_accepts_is_in_the_table(gen: ModuleType) -> None:
    from chalice_cognito.deploy import config

    text = gen.render("config")
    accepted = {
        *config._SINGLE_KEYS,
        *config._MULTI_KEYS,
        *config._ENTRY_KEYS,
        *config.PROJECT_KEYS,
    }
    assert accepted == set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))


def test_a_config_key_without_a_description_fails_the_build(
    gen: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalice_cognito.deploy import config

    monkeypatch.setattr(config, "PROJECT_KEYS", (*config.PROJECT_KEYS, "brand_new_key"))
    with pytest.raises(ValueError, match="undocumented \\['brand_new_key'\\]"):
        gen.render("config")
    monkeypatch.undo()
    monkeypatch.delitem(gen.CONFIG_KEYS, "region")
    with pytest.raises(ValueError, match="undocumented \\['region'\\]"):
        gen.render("config")


def test_every_command_and_option_of_the_cli_is_listed(gen: ModuleType) -> None:
    from chalice.cli import cli as chalice_group

    from chalice_cognito.cli import cli as group

    text = gen.render("cli")
    stock = list(chalice_group.commands.values())
    seen = 0
    for path, command in gen._commands(group, "chalice-cognito", stock):
        name = path.split(" ", 1)[1]
        if command in stock:
            assert f"| `{name}` |" in text
            continue
        seen += 1
        section = text.split(f"## {path}\n", 1)[1].split("\n## ", 1)[0]
        assert f"Usage: {path} " in section
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.opts[0] in section, (path, param.opts)
    assert seen >= 10  # deploy, delete, package, attach, detach, plan, status, local, events...


def test_pages_use_only_known_markers(gen: ModuleType) -> None:
    used = {
        m for page in (ROOT / "docs").rglob("*.md") for m in gen.MARKER.findall(page.read_text())
    }
    assert used == set(gen.RENDERERS)
    with pytest.raises(ValueError, match="unknown reference section 'nope'"):
        gen.expand("<!-- reference: nope -->")


def test_every_module_is_listed_on_the_side_of_the_zip_the_packager_puts_it(
    gen: ModuleType,
) -> None:
    import chalice_cognito
    from chalice_cognito.deploy.packaging import DEPLOY_TIME_PARTS

    text = gen.render("modules")
    shipped, rest = text.split("### Not in the Lambda zip", 1)
    root = Path(chalice_cognito.__file__).parent
    for path in root.rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        row = f"| `{path.relative_to(root.parent).as_posix()}` |"
        in_zip = not DEPLOY_TIME_PARTS.intersection(path.relative_to(root).parts)
        assert row in (shipped if in_zip else rest), row
