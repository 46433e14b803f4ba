"""Versions, an alias, canary weights, promote and rollback of a stage's trigger functions.

With ``"alias": "live"`` in the ``cognito`` config, the pool is not wired to a
function's ``$LATEST`` but to ``<function ARN>:live``.  After Chalice updated
the functions (and before the wiring), :meth:`Rollout.release` publishes a
version of each trigger function whose code or configuration differs from
what the alias routes to, and moves the alias: fully, or with
``"canary"`` only ``percent`` of the traffic (the alias's
``RoutingConfig.AdditionalVersionWeights``) while the rest stays on the
current version.  The wiring engine is then fed the alias-qualified ARNs
(:func:`qualified`): one wiring mechanism, which grants the invoke permission
on the alias (a qualified ``FunctionName``, still with SourceArn and
SourceAccount) before the pool points at it and removes the old one after.

:meth:`Rollout.promote` moves a canary's alias fully to the new version;
:meth:`Rollout.rollback` moves every function back (mid-canary: the canary
weight is dropped; otherwise: the previous version) with one UpdateAlias per
function, no build and no upload.  What that needs (current, previous and
canary version per function) is kept in ``.chalice/cognito/<stage>.rollout.json``
(:func:`load_releases` / :func:`save_releases`), next to the ownership record.

Every call goes through the engine's :class:`~chalice_cognito.deploy.aws.AwsClients`
(its retries, its AccessDenied messages, its injectable client factory).
Deploy-time module: boto3 through the engine's clients, stdlib.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from botocore.exceptions import ClientError

from chalice_cognito.deploy.aws import AwsClients, error_code

#: the configuration fields a published version freezes besides the code: a
#: difference in any of them between ``$LATEST`` and the alias's version means
#: a new version is due
CONFIG_FIELDS = (
    "CodeSha256",
    "Handler",
    "Runtime",
    "Role",
    "MemorySize",
    "Timeout",
    "Environment",
    "Layers",
    "VpcConfig",
    "Architectures",
    "EphemeralStorage",
    "TracingConfig",
    "DeadLetterConfig",
    "KMSKeyArn",
)

#: Cognito waits this long for a trigger, then retries it or fails the request
COGNITO_BUDGET_SECONDS = 5


def qualified(arn: str, alias: Optional[str]) -> str:
    """``arn:aws:lambda:r:a:function:NAME`` -> ``...:NAME:<alias>`` (unchanged when no alias).

    An ARN that already carries a qualifier is returned as it is.
    """
    if not alias or len(arn.split(":")) != 7:
        return arn
    return f"{arn}:{alias}"


def unqualified(arn: str) -> str:
    """The function ARN without its qualifier."""
    return ":".join(arn.split(":")[:7])


def timeout_warnings(timeouts: Mapping[str, int]) -> List[str]:
    """A line per timeout value above Cognito's 5-second budget, naming its trigger functions.

    ``timeouts``: function name -> ``lambda_timeout`` (seconds; Chalice's
    default is 60).  Cognito waits 5 s for a trigger, then retries it or
    fails the request: the time above 5 s is only billed, never used.
    """
    by_value: Dict[int, List[str]] = {}
    for name, seconds in sorted(timeouts.items()):
        if seconds > COGNITO_BUDGET_SECONDS:
            by_value.setdefault(seconds, []).append(name)
    return [
        f"trigger function{'s' if len(names) > 1 else ''} {', '.join(names)} "
        f"{'have' if len(names) > 1 else 'has'} lambda_timeout {seconds} s, above Cognito's "
        f"{COGNITO_BUDGET_SECONDS}-second limit: Cognito waits {COGNITO_BUDGET_SECONDS} s, "
        "then retries the trigger or fails the request, so the extra time only bills. "
        f'Set "lambda_timeout": {COGNITO_BUDGET_SECONDS} for '
        f"{'them' if len(names) > 1 else 'it'} in .chalice/config.json."
        for seconds, names in sorted(by_value.items())
    ]


@dataclass(frozen=True)
class Release:
    """Where one function's alias routes, as the last deploy/promote/rollback left it.

    ``current``: the version the alias points at; ``canary``: the version
    with the canary weight (None when none); ``previous``: the version
    :meth:`Rollout.rollback` returns to when there is no canary.
    ``published`` / ``action`` say what the last command did (not persisted).
    """

    function_arn: str
    alias: str
    current: str
    previous: Optional[str] = None
    canary: Optional[str] = None
    weight: Optional[float] = None
    action: str = "unchanged"

    @property
    def alias_arn(self) -> str:
        return qualified(self.function_arn, self.alias)

    @property
    def function_name(self) -> str:
        return self.function_arn.split(":")[6]

    @property
    def routing(self) -> Dict[str, float]:
        """The alias's AdditionalVersionWeights this release stands for."""
        if self.canary and self.weight is not None:
            return {self.canary: self.weight}
        return {}

    def describe(self) -> str:
        """``live -> 4`` or ``live -> 4 (90%), 5 (10%)``."""
        if self.canary and self.weight is not None:
            share = round(self.weight * 100, 2)
            return (
                f"{self.alias} -> {self.current} ({100 - share:g}%), "
                f"{self.canary} ({share:g}%, canary)"
            )
        return f"{self.alias} -> {self.current}"

    def to_json(self) -> Dict[str, Any]:
        return {
            "function_arn": self.function_arn,
            "alias": self.alias,
            "current": self.current,
            "previous": self.previous,
            "canary": self.canary,
            "weight": self.weight,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Release:
        weight = data.get("weight")
        return cls(
            function_arn=str(data["function_arn"]),
            alias=str(data["alias"]),
            current=str(data["current"]),
            previous=None if data.get("previous") is None else str(data["previous"]),
            canary=None if data.get("canary") is None else str(data["canary"]),
            weight=None if weight is None else float(weight),
        )


# -- the record -------------------------------------------------------------------


def releases_path(project_dir: Union[str, Path], stage: str) -> Path:
    """``.chalice/cognito/<stage>.rollout.json``."""
    return Path(project_dir) / ".chalice" / "cognito" / f"{stage}.rollout.json"


def load_releases(project_dir: Union[str, Path], stage: str) -> Dict[str, Release]:
    """Chalice function name -> :class:`Release` of the stage ({} when never released)."""
    path = releases_path(project_dir, stage)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(name): Release.from_json(value) for name, value in data["functions"].items()}
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(
            f"{path} is not a rollout record ({error}); delete it and deploy again."
        ) from None


def save_releases(
    project_dir: Union[str, Path], stage: str, releases: Mapping[str, Release]
) -> Path:
    """Write the record atomically (a kill mid-write leaves the old one)."""
    path = releases_path(project_dir, stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "stage": stage,
        "functions": {name: r.to_json() for name, r in sorted(releases.items())},
    }
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


# -- the mechanism -------------------------------------------------------------------


def _fingerprint(configuration: Mapping[str, Any]) -> Dict[str, Any]:
    out = {key: configuration.get(key) for key in CONFIG_FIELDS}
    out["Layers"] = [layer.get("Arn") for layer in configuration.get("Layers") or []]
    return out


class Rollout:
    """Publish, route, promote and roll back the alias of each trigger function.

    ``alias``: the alias name; ``keep_versions``: published versions kept
    besides the routed and previous ones; ``canary_weight``: the share (0-1)
    a new version gets when the alias already exists (None: all at once).
    """

    def __init__(
        self,
        aws: AwsClients,
        alias: str,
        keep_versions: int = 3,
        canary_weight: Optional[float] = None,
    ) -> None:
        self.aws = aws
        self.alias = alias
        self.keep_versions = keep_versions
        self.canary_weight = canary_weight

    def _call(self, arn: str, operation: str, **params: Any) -> Dict[str, Any]:
        return self.aws.call("lambda", arn.split(":")[3], operation, resource=arn, **params)

    # -- deploy -------------------------------------------------------------------

    def release(
        self, functions: Mapping[str, str], known: Mapping[str, Release]
    ) -> Dict[str, Release]:
        """Publish what changed and route the alias; ``functions``: name -> unqualified ARN.

        Functions run concurrently (the engine's :meth:`AwsClients.map`);
        ``known`` is the previous record (its ``previous`` versions survive
        a deploy that changes nothing).
        """
        names = sorted(functions)
        done = self.aws.map(
            lambda name: self._release_one(unqualified(functions[name]), known.get(name)), names
        )
        return dict(zip(names, done, strict=True))

    def _release_one(self, arn: str, known: Optional[Release]) -> Release:
        latest = self._call(arn, "GetFunctionConfiguration", FunctionName=arn)
        alias = self._get_alias(arn)
        if alias is not None:
            current = str(alias["FunctionVersion"])
            weights = dict((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})
            canary = next(iter(weights), None)
            previous = known.previous if known and known.current == current else None
            if previous is None and known and known.current != current:
                previous = known.current
            base = Release(
                arn,
                self.alias,
                current,
                previous,
                canary,
                float(weights[canary]) if canary else None,
            )
            if known is not None and (current, base.routing) != (known.current, known.routing):
                # The alias was moved by hand: if the code is what the record
                # routes, put the recorded routing back (drift repaired).
                frozen = self._call(
                    arn,
                    "GetFunctionConfiguration",
                    FunctionName=arn,
                    Qualifier=known.canary or known.current,
                )
                if _fingerprint(frozen) == _fingerprint(latest):
                    repaired = replace(known, function_arn=arn, action="repaired")
                    self._route(repaired)
                    return repaired
            # what the alias routes to now (its canary first) may hold this code already
            # (a run stopped between its UpdateAlias and the record): nothing to publish
            frozen = self._call(
                arn, "GetFunctionConfiguration", FunctionName=arn, Qualifier=base.canary or current
            )
            if _fingerprint(frozen) == _fingerprint(latest):
                return base
        published = self._call(
            arn, "PublishVersion", FunctionName=arn, CodeSha256=latest["CodeSha256"]
        )
        new = str(published["Version"])
        if alias is None:
            self._call(arn, "CreateAlias", FunctionName=arn, Name=self.alias, FunctionVersion=new)
            release = Release(arn, self.alias, new, action="created")
        elif new in (base.current, base.canary):
            return base  # nothing new to publish after all
        elif self.canary_weight is not None:
            release = replace(base, canary=new, weight=self.canary_weight, action="canary")
            self._route(release)
        else:
            release = Release(arn, self.alias, new, base.current, action="moved")
            self._route(release)
        self._prune(release)
        return release

    def _get_alias(self, arn: str) -> Optional[Dict[str, Any]]:
        try:
            return self._call(arn, "GetAlias", FunctionName=arn, Name=self.alias)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return None
            raise

    def _route(self, release: Release) -> None:
        self._call(
            release.function_arn,
            "UpdateAlias",
            FunctionName=release.function_arn,
            Name=release.alias,
            FunctionVersion=release.current,
            RoutingConfig={"AdditionalVersionWeights": release.routing},
        )

    def _prune(self, release: Release) -> List[str]:
        """Delete published versions beyond ``keep_versions`` (never a routed or previous one)."""
        arn = release.function_arn
        versions: List[int] = []
        marker: Optional[str] = None
        while True:
            # by name: moto lists no versions for an ARN (Lambda takes either)
            params: Dict[str, Any] = {"FunctionName": release.function_name}
            if marker:
                params["Marker"] = marker
            answer = self._call(arn, "ListVersionsByFunction", **params)
            versions += [
                int(v["Version"]) for v in answer.get("Versions", []) if v["Version"].isdigit()
            ]
            marker = answer.get("NextMarker")
            if not marker:
                break
        protected = {v for v in (release.current, release.previous, release.canary) if v}
        newest = {str(v) for v in sorted(versions, reverse=True)[: self.keep_versions]}
        doomed = [str(v) for v in sorted(versions) if str(v) not in protected | newest]
        for version in doomed:
            try:
                self._call(arn, "DeleteFunction", FunctionName=arn, Qualifier=version)
            except ClientError as error:
                if error_code(error) != "ResourceNotFoundException":
                    raise
        return doomed

    # -- after a deploy -------------------------------------------------------------

    def promote(self, releases: Mapping[str, Release]) -> Dict[str, Release]:
        """Move every alias with a canary fully to its canary version (one UpdateAlias each)."""
        out = dict(releases)
        todo = [name for name, r in sorted(releases.items()) if r.canary]

        def one(name: str) -> Release:
            r = releases[name]
            assert r.canary is not None
            moved = Release(r.function_arn, r.alias, r.canary, r.current, action="promoted")
            self._route(moved)
            return moved

        out.update(zip(todo, self.aws.map(one, todo), strict=True))
        return out

    def shift(self, releases: Mapping[str, Release], weight: float) -> Dict[str, Release]:
        """Give every canary version ``weight`` of its alias's traffic (one UpdateAlias each).

        A step of a ``"linear"`` canary baked by ``deploy --wait``.
        """
        out = dict(releases)
        todo = [name for name, r in sorted(releases.items()) if r.canary]

        def one(name: str) -> Release:
            moved = replace(releases[name], weight=weight, action="shifted")
            self._route(moved)
            return moved

        out.update(zip(todo, self.aws.map(one, todo), strict=True))
        return out

    def rollback(self, releases: Mapping[str, Release]) -> Dict[str, Release]:
        """Move every alias back: mid-canary to its current version alone, else to the previous.

        One UpdateAlias per function that has somewhere to go back to; a
        function without a previous version is left as it is (``action``
        ``"unchanged"``).
        """
        out = dict(releases)

        def target(r: Release) -> Optional[Release]:
            if r.canary:
                return Release(r.function_arn, r.alias, r.current, r.previous, action="rolled back")
            if r.previous:
                return Release(r.function_arn, r.alias, r.previous, None, action="rolled back")
            return None

        todo = [(name, t) for name, r in sorted(releases.items()) if (t := target(r)) is not None]

        def one(item: Tuple[str, Release]) -> Release:
            self._route(item[1])
            return item[1]

        out.update(zip((n for n, _ in todo), self.aws.map(one, todo), strict=True))
        return out

    def routes(self, releases: Mapping[str, Release]) -> Dict[str, Optional[Release]]:
        """How each recorded function's alias routes now (GetAlias; None: no alias)."""
        names = sorted(releases)

        def one(name: str) -> Optional[Release]:
            r = releases[name]
            alias = self._get_alias(r.function_arn)
            if alias is None:
                return None
            weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
            return Release(
                r.function_arn,
                r.alias,
                str(alias["FunctionVersion"]),
                r.previous,
                canary=next(iter(weights), None),
                weight=float(next(iter(weights.values()))) if weights else None,
            )

        return dict(zip(names, self.aws.map(one, names), strict=True))

    def drift(self, releases: Mapping[str, Release]) -> List[str]:
        """A line per alias that no longer routes as recorded (moved by hand, deleted)."""
        out = []
        for name, actual in self.routes(releases).items():
            r = releases[name]
            if actual is None:
                out.append(f"alias {r.alias} of {r.function_name} is missing (deploy recreates it)")
            elif (actual.current, actual.routing) != (r.current, r.routing):
                out.append(
                    f"alias of {r.function_name} routes {actual.describe()}, the stage "
                    f"deployed {r.describe()} (moved by hand?)"
                )
        return out


def release_lines(releases: Mapping[str, Release], title: str) -> List[str]:
    """The table the commands print: function, alias routing, what was done."""
    if not releases:
        return []
    rows = [("FUNCTION", "ALIAS", "ACTION")] + [
        (r.function_name, r.describe(), r.action) for _, r in sorted(releases.items())
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [title] + [
        "  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def next_step_lines(releases: Mapping[str, Release], stage: str, minutes: float) -> List[str]:
    """What to run after a canary deploy (none when no alias has a canary)."""
    if not any(r.canary for r in releases.values()):
        return []
    return [
        f"Canary: the new versions take their share of the traffic. Watch them for "
        f"{minutes:g} minutes, then run `chalice-cognito promote --stage {stage}` "
        f"(or `chalice-cognito rollback --stage {stage}` to go back), or deploy with --wait.",
    ]


__all__ = [
    "COGNITO_BUDGET_SECONDS",
    "Release",
    "Rollout",
    "load_releases",
    "next_step_lines",
    "qualified",
    "release_lines",
    "releases_path",
    "save_releases",
    "timeout_warnings",
    "unqualified",
]
