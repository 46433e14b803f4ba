"""The stage side of safe rollout: what ``deploy`` adds, and ``promote``/``rollback``/``verify``.

:func:`release_stage` runs inside ``deploy`` after Chalice updated the
functions and before the wiring (:mod:`.rollout` publishes and routes; the
one wiring engine then points the pools at the alias-qualified ARNs, see
:meth:`chalice_cognito.deploy.stage.StageWiring.wanted`).
:func:`after_wiring` keeps the alarms (:mod:`.alarms`) and says what to run
next after a canary.  The click commands ``promote``, ``rollback`` and
``verify`` are registered on the ``chalice-cognito`` group by
:func:`register`.

Deploy-time module: click, chalice's config, the engine's AWS clients.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import click
from chalice.config import Config

from chalice_cognito.catalogue import BY_NAME
from chalice_cognito.deploy import alarms as alarms_module
from chalice_cognito.deploy.config import CanarySettings
from chalice_cognito.deploy.plan import read_slot
from chalice_cognito.deploy.rollout import (
    Release,
    Rollout,
    load_releases,
    next_step_lines,
    release_lines,
    save_releases,
    timeout_warnings,
    unqualified,
)
from chalice_cognito.deploy.stage import StageWiring


def stage_rollout(stage_wiring: StageWiring) -> Optional[Rollout]:
    """The stage's :class:`Rollout` (None without an ``alias`` in its cognito config)."""
    cognito = stage_wiring.cognito
    if not cognito.alias:
        return None
    return Rollout(
        stage_wiring.wiring.aws,
        cognito.alias,
        keep_versions=cognito.keep_versions,
        canary_weight=cognito.canary.weight if cognito.canary else None,
    )


def trigger_arns(stage_wiring: StageWiring, function_arns: Mapping[str, str]) -> Dict[str, str]:
    """Chalice name -> unqualified ARN of the stage's trigger functions."""
    names = {r.function_name for r in stage_wiring.registrations}
    return {n: unqualified(a) for n, a in function_arns.items() if n in names}


# -- deploy ---------------------------------------------------------------------------


def budget_warnings(config: Config, stage_wiring: StageWiring) -> List[str]:
    """A warning per trigger function whose ``lambda_timeout`` exceeds Cognito's 5 s."""
    stage = config.chalice_stage
    timeouts = {
        name: int(config.scope(stage, name).lambda_timeout or 60)
        for name in sorted({r.function_name for r in stage_wiring.registrations})
    }
    return timeout_warnings(timeouts)


def release_stage(
    stage_wiring: StageWiring, function_arns: Mapping[str, str]
) -> Dict[str, Release]:
    """Publish and route every trigger function's alias; record and print it ({} without alias)."""
    rollout = stage_rollout(stage_wiring)
    if rollout is None:
        return {}
    known = load_releases(stage_wiring.project_dir, stage_wiring.stage)
    releases = rollout.release(trigger_arns(stage_wiring, function_arns), known)
    save_releases(stage_wiring.project_dir, stage_wiring.stage, releases)
    for line in release_lines(releases, f"Versions (alias {rollout.alias}):"):
        click.echo(line)
    return releases


def after_wiring(
    stage_wiring: StageWiring,
    config: Config,
    function_arns: Mapping[str, str],
    releases: Mapping[str, Release],
) -> None:
    """Alarms (``"alarms"``), then what to run next after a canary."""
    cognito = stage_wiring.cognito
    project, stage = stage_wiring.project_dir, stage_wiring.stage
    if cognito.alarms or alarms_module.has_alarms(project, stage):
        arns = trigger_arns(stage_wiring, function_arns)
        if arns:
            region = next(iter(arns.values())).split(":")[3]
            done = alarms_module.sync_alarms(
                stage_wiring.wiring.aws,
                region,
                f"{config.app_name}-{stage}-",
                [a.split(":")[6] for a in arns.values()],
                cognito.alarms.sns_topic_arn if cognito.alarms else None,
                project,
                stage,
            )
            if done["put"]:
                click.echo(f"CloudWatch alarms: {len(done['put'])} ({', '.join(done['put'])})")
            if done["deleted"]:
                click.echo(f"CloudWatch alarms deleted: {', '.join(done['deleted'])}")
    if cognito.canary:
        for line in next_step_lines(releases, stage, cognito.canary.minutes):
            click.echo(line)


def delete_alarms(stage_wiring: StageWiring, config: Config, region: str) -> List[str]:
    """``delete``: remove the stage's alarms (when a deploy created some)."""
    project, stage = stage_wiring.project_dir, stage_wiring.stage
    if not (stage_wiring.cognito.alarms or alarms_module.has_alarms(project, stage)):
        return []
    done = alarms_module.sync_alarms(
        stage_wiring.wiring.aws, region, f"{config.app_name}-{stage}-", [], None, project, stage
    )
    return list(done["deleted"])


# -- bake -------------------------------------------------------------------------------


class Clock:
    """How ``deploy --wait`` waits: real time by default; tests swap :data:`CLOCK`'s parts."""

    def __init__(self) -> None:
        self.sleep: Callable[[float], None] = time.sleep
        self.now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
        #: seconds between two looks at the canary's errors
        self.interval = 60.0


#: the clock :func:`bake` uses unless given another
CLOCK = Clock()


def canary_errors(
    rollout: Rollout, releases: Mapping[str, Release], start: datetime, end: datetime
) -> Dict[str, float]:
    """Errors of each canary version since ``start`` (CloudWatch, per executed version)."""
    out: Dict[str, float] = {}
    for name, r in sorted(releases.items()):
        if not r.canary:
            continue
        answer = rollout.aws.call(
            "cloudwatch",
            r.function_arn.split(":")[3],
            "GetMetricStatistics",
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Dimensions=[
                {"Name": "FunctionName", "Value": r.function_name},
                {"Name": "Resource", "Value": f"{r.function_name}:{r.alias}"},
                {"Name": "ExecutedVersion", "Value": r.canary},
            ],
            StartTime=start,
            EndTime=end,
            Period=60,
            Statistics=["Sum"],
        )
        out[name] = sum(float(p.get("Sum", 0.0)) for p in answer.get("Datapoints", []))
    return out


def bake(
    stage_wiring: StageWiring,
    releases: Mapping[str, Release],
    minutes: float,
    *,
    sleep: Optional[Callable[[float], None]] = None,
    now: Optional[Callable[[], datetime]] = None,
    interval: Optional[float] = None,
) -> bool:
    """``deploy --wait``: watch the canary versions' errors for ``minutes``; promote or roll back.

    Checks every ``interval`` seconds (progress printed each time); the first
    error of a canary version rolls every function back at once.  A
    ``"linear"`` canary bakes ``minutes`` per step and then shifts ``percent``
    more (10 %: 20 %, ... 90 %, then promoted), as CodeDeploy's linear
    configurations do.  Returns True when promoted.  ``sleep``, ``now`` and ``interval`` default to this
    module's :data:`CLOCK` (tests replace it so nothing waits).
    """
    sleep = sleep or CLOCK.sleep
    now = now or CLOCK.now
    interval = CLOCK.interval if interval is None else interval
    rollout = stage_rollout(stage_wiring)
    if rollout is None or not any(r.canary for r in releases.values()):
        return True
    start = now() - timedelta(minutes=1)
    steps = linear_steps(stage_wiring.cognito.canary)
    period = max(0.0, minutes * 60)
    total = period * (len(steps) + 1)
    waited = 0.0
    while True:
        errors = canary_errors(rollout, releases, start, now() + timedelta(minutes=1))
        failing = {name: count for name, count in errors.items() if count > 0}
        if failing:
            detail = ", ".join(f"{releases[n].function_name}: {c:g}" for n, c in failing.items())
            click.echo(f"Canary errors ({detail}): rolling back.")
            _finish(stage_wiring, rollout.rollback(releases), "Rolled back:")
            return False
        click.echo(f"  baking: {waited / 60:.1f}/{total / 60:g} min, no canary errors")
        if waited >= total:
            break
        boundary = period * (int(waited // period) + 1) if period else total
        step = min(interval, total - waited, boundary - waited)
        sleep(step)
        waited += step
        if steps and waited >= boundary and waited < total:
            weight = steps.pop(0)
            releases = rollout.shift(releases, weight)
            save_releases(stage_wiring.project_dir, stage_wiring.stage, releases)
            click.echo(f"  shifted: {weight * 100:g}% of the traffic to the new versions")
    _finish(stage_wiring, rollout.promote(releases), "Promoted:")
    return True


def linear_steps(canary: Optional[CanarySettings]) -> List[float]:
    """The weights a ``"linear"`` canary moves through after its first step (none otherwise).

    ``percent`` 10: 0.2, 0.3, ... 0.9 (then promoted to all of it); 30: 0.6, 0.9.
    """
    if canary is None or canary.type != "linear":
        return []
    out, k = [], 2
    while canary.percent * k < 100:
        out.append(round(canary.percent * k / 100, 4))
        k += 1
    return out


def _finish(stage_wiring: StageWiring, releases: Mapping[str, Release], title: str) -> None:
    save_releases(stage_wiring.project_dir, stage_wiring.stage, releases)
    for line in release_lines(
        {n: r for n, r in releases.items() if r.action != "unchanged"}, title
    ):
        click.echo(line)


# -- verify -----------------------------------------------------------------------------


def pool_problems(stage_wiring: StageWiring) -> List[str]:
    """One DescribeUserPool per pool of the ownership record: each slot still holds its alias ARN."""
    problems = []
    for pool_id in sorted(stage_wiring.state.pools):
        config = stage_wiring.wiring.aws.describe_pool(pool_id).get("LambdaConfig") or {}
        slots = stage_wiring.state.ownership(pool_id).slots
        for trigger, arn in sorted(slots.items()):
            actual, _ = read_slot(BY_NAME[trigger], config)
            if actual != arn:
                problems.append(
                    f"{trigger} of pool {pool_id} holds {actual or 'nothing'}, the stage "
                    f"deployed {arn}"
                )
    return problems


def alias_lines(stage_wiring: StageWiring) -> List[str]:
    """``status``: each trigger function's alias, its versions and weights (none without alias)."""
    rollout = stage_rollout(stage_wiring)
    if rollout is None:
        return []
    releases = load_releases(stage_wiring.project_dir, stage_wiring.stage)
    if not releases:
        return [f"Alias {rollout.alias}: not deployed yet"]
    rows = [("FUNCTION", "ALIAS", "PREVIOUS")]
    for name, actual in sorted(rollout.routes(releases).items()):
        r = releases[name]
        routing = actual.describe() if actual else f"{r.alias}: MISSING"
        rows.append((r.function_name, routing, r.previous or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [f"Aliases ({rollout.alias}):"] + [
        "  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


# -- commands ----------------------------------------------------------------------------


def _command_context(ctx: click.Context, stage: str, profile: Optional[str]) -> Any:
    from chalice_cognito import cli

    stage_wiring, config, _ = cli._stage_wiring(ctx, stage, profile, None, False)
    rollout = stage_rollout(stage_wiring)
    if rollout is None:
        raise cli._fail(
            f'Stage {stage!r} has no "alias" in its cognito config: promote, rollback and '
            'verify work on the alias deploy routes (add "alias": "live" and deploy).'
        )
    releases = load_releases(stage_wiring.project_dir, stage)
    if not releases:
        raise cli._fail(
            f"Stage {stage!r} has no rollout record (.chalice/cognito/{stage}.rollout.json): "
            f"run `chalice-cognito deploy --stage {stage}` first."
        )
    return stage_wiring, config, rollout, releases


_stage = click.option("--stage", default="dev", help="Name of the Chalice stage.")
_profile = click.option("--profile", help="Override the AWS profile.")


@click.command("promote")
@_stage
@_profile
@click.pass_context
def promote(ctx: click.Context, stage: str, profile: Optional[str]) -> None:
    """Move every trigger's alias fully to its canary version (one UpdateAlias per function)."""
    stage_wiring, _, rollout, releases = _command_context(ctx, stage, profile)
    if not any(r.canary for r in releases.values()):
        click.echo(f"Stage {stage!r} has no canary to promote.")
        return
    _finish(stage_wiring, rollout.promote(releases), "Promoted:")


@click.command("rollback")
@_stage
@_profile
@click.pass_context
def rollback(ctx: click.Context, stage: str, profile: Optional[str]) -> None:
    """Move every trigger back to its previous version (mid-canary: drop the canary).

    One UpdateAlias per function, then one read per pool that verifies the
    pool still invokes the aliases: no build, no upload.
    """
    from chalice_cognito import cli

    stage_wiring, _, rollout, releases = _command_context(ctx, stage, profile)
    moved = rollout.rollback(releases)
    if not any(r.action != "unchanged" for r in moved.values()):
        raise cli._fail(f"Stage {stage!r} has no previous version to roll back to.")
    _finish(stage_wiring, moved, "Rolled back:")
    problems = pool_problems(stage_wiring)
    for line in problems:
        click.echo(f"NOT wired: {line}", err=True)
    if problems:
        raise cli._fail(f"Run `chalice-cognito deploy --stage {stage}` to repair the wiring.")


@click.command("verify")
@_stage
@_profile
@click.pass_context
def verify(ctx: click.Context, stage: str, profile: Optional[str]) -> None:
    """Exit 1 when the pools or aliases no longer match what the stage deployed (for CI)."""
    from chalice_cognito import cli
    from chalice_cognito.deploy.stage import recorded_arns

    stage_wiring, config, _ = cli._stage_wiring(ctx, stage, profile, None, False)
    problems: List[str] = []
    arns = recorded_arns(config, stage)
    missing = stage_wiring.undeployed(arns)
    if missing:
        problems.append(f"not deployed: {', '.join(sorted(missing))}")
    else:
        for pool_status in stage_wiring.statuses(arns):
            for row in pool_status.rows:
                if row.state not in ("attached", "other"):  # "other": not this app's slot
                    problems.append(
                        f"{row.trigger} of pool {pool_status.pool.pool_id}: {row.state} "
                        f"(holds {row.actual_arn or 'nothing'}, declared {row.declared_arn})"
                    )
                elif row.permission_ok is False:
                    problems.append(
                        f"{row.trigger} of pool {pool_status.pool.pool_id}: the invoke "
                        f"permission on {row.actual_arn} is missing"
                    )
    rollout = stage_rollout(stage_wiring)
    if rollout is not None:
        problems += rollout.drift(load_releases(stage_wiring.project_dir, stage))
    for line in problems:
        click.echo(f"DRIFT: {line}")
    if problems:
        click.echo(f"Run `chalice-cognito deploy --stage {stage}` to repair.")
        ctx.exit(cli.EXIT_REFUSED)
    click.echo(f"Stage {stage!r} matches what it deployed.")


COMMANDS: Sequence[click.Command] = (promote, rollback, verify)


def register(group: click.Group) -> None:
    """Add ``promote``, ``rollback`` and ``verify`` to the ``chalice-cognito`` group."""
    for command in COMMANDS:
        group.add_command(command, command.name)
