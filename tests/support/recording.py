"""A botocore client factory that records (and can fail) the calls of the wiring engine."""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

import boto3

from chalice_cognito.deploy.aws import NO_SDK_RETRIES
from tests.support.aws import REGION

#: the engine's write calls
WRITE_OPERATIONS = frozenset({"UpdateUserPool", "AddPermission", "RemovePermission"})


class CallRecorder:
    """Records every AWS call made through its clients; can inject errors.

    ``fail(operation, code, message, times)`` makes the next ``times`` calls of
    ``operation`` answer with that AWS error, before the request is sent (a
    botocore ``before-call`` hook returning a response short-circuits it).
    ``after(operation, callback)`` runs ``callback()`` after each successful call.
    """

    def __init__(self, session: Optional[boto3.session.Session] = None) -> None:
        self.session = session or boto3.session.Session(region_name=REGION)
        self.calls: List[str] = []
        self._failures: Dict[str, List[Tuple[str, str]]] = {}
        self._after: Dict[str, Callable[[], None]] = {}
        # The engine runs a batch's calls in worker threads: failures are
        # handed out one call at a time.
        self._lock = threading.Lock()

    def factory(self, service: str, region: str) -> Any:
        # Like the engine's own clients: one attempt per call, retries are the engine's.
        client = self.session.client(service, region_name=region, config=NO_SDK_RETRIES)
        client.meta.events.register("before-call.*.*", self._before)
        client.meta.events.register("after-call.*.*", self._after_call)
        return client

    def fail(self, operation: str, code: str, message: str = "injected", times: int = 1) -> None:
        self._failures.setdefault(operation, []).extend([(code, message)] * times)

    def after(self, operation: str, callback: Callable[[], None]) -> None:
        self._after[operation] = callback

    def _before(self, model: Any, **_: Any) -> Any:
        with self._lock:
            self.calls.append(model.name)
            pending = self._failures.get(model.name)
            if not pending:
                return None
            code, message = pending.pop(0)
        return _FakeHttp(400), {"Error": {"Code": code, "Message": message}}

    def _after_call(self, model: Any, http_response: Any, **_: Any) -> None:
        callback = self._after.get(model.name)
        if callback is not None and http_response.status_code < 300:
            callback()

    @property
    def writes(self) -> List[str]:
        return [c for c in self.calls if c in WRITE_OPERATIONS]

    def count(self, operation: str) -> int:
        return self.calls.count(operation)

    def reset(self) -> None:
        self.calls.clear()


class _FakeHttp:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: Dict[str, str] = {}
        self.content = b""
