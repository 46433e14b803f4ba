"""Run Lambda functions from their deployment zip, as Lambda does, warm between calls.

Each function gets its own interpreter (``python -S -I``: no site-packages,
no ``PYTHON*`` variables) whose ``sys.path`` is the unpacked zip, then its
layers, then the AWS SDK the Lambda Python runtime provides (linked from this
environment, see :func:`chalice_cognito.local.smoke.link_runtime_sdk`), then
the standard library.  It runs with the function's environment variables as
the emulator's Lambda holds them, and every AWS call goes to the emulator.

The first invocation starts the interpreter and imports the handler (a cold
start, which counts toward Cognito's 5 seconds as in Lambda); later ones reuse
it.  A handler that outlives the deadline, or kills its interpreter, loses its
interpreter: the next call is cold again.  When the function's code changes in
the emulator (a redeploy), its interpreter is replaced.

Deploy-time module.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional

from chalice_cognito.local.cognito_flows import moto_seam
from chalice_cognito.local.smoke import link_runtime_sdk

#: The program of a worker interpreter (passed with -c).  Protocol: one JSON
#: line in (the init job, then one event per line), one JSON line out per
#: line in, on a duplicate of the original stdout; the handler's own prints
#: go to stderr (its "CloudWatch log").
_WORKER = r"""
import importlib, json, os, sys, time, traceback

proto = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
job = json.loads(sys.stdin.readline())
sys.path[0:0] = job["paths"]


class Context:
    def __init__(self, deadline):
        self.function_name = job["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = job["function_arn"]
        self.memory_limit_in_mb = job["memory"]
        self.aws_request_id = "local"
        self.log_group_name = "/aws/lambda/" + job["function_name"]
        self.log_stream_name = "local"
        self._deadline = deadline

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


def error(exc, kind=None):
    return {"errorMessage": str(exc), "errorType": kind or type(exc).__name__,
            "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__))}


handler = None
init_error = None
module_name, _, attr = job["handler"].rpartition(".")
for line in sys.stdin:
    request = json.loads(line)
    if handler is None and init_error is None:
        try:
            handler = getattr(importlib.import_module(module_name), attr)
        except Exception as exc:
            init_error = error(exc, "Runtime.ImportModuleError")
    if init_error is not None:
        proto.write(json.dumps({"error": init_error}) + "\n")
        continue
    if request.get("warm_only"):
        proto.write(json.dumps({"ok": None}) + "\n")
        continue
    try:
        result = handler(request["event"], Context(request["deadline"]))
    except SystemExit as exc:
        proto.write(json.dumps({"error": error(RuntimeError("exit %r" % (exc.code,)), "Runtime.ExitError")}) + "\n")
        os._exit(1)
    except Exception as exc:
        proto.write(json.dumps({"error": error(exc)}) + "\n")
        continue
    try:
        text = json.dumps({"ok": result})
    except (TypeError, ValueError) as exc:
        text = json.dumps({"error": error(TypeError("Unable to marshal response: %s" % exc), "Runtime.MarshalError")})
    proto.write(text + "\n")
"""


class FunctionNotFound(LookupError):
    """The emulator's Lambda has no function under this name or ARN."""


class InvocationTimeout(TimeoutError):
    """The function did not answer before the deadline (its interpreter was stopped)."""


@dataclass
class InvokeOutcome:
    """The function's JSON result, or the Lambda error payload it produced."""

    payload: Any
    error_type: Optional[str] = None
    cold: bool = False
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_type is None

    @property
    def error_message(self) -> str:
        if isinstance(self.payload, Mapping):
            return str(self.payload.get("errorMessage", ""))
        return ""


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    code_sha: str
    buffer: bytes = b""
    log: List[str] = field(default_factory=list)


class FunctionRunner:
    """Warm interpreters for the emulator's Lambda functions.

    ``environ``: variables every function runs with (the emulator's endpoint,
    dummy credentials, region), under its own configuration's variables.
    ``on_log``: called with (function name, line) for each line a handler writes.
    """

    def __init__(
        self,
        region: str,
        environ: Mapping[str, str],
        python: str = sys.executable,
        on_log: Optional[Callable[[str, str], None]] = None,
    ) -> None:
        self.region = region
        self.environ = dict(environ)
        self.python = python
        self.on_log = on_log
        self._root = tempfile.mkdtemp(prefix="chalice-cognito-flows-")
        self._sdk = os.path.join(self._root, "lambda-runtime")
        link_runtime_sdk(self._sdk)
        self._workers: Dict[str, _Worker] = {}
        self._locks: Dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._unpack_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Stop every interpreter and remove the unpacked code."""
        with self._guard:
            workers, self._workers = dict(self._workers), {}
        for worker in workers.values():
            _stop(worker.process)
        shutil.rmtree(self._root, ignore_errors=True)

    def warm(self, identifiers: List[str], timeout: float = 120.0) -> None:
        """Start and import the given functions now (in parallel), so first calls are warm."""
        threads = [
            threading.Thread(target=self._warm_one, args=(name, timeout), daemon=True)
            for name in identifiers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _warm_one(self, identifier: str, timeout: float) -> None:
        with contextlib.suppress(FunctionNotFound, InvocationTimeout):
            self._call(identifier, {"warm_only": True}, timeout)

    # -- invocation ----------------------------------------------------------

    def invoke(self, identifier: str, event: Any, timeout: float) -> InvokeOutcome:
        """Run the function on ``event``; raises FunctionNotFound / InvocationTimeout."""
        return self._call(identifier, {"event": event}, timeout)

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def _call(self, identifier: str, request: Dict[str, Any], timeout: float) -> InvokeOutcome:
        fn = moto_seam.function(self.region, identifier)
        if fn is None:
            raise FunctionNotFound(identifier)
        name = str(fn.function_name)
        with self._lock(name):
            started = time.monotonic()
            deadline = started + timeout
            worker = self._workers.get(name)
            cold = False
            if worker is not None and (
                worker.code_sha != moto_seam.function_code_sha(fn)
                or worker.process.poll() is not None
            ):
                _stop(worker.process)
                worker = None
            if worker is None:
                worker = self._start(fn)
                self._workers[name] = worker
                cold = True
            request = dict(request, deadline=time.time() + timeout)
            try:
                assert worker.process.stdin is not None
                worker.process.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
                worker.process.stdin.flush()
                line = self._read_line(worker, deadline)
            except (BrokenPipeError, EOFError):
                self._workers.pop(name, None)
                _stop(worker.process)
                return InvokeOutcome(
                    {
                        "errorMessage": "Runtime exited without providing a reason",
                        "errorType": "Runtime.ExitError",
                    },
                    "Runtime.ExitError",
                    cold,
                )
            except InvocationTimeout:
                self._workers.pop(name, None)
                _stop(worker.process)
                raise
            reply = json.loads(line)
            duration = (time.monotonic() - started) * 1000
            if "error" in reply:
                error = reply["error"]
                return InvokeOutcome(error, str(error.get("errorType")), cold, duration)
            return InvokeOutcome(reply["ok"], None, cold, duration)

    def _read_line(self, worker: _Worker, deadline: float) -> str:
        stdout = worker.process.stdout
        assert stdout is not None
        fd = stdout.fileno()
        while b"\n" not in worker.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise InvocationTimeout()
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise InvocationTimeout()
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError()
            worker.buffer += chunk
        line, _, worker.buffer = worker.buffer.partition(b"\n")
        return line.decode("utf-8")

    def _start(self, fn: Any) -> _Worker:
        sha = moto_seam.function_code_sha(fn)
        code_dir = self._unpack(sha, moto_seam.function_code(fn))
        paths = [code_dir]
        for index, layer in enumerate(moto_seam.layer_codes(self.region, fn)):
            opt = self._unpack(f"{sha}-layer{index}", layer)
            version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
            paths += [
                os.path.join(opt, "python"),
                os.path.join(opt, "python", "lib", version, "site-packages"),
            ]
        paths.append(self._sdk)
        env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
        env.update(self.environ)
        env.update({str(k): str(v) for k, v in (fn.environment_vars or {}).items()})
        env.update(
            {
                "LAMBDA_TASK_ROOT": code_dir,
                "AWS_LAMBDA_FUNCTION_NAME": str(fn.function_name),
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}",
                "_HANDLER": str(fn.handler),
            }
        )
        process = subprocess.Popen(
            [self.python, "-S", "-I", "-c", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=code_dir,
            env=env,
        )
        assert process.stdin is not None
        job = {
            "paths": paths,
            "handler": str(fn.handler),
            "function_name": str(fn.function_name),
            "function_arn": str(fn.function_arn),
            "memory": int(fn.memory_size or 128),
        }
        process.stdin.write((json.dumps(job) + "\n").encode("utf-8"))
        process.stdin.flush()
        worker = _Worker(process, sha)
        threading.Thread(
            target=self._drain, args=(str(fn.function_name), process), daemon=True
        ).start()
        return worker

    def _drain(self, name: str, process: subprocess.Popen[bytes]) -> None:
        """Forward what the handler writes (its log) without ever blocking it."""
        assert process.stderr is not None
        for raw in process.stderr:
            if self.on_log is not None:
                self.on_log(name, raw.decode("utf-8", "replace").rstrip("\n"))

    def _unpack(self, key: str, code: bytes) -> str:
        target = os.path.join(self._root, key.replace("/", "_"))
        with self._unpack_lock:
            if not os.path.isdir(target):
                self._extract(code, target)
        return target

    @staticmethod
    def _extract(code: bytes, target: str) -> None:
        if not os.path.isdir(target):
            import io

            staging = target + ".tmp"
            with zipfile.ZipFile(io.BytesIO(code)) as archive:
                archive.extractall(staging)
            os.replace(staging, target)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
