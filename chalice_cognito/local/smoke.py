"""Run every trigger handler from a deployment zip, the way Lambda would.

``chalice-cognito deploy --smoke`` (and the zip test) proves that the zip
Chalice just built is self-sufficient: it is unpacked into a temporary
directory and a fresh interpreter started with ``-S -I`` (no ``site``, so no
site-packages; isolated, so no ``PYTHON*`` variables, user site or current
directory) gets ``sys.path`` = that directory + the standard library only.  It
imports each handler by its Lambda handler string (``app.pre_sign_up``), calls
it with a sample event and a Lambda-like context, and reports each response.

Only the ``response`` part of each returned event is reported, with the
trigger's secret fields (codes, passwords, challenge answers) redacted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from chalice_cognito.catalogue import BY_NAME, EVENT_VERSION_OF

#: The program the fresh interpreter runs (passed with -c: nothing on disk to import).
_RUNNER = r"""
import importlib, json, sys, traceback

job = json.loads(sys.stdin.read())
sys.path.insert(0, job["root"])


class Context:
    def __init__(self, name):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + name
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


results = []
for call in job["calls"]:
    module_name, _, attr = call["handler"].rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:
        results.append({"kind": "broken", "response": None, "error": describe(exc)})
        continue
    try:
        response = handler(call["event"], Context(call["function_name"]))
        results.append({"kind": "ok", "response": response, "error": None})
    except ModuleNotFoundError as exc:
        kind = "needs-runtime" if (exc.name or "").split(".")[0] in job["runtime_provided"] else "broken"
        results.append({"kind": kind, "response": None, "error": describe(exc)})
    except Exception as exc:
        plugin = type(exc).__module__.startswith("chalice_cognito")
        kind = "broken" if plugin and type(exc).__name__ == "ResponseValidationError" else "raised"
        results.append({"kind": kind, "response": None, "error": describe(exc)})

loaded = {}
for name in ("pydantic", "pydantic_core", "chalice", "chalice_cognito"):
    module = sys.modules.get(name)
    loaded[name] = getattr(module, "__file__", None) if module else None
forbidden = sorted(
    m for m in sys.modules
    if m.split(".")[0] in ("click", "boto3", "botocore", "moto")
    or m.startswith(("chalice.cli", "chalice.deploy", "chalice_cognito.deploy",
                     "chalice_cognito.cli", "chalice_cognito.local", "chalice_cognito.iac"))
)
with open(job["out"], "w") as f:
    json.dump({"results": results, "sys_path": sys.path, "loaded": loaded,
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

    @property
    def trigger_source_label(self) -> str:
        return f"{self.function_name} ({self.event.get('triggerSource', '?')})"


#: Modules the Lambda Python runtime provides outside the zip: a handler that
#: needs them cannot run in the isolated interpreter, which is not a zip defect.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3")

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

    @property
    def path_isolated(self) -> bool:
        """True when sys.path held only the unzipped package and the standard library."""
        stdlib = (sys.base_prefix, sys.base_exec_prefix)
        return all(
            p == self.root
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
) -> SmokeReport:
    """Unpack ``zip_path`` and run ``calls`` in a fresh ``python -S -I``.

    ``keep_dir``: unpack there instead of a temporary directory (left in place).
    """
    if keep_dir is not None:
        os.makedirs(keep_dir, exist_ok=True)
        return _run_in(zip_path, calls, python, keep_dir)
    with tempfile.TemporaryDirectory(prefix="chalice-cognito-smoke-") as tmp:
        return _run_in(zip_path, calls, python, tmp)


def _run_in(zip_path: str, calls: Sequence[SmokeCall], python: str, where: str) -> SmokeReport:
    root = os.path.join(where, "task")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root)
    out = os.path.join(where, "smoke-result.json")
    job = {
        "root": root,
        "out": out,
        "runtime_provided": list(RUNTIME_PROVIDED),
        "calls": [
            {"function_name": c.function_name, "handler": c.handler, "event": c.event}
            for c in calls
        ],
    }
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
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
        )
        for call, raw in zip(calls, data["results"])
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
    )


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
    isolation = "only the unzipped package + stdlib" if report.path_isolated else "NOT isolated"
    lines.append(f"  interpreter: python -S -I; sys.path: {isolation}")
    lines.append(
        "  (raised: the handler refused the sample event; needs-runtime: it calls AWS "
        "through boto3, which Lambda provides)"
    )
    if report.forbidden_modules:
        lines.append(f"  FAIL  deploy-time modules imported: {', '.join(report.forbidden_modules)}")
    return "\n".join(lines)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"
