"""Driving the real ``chalice-cognito`` CLI through the fault proxy (the hardening suite).

The console script runs in a subprocess, as users run it, with
``AWS_ENDPOINT_URL`` pointing at a :class:`tests.support.faults.FaultProxy`
in front of a moto server in this process (so :class:`MotoState` can save and
restore that server's whole state between runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from tests.support.faults import FaultProxy, MotoState

SCRIPT = str(Path(sys.executable).with_name("chalice-cognito"))


@dataclass
class Run:
    exit_code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


#: A fork server: imports the console script's entry point once, then runs each
#: job (one JSON line on stdin) in a forked child, as the console script would
#: (``sys.exit(main())`` in the project directory with the job's environment).
#: It prints the child's pid, then its exit status (-9: SIGKILLed).
FORK_SERVER = r"""
import json, os, sys, traceback
# As in the console script: the working directory is not on sys.path ("-c" puts it first).
if sys.path and sys.path[0] == "":
    del sys.path[0]
from chalice_cognito.cli import main
import chalice.deploy.deployer, chalice.deploy.packager, chalice.awsclient, boto3

for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            os.chdir(job["cwd"])
            os.environ.clear()
            os.environ.update(job["env"])
            null = os.open(os.devnull, os.O_RDONLY)
            out = os.open(job["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            err = os.open(job["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(null, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            sys.argv = ["chalice-cognito", *job["argv"]]
            code = main(job["argv"])
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""


class ForkServer:
    """Runs ``chalice-cognito`` commands in children of one warm interpreter.

    A kill walk runs the CLI hundreds of times; importing Chalice, botocore and
    the plugin is a third of each run.  The children run the console script's
    own entry point (:func:`chalice_cognito.cli.main`) in a fresh process each:
    only the import is shared.
    """

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.proc = subprocess.Popen(
            [sys.executable, "-c", FORK_SERVER],
            cwd=scratch,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        )

    def start(self, cwd: Path, argv: List[str], env: Dict[str, str]) -> int:
        """Start a job; returns the child's pid (call :meth:`wait` next)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        job = {
            "cwd": str(cwd),
            "argv": argv,
            "env": env,
            "out": str(self.scratch / "out.txt"),
            "err": str(self.scratch / "err.txt"),
        }
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def wait(self) -> Run:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fork server died")
        return Run(
            int(line),
            (self.scratch / "out.txt").read_text(),
            (self.scratch / "err.txt").read_text(),
        )

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@dataclass
class World:
    """A moto server, the proxy in front of it, a saver of the server's state.

    CLI runs go through ``forks`` (a :class:`ForkServer`) when given, else
    through the console script in a new interpreter each.
    """

    upstream: str
    proxy: FaultProxy
    state: MotoState
    forks: Optional[ForkServer] = None

    def env(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """The environment of a CLI run through the proxy (never real AWS)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AWS_") and not k.startswith("CHALICE_COGNITO_")
        }
        env.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_ENDPOINT_URL": self.proxy.url,
            }
        )
        env.update(extra or {})
        return env

    def start(self, project: Path, *args: str) -> Callable[[], Run]:
        """Start ``chalice-cognito ARGS`` in ``project`` (the proxy's kill rules target it).

        Returns the function that waits for it and gives its exit code and output.
        """
        if self.forks is not None:
            forks = self.forks
            self.proxy.watch(forks.start(project, list(args), self.env()))
            return forks.wait
        proc = subprocess.Popen(
            [SCRIPT, *args],
            cwd=project,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.proxy.watch(proc.pid)

        def wait() -> Run:
            out, err = proc.communicate(timeout=300)
            return Run(proc.returncode, out, err)

        return wait

    def run(self, project: Path, *args: str) -> Run:
        return self.start(project, *args)()


def write_project(root: Path, app_source: str, app_name: str, cognito: Dict[str, Any]) -> Path:
    """A Chalice project with one stage ``dev`` whose ``cognito`` section is ``cognito``."""
    (root / ".chalice").mkdir(parents=True, exist_ok=True)
    (root / "app.py").write_text(textwrap.dedent(app_source))
    config = {"version": "2.0", "app_name": app_name, "stages": {"dev": {"cognito": cognito}}}
    (root / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))
    return root
