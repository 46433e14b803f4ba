"""AWS call counts of the wiring engine: ``python -m bench.bench_wiring``.

Against a local moto server (127.0.0.1, random port): attach all 13 triggers
(13 functions) to a fresh pool, then re-attach the same set.  Counts, not
times, are the measure: every call to Cognito is rate-limited per account, and
the re-attach of an unchanged app must make zero write calls.
"""

from __future__ import annotations

import collections
import io
import logging
import time
import zipfile
from typing import Any, Counter, Dict, List

import boto3
from moto.server import ThreadedMotoServer

from chalice_cognito.catalogue import TRIGGERS
from chalice_cognito.deploy.wiring import Ownership, PlanOptions, WantedTrigger, Wiring

REGION = "us-east-1"


def _session() -> boto3.session.Session:
    # Dummy credentials: the bench only ever talks to its own local moto server.
    return boto3.session.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGION
    )


WRITES = ("UpdateUserPool", "AddPermission", "RemovePermission")


class _Counting:
    def __init__(self, url: str) -> None:
        self.url = url
        self.calls: Counter[str] = collections.Counter()

    def factory(self, service: str, region: str) -> Any:
        client = _session().client(service, region_name=region, endpoint_url=self.url)
        client.meta.events.register("before-call.*.*", self._count)
        return client

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1


def _setup(url: str) -> Dict[str, Any]:
    def client(service: str) -> Any:
        return _session().client(service, endpoint_url=url)

    role = client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    lam = client("lambda")
    wanted: List[WantedTrigger] = []
    for spec in TRIGGERS:
        name = f"bench-dev-{spec.name.lower()}"
        arn = lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": buffer.getvalue()},
        )["FunctionArn"]
        version = "V2_0" if spec.name == "PreTokenGeneration" else None
        wanted.append(WantedTrigger(spec.name, name, arn, version))
    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    pool_id = client("cognito-idp").create_user_pool(PoolName="bench", UserPoolTier="PLUS")[
        "UserPool"
    ]["Id"]
    return {"wanted": wanted, "key": key, "pool_id": pool_id}


def _report(title: str, calls: Counter[str], seconds: float) -> None:
    writes = sum(calls[w] for w in WRITES)
    reads = sum(calls.values()) - writes
    print(f"{title}: {sum(calls.values())} calls ({writes} writes, {reads} reads), {seconds:.2f}s")
    for name, count in sorted(calls.items()):
        print(f"    {name:<20} {count}")


def main() -> None:
    # The moto server's request log would drown the report.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        setup = _setup(url)
        options = PlanOptions(kms_key_arn=setup["key"])
        # confirm_delay=0: the delayed second read-back is one more
        # DescribeUserPool (and a pause) per write, reported separately below.
        counting = _Counting(url)
        wiring = Wiring(client_factory=counting.factory, confirm_delay=0)
        pool = wiring.resolve_pool(setup["pool_id"])
        counting.calls.clear()

        started = time.perf_counter()
        result = wiring.wire(pool, setup["wanted"], Ownership(), options)
        _report(
            f"attach {len(setup['wanted'])} triggers to a fresh pool",
            counting.calls,
            time.perf_counter() - started,
        )
        assert len(result.owned.slots) == len(TRIGGERS)

        counting.calls.clear()
        started = time.perf_counter()
        again = wiring.wire(pool, setup["wanted"], result.owned, options)
        _report("re-attach, nothing changed", counting.calls, time.perf_counter() - started)
        assert not again.changed and sum(counting.calls[w] for w in WRITES) == 0

        counting.calls.clear()
        started = time.perf_counter()
        wiring.detach(pool, again.owned, options)
        _report("detach all", counting.calls, time.perf_counter() - started)
        print(
            "note: with the default confirm_delay (1 s) each LambdaConfig write adds one "
            "DescribeUserPool after the pause (concurrent-writer check)."
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
