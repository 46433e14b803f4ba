"""LocalCognito per-call cost: ``python -m bench.bench_local_flows``.

A sign-up + sign-in story with 4 triggers (PreSignUp auto-confirming,
PostConfirmation, PreAuthentication, PreTokenGeneration V2), through the local
Cognito, each call timed:

* cold: the first story after start-up without pre-warming, so each function's
  first invocation starts its interpreter and imports the handler from the zip;
* warm: the median of the next stories, against the same calls on the same
  embedded moto with no trigger wired (a pool of its own, called directly);
* the triggers' own run time (the runner's measure of each invocation), so the
  emulator's overhead per call is the difference.

Ratios against the baseline measured in the same run; no absolute budget.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import boto3

from chalice_cognito.local.cognito_flows.local_cognito import LocalCognito

ROUNDS = 15
PASSWORD = "Bench-Passw0rd!"

APP = """
from chalice_cognito import Chalice

app = Chalice(app_name="benchflows")


@app.cognito_trigger("PreSignUp")
def pre_sign_up(event):
    event.response.auto_confirm_user = True


@app.cognito_trigger("PostConfirmation")
def post_confirmation(event):
    return None


@app.cognito_trigger("PreAuthentication")
def pre_authentication(event):
    return None


@app.cognito_trigger("PreTokenGeneration", version="V2_0")
def pre_token_generation(event):
    event.add_access_token_claims({"tier": "gold"})
"""


def _project(root: Path) -> Path:
    project = root / "benchflows"
    (project / ".chalice").mkdir(parents=True)
    (project / "app.py").write_text(APP, encoding="utf-8")
    (project / "requirements.txt").write_text("", encoding="utf-8")
    config = {
        "version": "2.0",
        "app_name": "benchflows",
        "stages": {"local": {"cognito": {"local": True, "user_pool_name": "bench-local"}}},
    }
    (project / ".chalice" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return project


def _story(idp: Any, client_id: str, username: str, confirm: Any = None) -> Tuple[float, float]:
    """(sign-up seconds, sign-in seconds)."""
    started = time.perf_counter()
    idp.sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    signed_up = time.perf_counter()
    if confirm is not None:
        confirm(username)
    before = time.perf_counter()
    idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return signed_up - started, time.perf_counter() - before


def main() -> None:
    repo_cache = Path(__file__).resolve().parents[1] / ".chalice" / "local" / "pip-cache"
    os.environ.setdefault("PIP_CACHE_DIR", str(repo_cache))
    with tempfile.TemporaryDirectory(prefix="bench-local-flows-") as tmp:
        project = _project(Path(tmp))
        started = time.perf_counter()
        with LocalCognito(str(project), "local", prewarm=False, trigger_timeout=60.0) as cognito:
            print(f"start-up (deploy + front): {time.perf_counter() - started:.1f} s")
            idp = cognito.client("cognito-idp")
            cold = _story(idp, cognito.client_id, "cold")
            cold_triggers = sum(i.duration_ms for i in cognito.invocations)
            cognito.clear()
            warm: List[Tuple[float, float]] = [
                _story(idp, cognito.client_id, f"warm{n}") for n in range(ROUNDS)
            ]
            trigger_ms: Dict[str, List[float]] = {}
            for item in cognito.invocations:
                trigger_ms.setdefault(item.trigger, []).append(item.duration_ms)
            assert all(not i.cold for i in cognito.invocations), "a warm call was cold"

            # Baseline: the same embedded moto, a pool with no trigger, called directly.
            plain = boto3.session.Session(
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                region_name=cognito.region,
            ).client("cognito-idp", endpoint_url=cognito.moto_url)
            pool = plain.create_user_pool(PoolName="bench-plain")["UserPool"]["Id"]
            client = plain.create_user_pool_client(
                UserPoolId=pool, ClientName="plain", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
            )["UserPoolClient"]["ClientId"]

            def confirm(username: str) -> None:
                plain.admin_confirm_sign_up(UserPoolId=pool, Username=username)

            _story(plain, client, "plain-warmup", confirm)
            baseline = [_story(plain, client, f"plain{n}", confirm) for n in range(ROUNDS)]

    def median(values: List[float]) -> float:
        return statistics.median(values) * 1000

    rows = [
        ("SignUp (PreSignUp + PostConfirmation)", [w[0] for w in warm], [b[0] for b in baseline], cold[0],
         ("PreSignUp", "PostConfirmation")),
        ("InitiateAuth (PreAuthentication + PreTokenGeneration)", [w[1] for w in warm],
         [b[1] for b in baseline], cold[1], ("PreAuthentication", "PreTokenGeneration")),
    ]  # fmt: skip
    print(f"warm: median of {ROUNDS} stories; baseline: plain moto, no trigger, same server")
    print(
        f"{'call':<56} {'cold ms':>8} {'warm ms':>8} {'moto ms':>8} {'triggers ms':>12} {'overhead ms':>12}"
    )
    for name, warm_s, base_s, cold_s, triggers in rows:
        own = sum(statistics.median(trigger_ms[t]) for t in triggers)
        overhead = median(warm_s) - median(base_s) - own
        print(
            f"{name:<56} {cold_s * 1000:8.0f} {median(warm_s):8.1f} {median(base_s):8.1f} "
            f"{own:12.1f} {overhead:12.1f}"
        )
    print(
        f"cold story: {sum(cold) * 1000:.0f} ms, of which the triggers' own runs {cold_triggers:.0f} ms"
    )


if __name__ == "__main__":
    main()
