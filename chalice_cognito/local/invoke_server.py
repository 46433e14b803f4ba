"""A local Lambda Invoke API serving a Chalice app's Cognito trigger handlers.

``chalice local`` serves HTTP routes only and never runs pure Lambda functions,
so an emulator that invokes triggers (cognito-local) has nothing to call.  This
module answers ``POST /2015-03-31/functions/{name}/invocations`` the way AWS
Lambda does, for every ``@app.cognito_trigger`` handler of a project:

* a function is found by its Chalice name (``pre_sign_up``), its deployed name
  (``<app>-<stage>-pre_sign_up``) or an ARN (any region and account; a
  ``:qualifier`` suffix or ``?Qualifier=`` is accepted and ignored);
* while the handler runs, the function's environment variables from
  ``.chalice/config.json`` (stage and function level, merged by
  ``chalice.config.Config``) are set;
* a handler exception answers HTTP 200 with ``X-Amz-Function-Error: Unhandled``
  and ``{"errorMessage", "errorType", "stackTrace"}``, which Cognito and
  cognito-local turn into ``<Trigger> failed with error <message>.``;
* an unknown function answers 404 ``ResourceNotFoundException``;
* code changes are picked up without a restart: before each invocation the
  modification times of ``app.py``, ``chalicelib/**`` and the config are
  compared and the app is re-imported when one changed.

Invocations run one at a time: environment variables are process-wide, and an
emulator calls a trigger synchronously anyway.  The server binds 127.0.0.1 only
and never logs event bodies (they carry passwords and codes): one line per
invocation with the function, the triggerSource and the outcome.

Deploy-time module: uses Chalice's CLI factory and config, never loaded in Lambda.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import sys
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import parse_qs, unquote, urlsplit

import chalice.app as chalice_app
from chalice.cli.factory import CLIFactory
from chalice.config import Config
from chalice.local import LambdaContext

from chalice_cognito.app import TriggerRegistration, registered_triggers

logger = logging.getLogger("chalice_cognito.local")

#: The only interface the server listens on: trigger events carry secrets.
LOOPBACK = "127.0.0.1"

#: Region and account used in the ARNs the server reports (Lambda-shaped messages).
LOCAL_REGION_DEFAULT = "us-east-1"
LOCAL_ACCOUNT = "000000000000"

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")

#: Module names owned by a Chalice project: purged before a re-import so a
#: second project (or a changed file) is never served from a stale module.
_PROJECT_MODULES = ("app", "chalicelib")


class FunctionNotFoundError(LookupError):
    """No trigger handler of the app answers to the requested function name."""

    def __init__(self, identifier: str, known: List[str]) -> None:
        self.identifier = identifier
        self.known = known
        super().__init__(
            f"Function not found: {identifier}. "
            f"This app serves: {', '.join(known) if known else '(no Cognito trigger handler)'}."
        )


@dataclass(frozen=True)
class LocalFunction:
    """One trigger handler as the local Lambda service sees it."""

    #: Chalice function name (``pre_sign_up``), key of ``app.handler_map``.
    name: str
    #: ``<app>-<stage>-<name>``, the name Chalice deploys it under.
    deployed_name: str
    registration: TriggerRegistration
    #: environment variables of the function (stage + function level).
    environment: Mapping[str, str]
    memory_size: int
    timeout: int

    @property
    def trigger(self) -> str:
        """The Cognito trigger the handler serves (``PreSignUp``)."""
        return self.registration.trigger

    def arn(self, region: str) -> str:
        """A Lambda-shaped ARN for messages (the local account is fake)."""
        return _local_arn(region, self.deployed_name)


def _local_arn(region: str, function_name: str) -> str:
    return f"arn:aws:lambda:{region}:{LOCAL_ACCOUNT}:function:{function_name}"


@dataclass(frozen=True)
class InvokeResult:
    """What the function answered: its JSON result, or a Lambda error payload."""

    payload: Any
    #: ``None`` on success; otherwise the error type (also in ``payload``).
    error_type: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error_type is None

    @property
    def error_message(self) -> Optional[str]:
        if self.ok or not isinstance(self.payload, Mapping):
            return None
        return str(self.payload.get("errorMessage", ""))


def parse_function_identifier(identifier: str) -> str:
    """The bare function name of a Lambda ``FunctionName``.

    Accepts ``name``, ``name:qualifier``, ``account:function:name[:qualifier]``
    and ``arn:aws:lambda:region:account:function:name[:qualifier]``; the
    qualifier (version or alias) is dropped because the local service runs the
    code on disk, whatever version was asked for.
    """
    text = identifier.strip()
    marker = ":function:"
    if marker in text:
        text = text.split(marker, 1)[1]
    return text.split(":", 1)[0]


def lambda_error_payload(exc: BaseException, error_type: Optional[str] = None) -> Dict[str, Any]:
    """The body AWS Lambda's Python runtime returns for an unhandled exception."""
    frames = traceback.extract_tb(exc.__traceback__)
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(frames),
    }


@contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Run the block with ``variables`` set, then restore the whole environment.

    Whole, not just ``variables``: handler code and Chalice itself change
    ``os.environ`` (Chalice appends to ``AWS_EXECUTION_ENV`` per app), and one
    invocation must not leak into the next or into the server's process.
    """
    saved = dict(os.environ)
    os.environ.update({key: str(value) for key, value in variables.items()})
    try:
        yield
    finally:
        for key in [k for k in os.environ if k not in saved]:
            del os.environ[key]
        for key, value in saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


class LocalProject:
    """The Chalice app of a project directory, loaded as Chalice loads it.

    The app is imported with the stage's environment variables set (as
    ``chalice local`` does), and re-imported whenever a file of the project's
    code or its ``.chalice/config.json`` changed since the last load.  An app
    that fails to import is reported on each invocation as Lambda reports it
    (``Runtime.ImportModuleError``) until its files change again.
    """

    def __init__(self, project_dir: str, stage: str = "dev", region: Optional[str] = None) -> None:
        self.project_dir = os.path.abspath(project_dir)
        self.stage = stage
        self.region = (
            region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or LOCAL_REGION_DEFAULT
        )
        self._lock = threading.RLock()
        self._fingerprint: Optional[Tuple[Tuple[str, int, int], ...]] = None
        self._app: Optional[chalice_app.Chalice] = None
        self._config: Optional[Config] = None
        self._functions: Dict[str, LocalFunction] = {}
        self._load_error: Optional[BaseException] = None

    # -- loading -----------------------------------------------------------

    def code_fingerprint(self) -> Tuple[Tuple[str, int, int], ...]:
        """(path, mtime_ns, size) of every file whose change means a reload."""
        paths = [
            os.path.join(self.project_dir, "app.py"),
            os.path.join(self.project_dir, ".chalice", "config.json"),
        ]
        # What Chalice packages besides app.py: chalicelib/ and vendor/.
        for tree in ("chalicelib", "vendor"):
            for root, dirs, files in os.walk(os.path.join(self.project_dir, tree)):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                paths.extend(os.path.join(root, f) for f in sorted(files) if not f.endswith(".pyc"))
        found = []
        for path in paths:
            try:
                st = os.stat(path)
            except OSError:
                continue
            found.append((path, st.st_mtime_ns, st.st_size))
        return tuple(found)

    def adopt(self, app: chalice_app.Chalice) -> None:
        """Serve the triggers of ``app``, already imported from this project by the caller.

        ``chalice-cognito local`` imports the app once (Chalice's way, for the
        HTTP routes) and hands it over, so routes and triggers share one copy
        of the app's modules.  A later change to the project's files still
        re-imports it here on the next invocation.
        """
        with self._lock:
            factory = CLIFactory(self.project_dir, environ=os.environ)
            config = factory.create_config_obj(chalice_stage_name=self.stage)
            functions = self._describe_functions(app, config)
            self._fingerprint = self.code_fingerprint()
            self._app, self._config, self._functions = app, config, functions
            self._load_error = None

    def refresh(self) -> bool:
        """Re-import the app if its files changed; True when a (re)load happened."""
        with self._lock:
            fingerprint = self.code_fingerprint()
            if fingerprint == self._fingerprint:
                return False
            self._fingerprint = fingerprint
            self._load()
            return True

    def _load(self) -> None:
        self._app, self._config, self._functions, self._load_error = None, None, {}, None
        try:
            factory = CLIFactory(self.project_dir, environ=os.environ)
            config = factory.create_config_obj(chalice_stage_name=self.stage)
            stage_env = config.environment_variables
            with environment(stage_env):
                app = self._import_app(factory)
            functions = self._describe_functions(app, config)
        except Exception as exc:
            self._load_error = exc
            logger.error(
                "Unable to load the Chalice app in %s: %s: %s",
                self.project_dir,
                type(exc).__name__,
                exc,
            )
            return
        self._app, self._config, self._functions = app, config, functions

    def _import_app(self, factory: CLIFactory) -> chalice_app.Chalice:
        # Chalice's loader imports the module ``app`` from sys.path; make this
        # project's directory win over any other project imported before and
        # drop the modules of the previous load so edits are seen.
        # Only app.py and chalicelib/ are the project's code (all that Chalice
        # packages); the plugin itself may live under the same directory
        # (editable install) and must keep its class identities.
        for name in list(sys.modules):
            if name.split(".", 1)[0] in _PROJECT_MODULES:
                del sys.modules[name]
        if self.project_dir in sys.path:
            sys.path.remove(self.project_dir)
        sys.path.insert(0, self.project_dir)
        importlib.invalidate_caches()
        # Bytecode is validated by mtime in whole seconds and size: an edit
        # within the same second could be served from a stale .pyc we wrote.
        saved_flag = sys.dont_write_bytecode
        sys.dont_write_bytecode = True
        try:
            app: chalice_app.Chalice = factory.load_chalice_app()
        finally:
            sys.dont_write_bytecode = saved_flag
        return app

    def _describe_functions(
        self, app: chalice_app.Chalice, config: Config
    ) -> Dict[str, LocalFunction]:
        functions = {}
        for registration in registered_triggers(app):
            scoped = config.scope(self.stage, registration.function_name)
            functions[registration.function_name] = LocalFunction(
                name=registration.function_name,
                deployed_name=f"{config.app_name}-{self.stage}-{registration.function_name}",
                registration=registration,
                environment=dict(scoped.environment_variables),
                memory_size=int(scoped.lambda_memory_size or 128),
                timeout=int(scoped.lambda_timeout or 60),
            )
        return functions

    # -- queries -----------------------------------------------------------

    @property
    def app(self) -> chalice_app.Chalice:
        """The loaded app (loads it on first use); raises the import error if any."""
        with self._lock:
            self.refresh()
            if self._app is None:
                assert self._load_error is not None
                raise self._load_error
            return self._app

    @property
    def app_name(self) -> str:
        with self._lock:
            self.app  # noqa: B018  (loads, or raises the load error)
            assert self._config is not None
            return str(self._config.app_name)

    @property
    def functions(self) -> Dict[str, LocalFunction]:
        """Chalice function name -> trigger handler (empty while the app fails to load)."""
        with self._lock:
            self.refresh()
            return dict(self._functions)

    @property
    def load_error(self) -> Optional[BaseException]:
        with self._lock:
            self.refresh()
            return self._load_error

    def resolve(self, identifier: str) -> LocalFunction:
        """Find a trigger handler by Chalice name, deployed name, ARN or trigger name.

        A trigger name (``PreSignUp``) resolves when exactly one handler of the
        app serves that trigger.  cognito-local words a trigger failure as
        ``<FunctionName> failed with error <message>.``; naming the function
        after its trigger makes that read exactly as Cognito's
        ``PreSignUp failed with error <message>.``
        """
        with self._lock:
            self.refresh()
            return self._find(identifier)

    def _find(self, identifier: str) -> LocalFunction:
        """:meth:`resolve` among the functions loaded now (no refresh: the caller just did it)."""
        name = parse_function_identifier(identifier)
        functions = self._functions
        if name in functions:
            return functions[name]
        for function in functions.values():
            if function.deployed_name == name:
                return function
        by_trigger = [f for f in functions.values() if f.trigger == name]
        if len(by_trigger) == 1:
            return by_trigger[0]
        raise FunctionNotFoundError(identifier, sorted(functions))

    # -- invocation ----------------------------------------------------------

    def invoke(self, function: LocalFunction | str, event: Any) -> InvokeResult:
        """Run a handler on an event as Lambda would; never raises for handler errors."""
        with self._lock:
            self.refresh()
            if self._load_error is not None:
                return InvokeResult(
                    lambda_error_payload(
                        RuntimeError(
                            f"Unable to import module 'app': {type(self._load_error).__name__}: "
                            f"{self._load_error}"
                        ),
                        "Runtime.ImportModuleError",
                    ),
                    "Runtime.ImportModuleError",
                )
            # By name also for a LocalFunction: a reload may have replaced its settings.
            function = self._find(function if isinstance(function, str) else function.name)
            assert self._app is not None
            handler = self._app.handler_map[function.name]
            context = LambdaContext(
                function.deployed_name,
                memory_size=function.memory_size,
                max_runtime_ms=function.timeout * 1000,
            )
            context.invoked_function_arn = function.arn(self.region)
            with environment(function.environment):
                try:
                    result = handler(event, context)
                except SystemExit as exc:
                    # Lambda reports a process exit instead of killing the service.
                    exit_error = RuntimeError(f"Handler called exit({exc.code!r})")
                    return InvokeResult(
                        lambda_error_payload(exit_error, "Runtime.ExitError"), "Runtime.ExitError"
                    )
                except Exception as exc:
                    return InvokeResult(lambda_error_payload(exc), type(exc).__name__)
            try:
                json.dumps(result)
            except (TypeError, ValueError) as exc:
                error = TypeError(f"Unable to marshal response: {exc}")
                return InvokeResult(
                    lambda_error_payload(error, "Runtime.MarshalError"), "Runtime.MarshalError"
                )
            return InvokeResult(result)


class InvokeServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` answering the Lambda Invoke API for a :class:`LocalProject`."""

    daemon_threads = True

    def __init__(self, project: LocalProject, port: int = 0) -> None:
        self.project = project
        self._background: List[threading.Thread] = []
        self._background_lock = threading.Lock()
        super().__init__((LOOPBACK, port), _InvokeHandler)

    def run_in_background(self, target: Any, *args: Any) -> None:
        """Run an asynchronous (``Event``) invocation; :meth:`server_close` waits for it."""
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._background_lock:
            self._background = [t for t in self._background if t.is_alive()]
            self._background.append(thread)
        thread.start()

    def server_close(self) -> None:
        """Close the socket, then wait for pending asynchronous invocations.

        Waiting matters: an invocation still running after the server is gone
        would restore the process environment over whatever changed it since.
        """
        super().server_close()
        with self._background_lock:
            pending, self._background = self._background, []
        for thread in pending:
            thread.join()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """The endpoint to give a Lambda client (``http://127.0.0.1:PORT``)."""
        return f"http://{LOOPBACK}:{self.port}"


def serve_in_thread(server: InvokeServer) -> threading.Thread:
    """Run ``server`` in a daemon thread (tests, embedding); stop with ``server.shutdown()``."""
    thread = threading.Thread(
        target=server.serve_forever, name="chalice-cognito-invoke", daemon=True
    )
    thread.start()
    return thread


class InvokeRequests:
    """The Lambda Invoke API for a :class:`LocalProject`, as a request-handler mixin.

    Mixed into :class:`_InvokeHandler` (the Invoke-only server) and into the
    ``chalice-cognito local`` handler, which answers the same path next to
    the app's HTTP routes (:mod:`chalice_cognito.local.dev_server`).
    """

    # Provided by BaseHTTPRequestHandler.
    path: str
    headers: Any
    rfile: Any
    wfile: Any
    send_response: Any
    send_header: Any
    end_headers: Any

    def invoke_project(self) -> LocalProject:
        """The project whose handlers this request runs."""
        raise NotImplementedError

    def run_in_background(self, target: Any, *args: Any) -> None:
        """Run an asynchronous (``Event``) invocation after answering 202."""
        threading.Thread(target=target, args=args, daemon=True).start()

    @staticmethod
    def is_invoke_path(path: str) -> bool:
        """True for ``/2015-03-31/functions/{name}/invocations`` (query string ignored)."""
        return _INVOKE_PATH.match(urlsplit(path).path) is not None

    def handle_invoke(self, body: bytes) -> None:
        """Answer one ``POST`` on the Invoke path (``body``: the request body, already read)."""
        parts = urlsplit(self.path)
        match = _INVOKE_PATH.match(parts.path)
        if match is None:
            self._send_error(
                HTTPStatus.NOT_FOUND,
                "UnknownOperationException",
                "Only the Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations) "
                "is served here.",
            )
            return
        identifier = unquote(match.group("name"))
        qualifier = parse_qs(parts.query).get("Qualifier")
        project = self.invoke_project()
        target: LocalFunction | str = identifier
        try:
            # While the app fails to import, every name gets the import error
            # (as Lambda answers for a function whose module is broken).
            if project.load_error is None:
                target = project.resolve(identifier)
        except FunctionNotFoundError as exc:
            shown = (
                identifier
                if identifier.startswith("arn:")
                else _local_arn(project.region, identifier)
            )
            if qualifier:
                shown += ":" + qualifier[0]
            self._send_error(
                HTTPStatus.NOT_FOUND,
                "ResourceNotFoundException",
                f"Function not found: {shown}",
            )
            logger.info("invoke %s: function not found (serving: %s)", identifier, exc.known)
            return
        try:
            event = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            self._send_error(
                HTTPStatus.BAD_REQUEST,
                "InvalidRequestContentException",
                "Could not parse request body into json",
            )
            return
        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type == "DryRun":
            self._send(HTTPStatus.NO_CONTENT, b"", {})
            return
        if invocation_type == "Event":
            # Asynchronous invocation: accepted now, run in the background.
            self.run_in_background(self._run, target, event)
            self._send(HTTPStatus.ACCEPTED, b"", {})
            return
        result = self._run(target, event)
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        if not result.ok:
            headers["X-Amz-Function-Error"] = "Unhandled"
        self._send(HTTPStatus.OK, json.dumps(result.payload).encode("utf-8"), headers)

    def _run(self, target: LocalFunction | str, event: Any) -> InvokeResult:
        try:
            result = self.invoke_project().invoke(target, event)
        except FunctionNotFoundError as exc:  # the app changed since the lookup
            result = InvokeResult(lambda_error_payload(exc), "ResourceNotFoundException")
        source = event.get("triggerSource") if isinstance(event, Mapping) else None
        if isinstance(target, LocalFunction):
            label = f"{target.name} ({target.trigger})"
        else:
            label = f"{target} (app not loaded)"
        # Never the event or the error message: both may carry secrets.
        logger.info(
            "invoke %s %s: %s",
            label,
            source or "no triggerSource",
            "ok" if result.ok else f"error {result.error_type}",
        )
        return result

    def _send_error(self, status: HTTPStatus, error_type: str, message: str) -> None:
        body = json.dumps({"Type": "User", "message": message}).encode("utf-8")
        self._send(status, body, {"x-amzn-ErrorType": error_type})

    def _send(self, status: HTTPStatus, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", _request_id())
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(body)


class _InvokeHandler(InvokeRequests, BaseHTTPRequestHandler):
    server: InvokeServer
    protocol_version = "HTTP/1.1"
    server_version = "chalice-cognito-local"

    def invoke_project(self) -> LocalProject:
        return self.server.project

    def run_in_background(self, target: Any, *args: Any) -> None:
        self.server.run_in_background(target, *args)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.handle_invoke(body)

    def log_message(self, format: str, *args: Any) -> None:
        # http.server's access log is replaced by the one line per invocation.
        return


def _request_id() -> str:
    import uuid

    return str(uuid.uuid4())
