"""Run every trigger handler from a deployment zip, the way Lambda would.

``chalice-cognito deploy --smoke`` (and the zip test) proves that the zip
Chalice just built is self-sufficient: it is unpacked into a temporary
directory and a fresh interpreter started with ``-S -I`` (no ``site``, so no
site-packages; isolated, so no ``PYTHON*`` variables, user site or current
directory) gets ``sys.path`` = that directory + the standard library only.  It
imports each handler by its Lambda handler string (``app.pre_sign_up``), calls
it with a sample event and a Lambda-like context, and reports each response.

Two modes:

* **zip only** (the default, issue "the zip works in Lambda"): nothing but the
  zip and the standard library.  A handler that needs the AWS SDK is reported
  ``needs-runtime`` there: Lambda provides boto3 outside the zip.
* **Lambda runtime** (:class:`LambdaRuntime`, what ``deploy --stage local
  --smoke`` runs): the zip, then the AWS SDK the Lambda Python runtime ships
  (boto3, botocore, s3transfer, jmespath, dateutil, six, urllib3 -- linked
  from the current environment, since no Lambda image is at hand), then the
  standard library; each function runs with the environment the emulator's
  Lambda holds for it, and AWS calls go to the embedded emulator.

Only the ``response`` part of each returned event is reported, with the
trigger's secret fields (codes, passwords, challenge answers) redacted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from chalice_cognito.catalogue import BY_NAME, EVENT_VERSION_OF

#: The program the fresh interpreter runs (passed with -c: nothing on disk to import).
_RUNNER = r"""
import importlib, json, sys, time, traceback

started = time.time()
job = json.loads(sys.stdin.read())
# interpreter start-up, as a Lambda cold start pays it (wall clock since the launch)
startup = max(0.0, started - job["launched"])
module_seconds = {}
sys.path.insert(0, job["root"])
# After the zip, as in Lambda (/var/task first, the runtime's packages after it).
sys.path[1:1] = job["extra_paths"]


class Context:
    def __init__(self, name):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = job["arn_prefix"] + name
        self.memory_limit_in_mb = 128
        self.aws_request_id = "smoke-" + name
        self.log_group_name = "/aws/lambda/" + name
        self.log_stream_name = "smoke"

    def get_remaining_time_in_millis(self):
        return 5000


def describe(exc):
    last = traceback.extract_tb(exc.__traceback__)[-1:]
    where = "%s:%s" % (last[0].filename, last[0].lineno) if last else "?"
    return "%s: %s (at %s)" % (type(exc).__name__, exc, where.replace(job["root"] + "/", ""))


import os

results = []
for call in job["calls"]:
    saved_env = dict(os.environ)
    os.environ.update(call["env"])
    module_name, _, attr = call["handler"].rpartition(".")
    try:
        before = time.perf_counter()
        handler = getattr(importlib.import_module(module_name), attr)
        # the first import of a module is what a cold start of its functions pays
        module_seconds.setdefault(module_name, time.perf_counter() - before)
    except Exception as exc:
        results.append({"kind": "broken", "response": None, "error": describe(exc)})
        os.environ.clear()
        os.environ.update(saved_env)
        continue
    before = time.perf_counter()
    try:
        response = handler(call["event"], Context(call["deployed_name"]))
        results.append({"kind": "ok", "response": response, "error": None})
    except ModuleNotFoundError as exc:
        kind = "needs-runtime" if (exc.name or "").split(".")[0] in job["runtime_provided"] else "broken"
        results.append({"kind": kind, "response": None, "error": describe(exc)})
    except Exception as exc:
        plugin = type(exc).__module__.startswith("chalice_cognito")
        kind = "broken" if plugin and type(exc).__name__ == "ResponseValidationError" else "raised"
        results.append({"kind": kind, "response": None, "error": describe(exc)})
    # cold start of this function: start-up + its module's first import + this first call
    results[-1]["seconds"] = startup + module_seconds[module_name] + time.perf_counter() - before
    os.environ.clear()
    os.environ.update(saved_env)

loaded = {}
for name in ("pydantic", "pydantic_core", "chalice", "chalice_cognito"):
    module = sys.modules.get(name)
    loaded[name] = getattr(module, "__file__", None) if module else None
forbidden = sorted(
    m for m in sys.modules
    if m.split(".")[0] in job["forbidden_roots"]
    or m.startswith(("chalice.cli", "chalice.deploy", "chalice_cognito.deploy",
                     "chalice_cognito.cli", "chalice_cognito.local", "chalice_cognito.iac"))
)
with open(job["out"], "w") as f:
    json.dump({"results": results, "sys_path": list(sys.path), "loaded": loaded,
               "forbidden_modules": forbidden, "flags": {"no_site": sys.flags.no_site,
               "isolated": sys.flags.isolated}}, f)
"""


@dataclass(frozen=True)
class SmokeCall:
    """One handler to call: its Chalice function name, Lambda handler string and event."""

    function_name: str
    handler: str
    trigger: str
    event: Mapping[str, Any]
    #: the function's deployed name (the Lambda context's ``function_name``)
    deployed_name: str = ""
    #: extra label shown after the trigger source (a project's own smoke event)
    label: str = ""

    @property
    def trigger_source_label(self) -> str:
        extra = f", {self.label}" if self.label else ""
        return f"{self.function_name} ({self.event.get('triggerSource', '?')}{extra})"


#: Import names of the AWS SDK the Lambda Python runtime ships outside the zip
#: (the distributions of ``packaging.LAMBDA_RUNTIME_PROVIDED``).  A handler
#: that fails to import one of them in the isolated interpreter "needs the
#: runtime": not a zip defect.
LAMBDA_RUNTIME_MODULES = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
    "six",
    "urllib3",
)
_DISTRIBUTION_OF = {"dateutil": "python-dateutil"}


@dataclass(frozen=True)
class LambdaRuntime:
    """What a function sees in Lambda besides its zip, for the runtime mode.

    ``environ`` is process-wide (endpoint, credentials, region);
    ``function_environ`` maps a Chalice function name to the variables of its
    configuration.
    """

    environ: Mapping[str, str] = field(default_factory=dict)
    function_environ: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    region: str = "us-east-1"
    account_id: str = "123456789012"


def link_runtime_sdk(target_dir: str) -> Dict[str, str]:
    """Link the current environment's AWS SDK packages into ``target_dir``; return versions.

    Stands in for the SDK of the Lambda image (which this machine does not
    have): the same packages, whatever versions are installed here.
    """
    import importlib.metadata
    import importlib.util

    os.makedirs(target_dir, exist_ok=True)
    versions: Dict[str, str] = {}
    for module in LAMBDA_RUNTIME_MODULES:
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            raise SmokeError(f"The Lambda runtime mode needs {module} installed here.")
        if spec.submodule_search_locations:
            source = next(iter(spec.submodule_search_locations))
        else:
            source = spec.origin
        link = os.path.join(target_dir, os.path.basename(source))
        if not os.path.lexists(link):
            os.symlink(source, link)
        distribution = _DISTRIBUTION_OF.get(module, module)
        try:
            versions[distribution] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            versions[distribution] = "?"
    return versions


#: ``SmokeResult.kind`` values.
KINDS = {
    "ok": "the handler returned; its response is shown",
    "raised": "the handler raised (how a trigger refuses): the zip ran it",
    "needs-runtime": "the handler calls AWS through boto3, which Lambda provides outside the zip",
    "broken": "import failed, a module missing from the zip, or a response Cognito rejects",
}


@dataclass(frozen=True)
class SmokeResult:
    """What one handler did with its sample event (``kind``: see :data:`KINDS`)."""

    call: SmokeCall
    kind: str
    #: the ``response`` part of the returned event, secrets redacted
    response: Optional[Dict[str, Any]] = None
    error: Optional[str] = None
    #: measured cold start: interpreter start-up + the handler module's first
    #: import + this handler's first call (None when the import failed)
    cold_start_seconds: Optional[float] = None

    @property
    def ok(self) -> bool:
        """False only for ``broken``: the zip itself failed this handler."""
        return self.kind != "broken"


@dataclass(frozen=True)
class SmokeReport:
    """Every result plus what the interpreter saw (for the zip checks)."""

    zip_path: str
    zip_size: int
    results: List[SmokeResult]
    sys_path: List[str] = field(default_factory=list)
    #: where pydantic, pydantic_core, chalice and chalice_cognito were imported from
    loaded: Dict[str, Optional[str]] = field(default_factory=dict)
    #: deploy-time modules that got imported (must stay empty)
    forbidden_modules: List[str] = field(default_factory=list)
    flags: Dict[str, int] = field(default_factory=dict)
    root: str = ""
    #: directories after the zip on sys.path (the runtime mode's AWS SDK)
    extra_paths: List[str] = field(default_factory=list)
    #: the runtime mode's settings (None: zip only)
    runtime: Optional[LambdaRuntime] = None
    #: versions of the AWS SDK packages linked in (runtime mode)
    sdk_versions: Dict[str, str] = field(default_factory=dict)

    @property
    def path_isolated(self) -> bool:
        """True when sys.path held only the unzipped package, the extra paths and the stdlib."""
        stdlib = (sys.base_prefix, sys.base_exec_prefix)
        return all(
            p == self.root
            or p in self.extra_paths
            or (p.startswith(stdlib) and "site-packages" not in p and "dist-packages" not in p)
            for p in self.sys_path
        )

    @property
    def ok(self) -> bool:
        """Every handler ran from the zip, with nothing from outside the zip and stdlib."""
        return (
            bool(self.results)
            and all(r.ok for r in self.results)
            and not self.forbidden_modules
            and self.path_isolated
        )


class SmokeError(RuntimeError):
    """The isolated interpreter could not run at all."""


def calls_for_app(
    app: Any,
    sample_event: Callable[[str, Optional[str]], Mapping[str, Any]],
) -> List[SmokeCall]:
    """One :class:`SmokeCall` per trigger handler of ``app`` (first trigger source of each).

    ``sample_event(trigger_source, event_version)`` builds the event.
    """
    from chalice_cognito.app import registered_triggers

    handler_strings = {f.name: f.handler_string for f in app.pure_lambda_functions}
    calls = []
    for reg in sorted(registered_triggers(app), key=lambda r: r.function_name):
        spec = BY_NAME[reg.trigger]
        source = spec.sources_for(reg.version)[0]
        event_version = EVENT_VERSION_OF.get(reg.version) if reg.version else None
        calls.append(
            SmokeCall(
                function_name=reg.function_name,
                handler=handler_strings[reg.function_name],
                trigger=reg.trigger,
                event=sample_event(source, event_version),
            )
        )
    return calls


def run_zip(
    zip_path: str,
    calls: Sequence[SmokeCall],
    python: str = sys.executable,
    keep_dir: Optional[str] = None,
    runtime: Optional[LambdaRuntime] = None,
) -> SmokeReport:
    """Unpack ``zip_path`` and run ``calls`` in a fresh ``python -S -I``.

    ``keep_dir``: unpack there instead of a temporary directory (left in place).
    ``runtime``: run as Lambda does (the runtime's AWS SDK after the zip, each
    function's environment); zip and standard library only when None.
    """
    if keep_dir is not None:
        os.makedirs(keep_dir, exist_ok=True)
        return _run_in(zip_path, calls, python, keep_dir, runtime)
    with tempfile.TemporaryDirectory(prefix="chalice-cognito-smoke-") as tmp:
        return _run_in(zip_path, calls, python, tmp, runtime)


def _run_in(
    zip_path: str,
    calls: Sequence[SmokeCall],
    python: str,
    where: str,
    runtime: Optional[LambdaRuntime] = None,
) -> SmokeReport:
    root = os.path.join(where, "task")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root)
    out = os.path.join(where, "smoke-result.json")
    extra_paths: List[str] = []
    sdk_versions: Dict[str, str] = {}
    forbidden_roots = ["click", "moto", "boto3", "botocore"]
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    region, account = "us-east-1", "123456789012"
    if runtime is not None:
        sdk_dir = os.path.join(where, "lambda-runtime")
        sdk_versions = link_runtime_sdk(sdk_dir)
        extra_paths = [sdk_dir]
        forbidden_roots = ["click", "moto"]
        region, account = runtime.region, runtime.account_id
        env.update(runtime.environ)
        env.update(
            {
                "LAMBDA_TASK_ROOT": root,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}",
            }
        )
    job = {
        "launched": time.time(),
        "root": root,
        "out": out,
        "extra_paths": extra_paths,
        "forbidden_roots": forbidden_roots,
        "arn_prefix": f"arn:aws:lambda:{region}:{account}:function:",
        "runtime_provided": list(LAMBDA_RUNTIME_MODULES),
        "calls": [
            {
                "function_name": c.function_name,
                "deployed_name": c.deployed_name or c.function_name,
                "handler": c.handler,
                "event": c.event,
                "env": _call_environ(c, runtime),
            }
            for c in calls
        ],
    }
    proc = subprocess.run(
        [python, "-S", "-I", "-c", _RUNNER],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        check=False,
    )
    if proc.returncode != 0 or not os.path.isfile(out):
        raise SmokeError(
            f"The isolated interpreter failed (exit {proc.returncode}): "
            f"{proc.stderr.strip()[-2000:]}"
        )
    with open(out, encoding="utf-8") as f:
        data = json.load(f)
    results = [
        SmokeResult(
            call=call,
            kind=str(raw["kind"]),
            response=_redacted_response(call, raw["response"]) if raw["kind"] == "ok" else None,
            error=_scrubbed(call, raw["error"]),
            cold_start_seconds=raw.get("seconds"),
        )
        for call, raw in zip(calls, data["results"], strict=True)
    ]
    return SmokeReport(
        zip_path=zip_path,
        zip_size=os.path.getsize(zip_path),
        results=results,
        sys_path=list(data["sys_path"]),
        loaded=dict(data["loaded"]),
        forbidden_modules=list(data["forbidden_modules"]),
        flags=dict(data["flags"]),
        root=root,
        extra_paths=extra_paths,
        runtime=runtime,
        sdk_versions=sdk_versions,
    )


def _call_environ(call: SmokeCall, runtime: Optional[LambdaRuntime]) -> Dict[str, str]:
    """The variables one call runs with: its function's configuration (runtime mode)."""
    if runtime is None:
        return {}
    variables = {
        str(k): str(v) for k, v in runtime.function_environ.get(call.function_name, {}).items()
    }
    variables["AWS_LAMBDA_FUNCTION_NAME"] = call.deployed_name or call.function_name
    return variables


def _scrubbed(call: SmokeCall, error: Optional[str]) -> Optional[str]:
    """An error message with the event's secret values (codes, passwords) replaced by ***."""
    if error is None:
        return None
    from chalice_cognito.dispatch import scrub, secret_values

    return scrub(error, secret_values(BY_NAME[call.trigger], call.event))


def _redacted_response(call: SmokeCall, returned: Any) -> Optional[Dict[str, Any]]:
    if not isinstance(returned, Mapping):
        return None
    response = returned.get("response")
    if not isinstance(response, Mapping):
        return None
    spec = BY_NAME[call.trigger]
    out: Dict[str, Any] = json.loads(json.dumps(response))
    for path in spec.secret_fields:
        head, _, rest = path.partition(".")
        if head != "response" or not rest:
            continue
        node: Any = out
        parts = rest.split(".")
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(parts[-1]) is not None:
            node[parts[-1]] = "***"
    return out


def format_report(report: SmokeReport) -> str:
    """Human-readable lines: one per handler, then the zip facts."""
    lines = [f"Smoke test of {os.path.basename(report.zip_path)} ({_size(report.zip_size)}):"]
    for result in report.results:
        call = result.call
        detail = (
            json.dumps(result.response, sort_keys=True) if result.kind == "ok" else result.error
        )
        label = "BROKEN" if result.kind == "broken" else result.kind
        lines.append(f"  {label:<13} {call.trigger:<28} {call.trigger_source_label} -> {detail}")
    if report.runtime is None:
        isolation = "only the unzipped package + stdlib" if report.path_isolated else "NOT isolated"
        lines.append(f"  interpreter: python -S -I; sys.path: {isolation}")
        lines.append(
            "  (raised: the handler refused the sample event; needs-runtime: it calls AWS "
            "through boto3, which Lambda provides)"
        )
    else:
        isolation = (
            "the unzipped package + the Lambda runtime's AWS SDK + stdlib"
            if report.path_isolated
            else "NOT isolated"
        )
        sdk = ", ".join(
            f"{name} {version}" for name, version in sorted(report.sdk_versions.items())
        )
        lines.append(f"  interpreter: python -S -I; sys.path: {isolation}")
        lines.append(
            f"  Lambda runtime's AWS SDK: taken from this environment ({sdk}); each function "
            "ran with its environment as the emulator's Lambda holds it "
            "(GetFunctionConfiguration), AWS calls went to the embedded emulator "
            f"({report.runtime.environ.get('AWS_ENDPOINT_URL', '?')})"
        )
        lines.append("  (raised: the handler refused the event, as a trigger refuses)")
    if report.forbidden_modules:
        lines.append(f"  FAIL  deploy-time modules imported: {', '.join(report.forbidden_modules)}")
    lines.extend(cold_start_lines(report))
    return "\n".join(lines)


#: a measured cold start above this share of Cognito's budget is flagged
COLD_START_WARN_SHARE = 0.5


def cold_start_lines(report: SmokeReport) -> List[str]:
    """Each function's measured cold start against Cognito's 5-second budget.

    Measured on this machine in the smoke interpreter: start-up, the first
    import of the handler's module (shared by the functions of one app, paid
    by each of their cold starts), and the handler's first call.  Lambda's
    CPU share differs with memory size; a value near the budget here is a
    value to act on (bytecode, lazy imports, provisioned concurrency).
    """
    from chalice_cognito.deploy.rollout import COGNITO_BUDGET_SECONDS

    timed = [r for r in report.results if r.cold_start_seconds is not None]
    if not timed:
        return []
    limit = COGNITO_BUDGET_SECONDS * COLD_START_WARN_SHARE
    lines = [
        f"  cold start from the zip (this machine), against Cognito's {COGNITO_BUDGET_SECONDS} s:"
    ]
    seen = set()
    for result in timed:
        name = result.call.deployed_name or result.call.function_name
        if name in seen:
            continue
        seen.add(name)
        seconds = result.cold_start_seconds or 0.0
        flag = f"  WARNING: above {limit:g} s" if seconds > limit else ""
        lines.append(f"    {name:<40} {seconds:6.3f} s{flag}")
    return lines


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"
