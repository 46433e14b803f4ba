"""Local-development commands of ``chalice-cognito``: ``local``, ``events generate``, ``invoke-local``.

They are plain click commands registered on Chalice's own click group by
``chalice_cognito.cli`` (see :data:`COMMANDS`), so they read the project
directory from ``ctx.obj['project_dir']`` exactly like stock Chalice commands
(``--project-dir``, default: the current directory).

Deploy-time module: click, chalice's CLI factory.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any, Dict, List, Optional, TextIO, Tuple

import click
from chalice.constants import DEFAULT_STAGE_NAME

from chalice_cognito.local import cognito_local
from chalice_cognito.local.invoke_server import (
    FunctionNotFoundError,
    InvokeServer,
    LocalFunction,
    LocalProject,
)

#: Default port of ``chalice-cognito local`` (SAM's ``start-lambda`` uses the same).
DEFAULT_PORT = 3001


def _project_dir(ctx: click.Context) -> str:
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    return str(obj.get("project_dir") or os.getcwd())


def _load_project(ctx: click.Context, stage: str) -> LocalProject:
    project = LocalProject(_project_dir(ctx), stage)
    error = project.load_error
    if error is not None:
        raise click.ClickException(
            f"Unable to load the Chalice app: {type(error).__name__}: {error}"
        )
    return project


def _configure_logging() -> None:
    # One line per invocation (chalice_cognito.local) and the dispatcher's
    # scrubbed error lines (chalice_cognito) on stderr, once.
    root = logging.getLogger("chalice_cognito")
    if not any(getattr(h, "_chalice_cognito_local", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler._chalice_cognito_local = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.INFO)


@click.command("local")
@click.option(
    "--stage",
    default=DEFAULT_STAGE_NAME,
    show_default=True,
    help="Chalice stage whose config (environment variables) the handlers run with.",
)
@click.option(
    "--port",
    default=DEFAULT_PORT,
    type=click.INT,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port, printed at start).",
)
@click.option(
    "--cognito-local-config",
    "cognito_local_config",
    type=click.Path(),
    default=None,
    help="Write (or update) the cognito-local config so cognito-local invokes this server: "
    "a .json file, or a directory to run cognito-local in (<DIR>/.cognito/config.json).",
)
@click.option(
    "--user-pool",
    default=None,
    help="Pool alias whose triggers go into the cognito-local config (default pool if omitted).",
)
@click.option(
    "--region",
    default=None,
    help="Region written in the cognito-local config and used in ARNs "
    "(default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1).",
)
@click.pass_context
def local(
    ctx: click.Context,
    stage: str,
    port: int,
    cognito_local_config: Optional[str],
    user_pool: Optional[str],
    region: Optional[str],
) -> None:
    """Serve the app's Cognito trigger handlers over the Lambda Invoke API on 127.0.0.1.

    Point cognito-local (or any Lambda client) at the printed endpoint.  Code
    changes are picked up on the next invocation, without a restart.
    """
    _configure_logging()
    project = _load_project(ctx, stage)
    if region:
        project.region = region
    functions = project.functions
    try:
        server = InvokeServer(project, port)
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on 127.0.0.1:{port}: {exc}") from None
    out: TextIO = sys.stdout
    try:
        click.echo(
            f"Serving the Lambda Invoke API for {len(functions)} Cognito trigger function(s) "
            f"of {project.app_name} (stage {stage}) on {server.url}",
            file=out,
        )
        for function in sorted(functions.values(), key=lambda f: f.trigger):
            click.echo(f"  {function.trigger:<28} {function.name}  ({function.deployed_name})")
        if cognito_local_config:
            _write_cognito_local_config(project, server, cognito_local_config, user_pool, out)
        out.flush()
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _write_cognito_local_config(
    project: LocalProject,
    server: InvokeServer,
    path: str,
    user_pool: Optional[str],
    out: TextIO,
) -> None:
    functions = project.functions
    names = {}
    for function in functions.values():
        # The trigger's own name where it is unambiguous, so cognito-local's
        # errors read like Cognito's ("PreSignUp failed with error ..."); the
        # deployed name otherwise.
        try:
            unique = project.resolve(function.trigger) is function
        except FunctionNotFoundError:
            unique = False
        names[function.name] = function.trigger if unique else function.deployed_name
    selection = cognito_local.select_triggers(
        [f.registration for f in functions.values()], names, user_pool=user_pool
    )
    try:
        cognito_local.write_config(path, server.url, selection.functions, project.region)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"Cannot write the cognito-local config: {exc}") from None
    click.echo(
        f"Wrote the cognito-local config {path}: "
        f"{', '.join(sorted(selection.functions)) or 'no trigger'} "
        "(restart cognito-local to load it).",
        file=out,
    )
    for trigger, reason in selection.skipped:
        click.echo(f"  not emulated: {trigger}: {reason}", file=out)
    for note in selection.notes:
        click.echo(f"  note: {note}", file=out)


@click.group("events")
def events() -> None:
    """Sample Cognito trigger events."""


@events.command("generate")
@click.argument("trigger_source")
@click.option(
    "--version",
    default=None,
    help="PreTokenGeneration LambdaVersion (V1_0, V2_0, V3_0) or event version (1, 2, 3).",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="PATH=VALUE",
    help="Set a field by dotted camelCase path, e.g. request.userAttributes.email=a@b.c. "
    "VALUE is read as JSON when it is JSON, except where the event holds a string "
    "(user attributes stay strings). Repeatable.",
)
def generate(trigger_source: str, version: Optional[str], assignments: Tuple[str, ...]) -> None:
    """Print a sample event for TRIGGER_SOURCE (e.g. PreSignUp_SignUp) as JSON."""
    from chalice_cognito.testing import apply_assignment, sample_event

    try:
        event = sample_event(trigger_source, version=version)
        for assignment in assignments:
            apply_assignment(event, assignment)
    except (KeyError, TypeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(event, indent=2))


def default_event(function: LocalFunction) -> Dict[str, Any]:
    """A sample event for the first trigger source the function receives."""
    from chalice_cognito.testing import sample_event

    registration = function.registration
    source = registration.spec.sources_for(registration.version)[0]
    event: Dict[str, Any] = sample_event(source, version=registration.version)
    return event


@click.command("invoke-local")
@click.argument("function_name")
@click.option(
    "--event",
    "event_file",
    type=click.File("r"),
    default=None,
    help="JSON event file, or - for stdin (default: a sample event of the trigger).",
)
@click.option(
    "--stage",
    default=DEFAULT_STAGE_NAME,
    show_default=True,
    help="Chalice stage whose config (environment variables) the handler runs with.",
)
@click.pass_context
def invoke_local(
    ctx: click.Context, function_name: str, event_file: Optional[TextIO], stage: str
) -> None:
    """Run the trigger handler FUNCTION_NAME locally on an event and print its response.

    FUNCTION_NAME is the Chalice function name, the deployed name or an ARN.
    Exits with status 1 and the error on stderr when the handler fails.
    """
    project = _load_project(ctx, stage)
    try:
        function = project.resolve(function_name)
    except FunctionNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    if event_file is not None:
        try:
            event = json.load(event_file)
        except ValueError as exc:
            raise click.ClickException(f"The event is not valid JSON: {exc}") from None
    else:
        event = default_event(function)
    result = project.invoke(function, event)
    if not result.ok:
        raise click.ClickException(f"{result.error_type}: {result.error_message}")
    click.echo(json.dumps(result.payload, indent=2))


#: The commands ``chalice_cognito.cli`` adds to Chalice's click group.
COMMANDS: List[click.Command] = [local, events, invoke_local]
