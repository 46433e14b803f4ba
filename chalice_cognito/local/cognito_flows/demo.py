"""The ``make demo`` story: the example app's triggers firing on real Cognito API calls.

``python -m chalice_cognito.local.cognito_flows.demo [--project-dir .] [--stage local]``
starts :class:`~.local_cognito.LocalCognito` for the stage and drives, with
boto3: a refused sign-up, an accepted one landing in its group, a sign-in
whose tokens carry the app's claim, a custom challenge answered, and a legacy
user migrated on first sign-in.  Each trigger is printed as it fires (never
its event: events carry passwords and codes).

Deploy-time module.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Callable, List, Optional, Sequence

from botocore.exceptions import ClientError

from chalice_cognito.local.cognito_flows.auth import decode_claims
from chalice_cognito.local.cognito_flows.console import describe

#: The example app's documented legacy user (chalicelib/legacy_users.py).
LEGACY_USER = ("legacy@example.com", "Legacy-Passw0rd!")
PASSWORD = "Demo-Passw0rd!"


def story(cognito: Any, echo: Callable[[str], None], prefix: str = "demo-") -> None:
    """Drive the five steps against a running LocalCognito of the example app."""
    idp = cognito.client("cognito-idp")
    client_id, pool_id = cognito.client_id, cognito.user_pool_id
    refused, accepted = f"{prefix}mallory", f"{prefix}ann"

    echo(f"\n1. Sign-up from a domain the app does not allow ({refused}@elsewhere.test)")
    try:
        idp.sign_up(
            ClientId=client_id,
            Username=refused,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": f"{refused}@elsewhere.test"}],
        )
        echo("   unexpected: accepted")
    except ClientError as error:
        echo(f"   refused: {error.response['Error']['Code']}: {error.response['Error']['Message']}")

    echo(f"\n2. Sign-up of {accepted}@example.com")
    answer = idp.sign_up(
        ClientId=client_id,
        Username=accepted,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{accepted}@example.com"}],
    )
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username=accepted)["Groups"]
    echo(
        f"   confirmed: {answer['UserConfirmed']}; groups: "
        f"{', '.join(g['GroupName'] for g in groups) or '(none)'}"
    )

    echo(f"\n3. Password sign-in of {accepted}")
    tokens = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": accepted, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    id_claims, access_claims = (
        decode_claims(tokens["IdToken"]),
        decode_claims(tokens["AccessToken"]),
    )
    echo(
        f"   ID token: shop:tier={id_claims.get('shop:tier')}, groups={id_claims.get('cognito:groups')}"
    )
    echo(
        f"   access token: shop:tier={access_claims.get('shop:tier')}, scope={access_claims.get('scope')}"
    )

    echo(f"\n4. Passwordless sign-in of {accepted} (custom challenge, code by email)")
    challenge = idp.initiate_auth(
        ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": accepted}
    )
    public = challenge["ChallengeParameters"]
    echo(f"   challenge {challenge['ChallengeName']}: code sent to {public.get('destination')}")
    code = _emailed_code(cognito)
    done = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": accepted, "ANSWER": code or ""},
    )
    echo(
        f"   answered: {'tokens issued' if 'AuthenticationResult' in done else done.get('ChallengeName')}"
    )

    username, password = LEGACY_USER
    echo(f"\n5. First sign-in of {username}, a user of the legacy store")
    try:
        idp.admin_get_user(UserPoolId=pool_id, Username=username)
        echo("   (already migrated by an earlier run of this emulator)")
    except ClientError:
        pass
    idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    user = idp.admin_get_user(UserPoolId=pool_id, Username=username)
    echo(f"   signed in; now in the pool as {user['Username']} ({user['UserStatus']})")


def wiring_lines(cognito: Any) -> List[str]:
    """One line per trigger of the pool: the ARN it invokes and, for an alias, its version.

    A trigger wired to the unqualified function runs ``$LATEST``: a deploy is
    live at once, with no version to roll back to; the closing line says how
    to turn the ``alias`` on.
    """
    slots = {
        key: value["LambdaArn"] if isinstance(value, dict) else value
        for key, value in cognito.lambda_config.items()
        if key != "KMSKeyID"
    }
    if "PreTokenGenerationConfig" in slots:  # the legacy key holds the same ARN
        slots["PreTokenGeneration"] = slots.pop("PreTokenGenerationConfig")
    lam: Any = None
    lines, unqualified = ["Triggers wired in the pool (ARN, what it runs):"], []
    width = max((len(k) for k in slots), default=0)
    for trigger, arn in sorted(slots.items()):
        parts = str(arn).split(":")
        if len(parts) == 8:
            lam = lam or cognito.client("lambda")
            alias = lam.get_alias(FunctionName=":".join(parts[:7]), Name=parts[7])
            weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
            canary = "".join(f", version {v} at {w:.0%}" for v, w in sorted(weights.items()))
            runs = f"alias {parts[7]} -> version {alias['FunctionVersion']}{canary}"
        else:
            unqualified.append(trigger)
            runs = "$LATEST, unqualified"
        lines.append(f"  {trigger.ljust(width)}  {arn}  ({runs})")
    if unqualified:
        lines.append(
            "  unqualified triggers run $LATEST: a deploy is live at once, with no version "
            'to roll back to; add "alias": "live" to the stage\'s cognito config to publish '
            "versions behind an alias (see docs: Shipping trigger changes safely)."
        )
    return lines


def _emailed_code(cognito: Any) -> Optional[str]:
    """The code CreateAuthChallenge drew (a user reads it in the email the trigger sent)."""
    for item in reversed(cognito.invocations):
        if item.trigger == "CreateAuthChallenge" and item.response:
            private = item.response.get("response", {}).get("privateChallengeParameters") or {}
            return private.get("code")
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    from chalice_cognito.local.cognito_flows.local_cognito import LocalCognito

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", default=".")
    parser.add_argument("--stage", default="local")
    args = parser.parse_args(argv)

    def echo(line: str) -> None:
        print(line, flush=True)

    # The not-emulated triggers are printed below; LocalCognito's own warning would repeat them.
    logging.getLogger("chalice_cognito.local.cognito").setLevel(logging.ERROR)
    echo("Local Cognito: deploying the example app to the embedded AWS...")
    with LocalCognito(
        args.project_dir, args.stage, on_event=lambda item: echo(describe(item))
    ) as cognito:
        echo(f"Local Cognito on {cognito.endpoint_url}, pool {cognito.user_pool_id}")
        for line in cognito.not_emulated:
            echo(f"  not emulated: {line}")
        for line in wiring_lines(cognito):
            echo(line)
        story(cognito, echo)
    echo("\nLocal Cognito stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
