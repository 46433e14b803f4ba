"""``chalice-cognito local-cognito``: serve LocalCognito on a port for apps and manual testing.

Prints the endpoint, pool id and client id, writes them to a JSON file a
frontend or script can read, prints each trigger as it fires (never the event:
it carries passwords and codes), redeploys the functions when the project's
code changes, and stops cleanly on Ctrl-C (the JSON file is removed, the
functions' interpreters and the embedded AWS are stopped).

Deploy-time module.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional, Tuple

from chalice_cognito.local.cognito_flows.triggers import Invocation, Message

Fingerprint = Tuple[Tuple[str, int, int], ...]


def code_fingerprint(project_dir: str) -> Fingerprint:
    """(path, mtime_ns, size) of what a deploy packages: app.py, chalicelib/, config, requirements."""
    root = Path(project_dir)
    paths = [root / "app.py", root / ".chalice" / "config.json", root / "requirements.txt"]
    for tree in ("chalicelib", "vendor"):
        base = root / tree
        if base.is_dir():
            paths += sorted(
                p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            )
    found = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        found.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(found)


def describe(item: Any, show_codes: bool = False) -> str:
    """One console line for an invocation or a message (no event, no secret)."""
    if isinstance(item, Invocation):
        outcome = "ok" if item.error is None else f"FAILED {item.error.split(':', 1)[0]}"
        cold = ", cold start" if item.cold else ""
        return (
            f"  trigger {item.trigger_source:<42} {item.function_name} -> {outcome} "
            f"({item.duration_ms:.0f} ms{cold})"
        )
    if isinstance(item, Message):
        code = f" code {item.code}" if show_codes and item.code else ""
        return f"  message {item.channel} to {item.destination} ({item.trigger_source}){code}"
    return f"  {item}"


def write_connection_file(path: str, cognito: Any) -> None:
    """The connection details as JSON (no secret in it: the client has none)."""
    data = {
        "endpoint_url": cognito.endpoint_url,
        "region": cognito.region,
        "user_pool_id": cognito.user_pool_id,
        "client_id": cognito.client_id,
        "stage": cognito.stage,
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(target.suffix + ".tmp")
    staging.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(staging, target)


def watch(
    project_dir: str,
    reload: Callable[[], None],
    stop: threading.Event,
    echo: Callable[[str], None],
    interval: float = 1.0,
) -> None:
    """Call ``reload`` after the project's code changed (polling), until ``stop`` is set."""
    seen = code_fingerprint(project_dir)
    while not stop.wait(interval):
        current = code_fingerprint(project_dir)
        if current == seen:
            continue
        seen = current
        echo("Code changed: redeploying the functions into the emulator...")
        started = time.monotonic()
        try:
            reload()
        except Exception as error:  # keep serving the previous code
            echo(f"Reload failed, still serving the previous code: {error}")
            continue
        echo(f"Reloaded in {time.monotonic() - started:.1f} s.")


def serve(
    project_dir: str,
    stage: str,
    port: int,
    out: Optional[str],
    autoreload: bool,
    trigger_timeout: float,
    show_codes: bool,
    echo: Callable[[str], None],
) -> None:
    """Run until Ctrl-C."""
    from chalice_cognito.local.cognito_flows.local_cognito import LocalCognito

    # The not-emulated triggers are printed below; LocalCognito's own warning would repeat them.
    logging.getLogger("chalice_cognito.local.cognito").setLevel(logging.ERROR)
    echo(f"Deploying stage {stage!r} of {project_dir} to the embedded AWS...")
    cognito = LocalCognito(
        project_dir,
        stage,
        trigger_timeout=trigger_timeout,
        port=port,
        on_event=lambda item: echo(describe(item, show_codes)),
    )
    stop = threading.Event()
    try:
        cognito.start()
        echo(f"Local Cognito on {cognito.endpoint_url} (region {cognito.region})")
        echo(f"  user pool id: {cognito.user_pool_id}")
        echo(f"  app client id: {cognito.client_id} (no secret)")
        for line in cognito.not_emulated:
            echo(f"  not emulated: {line}")
        if out:
            write_connection_file(out, cognito)
            echo(f"  connection details written to {out}")
        echo("Triggers fire as the API is called; Ctrl-C stops.")
        if autoreload:
            threading.Thread(
                target=watch,
                args=(project_dir, cognito.reload, stop, echo),
                name="local-cognito-watch",
                daemon=True,
            ).start()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        echo("Stopping...")
    finally:
        stop.set()
        cognito.stop()
        if out:
            Path(out).unlink(missing_ok=True)
        echo("Local Cognito stopped; its pool, users and functions are gone.")
