"""AWS call counts of the wiring engine: ``python -m bench.bench_wiring``.

Against a local moto server (127.0.0.1, random port), 13 functions, one per
trigger:

* deploy: attach all 13 triggers to a fresh pool, the functions created
  moments ago (``Wiring.plan(without_policy=...)``, for the functions Chalice
  just created, ``CognitoDeployer.created_function_arns``): 1 DescribeUserPool
  to plan, 13 AddPermission, 1 DescribeUserPool the update is built from, 1
  UpdateUserPool, 1 verifying DescribeUserPool;
* attach: the same to a second fresh pool, functions deployed earlier (the
  ``attach`` command): 13 GetPolicy reads more, since the check before each
  add must be a read (moto, and so a test, accepts duplicate statement ids);
* re-attach with nothing changed: 0 writes (1 DescribeUserPool, 13 GetPolicy);
* detach all.

Counts, not times, are the measure: every call to Cognito is rate-limited per
account.  Each count is checked against the expected one (a change fails the
bench).  Each scenario runs twice: with ``confirm_delay=0`` (a pool nobody else
writes to, e.g. the emulator's) and with the default 1 s (AWS), where the
verifying read comes after the pause.
"""

from __future__ import annotations

import collections
import io
import logging
import time
import zipfile
from typing import Any, Callable, Counter, Dict, List

import boto3
from moto.server import ThreadedMotoServer

from chalice_cognito.catalogue import TRIGGERS
from chalice_cognito.deploy.aws import NO_SDK_RETRIES
from chalice_cognito.deploy.wiring import (
    AwsClients,
    Ownership,
    PlanOptions,
    PoolResult,
    WantedTrigger,
    Wiring,
)

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
        # Like the engine's own clients: one attempt per call, retries are the engine's.
        client = _session().client(
            service, region_name=region, endpoint_url=self.url, config=NO_SDK_RETRIES
        )
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
    return {"wanted": wanted, "key": key}


def _report(title: str, calls: Counter[str], seconds: float) -> None:
    writes = sum(calls[w] for w in WRITES)
    reads = sum(calls.values()) - writes
    print(f"{title}: {sum(calls.values())} calls ({writes} writes, {reads} reads), {seconds:.2f}s")
    for name, count in sorted(calls.items()):
        print(f"    {name:<20} {count}")


#: expected call counts of each scenario (13 functions; any confirm_delay).  A
#: LambdaConfig write costs 3 DescribeUserPool: plan, the read the update is
#: built from (after the permission writes), verify.
EXPECTED: Dict[str, Dict[str, int]] = {
    "deploy": {"DescribeUserPool": 3, "AddPermission": 13, "UpdateUserPool": 1},
    "attach": {"DescribeUserPool": 3, "GetPolicy": 13, "AddPermission": 13, "UpdateUserPool": 1},
    "re-attach": {"DescribeUserPool": 1, "GetPolicy": 13},
    "detach": {"DescribeUserPool": 3, "GetPolicy": 13, "RemovePermission": 13, "UpdateUserPool": 1},
}


def _check(scenario: str, calls: Counter[str]) -> None:
    if dict(calls) != EXPECTED[scenario]:
        raise SystemExit(f"{scenario}: expected {EXPECTED[scenario]}, made {dict(calls)}")


def _pool(url: str, name: str) -> str:
    idp = _session().client("cognito-idp", endpoint_url=url)
    return str(idp.create_user_pool(PoolName=name, UserPoolTier="PLUS")["UserPool"]["Id"])


def _scenarios(url: str, setup: Dict[str, Any], confirm_delay: float) -> None:
    """Every scenario on two new pools, with this ``confirm_delay``."""
    options = PlanOptions(kms_key_arn=setup["key"])
    wanted: List[WantedTrigger] = setup["wanted"]
    created = [w.function_arn for w in wanted]
    counting = _Counting(url)
    wiring = Wiring(AwsClients(client_factory=counting.factory), confirm_delay=confirm_delay)
    pool = wiring.resolve_pool(_pool(url, f"bench-{confirm_delay}"))
    other = wiring.resolve_pool(_pool(url, f"bench-attach-{confirm_delay}"))
    print(f"-- confirm_delay={confirm_delay:g}")

    def run(title: str, scenario: str, action: Callable[[], PoolResult]) -> PoolResult:
        counting.calls.clear()
        started = time.perf_counter()
        result = action()
        _report(title, counting.calls, time.perf_counter() - started)
        _check(scenario, counting.calls)
        return result

    def deploy() -> PoolResult:
        # What a deploy does: the functions Chalice just created need no GetPolicy.
        plan = wiring.plan(pool, wanted, Ownership(), options, without_policy=created)
        return wiring.apply(plan, wanted)

    result = run(f"deploy: attach {len(wanted)} just-created functions", "deploy", deploy)
    assert len(result.owned.slots) == len(TRIGGERS)
    run(
        f"attach {len(wanted)} functions deployed earlier",
        "attach",
        lambda: wiring.wire(other, wanted, Ownership(), options),
    )
    again = run(
        "re-attach, nothing changed",
        "re-attach",
        lambda: wiring.wire(pool, wanted, result.owned, options),
    )
    assert not again.changed
    run("detach all", "detach", lambda: wiring.detach(pool, again.owned, options))


def main() -> None:
    # The moto server's request log would drown the report.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        setup = _setup(url)
        for confirm_delay in (0.0, 1.0):
            _scenarios(url, setup, confirm_delay)
        print("every count as expected, with and without the confirm pause.")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
