"""``chalice-cognito``: a drop-in for the ``chalice`` command that also wires user pools.

Every stock Chalice subcommand and flag is Chalice's own click command, reused
unchanged (``logs``, ``invoke``, ``url``, ``new-project``, ...).
``deploy``, ``delete`` and ``package`` do the stock work plus the pool wiring;
``local`` is stock ``chalice local`` plus the Lambda Invoke API for triggers;
``attach``, ``detach``, ``plan`` and ``status`` are new; the local-development
commands of :mod:`chalice_cognito.local.commands` are registered too.

Order guarantees (see :class:`chalice_cognito.deploy.chalice_hooks.CognitoDeployer`):
``deploy`` creates/updates functions, then wires the pool (one UpdateUserPool
attaching the new ARNs and detaching vanished slots), and only then deletes
the functions that left the app; ``delete`` detaches before Chalice deletes
anything.  Exit status is non-zero whenever something is refused or fails.

This module is the command layer (flags, collaborators, echo); what the
commands do with a stage's pools is :mod:`chalice_cognito.deploy.stage`.

Deploy-time module: chalice's CLI, click, boto3.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shlex
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import chalice
import click
from chalice import __version__ as chalice_version
from chalice import cli as chalice_cli
from chalice.cli.factory import CLIFactory
from chalice.config import Config
from chalice.constants import DEFAULT_STAGE_NAME
from chalice.deploy.deployer import ChaliceDeploymentError, Deployer, create_deletion_deployer
from chalice.deploy.validate import ExperimentalFeatureError, validate_lambda_architecture
from chalice.utils import UI, create_zip_file

import chalice_cognito
from chalice_cognito import __version__
from chalice_cognito.app import registered_triggers
from chalice_cognito.catalogue import TriggerDeclarationError
from chalice_cognito.deploy import chalice_hooks, packaging, rollout_commands
from chalice_cognito.deploy.config import (
    ENV_USER_POOL_ID,
    CognitoConfig,
    load_cognito_config,
    trigger_roles,
)
from chalice_cognito.deploy.errors import RefusedError, WiringError
from chalice_cognito.deploy.model import PoolResult
from chalice_cognito.deploy.stage import (
    StageWiring,
    aliases_needing_kms,
    deployed_arns,
    emulated_pools,
    forget_ephemeral,
    format_rows,
    is_local,
    plan_lines,
    predicted_arns,
    recorded_arns,
    result_rows,
    stage_records,
    status_lines,
)
from chalice_cognito.deploy.state import state_path
from chalice_cognito.deploy.wiring import AwsClients, Wiring

#: Commands of stock Chalice that chalice-cognito replaces with its own.
REPLACED = ("deploy", "delete", "package")

#: Exit status of a user or environment error: a refused or failed wiring, a bad
#: config or flag, an unreachable endpoint, missing credentials, access denied.
EXIT_REFUSED = 1
#: Exit status of a crash (a bug: the traceback is printed), and only of a crash.
EXIT_CRASH = 2
#: Exit status after Ctrl-C (128 + SIGINT, as a shell reports it).
EXIT_INTERRUPTED = 130


# -- the factory -----------------------------------------------------------------


class CognitoCLIFactory(CLIFactory):
    """Chalice's CLI factory; the plugin's commands build their collaborators here."""

    def create_cognito_deployer(
        self,
        session: Any,
        config: Config,
        ui: UI,
        post_deploy: Optional[chalice_hooks.PostDeployHook],
        extra_steps: Sequence[Any] = (),
        application_builder: Any = None,
        smoke: Optional[chalice_hooks.PostDeployHook] = None,
        checks: Sequence[chalice_hooks.PostDeployHook] = (),
    ) -> chalice_hooks.CognitoDeployer:
        """The stock deployer with held-back deletions, the smoke check and the wiring."""
        return chalice_hooks.create_cognito_deployer(
            session,
            config,
            ui,
            post_deploy=post_deploy,
            extra_steps=extra_steps,
            smoke=smoke,
            checks=checks,
            application_builder=application_builder,
        )

    def create_deletion_deployer(self, session: Any, ui: UI) -> Deployer:
        """Stock ``chalice delete``'s deployer, on a client for which a gone resource is deleted.

        A function deleted out of band (or by a killed run) must not stop the
        deletion of the stage's other functions and its role.
        """
        return create_deletion_deployer(chalice_hooks.GoneIsDoneClient(session), ui)

    def create_wiring(self, session: Any) -> Wiring:
        """The wiring engine on the same botocore session as Chalice (same hooks, same creds)."""
        return Wiring(AwsClients(session))


# -- output ---------------------------------------------------------------------------


def _echo_results(results: Sequence[PoolResult], title: str) -> None:
    """The table of what the wiring did, then pools left alone and settings drift."""
    rows = result_rows(results)
    if rows:
        click.echo(title)
        click.echo(format_rows(rows))
    for result in results:
        if not result.changed:
            click.echo(f"  (pool {result.plan.pool.pool_id}: already up to date, no write call)")
        if result.settings_drift:
            click.echo(
                f"Warning: after UpdateUserPool, pool {result.plan.pool.pool_id} reports other "
                "values for settings that were sent unchanged: "
                f"{', '.join(result.settings_drift)}",
                err=True,
            )


def _echo_grants(results: Sequence[Any]) -> None:
    """The grants table: what each trigger function was granted, and on which role."""
    from chalice_cognito.deploy.grants import format_results

    if results:
        click.echo("Trigger grants (IAM):")
        for line in format_results(results):
            click.echo(f"  {line}")


# -- shared plumbing ---------------------------------------------------------------


def _factory(ctx: click.Context) -> CognitoCLIFactory:
    factory = ctx.obj["factory"]
    assert isinstance(factory, CognitoCLIFactory)
    return factory


def _refuse_local(cognito: CognitoConfig, stage: str, command: str) -> None:
    if is_local(cognito, None):
        raise click.ClickException(
            f"Stage {stage!r} is a local stage: its embedded AWS only lives during "
            f"`chalice-cognito deploy --stage {stage}`, so there is nothing to {command}."
        )


def _session_region(session: Any) -> str:
    region = session.get_config_variable("region")
    if not region:
        raise click.ClickException(
            "No region configured: set AWS_DEFAULT_REGION or a region in your AWS profile."
        )
    return str(region)


def _account_id(session: Any, region: str) -> str:
    sts = session.create_client("sts", region_name=region)
    return str(sts.get_caller_identity()["Account"])


def _predicted_arns(stage_wiring: StageWiring, config: Config, session: Any) -> Dict[str, str]:
    """The ARN every function of the app will have (account from a resolved pool, else STS)."""
    pools = stage_wiring.resolve()
    region = _session_region(session)
    account = next(iter(pools.values())).account_id if pools else ""
    account = account or _account_id(session, region)
    return predicted_arns(config, config.chalice_app, region, account)


class RefusedCommand(click.ClickException):
    """A command that refused or failed for a reason the user can act on (exit 1)."""

    exit_code = EXIT_REFUSED


def _fail(message: str) -> click.ClickException:
    return RefusedCommand(message)


# -- the group -------------------------------------------------------------------------


def _system_info() -> str:
    return f"python {platform.python_version()}, {platform.system().lower()} {platform.release()}"


#: Stock ``chalice``'s click group: its options, set-up callback and commands are reused.
_STOCK_GROUP: click.Group = chalice_cli.cli


@click.group(name="chalice-cognito")
@click.version_option(
    version=__version__,
    prog_name="chalice-cognito",
    message=f"%(prog)s %(version)s (chalice {chalice_version}), {_system_info()}",
)
@click.pass_context
def cli(ctx: click.Context, project_dir: Optional[str], debug: bool = False) -> None:
    """Chalice with Amazon Cognito user pool triggers.

    Every `chalice` command works unchanged; deploy, delete and package also
    wire the app's @app.cognito_trigger handlers into its user pools.
    """
    # Stock `chalice`'s own set-up (project dir, --debug logging, the CLI-mode
    # variable, chdir), then the plugin's factory in place of the stock one.
    ctx.ensure_object(dict)
    assert _STOCK_GROUP.callback is not None
    ctx.invoke(_STOCK_GROUP.callback, project_dir=project_dir, debug=debug)
    ctx.obj["factory"] = CognitoCLIFactory(ctx.obj["project_dir"], debug, environ=os.environ)


# Stock `chalice`'s own --project-dir and --debug options.
cli.params.extend(p for p in _STOCK_GROUP.params if p.name in ("project_dir", "debug"))


for _name, _command in _STOCK_GROUP.commands.items():
    if _name not in REPLACED:
        cli.add_command(_command, _name)

_pool_option = click.option(
    "--user-pool-id",
    envvar=ENV_USER_POOL_ID,
    default=None,
    help=f"Use this user pool (default pool of the stage); also ${ENV_USER_POOL_ID}.",
)
_stage_option = click.option(
    "--stage", default=DEFAULT_STAGE_NAME, show_default=True, help="Name of the Chalice stage."
)
_profile_option = click.option("--profile", help="Override the AWS profile.")
_force_option = click.option(
    "--force",
    is_flag=True,
    default=False,
    help="Replace triggers another owner attached to the slots this app declares.",
)


# -- deploy ---------------------------------------------------------------------------


@cli.command("deploy")
@click.option(
    "--autogen-policy/--no-autogen-policy",
    default=None,
    help="Automatically generate IAM policy for app code.",
)
@_profile_option
@click.option("--api-gateway-stage", help="Name of the API gateway stage to deploy to.")
@click.option(
    "--stage",
    default=DEFAULT_STAGE_NAME,
    help=(
        "Name of the Chalice stage to deploy to. Specifying a new chalice stage will "
        "create an entirely new set of AWS resources."
    ),
)
@click.option(
    "--connection-timeout", type=int, help="Overrides the default botocore connection timeout."
)
@_pool_option
@_force_option
@click.option(
    "--local/--no-local",
    "local",
    default=None,
    help="Deploy to an embedded local AWS (moto) living only for this command "
    '(default: the stage\'s "cognito": {"local": true}).',
)
@click.option(
    "--smoke",
    is_flag=True,
    default=False,
    help="Then run every wired trigger from the deployment zip in an isolated interpreter.",
)
@click.option(
    "--wait",
    is_flag=True,
    default=False,
    help='With "canary": bake the new versions for the configured minutes, watching their '
    "errors, then promote or roll back on its own.",
)
@click.pass_context
def deploy(
    ctx: click.Context,
    autogen_policy: Optional[bool],
    profile: Optional[str],
    api_gateway_stage: Optional[str],
    stage: str,
    connection_timeout: Optional[int],
    user_pool_id: Optional[str],
    force: bool,
    local: Optional[bool],
    smoke: bool,
    wait: bool = False,
) -> None:
    """Deploy the app (like `chalice deploy`) and wire its Cognito triggers."""
    factory = _factory(ctx)
    cognito = load_cognito_config(factory.project_dir, stage, user_pool_id=user_pool_id)
    if not is_local(cognito, local):
        factory.profile = profile
        _deploy(
            ctx,
            autogen_policy,
            api_gateway_stage,
            stage,
            connection_timeout,
            cognito,
            force,
            smoke,
            wait=wait,
        )
        return

    from chalice_cognito.local.emulator import (
        DEFAULT_REGION,
        EmbeddedAWS,
        create_kms_key,
        ensure_groups,
        ensure_user_pool,
    )

    if not is_local(cognito, None):
        # ``--local`` on a stage that deploys to AWS: its records describe real
        # resources, and the emulator's run (which lives only for the command)
        # would overwrite and then drop them.
        records = stage_records(factory.project_dir, stage)
        if records:
            raise _fail(
                f"Stage {stage!r} has records of a deploy to AWS ("
                + ", ".join(str(p.relative_to(factory.project_dir)) for p in records)
                + "); --local would replace them with the emulator's. Use a stage of its own "
                'for local runs: "stages": {"local": {"cognito": {"local": true}}}.'
            )
    # The app itself is loaded only once the emulator is active, so whatever it
    # creates at import time (boto3 clients) sees the emulator's settings.
    app_name = str(factory.load_project_config().get("app_name") or "app")
    region, pools = emulated_pools(cognito, app_name, stage, DEFAULT_REGION)
    # the stage's other settings (alias, canary, alarms, trigger_roles...) stay as configured
    cognito = dataclasses.replace(cognito, pools=pools)
    factory.profile = None  # never read a real profile while the emulator is active
    forget_ephemeral(factory.project_dir, stage)
    aws = EmbeddedAWS(region=region)
    try:
        with aws.activated() as endpoint:
            # Linux wheels (pydantic-core) downloaded by Chalice's packager are
            # kept with the project, so `make demo` on a fresh clone pays PyPI once.
            os.environ.setdefault(
                "PIP_CACHE_DIR", str(Path(factory.project_dir) / ".chalice" / "local" / "pip-cache")
            )
            click.echo(
                f"Embedded local AWS (moto) on {endpoint}: its state lives only for this "
                "command and is gone when it ends."
            )
            session = factory.create_botocore_session()
            app = factory.create_config_obj(chalice_stage_name=stage).chalice_app
            needs_key = aliases_needing_kms(app, cognito)
            for alias, settings in list(pools.items()):
                assert settings.user_pool_name is not None
                pool_id = ensure_user_pool(session, settings.user_pool_name, endpoint, region)
                click.echo(f"User pool {settings.user_pool_name!r} in the emulator: {pool_id}")
                if settings.local_groups:
                    ensure_groups(session, endpoint, region, pool_id, settings.local_groups)
                    click.echo(f"  groups (local_groups): {', '.join(settings.local_groups)}")
                if alias in needs_key and not settings.kms_key_arn:
                    key = create_kms_key(
                        session, endpoint, region, f"custom senders of {settings.user_pool_name}"
                    )
                    pools[alias] = dataclasses.replace(settings, kms_key_arn=key)
                    click.echo(f"KMS key for the custom senders in the emulator: {key}")
            cognito = dataclasses.replace(cognito, pools=pools)
            _deploy(
                ctx,
                autogen_policy,
                api_gateway_stage,
                stage,
                connection_timeout,
                cognito,
                force,
                smoke,
                emulator=endpoint,
            )
    finally:
        aws.stop()
        forget_ephemeral(factory.project_dir, stage)
        click.echo("Embedded local AWS stopped; its functions, roles and pool are gone.")


def _deploy(
    ctx: click.Context,
    autogen_policy: Optional[bool],
    api_gateway_stage: Optional[str],
    stage: str,
    connection_timeout: Optional[int],
    cognito: CognitoConfig,
    force: bool,
    smoke: bool,
    emulator: Optional[str] = None,
    wait: bool = False,
) -> None:
    """The deploy itself; ``emulator`` is the embedded AWS's endpoint for a local stage."""
    factory = _factory(ctx)
    config = factory.create_config_obj(
        chalice_stage_name=stage,
        autogen_policy=autogen_policy,
        api_gateway_stage=api_gateway_stage,
    )
    session = factory.create_botocore_session(connection_timeout=connection_timeout)
    # Chalice re-uploads every function's zip on every deploy; an unchanged one is not sent.
    from chalice_cognito.deploy.uploads import skip_unchanged_code

    skip_unchanged_code(session)
    ui = UI()
    app = config.chalice_app
    wiring = factory.create_wiring(session)
    stage_wiring = StageWiring(factory.project_dir, stage, app, wiring, cognito, force)
    for warning in rollout_commands.budget_warnings(config, stage_wiring):
        click.echo(f"Warning: {warning}", err=True)
    releases: Dict[str, Any] = {}

    extra_steps: List[Any] = []
    grants_step: Any = None
    application_builder: Any = None
    if stage_wiring.has_work:
        # Preflight (reads only): every pool exists and no slot is refused, with
        # the ARNs the functions will have, so a refusal stops before anything is created.
        with _step("reading the user pools before the deploy (nothing written yet)"):
            predicted = _predicted_arns(stage_wiring, config, session)
            plans = stage_wiring.plans(predicted, predicted=list(predicted.values()))
        for _, plan in plans:
            if plan.refused:
                raise RefusedError(plan)
        if stage_wiring.registrations:
            from chalice_cognito.deploy.grants import CognitoGrantsStep, TriggerRolesGraphBuilder

            grants = stage_wiring.grants()
            grants_step = CognitoGrantsStep(grants, triggers=stage_wiring.registrations)
            extra_steps.append(grants_step)
            if cognito.trigger_roles == "own":
                application_builder = TriggerRolesGraphBuilder(grants)

    def post_deploy(_config: Config, deployed_values: Dict[str, Any]) -> List[PoolResult]:
        if not stage_wiring.has_work:
            return []
        function_arns = deployed_arns(deployed_values)
        # "alias": publish what changed and route the alias before the pool points at it
        with _step("publishing the trigger functions' versions and routing their alias"):
            releases.update(rollout_commands.release_stage(stage_wiring, function_arns))
        with _step("wiring the triggers into the user pools (the new functions exist)"):
            results = stage_wiring.wire(
                deployed_arns(deployed_values), created=deployer.created_function_arns
            )
        # printed as soon as the wiring is done: before Chalice's "Deleting
        # function ..." lines of the held-back deletions that follow it
        _echo_results(results, "Cognito triggers:")
        rollout_commands.after_wiring(stage_wiring, config, function_arns, releases)
        return results

    def smoke_check(_config: Config, deployed_values: Dict[str, Any]) -> None:
        _smoke(config, deployer, stage_wiring, deployed_values, emulator)

    # --smoke runs on the built zip before the wiring: on AWS (zip only) before
    # any write; in the emulator (it runs the deployed functions' settings)
    # once the functions exist, the pool still pointing at the previous ones.
    deployer = factory.create_cognito_deployer(
        session,
        config,
        ui,
        post_deploy,
        extra_steps,
        smoke=smoke_check if smoke and emulator is not None else None,
        checks=[smoke_check] if smoke and emulator is None else [],
        application_builder=application_builder,
    )
    deploying = _step(
        "deploying with Chalice (functions and roles, then the wiring, then deleting the "
        "functions that left the app)"
    )
    with chalice_hooks.cognito_analyzer(), deploying:
        deployed_values = deployer.deploy(config, chalice_stage_name=stage)
    factory.create_deployment_reporter(ui=ui).display_report(deployed_values)
    for package in deployer.deployment_packages:
        # what each deploy uploads (once per function, or once for the layer)
        click.echo(f"Deployment package {packaging.package_size(package).summary()}")
    # (the triggers table was printed by post_deploy, right after the wiring)
    _echo_grants(grants_step.results if grants_step is not None else [])
    for warning in grants_step.warnings if grants_step is not None else []:
        click.echo(f"Warning: {warning}", err=True)
    if wait and cognito.canary and releases:
        with _step("baking the canary (Ctrl-C leaves it as it is: promote or rollback)"):
            rollout_commands.bake(stage_wiring, releases, cognito.canary.minutes)


def _smoke(
    config: Config,
    deployer: chalice_hooks.CognitoDeployer,
    stage_wiring: StageWiring,
    deployed_values: Mapping[str, Any],
    emulator: Optional[str],
) -> None:
    """Run every trigger from the zip: as Lambda would on the embedded AWS, zip-only elsewhere."""
    from chalice_cognito.local import smoke
    from chalice_cognito.testing import sample_event

    packages = deployer.deployment_packages
    if not packages:
        raise _fail("--smoke: no deployment package was built.")
    # With automatic_layer the function zip holds the app's code only: run it with its layers.
    import atexit

    scratch = tempfile.mkdtemp(prefix="chalice-cognito-smoke-")
    atexit.register(shutil.rmtree, scratch, True)
    function_zip = packaging.with_layers(packages, os.path.join(scratch, "function.zip"))

    def event(source: str, version: Optional[str]) -> Mapping[str, Any]:
        return sample_event(source, version=version) if version else sample_event(source)

    app = config.chalice_app
    calls = smoke.calls_for_app(app, event)
    if not calls:
        click.echo("Smoke test: the app has no Cognito trigger handlers.")
        return
    if emulator is None:  # real AWS: the strict zip-only run
        report = smoke.run_zip(function_zip, calls)
        click.echo(smoke.format_report(report))
        if not report.ok:
            raise _fail(
                "Smoke test failed: nothing was deployed or wired (the functions and the "
                "pool are as before). Fix the handler and deploy again."
            )
        return

    import botocore.session

    from chalice_cognito.local import emulated_smoke

    session = botocore.session.get_session()
    region = next(iter(stage_wiring.resolve().values())).region or "us-east-1"
    pool_ids = {alias: ref.pool_id for alias, ref in stage_wiring.resolve().items()}
    pool_of_function = {
        r.function_name: pool_ids[stage_wiring.cognito.pool_for(r.user_pool).alias]
        for r in stage_wiring.registrations
    }
    prepared = emulated_smoke.prepare(
        session,
        emulator,
        region,
        app,
        pool_of_function,
        deployed_arns(deployed_values),
        config.project_dir,
        event,
    )
    click.echo("Smoke test in the emulator, as Lambda runs the functions:")
    for note in prepared.notes:
        click.echo(f"  {note}")
    report = smoke.run_zip(function_zip, prepared.calls, runtime=prepared.runtime)
    click.echo(smoke.format_report(report))
    for line in emulated_smoke.observe(session, emulator, region, prepared):
        click.echo(f"  emulator after the run: {line}")
    if not report.ok:
        raise _fail(
            "Smoke test failed: the pool was not rewired (its triggers are as before) and "
            "nothing was deleted. Fix the handler and deploy again."
        )


# -- delete ----------------------------------------------------------------------------


@cli.command("delete")
@_profile_option
@click.option("--stage", default=DEFAULT_STAGE_NAME, help="Name of the Chalice stage to delete.")
@click.pass_context
def delete(ctx: click.Context, profile: Optional[str], stage: str) -> None:
    """Detach the stage's triggers from every pool, then delete the app like `chalice delete`."""
    factory = _factory(ctx)
    factory.profile = profile
    config = factory.create_config_obj(chalice_stage_name=stage)
    session = factory.create_botocore_session()
    stage_wiring = _detaching_wiring(factory, stage, config, session)
    if stage_wiring.state.pools or (stage_wiring.cognito.pools and stage_wiring.known_functions):
        with _step("detaching the stage's triggers from the user pools (nothing deleted yet)"):
            results = stage_wiring.detach_all()
        _echo_results(results, "Detached Cognito triggers:")
    deleted_alarms = rollout_commands.delete_alarms(stage_wiring, config, _session_region(session))
    if deleted_alarms:
        click.echo(f"Deleted CloudWatch alarms: {', '.join(deleted_alarms)}")
    deployer = factory.create_deletion_deployer(session=session, ui=UI())
    with _step("deleting the stage's functions and roles (its triggers are detached)"):
        deployer.deploy(config, chalice_stage_name=stage)


# -- package ---------------------------------------------------------------------------


@cli.command("package")
@click.option(
    "--pkg-format",
    default="cloudformation",
    type=click.Choice(["cloudformation", "terraform"]),
    help="Provisioning engine of the template: CloudFormation (default) or Terraform.",
)
@click.option("--stage", default=DEFAULT_STAGE_NAME, help="Chalice Stage to package.")
@click.option(
    "--single-file",
    is_flag=True,
    default=False,
    help="Create a single packaged zip file instead of a directory. CloudFormation Only.",
)
@click.option(
    "--merge-template",
    help="A JSON or YAML template merged into the generated one. CloudFormation Only.",
)
@click.option(
    "--template-format",
    default="json",
    type=click.Choice(["json", "yaml"], case_sensitive=False),
    help="Serialize the generated template as JSON or YAML. CloudFormation only.",
)
@_profile_option
@_pool_option
@click.argument("out")
@click.pass_context
def package(
    ctx: click.Context,
    single_file: bool,
    stage: str,
    merge_template: Optional[str],
    out: str,
    pkg_format: str,
    template_format: str,
    profile: Optional[str],
    user_pool_id: Optional[str],
) -> None:
    """Package the app like `chalice package`, with the trigger wiring in the template."""
    factory = _factory(ctx)
    factory.profile = profile
    config = factory.create_config_obj(stage)
    try:
        validate_lambda_architecture(config)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    if pkg_format == "terraform" and (merge_template or single_file or template_format != "json"):
        click.echo(
            "Terraform format does not support --merge-template, --single-file, or --template-format"
        )
        raise click.Abort()
    # Imported without an ImportError guard: a broken module must fail the
    # command, not let it write a template without the wiring.
    from chalice_cognito.iac import package as iac

    # Loaded outside the try below: a bad @app.cognito_trigger line is reported
    # by main() with its file and line, not as a config error.
    chalice_app = config.chalice_app
    try:
        # Before any output exists: a failed command must not leave a
        # deployable template without the wiring in OUT.
        iac.check_package_config(chalice_app, config, stage, user_pool_id=user_pool_id)
        roles = trigger_roles(config.config_from_disk, stage)
    except (ValueError, WiringError) as error:
        raise _fail(str(error)) from None
    options = factory.create_package_options()
    from chalice_cognito.deploy.grants import (
        NarrowDeclaredActionsStep,
        functions_with_grants,
        packager_trigger_roles,
    )

    # access= actions are granted on the pool by the IaC step: no wildcard copy, and
    # no Cognito action on "*" that access= does not declare (a warning instead)
    narrow = NarrowDeclaredActionsStep(registered_triggers(config.chalice_app))
    # as deploy: each trigger function with grants on a role of its own, unless "shared"
    own = functions_with_grants(registered_triggers(chalice_app)) if roles == "own" else []
    with packaging.cognito_packaging(extra_steps=[narrow]):
        with packager_trigger_roles(own):
            packager = factory.create_app_packager(
                config, options, pkg_format, template_format, merge_template
            )
        # Everything is built in a staging folder and reaches OUT only when
        # stock packaging and the Cognito step both succeeded.
        dirname = tempfile.mkdtemp(prefix="chalice-cognito-package-")
        try:
            packager.package_app(config, dirname, stage)
            _add_cognito(
                config,
                dirname,
                stage,
                pkg_format,
                template_format,
                user_pool_id,
            )
            if single_file:
                create_zip_file(source_dir=dirname, outfile=out)
            else:
                iac.install_output(dirname, out)
        finally:
            shutil.rmtree(dirname, ignore_errors=True)
    for warning in narrow.warnings:
        click.echo(f"Warning: {warning}", err=True)


def _add_cognito(
    config: Config,
    out_dir: str,
    stage: str,
    pkg_format: str,
    template_format: str,
    user_pool_id: Optional[str],
) -> None:
    """Run the IaC step on the folder stock packaging wrote; a config error exits 1."""
    from chalice_cognito.iac.package import add_cognito_to_package

    try:
        result = add_cognito_to_package(
            config=config,
            out_dir=out_dir,
            stage=stage,
            pkg_format=pkg_format,
            template_format=template_format,
            user_pool_id=user_pool_id,
        )
    except ValueError as error:  # IaCConfigError and friends: a message for the user
        raise _fail(str(error)) from None
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if result.bindings:
        click.echo(f"Cognito triggers in the template: {len(result.bindings)}")


# -- attach / detach / plan / status --------------------------------------------------


def _stage_wiring(
    ctx: click.Context, stage: str, profile: Optional[str], user_pool_id: Optional[str], force: bool
) -> Tuple[StageWiring, Config, Any]:
    factory = _factory(ctx)
    cognito = load_cognito_config(factory.project_dir, stage, user_pool_id=user_pool_id)
    _refuse_local(cognito, stage, ctx.command.name or "do")
    factory.profile = profile
    config = factory.create_config_obj(chalice_stage_name=stage)
    session = factory.create_botocore_session()
    wiring = factory.create_wiring(session)
    return (
        StageWiring(factory.project_dir, stage, config.chalice_app, wiring, cognito, force),
        config,
        session,
    )


def _detaching_wiring(
    factory: CognitoCLIFactory, stage: str, config: Config, session: Any
) -> StageWiring:
    """The stage's wiring for detaching only: its ownership record and its configured pools.

    An unreadable cognito config must not stop a detach or delete: the
    ownership record alone then says where to detach.
    """
    try:
        cognito = load_cognito_config(factory.project_dir, stage)
    except WiringError:
        cognito = CognitoConfig(stage=stage)
    if is_local(cognito, None):
        cognito = CognitoConfig(stage=stage)  # its emulator is gone with its command
    return StageWiring(
        factory.project_dir,
        stage,
        config.chalice_app,
        factory.create_wiring(session),
        cognito,
        detach_only=True,
    )


def _require_deployed(stage_wiring: StageWiring, config: Config, stage: str) -> Dict[str, str]:
    arns = recorded_arns(config, stage)
    missing = stage_wiring.undeployed(arns)
    if missing:
        raise _fail(
            f"Not deployed in stage {stage!r}: {', '.join(sorted(missing))} "
            f"(.chalice/deployed/{stage}.json). Run `chalice deploy --stage {stage}` first."
        )
    return arns


@cli.command("attach")
@_stage_option
@_profile_option
@_pool_option
@_force_option
@click.pass_context
def attach(
    ctx: click.Context, stage: str, profile: Optional[str], user_pool_id: Optional[str], force: bool
) -> None:
    """Wire the triggers of functions already deployed with plain `chalice deploy`."""
    stage_wiring, config, _ = _stage_wiring(ctx, stage, profile, user_pool_id, force)
    arns = _require_deployed(stage_wiring, config, stage)
    with _step("wiring the triggers into the user pools"):
        results = stage_wiring.wire(arns)
    _echo_results(results, "Cognito triggers:")
    if any(r.access for r in stage_wiring.registrations):
        click.echo(
            "Note: access= grants are added to IAM by `chalice-cognito deploy`, not by attach."
        )


@cli.command("detach")
@_stage_option
@_profile_option
@click.pass_context
def detach(ctx: click.Context, stage: str, profile: Optional[str]) -> None:
    """Remove every trigger this stage attached (only where it is still this stage's function)."""
    factory = _factory(ctx)
    factory.profile = profile
    config = factory.create_config_obj(chalice_stage_name=stage)
    session = factory.create_botocore_session()
    stage_wiring = _detaching_wiring(factory, stage, config, session)
    if not (stage_wiring.state.pools or stage_wiring.known_functions):
        click.echo(f"Stage {stage!r} has no triggers attached (no {state_path('.', stage)}).")
        return
    with _step("detaching the stage's triggers from the user pools"):
        results = stage_wiring.detach_all()
    _echo_results(results, "Detached Cognito triggers:")


@cli.command("plan")
@_stage_option
@_profile_option
@_pool_option
@_force_option
@click.option("--json", "as_json", is_flag=True, default=False, help="Print the plan as JSON.")
@click.pass_context
def plan(
    ctx: click.Context,
    stage: str,
    profile: Optional[str],
    user_pool_id: Optional[str],
    force: bool,
    as_json: bool,
) -> None:
    """Show what deploy/attach would change in the pools (no write call). Exit 1 if refused."""
    stage_wiring, config, session = _stage_wiring(ctx, stage, profile, user_pool_id, force)
    arns = recorded_arns(config, stage)
    stage_wiring.resolve()
    missing = stage_wiring.undeployed(arns)
    if missing:
        arns = {**_predicted_arns(stage_wiring, config, session), **arns}
    plans = stage_wiring.plans(arns, predicted=[arns[name] for name in missing])
    refused = any(p.refused for _, p in plans)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "stage": stage,
                    "refused": refused,
                    "noop": all(p.is_noop for _, p in plans),
                    "undeployed_functions": sorted(missing),
                    "pools": [dict(p.to_json(), alias=alias or None) for alias, p in plans],
                },
                indent=2,
                sort_keys=True,
            )
        )
    else:
        for line in plan_lines(plans, missing):
            click.echo(line)
    if refused:
        ctx.exit(EXIT_REFUSED)


@cli.command("status")
@_stage_option
@_profile_option
@_pool_option
@click.option("--json", "as_json", is_flag=True, default=False, help="Print the status as JSON.")
@click.pass_context
def status(
    ctx: click.Context,
    stage: str,
    profile: Optional[str],
    user_pool_id: Optional[str],
    as_json: bool,
) -> None:
    """Each declared trigger, its function, the pool's ARN, the permission; exit 1 if unhealthy."""
    stage_wiring, config, session = _stage_wiring(ctx, stage, profile, user_pool_id, False)
    arns = recorded_arns(config, stage)
    missing = stage_wiring.undeployed(arns)
    # An undeployed function is reported against the ARN it would have (a
    # made-up name would be read with GetPolicy: an error, not "no function").
    if missing:
        arns = {**_predicted_arns(stage_wiring, config, session), **arns}
    statuses = stage_wiring.statuses(arns)
    pending = stage_wiring.pending(statuses)
    healthy = all(s.healthy for s in statuses) and not missing
    if as_json:
        click.echo(
            json.dumps(
                {
                    "stage": stage,
                    "healthy": healthy,
                    "undeployed_functions": sorted(missing),
                    "pending": pending,
                    "pools": [s.to_json() for s in statuses],
                },
                indent=2,
                sort_keys=True,
            )
        )
    else:
        for line in status_lines(statuses, missing, healthy, pending):
            click.echo(line)
        for line in rollout_commands.alias_lines(stage_wiring):  # "alias": versions, weights
            click.echo(line)
    if not healthy:
        ctx.exit(EXIT_REFUSED)


# -- local-development commands ----------------------------------------------------------


def _register_local_commands() -> None:
    """Add :data:`chalice_cognito.local.commands.COMMANDS`.

    Their ``local`` replaces stock ``chalice local``: it is a superset (same
    flags and HTTP routes, plus the Lambda Invoke API for the trigger handlers).
    """
    from chalice_cognito.local.commands import COMMANDS

    for command in COMMANDS:
        cli.add_command(command, command.name)


_register_local_commands()
rollout_commands.register(cli)  # promote, rollback, verify


# -- entry point -------------------------------------------------------------------------


def _declaration_site(error: BaseException) -> str:
    """``app.py:12: `` for the innermost traceback frame outside chalice and chalice_cognito."""
    library_dirs = tuple(
        os.path.dirname(os.path.abspath(module.__file__ or "")) + os.sep
        for module in (chalice, chalice_cognito)
    )
    user_frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not os.path.abspath(frame.filename).startswith(library_dirs)
        and not frame.filename.startswith("<")
    ]
    if not user_frames:
        return ""
    frame = user_frames[-1]
    try:
        shown = os.path.relpath(frame.filename)
    except ValueError:  # another drive on Windows
        shown = frame.filename
    return f"{shown}:{frame.lineno}: "


def _step(description: str) -> Any:
    """:func:`chalice_cognito.deploy.progress.step`: what an interrupt message names."""
    from chalice_cognito.deploy import progress

    return progress.step(description)


def _interrupted(argv: Sequence[str]) -> str:
    """What to say after Ctrl-C: the step that was running and how to finish the job."""
    from chalice_cognito.deploy import progress

    command = " ".join(["chalice-cognito", *(shlex.quote(a) for a in argv)])
    args = list(argv)
    stage = ""
    if "--stage" in args[:-1]:
        stage = f" --stage {shlex.quote(args[args.index('--stage') + 1])}"
    step = progress.describe()
    where = f" while {step}" if step else ""
    return (
        f"Interrupted{where}; that step may be half done. Re-running the same command "
        f"({command}) finishes the job; `chalice-cognito status{stage}` shows what is "
        "still pending."
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Console-script entry point; returns the exit status.

    Exit status: 0 done; 1 (:data:`EXIT_REFUSED`) a user or environment error,
    reported as one line (bad config or flag, refused plan, unreachable endpoint,
    missing or expired credentials, access denied); 2 (:data:`EXIT_CRASH`) a bug,
    with the traceback to report; 130 (:data:`EXIT_INTERRUPTED`) Ctrl-C.
    """
    from chalice_cognito.deploy import progress

    args = list(argv) if argv is not None else sys.argv[1:]
    progress.reset()
    try:
        result = cli.main(args=args, obj={}, standalone_mode=False)
    except click.exceptions.Exit as e:
        return int(e.exit_code or 0)
    except click.ClickException as e:
        e.show()
        # click's usage errors and stock Chalice's "no such function" use 2:
        # here every ClickException is a user error, 2 is kept for crashes
        return EXIT_REFUSED
    except click.Abort as e:
        if isinstance(e.__cause__, KeyboardInterrupt):
            click.echo(_interrupted(args), err=True)
            return EXIT_INTERRUPTED
        click.echo("Aborted!", err=True)
        return EXIT_REFUSED
    except KeyboardInterrupt:  # outside click's own handling (e.g. while it starts)
        click.echo("", err=True)
        click.echo(_interrupted(args), err=True)
        return EXIT_INTERRUPTED
    except (WiringError, ChaliceDeploymentError) as e:
        from chalice_cognito.deploy.failures import describe_environment_error

        click.echo(f"Error: {describe_environment_error(e) or e}", err=True)
        return EXIT_REFUSED
    except ExperimentalFeatureError as e:
        click.echo(f"Error: {e}", err=True)
        return EXIT_REFUSED
    except TriggerDeclarationError as e:
        # A mistake in an @app.cognito_trigger(...) line, found while Chalice
        # imports the app: the line and the fix, not Chalice's traceback.
        click.echo(f"Error: {_declaration_site(e)}{e}", err=True)
        return EXIT_REFUSED
    except Exception as e:
        from chalice_cognito.deploy.failures import describe_environment_error

        # an unreachable endpoint, no or expired credentials, access denied:
        # one line, exit 1; anything else is a crash: the traceback, exit 2
        message = describe_environment_error(e)
        if message is not None:
            if "--debug" in args:  # the botocore detail, for whoever asked for it
                click.echo(traceback.format_exc(), err=True)
            click.echo(f"Error: {message}", err=True)
            return EXIT_REFUSED
        click.echo(traceback.format_exc(), err=True)
        return EXIT_CRASH
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
