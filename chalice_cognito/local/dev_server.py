"""``chalice-cognito local``: stock ``chalice local`` plus the Lambda Invoke API, on one port.

Stock ``chalice local`` serves the app's HTTP routes (API Gateway emulation)
and nothing else: an emulator that invokes Cognito triggers (cognito-local)
has no Lambda to call.  The server built here is Chalice's own
``LocalDevServer`` with a request handler that subclasses Chalice's
``ChaliceRequestHandler``: every request is answered by stock Chalice, except
``POST /2015-03-31/functions/{name}/invocations``, which runs the app's
trigger handler ``name`` as Lambda would (see
:mod:`chalice_cognito.local.invoke_server` for the lookup, the environment and
the error format).

Code changes: with ``--autoreload`` (the default, as stock) the worker process
restarts when a file Chalice packages changes (``app.py``, ``chalicelib/``,
``vendor/``, ``.chalice/config.json``) -- only those, unlike stock's watch of
the whole project directory, so an emulator keeping its data under the project
(``.cognito/``) does not restart the server on every write.  With
``--no-autoreload`` the HTTP routes keep the code they started with (as
stock) while trigger invocations still re-import the app when those files
change.

Deploy-time module: chalice's CLI and local server, never loaded in Lambda.
"""

from __future__ import annotations

import functools
import sys
import time
from typing import Any, Optional

from chalice import local as chalice_local
from chalice.cli.factory import CLIFactory
from chalice.cli.filewatch import RESTART_REQUEST_RC, WorkerProcess
from chalice.deploy.validate import validate_routes
from chalice.local import HTTPServerThread

from chalice_cognito.local.invoke_server import InvokeRequests, LocalProject


class CognitoRequestHandler(InvokeRequests, chalice_local.ChaliceRequestHandler):
    """Chalice's local request handler that also answers the Lambda Invoke API."""

    def __init__(
        self, request: Any, client_address: Any, server: Any, *, project: LocalProject, **kw: Any
    ) -> None:
        # Set before Chalice's __init__, which handles the request right away.
        self._project = project
        super().__init__(request, client_address, server, **kw)

    def invoke_project(self) -> LocalProject:
        return self._project

    def do_POST(self) -> None:
        """The Lambda Invoke API; every other POST is Chalice's (its API Gateway emulation)."""
        if self.is_invoke_path(self.path):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.handle_invoke(body)
            return
        super().do_POST()


class CognitoLocalDevServer(chalice_local.LocalDevServer):
    """Chalice's ``LocalDevServer`` with :class:`CognitoRequestHandler`."""

    def __init__(
        self, app_object: Any, config: Any, host: str, port: int, project: LocalProject
    ) -> None:
        self.project = project
        super().__init__(
            app_object,
            config,
            host,
            port,
            handler_cls=functools.partial(CognitoRequestHandler, project=project),
        )

    @property
    def bound_port(self) -> int:
        """The port actually listened on (``--port 0`` picks a free one)."""
        return int(self.server.server_address[1])

    def serve_forever(self) -> None:
        # Stock prints "Serving on http://host:port"; the same line (with the
        # real port) comes first so scripts that wait for it keep working.
        functions = self.project.functions
        print(f"Serving on http://{self.host}:{self.bound_port}", flush=True)
        print(
            f"Lambda Invoke API for {len(functions)} Cognito trigger function(s): "
            f"POST http://{self.host}:{self.bound_port}/2015-03-31/functions/{{name}}/invocations",
            flush=True,
        )
        for function in sorted(functions.values(), key=lambda f: f.trigger):
            print(
                f"  {function.trigger:<28} {function.name}  ({function.deployed_name})", flush=True
            )
        self.server.serve_forever()


def create_dev_server(
    factory: CLIFactory, host: str, port: int, stage: str, region: Optional[str] = None
) -> CognitoLocalDevServer:
    """Stock ``chalice.cli.create_local_server`` with the Invoke API added.

    The app is loaded once, Chalice's way (stage environment variables set),
    and shared by the HTTP routes and the trigger invocations.
    """
    config = factory.create_config_obj(chalice_stage_name=stage)
    app_obj = config.chalice_app
    # As stock: refuse routes `chalice deploy` would refuse.
    validate_routes(app_obj.routes)
    project = LocalProject(factory.project_dir, stage, region)
    project.adopt(app_obj)
    # The app object answers as a LocalChalice (a current_request per thread),
    # as chalice.local.create_local_server arranges; through a class of its
    # own rather than by rewriting the bases of Chalice's shared one.
    if not isinstance(app_obj, chalice_local.LocalChalice):
        app_obj.__class__ = type(
            f"Local{type(app_obj).__name__}", (chalice_local.LocalChalice, type(app_obj)), {}
        )
    return CognitoLocalDevServer(app_obj, config, host, port, project)


class CodeWatchingWorker(WorkerProcess):
    """A worker for Chalice's reloader, restarting when a file Chalice packages changes.

    ``chalice.cli.reloader.run_with_reloader`` builds its worker as
    ``worker_process_cls(http_thread)`` and returns ``worker.main(project_dir)``
    (the public part of ``WorkerProcess`` this class overrides); the parent
    process starts a new worker when that is ``RESTART_REQUEST_RC``.
    This worker polls :meth:`LocalProject.code_fingerprint` once a second
    (stock's stat watcher polls every file of the project directory at the
    same rate).
    """

    POLL_INTERVAL = 1.0

    def __init__(self, http_thread: HTTPServerThread) -> None:
        super().__init__(http_thread)
        self.http_thread = http_thread

    def main(self, project_dir: str, timeout: Optional[float] = None) -> int:
        """Serve until the code changes (``RESTART_REQUEST_RC``) or ``timeout`` passes (0)."""
        self.http_thread.start()
        project = LocalProject(project_dir)
        seen = project.code_fingerprint()
        deadline = None if timeout is None else time.monotonic() + timeout
        while deadline is None or time.monotonic() < deadline:
            time.sleep(self.POLL_INTERVAL)
            if project.code_fingerprint() != seen:
                print("Code changed: restarting the local server.", file=sys.stderr, flush=True)
                self.http_thread.shutdown()
                return RESTART_REQUEST_RC
        return 0
