"""The same flows through cognito-local and through LocalCognito: events and outcomes compared.

Both emulators invoke the *same* deployed functions (``apps.DIFF_APP``):
cognito-local's Lambda client is pointed at LocalCognito's endpoint, whose
Lambda Invoke API runs the emulator's functions from their zip, so every
event either emulator sent is recorded in one place (``via`` tells which).
Only the triggers both support are wired in cognito-local (PreSignUp,
PostConfirmation, CustomMessage, PostAuthentication, PreTokenGeneration V1,
UserMigration).

Every difference found is compared with :data:`KNOWN_DIFFERENCES`, the list
the docs publish ("Test your triggers end to end"): a new difference, or one
that went away, fails the test.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, Iterator, List, Set, Tuple

import boto3
import pytest
from botocore.exceptions import ClientError

from chalice_cognito.local.cognito_flows.local_cognito import LocalCognito
from chalice_cognito.local.cognito_local import CognitoLocal, find_binary, free_port, write_config

from .apps import DIFF_APP
from .conftest import ROOT, start, write_app

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("local-flows-differential")]

PASSWORD = "Corr3ct-Horse!"
BINARY = find_binary(str(ROOT))

#: (triggerSource, kind, detail) -> why; kind: "only-cognito-local", "only-ours" (a
#: dotted path present in one event only), "value" (a path whose value differs).
KNOWN_DIFFERENCES: Dict[Tuple[str, str, str], str] = {
    ("*", "value", "version: '1' vs '0'"): "cognito-local sends event version '0'; Cognito "
    "sends '1' (the configured LambdaVersion for PreTokenGeneration)",
    ("*", "value", "region: 'us-east-1' vs 'local'"): "cognito-local's region is 'local'",
    ("*", "value", "callerContext.awsSdkVersion: 'aws-sdk-unknown-unknown' vs '2.1693.0'"): (
        "cognito-local reports its own AWS SDK version; API calls to Cognito report "
        "'aws-sdk-unknown-unknown'"
    ),
    ("CustomMessage_SignUp", "only-ours", "(whole invocation)"): "cognito-local did not invoke "
    "CustomMessage for a sign-up that needs a code (it logs the code itself)",
    ("PreSignUp_SignUp", "only-cognito-local", "request.userAttributes.sub"): "cognito-local "
    "creates the user (and its sub) before PreSignUp; Cognito sends only the submitted attributes",
    ("PreSignUp_SignUp", "only-ours", "request.validationData"): "Cognito sends validationData "
    "(null without ValidationData); cognito-local omits the key",
    ("PostAuthentication_Authentication", "only-cognito-local", "request.newDeviceUsed"): (
        "cognito-local always sends newDeviceUsed; Cognito only with device tracking"
    ),
    ("PostAuthentication_Authentication", "only-ours", "request.userAttributes.sub"): (
        "cognito-local leaves sub out of userAttributes after sign-in"
    ),
    (
        "PostAuthentication_Authentication",
        "only-ours",
        "request.userAttributes.cognito:user_status",
    ): "cognito-local leaves cognito:user_status out of userAttributes",
    ("TokenGeneration_Authentication", "only-ours", "request.userAttributes.sub"): (
        "cognito-local leaves sub out of userAttributes after sign-in"
    ),
    (
        "TokenGeneration_Authentication",
        "only-ours",
        "request.userAttributes.cognito:user_status",
    ): "cognito-local leaves cognito:user_status out of userAttributes",
    ("TokenGeneration_Authentication", "only-cognito-local", "request.groupConfiguration"): (
        "cognito-local sends an empty groupConfiguration object"
    ),
    **{
        ("TokenGeneration_Authentication", "only-ours", f"request.groupConfiguration.{key}"): (
            "Cognito sends groupsToOverride/iamRolesToOverride ([]) and preferredRole (null)"
        )
        for key in ("groupsToOverride", "iamRolesToOverride", "preferredRole")
    },
    ("TokenGeneration_Authentication", "value", "response.claimsOverrideDetails: None vs {}"): (
        "Cognito pre-populates claimsOverrideDetails with null; cognito-local with {}"
    ),
    ("UserMigration_Authentication", "only-ours", "request.userAttributes"): "real events "
    "carry request.userAttributes: null; cognito-local omits it",
    ("UserMigration_Authentication", "only-ours", "request.validationData"): "Cognito sends "
    "ClientMetadata of InitiateAuth as validationData (null without); cognito-local omits it",
    **{
        ("UserMigration_Authentication", "only-ours", f"response.{key}"): (
            "Cognito pre-populates every migration response key with null; cognito-local "
            "sends only userAttributes and desiredDeliveryMediums"
        )
        for key in ("enableSMSMFA", "finalUserStatus", "forceAliasCreation", "messageAction")
    },
    ("UserMigration_Authentication", "value", "response.desiredDeliveryMediums: None vs []"): (
        "Cognito pre-populates null; cognito-local []"
    ),
    ("UserMigration_Authentication", "value", "response.userAttributes: None vs {}"): (
        "Cognito pre-populates null; cognito-local {}"
    ),
}

#: Outcomes that differ: index in the story -> why.
KNOWN_OUTCOME_DIFFERENCES: Dict[int, str] = {
    0: "cognito-local names the function (flows-local-pre_sign_up), not the trigger, in "
    "'<Trigger> failed with error <message>.'",
    5: "a UserMigration refusal: cognito-local answers NotAuthorizedException 'User not "
    "authorized'; LocalCognito answers as for any trigger that raises "
    "(UserLambdaValidationException, 'UserMigration failed with error <message>.')",
}


def _claims(token: str) -> Dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _story(idp: Any, client_id: str) -> List[Any]:
    """The flows, the same for both; returns what each call answered."""
    outcomes: List[Any] = []

    def attempt(call: Any) -> Any:
        try:
            return call()
        except ClientError as error:
            return (error.response["Error"]["Code"], error.response["Error"]["Message"])

    def sign_up(email: str) -> Any:
        return attempt(
            lambda: idp.sign_up(
                ClientId=client_id,
                Username=email,
                Password=PASSWORD,
                UserAttributes=[{"Name": "email", "Value": email}],
                ClientMetadata={"campaign": "spring"},
            )["UserConfirmed"]
        )

    def sign_in(email: str, password: str = PASSWORD) -> Any:
        def call() -> Any:
            tokens = idp.initiate_auth(
                ClientId=client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )["AuthenticationResult"]
            return _claims(tokens["IdToken"]).get("team")

        return attempt(call)

    outcomes.append(sign_up("zed@evil.test"))  # refused
    outcomes.append(sign_up("auto-amy@example.com"))  # auto-confirmed
    outcomes.append(sign_up("bob@example.com"))  # gets a code
    outcomes.append(sign_in("auto-amy@example.com"))  # tokens with the claim
    outcomes.append(sign_in("old@example.com", "Old-Passw0rd!"))  # migrated
    outcomes.append(sign_in("nobody@example.com", "Whatever-1!"))  # migration refuses
    return outcomes


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, shared_pip_cache: None
) -> Iterator[Tuple[LocalCognito, List[Any], List[Any]]]:
    if BINARY is None:
        pytest.skip("cognito-local is not installed (node_modules/.bin/cognito-local): make setup")
    root = tmp_path_factory.mktemp("differential")
    ours = start(write_app(root / "diff", DIFF_APP), trigger_timeout=20.0)
    theirs = None
    try:
        functions = {
            trigger: value.rsplit(":function:", 1)[-1]
            for trigger, value in ours.lambda_config.items()
            if isinstance(value, str) and ":function:" in value
        }
        (root / "cognito-local").mkdir()
        write_config(str(root / "cognito-local"), ours.endpoint_url, functions, ours.region)
        theirs = CognitoLocal(str(root / "cognito-local"), port=free_port(), binary=BINARY).start()
        idp = boto3.client(
            "cognito-idp",
            endpoint_url=theirs.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        pool = idp.create_user_pool(PoolName="diff")["UserPool"]["Id"]
        client = idp.create_user_pool_client(
            UserPoolId=pool, ClientName="diff", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        their_outcomes = _story(idp, client)
        our_outcomes = _story(ours.client("cognito-idp"), ours.client_id)
        yield ours, our_outcomes, their_outcomes
    finally:
        if theirs is not None:
            theirs.stop()
        ours.stop()


def _paths(node: Any, prefix: str = "") -> Dict[str, Any]:
    """Dotted path -> leaf value (dicts flattened; lists and scalars are leaves)."""
    out: Dict[str, Any] = {}
    if isinstance(node, dict) and node:
        for key, value in node.items():
            out.update(_paths(value, f"{prefix}.{key}" if prefix else str(key)))
    else:
        out[prefix] = node
    return out


#: Values that differ by nature (ids, a per-run sub, the pool and client ids).
_VOLATILE = ("userPoolId", "callerContext.clientId", "request.userAttributes.sub", "userName")

#: Paths of the envelope: a difference there is reported once, for every source ("*").
_ENVELOPE = ("version", "region", "callerContext.awsSdkVersion")


def differences(
    ours: List[Dict[str, Any]], theirs: List[Dict[str, Any]]
) -> Set[Tuple[str, str, str]]:
    found: Set[Tuple[str, str, str]] = set()
    our_sources = [e["triggerSource"] for e in ours]
    their_sources = [e["triggerSource"] for e in theirs]
    for source in sorted(set(our_sources) ^ set(their_sources)):
        kind = "only-ours" if source in our_sources else "only-cognito-local"
        found.add((source, kind, "(whole invocation)"))
    for source in sorted(set(our_sources) & set(their_sources)):
        mine = [e for e in ours if e["triggerSource"] == source]
        other = [e for e in theirs if e["triggerSource"] == source]
        for a, b in zip(mine, other, strict=False):
            pa, pb = _paths(a), _paths(b)
            for path in set(pa) - set(pb):
                found.add((source, "only-ours", path))
            for path in set(pb) - set(pa):
                found.add((source, "only-cognito-local", path))
            for path in set(pa) & set(pb):
                if path not in _VOLATILE and pa[path] != pb[path]:
                    where = "*" if path in _ENVELOPE else source
                    found.add((where, "value", f"{path}: {pa[path]!r} vs {pb[path]!r}"))
    return found


def test_events_differ_only_as_documented(runs: Tuple[LocalCognito, List[Any], List[Any]]) -> None:
    ours, _, _ = runs
    mine = [i.event for i in ours.invocations if i.via == "cognito"]
    theirs = [i.event for i in ours.invocations if i.via == "lambda-invoke"]
    assert theirs, "cognito-local invoked nothing"
    found = differences(mine, theirs)
    assert found == set(KNOWN_DIFFERENCES), "\n".join(sorted(map(repr, found)))


def test_outcomes_agree(runs: Tuple[LocalCognito, List[Any], List[Any]]) -> None:
    _, our_outcomes, their_outcomes = runs
    assert len(our_outcomes) == len(their_outcomes)
    differing = {
        i for i, (a, b) in enumerate(zip(our_outcomes, their_outcomes, strict=True)) if a != b
    }
    assert differing == set(KNOWN_OUTCOME_DIFFERENCES), (our_outcomes, their_outcomes)
    # Where they differ, they still agree that the call failed, and on the refusal text.
    assert our_outcomes[0] == (
        "UserLambdaValidationException",
        "PreSignUp failed with error Only example.com may sign up.",
    )
    assert their_outcomes[0][1].endswith("failed with error Only example.com may sign up.")
    assert isinstance(their_outcomes[5], tuple) and isinstance(our_outcomes[5], tuple)
    # The shared part: confirmation state and the V1 claim in the ID token.
    assert our_outcomes[1:5] == [True, False, "blue", "blue"]
