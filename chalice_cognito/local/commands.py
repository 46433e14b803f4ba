"""Local-development commands of ``chalice-cognito``: ``local``, ``events generate``, ``invoke-local``.

They are plain click commands registered on ``chalice-cognito``'s click group by
``chalice_cognito.cli`` (see :data:`COMMANDS`), so they read the project
directory from ``ctx.obj['project_dir']`` exactly like stock Chalice commands
(``--project-dir``, default: the current directory).  ``local`` *replaces*
stock ``chalice local``: same flags and HTTP routes, plus the Lambda Invoke
API for the trigger handlers on the same port (:mod:`.dev_server`).

Deploy-time module: click, chalice's CLI factory.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from typing import Any, Dict, List, Optional, TextIO, Tuple

import click
from chalice.cli.factory import CLIFactory
from chalice.constants import DEFAULT_STAGE_NAME

from chalice_cognito.local import cognito_local
from chalice_cognito.local.invoke_server import (
    FunctionNotFoundError,
    LocalFunction,
    LocalProject,
)


def _project_dir(ctx: click.Context) -> str:
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    return str(obj.get("project_dir") or os.getcwd())


def _load_project(ctx: click.Context, stage: str) -> LocalProject:
    # LocalProject logs a load error for a running server's log; a command
    # reports it itself (below), so it is printed once, not twice.
    server_log = logging.getLogger("chalice_cognito.local")
    silence = logging.Filter("(load errors reported by the command)")
    server_log.addFilter(silence)
    try:
        project = LocalProject(_project_dir(ctx), stage)
        error = project.load_error  # (the app is loaded on first use)
    finally:
        server_log.removeFilter(silence)
    if error is not None:
        raise click.ClickException(
            f"Unable to load the Chalice app: {type(error).__name__}: {error}"
        )
    return project


#: Where the parent process of ``local --port 0 --autoreload`` tells its
#: worker processes which free port it picked (each restart keeps it).
PORT_ENV = "CHALICE_COGNITO_LOCAL_PORT"

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@click.command("local")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=8000,
    type=click.INT,
    show_default=True,
    help="Port (0: any free port, printed at start).",
)
@click.option(
    "--stage",
    default=DEFAULT_STAGE_NAME,
    help="Name of the Chalice stage for the local server to use.",
)
@click.option(
    "--autoreload/--no-autoreload",
    default=True,
    help="Automatically restart server when code changes.",
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
    host: str,
    port: int,
    stage: str,
    autoreload: bool,
    cognito_local_config: Optional[str],
    user_pool: Optional[str],
    region: Optional[str],
) -> None:
    """Run a local server: stock `chalice local` plus the Lambda Invoke API for triggers.

    Serves the app's HTTP routes exactly like `chalice local`, and on the same
    port POST /2015-03-31/functions/{name}/invocations for its Cognito trigger
    handlers (point cognito-local or any Lambda client at it).
    """
    from chalice.cli import reloader

    from chalice_cognito.local.dev_server import CodeWatchingWorker, create_dev_server

    factory = _factory(ctx)
    worker = os.environ.get("CHALICE_WORKER") is not None
    if port == 0 and autoreload:
        # Every restarted worker must listen where the parent told cognito-local to call.
        if not worker:
            os.environ[PORT_ENV] = str(cognito_local.free_port())
        port = int(os.environ.get(PORT_ENV) or 0)
    if host not in _LOOPBACK_HOSTS and not worker:
        click.echo(
            f"Warning: listening on {host}: the Lambda Invoke API (trigger events carry "
            "passwords and codes) is reachable from other machines.",
            err=True,
        )
    # As stock `chalice local`: the app's logging goes to stdout, as in Lambda.
    # The server adds one line per invocation (never the event).
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    logging.getLogger("chalice_cognito.local").setLevel(logging.INFO)
    server_factory = functools.partial(create_dev_server, factory, host, port, stage, region)
    if autoreload:
        if cognito_local_config and not worker:
            project = _load_project(ctx, stage)
            if region:
                project.region = region
            _write_cognito_local_config(
                project, _client_url(host, port), cognito_local_config, user_pool
            )
        rc = reloader.run_with_reloader(
            server_factory, os.environ, factory.project_dir, CodeWatchingWorker
        )
        sys.exit(rc)
    try:
        server = server_factory()
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {exc}") from None
    try:
        if cognito_local_config:
            _write_cognito_local_config(
                server.project,
                _client_url(host, server.bound_port),
                cognito_local_config,
                user_pool,
            )
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()


def _factory(ctx: click.Context) -> CLIFactory:
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    factory = obj.get("factory")
    if isinstance(factory, CLIFactory):
        return factory
    return CLIFactory(_project_dir(ctx), environ=os.environ)


def _client_url(host: str, port: int) -> str:
    """The endpoint a local Lambda client (cognito-local) should call."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _write_cognito_local_config(
    project: LocalProject,
    url: str,
    path: str,
    user_pool: Optional[str],
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
        cognito_local.write_config(path, url, selection.functions, project.region)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"Cannot write the cognito-local config: {exc}") from None
    click.echo(
        f"Wrote the cognito-local config {path}: "
        f"{', '.join(sorted(selection.functions)) or 'no trigger'} "
        f"(Lambda endpoint {url}; restart cognito-local to load it).",
    )
    for trigger, reason in selection.skipped:
        click.echo(f"  not emulated: {trigger}: {reason}")
    for note in selection.notes:
        click.echo(f"  note: {note}")
    sys.stdout.flush()


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


@click.command("local-cognito")
@click.option("--stage", default="local", show_default=True, help="Chalice stage to deploy.")
@click.option(
    "--port",
    default=0,
    type=click.INT,
    show_default=True,
    help="Port of the Cognito endpoint on 127.0.0.1 (0: any free port, printed at start).",
)
@click.option(
    "--out",
    default=os.path.join(".chalice", "local", "cognito.json"),
    show_default=True,
    help="JSON file receiving endpoint_url, region, user_pool_id and client_id "
    "(relative to the project; removed on exit). Empty: none.",
)
@click.option(
    "--autoreload/--no-autoreload",
    default=True,
    help="Redeploy the functions when app.py, chalicelib/ or the config change.",
)
@click.option(
    "--trigger-timeout",
    default=5.0,
    type=click.FLOAT,
    show_default=True,
    help="Seconds a trigger may take (Cognito: 5).",
)
@click.option(
    "--show-codes",
    is_flag=True,
    default=False,
    help="Print the codes of the messages Cognito sends (local testing only).",
)
@click.pass_context
def local_cognito(
    ctx: click.Context,
    stage: str,
    port: int,
    out: str,
    autoreload: bool,
    trigger_timeout: float,
    show_codes: bool,
) -> None:
    """Serve a local Cognito user pool whose wired triggers fire on real API calls.

    Deploys the stage to the embedded AWS (as deploy --local does), creates an
    app client, and serves cognito-idp (and every other emulated service) on
    127.0.0.1: point boto3 or a frontend at the printed endpoint.
    """
    from chalice_cognito.local.cognito_flows.console import serve
    from chalice_cognito.local.cognito_flows.local_cognito import LocalCognitoError

    project_dir = _project_dir(ctx)
    target = os.path.join(project_dir, out) if out and not os.path.isabs(out) else out
    try:
        serve(
            project_dir,
            stage,
            port,
            target or None,
            autoreload,
            trigger_timeout,
            show_codes,
            lambda line: click.echo(line),
        )
    except LocalCognitoError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"Cannot serve on 127.0.0.1:{port}: {exc}") from None


#: The commands ``chalice_cognito.cli`` adds to Chalice's click group.
COMMANDS: List[click.Command] = [local, events, invoke_local, local_cognito]
