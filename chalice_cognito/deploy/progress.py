"""Which step a command is running, so an interrupt can say where it stopped.

Deploy half, standard library only.  A command (or the deploy pipeline) marks
its steps::

    from chalice_cognito.deploy import progress

    with progress.step("wiring the triggers into pool eu-west-1_AbC"):
        ...

Steps nest (the innermost is the most precise).  When an exception (Ctrl-C's
``KeyboardInterrupt`` included) leaves a step, the steps open at that moment
are remembered, because by the time the exception reaches the CLI's error
handling every ``with`` block has already closed: :func:`interrupted_in` then
says where it happened.  :func:`reset` starts a new command (``cli.main``
calls it).

The CLI prints this after an interrupt, with the advice to re-run the same
command; the pipeline only has to name its steps in words a user understands.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator, List, Optional, Tuple

_lock = threading.Lock()
#: the steps open now, outermost first
_open: List[str] = []
#: the steps that were open when an exception first left one of them
_failed: Optional[Tuple[str, ...]] = None


@contextlib.contextmanager
def step(description: str) -> Iterator[None]:
    """Mark ``description`` (``"creating the Lambda functions"``) as running in the block."""
    global _failed
    with _lock:
        _open.append(description)
    try:
        yield
    except BaseException:
        with _lock:
            if _failed is None:
                _failed = tuple(_open)
        raise
    finally:
        with _lock:
            # remove this step (the last occurrence: steps of threads may interleave)
            for index in range(len(_open) - 1, -1, -1):
                if _open[index] == description:
                    del _open[index]
                    break


def current() -> Tuple[str, ...]:
    """The steps open now, outermost first."""
    with _lock:
        return tuple(_open)


def interrupted_in() -> Tuple[str, ...]:
    """The steps that were open when an exception left one (else the ones open now)."""
    with _lock:
        return _failed if _failed is not None else tuple(_open)


def describe() -> str:
    """``"wiring the triggers (pool eu-west-1_AbC)"``: the innermost step, or ``""``."""
    steps = interrupted_in()
    return steps[-1] if steps else ""


def reset() -> None:
    """Forget every step (a new command starts)."""
    global _failed
    with _lock:
        _open.clear()
        _failed = None
