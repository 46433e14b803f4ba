"""``deploy --stage local --smoke``: run the deployed zip as Lambda would, against the emulator.

The zip-only check (:mod:`.smoke`, default mode) proves the zip imports and
runs with nothing but the standard library.  On the embedded AWS the smoke
run goes further and shows every trigger *answering* as it would in Lambda:

* the interpreter sees the zip, then the AWS SDK the Lambda Python runtime
  provides (linked from this environment), then the standard library;
* each function runs with the environment variables the emulator's Lambda
  holds for it (``GetFunctionConfiguration``: what the deploy really set,
  the KMS key ARN of the senders included), and every AWS call goes to the
  emulator (``AWS_ENDPOINT_URL``, dummy credentials);
* what the sample events refer to exists in the emulator first: each event
  names the emulator's pool; the sample users (``userName`` with the event's
  ``userAttributes``) are created with AdminCreateUser; the stage's
  ``local_groups`` were created with the pool; the email addresses found in
  the functions' environment are verified SES identities (SES sends only from
  verified addresses);
* custom sender events carry a code encrypted the way Cognito does it (AWS
  Encryption SDK, the pool's KMS key from the emulator, no key commitment),
  so the deployed handler decrypts it for real;
* a project may add its own events: ``.chalice/smoke-events/<function>.<label>.json``
  holds a partial event merged over the sample one (e.g. a documented demo
  user for UserMigration); each runs after the sample event of that function.

Deploy-time module: boto3/botocore, the emulator.
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from botocore.exceptions import ClientError

from chalice_cognito.app import registered_triggers
from chalice_cognito.catalogue import BY_NAME
from chalice_cognito.local import emulator
from chalice_cognito.local.smoke import LambdaRuntime, SmokeCall, calls_for_app
from chalice_cognito.senders import KMS_KEY_ARN_ENV

#: Where a project keeps its own smoke events (relative to the project directory).
SMOKE_EVENTS_DIR = (".chalice", "smoke-events")

#: Variables that route the runner's AWS calls to the emulator.
_EMULATOR_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)

_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")


@dataclass
class EmulatedSmoke:
    """The calls to run, the runtime to run them in, and what was seeded."""

    calls: List[SmokeCall]
    runtime: LambdaRuntime
    #: human-readable lines: what was prepared in the emulator
    notes: List[str] = field(default_factory=list)
    #: (pool id, username) of the users created for the sample events
    users: List[Tuple[str, str]] = field(default_factory=list)


def _merge(base: Dict[str, Any], overlay: Mapping[str, Any]) -> Dict[str, Any]:
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def project_events(project_dir: str) -> Dict[str, List[Tuple[str, Dict[str, Any]]]]:
    """``function name -> [(label, partial event)]`` from ``.chalice/smoke-events/``."""
    folder = Path(project_dir, *SMOKE_EVENTS_DIR)
    found: Dict[str, List[Tuple[str, Dict[str, Any]]]] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.json")):
        function, _, label = path.stem.partition(".")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise emulator.EmulatorError(f"{path} is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise emulator.EmulatorError(f"{path} must hold a JSON object (a partial event).")
        found.setdefault(function, []).append((label or path.stem, data))
    return found


@dataclass
class _Seeding:
    """The emulator being seeded, and what seeding it did so far (notes in the order met)."""

    session: Any
    endpoint_url: str
    region: str
    #: Chalice function name -> the environment the emulator's Lambda holds for it
    environments: Dict[str, Dict[str, str]]
    notes: List[str]
    users: List[Tuple[str, str]] = field(default_factory=list)
    encrypted: int = 0


def prepare(
    session: Any,
    endpoint_url: str,
    region: str,
    app: Any,
    pool_of_function: Mapping[str, str],
    function_arns: Mapping[str, str],
    project_dir: str,
    sample_event: Callable[[str, Optional[str]], Mapping[str, Any]],
) -> EmulatedSmoke:
    """Seed the emulator and build the calls of the runtime-mode smoke run.

    ``pool_of_function``: Chalice function name -> emulator pool id;
    ``function_arns``: Chalice function name -> deployed ARN.
    """
    extra = project_events(project_dir)
    calls = _calls_with_project_events(app, sample_event, extra)
    known = {r.function_name for r in registered_triggers(app)}
    seeding = _Seeding(
        session,
        endpoint_url,
        region,
        environments={
            name: emulator.function_environment(session, endpoint_url, region, arn)
            for name, arn in function_arns.items()
            if name in known
        },
        notes=_unknown_functions_note(extra, known),
    )
    prepared = [
        SmokeCall(
            call.function_name,
            call.handler,
            call.trigger,
            _seed_event(seeding, call, pool_of_function[call.function_name]),
            deployed_name=function_arns.get(call.function_name, "").rsplit(":", 1)[-1],
            label=call.label,
        )
        for call in calls
    ]
    _note_seeded(seeding)
    _verify_sender_addresses(seeding)
    runtime = LambdaRuntime(
        environ={k: os.environ[k] for k in _EMULATOR_VARIABLES if k in os.environ},
        function_environ=seeding.environments,
        region=region,
        account_id=_account_of(function_arns),
    )
    return EmulatedSmoke(prepared, runtime, seeding.notes, seeding.users)


def _calls_with_project_events(
    app: Any,
    sample_event: Callable[[str, Optional[str]], Mapping[str, Any]],
    extra: Mapping[str, List[Tuple[str, Dict[str, Any]]]],
) -> List[SmokeCall]:
    """Each sample call, followed by the project's own events of that function."""
    calls: List[SmokeCall] = []
    for call in calls_for_app(app, sample_event):
        calls.append(call)
        for label, overlay in extra.get(call.function_name, []):
            event = _merge(copy.deepcopy(dict(call.event)), overlay)
            calls.append(
                SmokeCall(call.function_name, call.handler, call.trigger, event, label=label)
            )
    return calls


def _unknown_functions_note(extra: Mapping[str, Any], known: Any) -> List[str]:
    unknown = sorted(set(extra) - set(known))
    if not unknown:
        return []
    return [
        f"ignored smoke events of unknown functions: {', '.join(unknown)} "
        f"(file names are <function>.<label>.json)"
    ]


def _account_of(function_arns: Mapping[str, str]) -> str:
    """The account of the deployed functions (from an ARN), moto's default without one."""
    account = next(iter(function_arns.values()), "").split(":")[4:5] or ["123456789012"]
    return account[0]


def _seed_event(seeding: _Seeding, call: SmokeCall, pool_id: str) -> Dict[str, Any]:
    """The call's event pointed at the emulator's pool, with what it refers to created."""
    event = copy.deepcopy(dict(call.event))
    event["userPoolId"] = pool_id
    event["region"] = seeding.region
    request = event.get("request")
    if isinstance(request, dict):
        _encrypt_code(seeding, call, pool_id, request)
        _create_sample_user(seeding, pool_id, event.get("userName"), request)
    return event


def _encrypt_code(
    seeding: _Seeding, call: SmokeCall, pool_id: str, request: Dict[str, Any]
) -> None:
    """A custom sender's code, encrypted as Cognito does with the function's KMS key."""
    if not (BY_NAME[call.trigger].requires_kms and request.get("code")):
        return
    key_arn = seeding.environments.get(call.function_name, {}).get(KMS_KEY_ARN_ENV)
    if not key_arn:
        return
    # A fresh random code: it is never printed, only decrypted by the handler.
    code = f"{secrets.randbelow(10**6):06d}"
    try:
        request["code"] = emulator.encrypt_like_cognito(
            seeding.session, seeding.endpoint_url, key_arn, pool_id, code
        )
        seeding.encrypted += 1
    except emulator.EmulatorError as error:
        seeding.notes.append(f"{call.function_name}: sample code kept ({error})")


def _create_sample_user(
    seeding: _Seeding, pool_id: str, username: Any, request: Dict[str, Any]
) -> None:
    """The user the event names (with its attributes), once per pool."""
    attributes = request.get("userAttributes")
    if not (isinstance(username, str) and isinstance(attributes, dict) and attributes):
        return
    if (pool_id, username) in seeding.users:
        return
    try:
        emulator.create_user(
            seeding.session, seeding.endpoint_url, seeding.region, pool_id, username, attributes
        )
        seeding.users.append((pool_id, username))
    except ClientError as error:
        # The run goes on: the handler then meets what Cognito would not have.
        seeding.notes.append(f"could not create the sample user {username}: {error}")


def _note_seeded(seeding: _Seeding) -> None:
    if seeding.users:
        seeding.notes.append(
            f"created the sample user(s) the events name: {', '.join(u for _, u in seeding.users)}"
        )
    if seeding.encrypted:
        seeding.notes.append(
            f"encrypted {seeding.encrypted} custom sender code(s) as Cognito does "
            "(AWS Encryption SDK, the pool's KMS key in the emulator, no key commitment)"
        )


def _verify_sender_addresses(seeding: _Seeding) -> None:
    """SES sends only from verified addresses: verify those the functions' environment holds."""
    addresses = sorted(
        {v for env in seeding.environments.values() for v in env.values() if _EMAIL.match(v)}
    )
    if not addresses:
        return
    emulator.verify_email_identities(
        seeding.session, seeding.endpoint_url, seeding.region, addresses
    )
    seeding.notes.append(
        f"verified SES sender identity(ies) from the functions' environment: {', '.join(addresses)}"
    )


def observe(session: Any, endpoint_url: str, region: str, prepared: EmulatedSmoke) -> List[str]:
    """What the handlers left in the emulator: emails sent, the sample users' groups."""
    sent = emulator.emails_sent(session, endpoint_url, region)
    lines = [f"SES in the emulator accepted {sent} email(s)"]
    members = []
    for pool_id, username in prepared.users:
        groups = emulator.groups_of_user(session, endpoint_url, region, pool_id, username)
        if groups:
            members.append(f"{username} in {', '.join(groups)}")
    lines.append(
        f"group memberships: {'; '.join(members)}" if members else "no sample user is in a group"
    )
    return lines
