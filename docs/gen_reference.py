"""Reference pages generated from the code (a MkDocs hook; ``python docs/gen_reference.py NAME``).

A page under ``docs/`` may hold ``<!-- reference: NAME -->`` markers.  At build
time :func:`on_page_markdown` replaces each with :func:`render` output, so the
reference cannot drift from what it describes:

* ``triggers``: every :class:`~chalice_cognito.catalogue.TriggerSpec` of the catalogue;
* ``events``: every event model the catalogue names, with its request and
  response fields (wire name, type, the ``#:`` comment above the field) and
  every nested model they use;
* ``config``: every key of the ``cognito`` section, from the key tuples of
  :mod:`chalice_cognito.deploy.config` (which form accepts it) and the
  descriptions in :data:`CONFIG_KEYS` here; a key the parser accepts without a
  description here, or a description of a key it does not accept, fails the
  build;
* ``cli``: every command of the ``chalice-cognito`` click group, its ``--help``
  as the program prints it (the commands Chalice provides unchanged are listed);
* ``modules``: every module of the package and the first line of its docstring,
  split by whether the packager ships it in the Lambda zip.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

MARKER = re.compile(r"<!-- reference: ([a-z-]+) -->")

#: what each key of the ``cognito`` section means (where it is allowed comes from the parser)
CONFIG_KEYS: Dict[str, str] = {
    "user_pool_id": "The pool to wire, by id (`eu-west-1_AbC`). The id carries its region.",
    "user_pool_name": (
        "The pool to wire, by name: looked up in `region` (or the session's region); "
        "exactly one pool of that name must exist. With `local: true`, the emulator's "
        "pool of that name is created when missing."
    ),
    "region": "Region of a `user_pool_name` lookup (an id carries its own region).",
    "kms_key_arn": (
        "KMS key ARN (a key, not an alias) for the custom sender triggers: Cognito's "
        "`KMSKeyID`, and what the sender functions may `kms:Decrypt` with."
    ),
    "on_conflict": (
        "What deploy does when a slot this app declares holds another owner's function: "
        "`fail` (the default: refuse, change nothing) or `replace`."
    ),
    "local": (
        "`true`: wire the pool of the local emulator (cognito-local or the embedded local "
        "AWS) instead of AWS."
    ),
    "local_groups": "Groups created in the emulator's pool (local deploys only; ignored on AWS).",
    "confirm_delay_seconds": (
        "Seconds between the read that verifies a pool update and a second, confirming read "
        "that catches a concurrent writer (Cognito has no conditional update). Default 1; "
        "0 turns the confirming read off (a pool nobody else writes to); at most 60."
    ),
    "user_pool_resource": (
        "`chalice-cognito package` only: the CloudFormation logical id or Terraform address "
        "of a pool defined in the same template."
    ),
    "user_pool_parameter": (
        "`chalice-cognito package` only: the template parameter / Terraform variable that "
        "holds the pool id."
    ),
    "kms_key_resource": (
        "`chalice-cognito package` only: the CloudFormation logical id or Terraform address "
        "of the senders' KMS key."
    ),
    "user_pools": (
        "Several pools: alias -> pool entry (the keys marked *entry*). One entry is the "
        'default pool (`"default": true`); a trigger picks another with `user_pool=`.'
    ),
    "default": "In a `user_pools` entry: this is the pool of triggers that name none.",
    "precompile_bytecode": (
        "Ship precompiled bytecode of the app and its requirements in the deployment zip "
        "(faster cold start, bigger zip). Default `false`. A project setting, not a pool's."
    ),
}


# -- triggers ------------------------------------------------------------------------------


def _code(values: Any) -> str:
    return ", ".join(f"`{v}`" for v in values) or "-"


def _anchor(name: str) -> str:
    return name.lower()


def triggers() -> str:
    """A summary table and one section per trigger of the catalogue."""
    from chalice_cognito.catalogue import TRIGGERS

    out = ["| Trigger | What it is for | Invoked |", "|---|---|---|"]
    for spec in TRIGGERS:
        how = "asynchronously" if spec.asynchronous else "synchronously"
        out.append(f"| [`{spec.name}`](#{_anchor(spec.name)}) | {spec.summary} | {how} |")
    for spec in TRIGGERS:
        models = sorted({path.split(":")[1] for path in spec.models.values()})
        rows = [
            ("Decorator", f'`@app.cognito_trigger("{spec.name}")`'),
            ("Trigger sources", _code(spec.trigger_sources)),
            (
                "Event model",
                ", ".join(f"[`{m}`](events.md#{_anchor(m)})" for m in models),
            ),
            ("LambdaConfig key", f"`{spec.config_key}`"),
        ]
        if spec.legacy_key:
            rows.append(("Legacy key kept in step", f"`{spec.legacy_key}`"))
        if spec.versions:
            rows.append(("`version=` values", _code(spec.versions)))
            rows.append(("Default version", f"`{spec.default_version}`"))
        for source, version in spec.source_min_version.items():
            rows.append((f"`{spec.source_prefix}_{source}`", f"from `{version}` on"))
        rows.append(("Needs a KMS key", "yes (`kms_key_arn`)" if spec.requires_kms else "no"))
        rows.append(("Secret fields (never logged)", _code(spec.secret_fields)))
        rows.append(("cognito-local invokes it", "yes" if spec.emulated_by_cognito_local else "no"))
        out += ["", f"## {spec.name}", "", spec.summary[:1].upper() + spec.summary[1:] + ".", ""]
        out += ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    return "\n".join(out) + "\n"


# -- event models --------------------------------------------------------------------------


def _field_comments(cls: type) -> Dict[str, str]:
    """The ``#:`` comment lines above each annotated attribute in ``cls``'s own source."""
    try:
        lines, _ = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return {}
    found: Dict[str, str] = {}
    pending: List[str] = []
    for line in lines[1:]:
        text = line.strip()
        if text.startswith("#:"):
            pending.append(text[2:].strip())
            continue
        match = re.match(r"([a-z_][a-z0-9_]*)\s*:", text)
        own_attribute = line.startswith("    ") and not line.startswith("     ")
        if match and own_attribute and pending:
            found[match.group(1)] = " ".join(pending)
        pending = []
    return found


def _comment(cls: type, name: str) -> str:
    for klass in cls.__mro__:
        if name in inspect.get_annotations(klass):
            return _field_comments(klass).get(name, "")
    return ""


def _type_name(tp: Any, nested: List[type]) -> str:
    """A short readable type; nested models are linked and collected in ``nested``."""
    from pydantic import BaseModel

    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _type_name(args[0], nested)
    if origin in (typing.Union, types.UnionType):
        parts = [_type_name(a, nested) for a in args if a is not type(None)]
        optional = len(parts) < len(args)
        text = " | ".join(parts)
        return f"{text} | None" if optional else text
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        name = {"dict": "Dict", "list": "List", "tuple": "Tuple"}.get(name, name)
        return f"{name}[{', '.join(_type_name(a, nested) for a in args)}]"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp not in nested:
            nested.append(tp)
        return f"[{tp.__name__}](#{_anchor(tp.__name__)})"
    if tp is Any:
        return "Any"
    return getattr(tp, "__name__", str(tp))


def _fields_table(model: type, nested: List[type], skip: Tuple[str, ...] = ()) -> List[str]:
    fields = {n: f for n, f in model.model_fields.items() if n not in skip}  # type: ignore[attr-defined]
    if not fields:
        return ["No fields of its own (unknown fields are kept and echoed back)."]
    out = ["| Field | JSON key | Type | Meaning |", "|---|---|---|---|"]
    for name, info in fields.items():
        meaning = _md(_comment(model, name)).replace("|", "\\|")
        kind = _type_name(info.annotation, nested).replace("|", "\\|")
        out.append(f"| `{name}` | `{info.alias or name}` | {kind} | {meaning} |")
    return out


def _md(text: str) -> str:
    """Docstring reST to Markdown: ``:func:`x``` and double backticks become `x`."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text)
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def _doc(cls: type) -> str:
    return _md(inspect.cleandoc(cls.__dict__.get("__doc__") or ""))


def _helpers(event: type, inherited_from: Tuple[type, ...]) -> List[str]:
    """Public methods and properties of ``event`` not defined by ``inherited_from``."""

    out = []
    for name in sorted(dir(event)):
        if name.startswith("_") or name.startswith("model_"):
            continue
        owner = next((k for k in event.__mro__ if name in k.__dict__), None)
        if owner is None or not owner.__module__.startswith("chalice_cognito.events"):
            continue
        if any(name in base.__dict__ for base in inherited_from):
            continue  # documented with the base (an override only refines it)
        attr = owner.__dict__[name]
        if isinstance(attr, property):
            target: Any = attr.fget
        elif callable(attr):
            target = attr
        else:
            continue
        doc = inspect.getdoc(target) or ""
        first = doc.split("\n\n")[0].replace("\n", " ")
        out.append(f"- `{name}`: {_md(first)}" if first else f"- `{name}`")
    return out


def event_models() -> List[Any]:
    """Every event model the catalogue names, in catalogue order."""
    from chalice_cognito.catalogue import TRIGGERS

    models: List[Any] = []
    for spec in TRIGGERS:
        for path in sorted(set(spec.models.values())):
            module, _, name = path.partition(":")
            model = getattr(importlib.import_module(module), name)
            if model not in models:
                models.append(model)
    return models


def events() -> str:
    """One section per event model, then the nested models they use."""
    from chalice_cognito.catalogue import TRIGGERS
    from chalice_cognito.events.base import CognitoEvent, CognitoModel

    nested: List[type] = []
    common = tuple(CognitoEvent.model_fields)
    out = ["## The envelope: `CognitoEvent`", "", _doc(CognitoEvent), ""]
    out += _fields_table(CognitoEvent, nested)
    out += ["", "**Helpers** (every event)", "", *_helpers(CognitoEvent, (CognitoModel,))]
    for model in event_models():
        sources = [
            s for spec in TRIGGERS for s in spec.trigger_sources if spec.name == model.trigger
        ]
        out += ["", f"## {model.__name__}", "", _doc(model), ""]
        out += [f"Trigger `{model.trigger}`; sources: {_code(sources)}.", ""]
        for part in ("request", "response"):
            part_model = model.model_fields[part].annotation
            out += [f"**`{part}`** (`{part_model.__name__}`)", ""]
            out += _fields_table(part_model, nested)
            out.append("")
        extra = [n for n in model.model_fields if n not in common]
        if extra:
            out += ["**Other fields**", "", *_fields_table(model, nested, skip=common), ""]
        helpers = _helpers(model, (CognitoModel, CognitoEvent))
        if helpers:
            out += ["**Helpers**", "", *helpers, ""]
    out += ["", "## Nested models"]
    done: List[type] = []
    while len(done) < len(nested):
        model = next(m for m in nested if m not in done)
        done.append(model)
        out += ["", f"### {model.__name__}", "", _doc(model), ""]
        out += _fields_table(model, nested)
    return "\n".join(out) + "\n"


# -- configuration -------------------------------------------------------------------------


def config_forms() -> Dict[str, Tuple[str, ...]]:
    """Which keys each form of the ``cognito`` section accepts, as the parser defines them."""
    from chalice_cognito.deploy import config

    return {
        "single": tuple(config._SINGLE_KEYS) + tuple(config.PROJECT_KEYS),
        "multi": tuple(config._MULTI_KEYS) + tuple(config.PROJECT_KEYS),
        "entry": tuple(config._ENTRY_KEYS),
    }


def config_keys() -> List[str]:
    """Every key the parser accepts, in a stable reading order."""
    seen: List[str] = []
    for keys in config_forms().values():
        seen += [k for k in keys if k not in seen]
    return seen


def config() -> str:
    """A table of every key of the ``cognito`` section."""
    keys = config_keys()
    undocumented = [k for k in keys if k not in CONFIG_KEYS]
    unknown = [k for k in CONFIG_KEYS if k not in keys]
    if undocumented or unknown:
        raise ValueError(
            "docs/gen_reference.py CONFIG_KEYS is out of step with "
            f"chalice_cognito/deploy/config.py: undocumented {undocumented}, "
            f"not accepted by the parser {unknown}"
        )
    forms = config_forms()
    out = [
        "| Key | Single pool | `user_pools` (next to it) | `user_pools` entry | Meaning |",
        "|---|---|---|---|---|",
    ]
    for key in keys:
        marks = ["yes" if key in forms[f] else "-" for f in ("single", "multi", "entry")]
        out.append(f"| `{key}` | {' | '.join(marks)} | {CONFIG_KEYS[key]} |")
    return "\n".join(out) + "\n"


# -- CLI -----------------------------------------------------------------------------------


def _commands(group: Any, prefix: str, stock: Any) -> Iterator[Tuple[str, Any]]:
    """(``chalice-cognito events generate``, command) for every command; Chalice's not entered."""
    import click

    for name in sorted(group.commands):
        command = group.commands[name]
        yield f"{prefix} {name}", command
        if isinstance(command, click.Group) and command not in stock:
            yield from _commands(command, f"{prefix} {name}", stock)


def _help(command: Any, path: str) -> str:
    import click

    parent = None
    words = path.split()
    for word in words[:-1]:
        parent = click.Context(click.Command(word), info_name=word, parent=parent)
    ctx = click.Context(command, info_name=words[-1], parent=parent, terminal_width=100)
    return str(command.get_help(ctx))


def cli() -> str:
    """The ``--help`` of every command; Chalice's own commands listed."""
    from chalice.cli import cli as chalice_group

    from chalice_cognito.cli import cli as group

    ours: List[str] = []
    stock: List[str] = []
    chalice_commands = list(chalice_group.commands.values())
    for path, command in _commands(group, "chalice-cognito", chalice_commands):
        name = path.split(" ", 1)[1]
        if command in chalice_commands:
            summary = command.get_short_help_str(limit=100) or "(see `chalice --help`)"
            stock.append(f"| `{name}` | {summary} |")
            continue
        ours += [f"## {path}", "", "```text", _help(command, path).rstrip(), "```", ""]
    out = ["## chalice-cognito", "", "```text", _help(group, "chalice-cognito").rstrip(), "```", ""]
    out += ours
    out += [
        "## Chalice's commands",
        "",
        "These are Chalice's own commands, unchanged (see `chalice <command> --help`):",
        "",
        "| Command | What it does |",
        "|---|---|",
        *stock,
    ]
    return "\n".join(out) + "\n"


# -- modules -------------------------------------------------------------------------------


def modules() -> str:
    """Every module of the package with the first line of its docstring, split by where it runs.

    A module is in the Lambda zip unless the packager leaves it out
    (``chalice_cognito.deploy.packaging.DEPLOY_TIME_PARTS``).  Read with :mod:`ast`: nothing
    is imported, so an optional dependency (the CDK) is not needed to build the docs.
    """
    import chalice_cognito
    from chalice_cognito.deploy.packaging import DEPLOY_TIME_PARTS

    root = Path(chalice_cognito.__file__).parent
    rows: Dict[bool, List[str]] = {True: [], False: []}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent)
        if "__pycache__" in relative.parts:
            continue
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        summary = _md(docstring.split("\n\n")[0].replace("\n", " ")).replace("|", "\\|")
        shipped = not DEPLOY_TIME_PARTS.intersection(path.relative_to(root).parts)
        rows[shipped].append(f"| `{relative.as_posix()}` | {summary} |")
    out: List[str] = []
    for shipped, title in (
        (True, "In the Lambda zip"),
        (False, "Not in the Lambda zip: deploy time, local development, test helpers"),
    ):
        out += [f"### {title}", "", "| Module | What it is |", "|---|---|", *rows[shipped], ""]
    return "\n".join(out)


RENDERERS: Dict[str, Callable[[], str]] = {
    "triggers": triggers,
    "events": events,
    "config": config,
    "cli": cli,
    "modules": modules,
}


def render(name: str) -> str:
    """The generated Markdown for one marker."""
    if name not in RENDERERS:
        raise ValueError(f"unknown reference section {name!r}; known: {', '.join(RENDERERS)}")
    return RENDERERS[name]()


def expand(markdown: str) -> str:
    """``markdown`` with every marker replaced by its generated section."""
    return MARKER.sub(lambda m: render(m.group(1)), markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> Optional[str]:
    """MkDocs hook: fill the markers of a page."""
    return expand(markdown)


if __name__ == "__main__":
    print(render(sys.argv[1]))
