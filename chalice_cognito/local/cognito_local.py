"""cognito-local helpers: its config file, and running it.

cognito-local (npm ``cognito-local``) emulates a Cognito user pool and invokes
triggers through the Lambda Invoke API at a configurable endpoint, which
``chalice-cognito local`` serves.  It reads ``.cognito/config.json`` in its
working directory once, at start-up:

``{"LambdaClient": {"endpoint", "region", "credentials"}, "TriggerFunctions": {"PreSignUp": "<function>", ...}}``

Only the triggers it emulates go into ``TriggerFunctions`` (catalogue
``TriggerSpec.emulated_by_cognito_local``); the pool's own LambdaConfig is
ignored by cognito-local.

Deploy-time module (standard library + the catalogue).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from typing import IO, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from chalice_cognito.app import TriggerRegistration
from chalice_cognito.catalogue import BY_NAME

#: Where cognito-local reads its configuration, relative to its working directory.
CONFIG_RELPATH = os.path.join(".cognito", "config.json")

#: Credentials cognito-local signs its Lambda calls with; the local server ignores them.
DUMMY_CREDENTIALS = {"accessKeyId": "local", "secretAccessKey": "local"}


@dataclass(frozen=True)
class TriggerSelection:
    """Which of an app's triggers cognito-local will call, and which it cannot."""

    #: Cognito trigger name -> function name to put in TriggerFunctions.
    functions: Dict[str, str]
    #: (trigger, reason) for declared triggers left out.
    skipped: List[Tuple[str, str]] = field(default_factory=list)
    #: notes for triggers included with a difference (e.g. V2 tokens served V1 events).
    notes: List[str] = field(default_factory=list)


def select_triggers(
    registrations: Iterable[TriggerRegistration],
    function_name: Mapping[str, str],
    user_pool: Optional[str] = None,
) -> TriggerSelection:
    """Choose the TriggerFunctions entries for one pool of an app.

    ``function_name`` maps a Chalice function name to the name cognito-local
    should invoke (the deployed name).  ``user_pool`` is the pool alias of the
    ``@cognito_trigger(user_pool=...)`` declarations to emulate (None: the
    default pool), since one cognito-local config has one trigger map.
    """
    selection = TriggerSelection(functions={})
    for registration in registrations:
        if registration.user_pool != user_pool:
            pool = registration.user_pool or "the default pool"
            selection.skipped.append(
                (registration.trigger, f"declared for {pool}, not the emulated pool")
            )
            continue
        spec = BY_NAME[registration.trigger]
        if not spec.emulated_by_cognito_local:
            selection.skipped.append(
                (registration.trigger, "cognito-local does not invoke this trigger")
            )
            continue
        if spec.versioned and registration.version not in (None, "V1_0"):
            selection.notes.append(
                f"{registration.trigger} is declared {registration.version}; cognito-local "
                "sends V1-shaped events (version '0'), so the handler must accept both shapes."
            )
        selection.functions[registration.trigger] = function_name.get(
            registration.function_name, registration.function_name
        )
    return selection


def build_config(
    endpoint: str,
    trigger_functions: Mapping[str, str],
    region: str = "us-east-1",
    existing: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Any]:
    """The cognito-local config: ``existing`` with LambdaClient and TriggerFunctions set.

    Other top-level keys (``UserPoolDefaults``, ``TokenConfig``...) and other
    ``LambdaClient`` settings of an existing file are kept.  TriggerFunctions
    is replaced whole: every function it names must be one the local server
    serves, or cognito-local would fail the operation on a 404.
    """
    config: Dict[str, Any] = dict(existing or {})
    client = dict(config.get("LambdaClient") or {})
    client.update({"endpoint": endpoint, "region": region})
    client.setdefault("credentials", dict(DUMMY_CREDENTIALS))
    config["LambdaClient"] = client
    config["TriggerFunctions"] = dict(trigger_functions)
    return config


def write_config(
    path: str,
    endpoint: str,
    trigger_functions: Mapping[str, str],
    region: str = "us-east-1",
) -> Dict[str, Any]:
    """Write (or update) a cognito-local config file and return what was written.

    ``path`` is the file itself (a ``.json`` name, e.g. ``<dir>/.cognito/config.json``)
    or the directory cognito-local will run in (created if missing).
    """
    if os.path.isdir(path) or not path.endswith(".json"):
        path = os.path.join(path, CONFIG_RELPATH)
    existing: Optional[Mapping[str, Any]] = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if text.strip():
            try:
                loaded = json.loads(text)
            except ValueError as exc:
                raise ValueError(f"{path} is not valid JSON ({exc}); fix or remove it.") from None
            if not isinstance(loaded, dict):
                raise ValueError(f"{path} must hold a JSON object.")
            existing = loaded
    config = build_config(endpoint, trigger_functions, region, existing)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return config


def find_binary(project_dir: Optional[str] = None) -> Optional[str]:
    """The cognito-local executable: ``<project>/node_modules/.bin`` first, then PATH."""
    if project_dir:
        candidate = os.path.join(project_dir, "node_modules", ".bin", "cognito-local")
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("cognito-local")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for servers that cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CognitoLocal:
    """A cognito-local process on 127.0.0.1, started in ``workdir``.

    ``workdir`` must hold ``.cognito/config.json`` (see :func:`write_config`);
    cognito-local keeps its pools there too (``.cognito/db``).  Output goes to
    ``log_file`` (its console message sender prints the messages CustomMessage
    produced).  Use as a context manager, or call :meth:`start`/:meth:`stop`.
    """

    def __init__(
        self,
        workdir: str,
        port: Optional[int] = None,
        binary: Optional[str] = None,
        log_file: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
    ) -> None:
        found = binary or find_binary()
        if not found:
            raise FileNotFoundError(
                "cognito-local not found: run `npm install cognito-local` (or `make setup`)."
            )
        self.binary = found
        self.workdir = workdir
        self.port = port or free_port()
        self.log_file = log_file or os.path.join(workdir, "cognito-local.log")
        self.env = dict(env or {})
        self.process: Optional[subprocess.Popen[bytes]] = None
        self._log: Optional[IO[bytes]] = None

    @property
    def endpoint(self) -> str:
        """The Cognito endpoint URL for boto3's ``endpoint_url``."""
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> Sequence[str]:
        return [self.binary]

    def start(self, wait_seconds: float = 60.0) -> CognitoLocal:
        """Start the process and wait until it accepts connections."""
        env = dict(os.environ)
        env.update(self.env)
        env.update({"HOST": "127.0.0.1", "PORT": str(self.port)})
        self._log = open(self.log_file, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            list(self.command()),
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_listening(wait_seconds)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_listening(self, wait_seconds: float) -> None:
        deadline = time.monotonic() + wait_seconds
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"cognito-local exited with status {self.process.returncode}: "
                    f"{self.output()[-2000:]}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"cognito-local did not listen on port {self.port}.")
            time.sleep(0.1)

    def output(self) -> str:
        """Everything cognito-local printed so far."""
        try:
            with open(self.log_file, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate the process (kill if it does not exit) and close the log."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> CognitoLocal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
