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
import threading
from typing import Any, Optional

from chalice import local as chalice_local
from chalice.cli.factory import CLIFactory
from chalice.cli.filewatch import WorkerProcess
from chalice.deploy.validate import validate_routes

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

    def _generic_handle(self) -> None:
        if self.command == "POST" and self.is_invoke_path(self.path):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.handle_invoke(body)
            return
        super()._generic_handle()

    # Chalice binds every verb to its own _generic_handle: rebind to this one.
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle


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
    # What chalice.local.create_local_server does to the app object.
    chalice_local.CustomLocalChalice.__bases__ = (chalice_local.LocalChalice, app_obj.__class__)
    app_obj.__class__ = chalice_local.CustomLocalChalice
    return CognitoLocalDevServer(app_obj, config, host, port, project)


class CodeWatchingWorker(WorkerProcess):
    """Chalice's reloader worker, restarting when a file Chalice packages changes.

    Polls :meth:`LocalProject.code_fingerprint` once a second (stock's stat
    watcher polls every file of the project directory at the same rate).
    """

    POLL_INTERVAL = 1.0

    def _start_file_watcher(self, project_dir: str) -> None:
        project = LocalProject(project_dir)
        thread = threading.Thread(
            target=self._poll, args=(project,), name="chalice-cognito-watch", daemon=True
        )
        thread.start()

    def _poll(self, project: LocalProject) -> None:
        seen = project.code_fingerprint()
        while not self._restart_event.wait(self.POLL_INTERVAL):
            if project.code_fingerprint() != seen:
                print("Code changed: restarting the local server.", file=sys.stderr, flush=True)
                self._restart_event.set()
                return
