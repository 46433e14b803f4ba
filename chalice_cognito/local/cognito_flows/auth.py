"""Sign-in flows: InitiateAuth / AdminInitiateAuth, RespondToAuthChallenge, refresh, custom auth.

Triggers, in Cognito's order:

* password sign-in (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH,
  ADMIN_NO_SRP_AUTH): UserMigration_Authentication for a user the pool does
  not know (the user is created from the response), PreAuthentication
  (ClientMetadata as ``validationData``), the password check,
  PostAuthentication, PreTokenGeneration (TokenGeneration_Authentication);
* NEW_PASSWORD_REQUIRED answered: PostAuthentication,
  TokenGeneration_NewPasswordChallenge;
* REFRESH_TOKEN_AUTH: TokenGeneration_RefreshTokens; GetTokensFromRefreshToken:
  TokenGeneration_Authentication (as Cognito documents it);
* CUSTOM_AUTH: PreAuthentication, then DefineAuthChallenge ->
  CreateAuthChallenge -> (RespondToAuthChallenge) VerifyAuthChallengeResponse
  -> DefineAuthChallenge ... with the session array Cognito builds, until
  DefineAuthChallenge issues tokens or fails the sign-in.

The tokens are moto's, re-signed with moto's key after the PreTokenGeneration
response is applied (V1: ID token claims and groups; V2/V3: ID and access
token claims and scopes), so moto's GetUser keeps accepting them.

Deploy-time module.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, List, Mapping, Optional

from chalice_cognito.local.cognito_flows import moto_seam
from chalice_cognito.local.cognito_flows.context import (
    AuthSession,
    Flows,
    client_metadata,
)
from chalice_cognito.local.cognito_flows.triggers import CognitoError

PASSWORD_FLOWS = ("USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH")
REFRESH_FLOWS = ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN")
CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"

#: Claims no PreTokenGeneration response may add, change or suppress (Cognito ignores them).
PROTECTED_CLAIMS = frozenset(
    {
        "acr", "amr", "at_hash", "auth_time", "azp", "client_id", "device_key", "event_id",
        "exp", "iat", "identities", "iss", "jti", "nbf", "nonce", "origin_jti", "sub",
        "token_use", "username", "version", "aud",
    }
)  # fmt: skip

_MIGRATION_RESPONSE = {
    "userAttributes": None,
    "finalUserStatus": None,
    "messageAction": None,
    "desiredDeliveryMediums": None,
    "forceAliasCreation": None,
    "enableSMSMFA": None,
}


# -- entry points ----------------------------------------------------------------


def initiate_auth(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    client_id = str(params.get("ClientId") or "")
    pool = flows.pool_of_client(client_id)
    return _initiate(flows, pool, client_id, params, admin=False)


def admin_initiate_auth(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    pool = flows.pool(params.get("UserPoolId"))
    client_id = str(params.get("ClientId") or "")
    if client_id not in pool.clients:
        raise CognitoError("ResourceNotFoundException", f"Client {client_id} does not exist.")
    return _initiate(flows, pool, client_id, params, admin=True)


def respond_to_auth_challenge(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    client_id = str(params.get("ClientId") or "")
    pool = flows.pool_of_client(client_id)
    return _respond(flows, pool, client_id, params, "RespondToAuthChallenge")


def admin_respond_to_auth_challenge(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    pool = flows.pool(params.get("UserPoolId"))
    return _respond(
        flows, pool, str(params.get("ClientId") or ""), params, "AdminRespondToAuthChallenge"
    )


def _initiate(
    flows: Flows, pool: Any, client_id: str, params: Mapping[str, Any], admin: bool
) -> Dict[str, Any]:
    flow = str(params.get("AuthFlow") or "")
    auth = dict(params.get("AuthParameters") or {})
    metadata = client_metadata(params)
    _check_flow_allowed(pool, client_id, flow)
    allowed = (
        ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH") if admin else ("USER_PASSWORD_AUTH",)
    )
    if flow in PASSWORD_FLOWS and flow in allowed:
        return _password_sign_in(
            flows, pool, client_id, auth.get("USERNAME"), auth.get("PASSWORD"), metadata
        )
    if flow in REFRESH_FLOWS:
        return _refresh(flows, pool, auth.get("REFRESH_TOKEN"))
    if flow == "CUSTOM_AUTH":
        return _custom_start(flows, pool, client_id, auth.get("USERNAME"), metadata)
    # Everything else (SRP) is moto's, without triggers.
    return flows.forward("AdminInitiateAuth" if admin else "InitiateAuth", params)


#: AuthFlow -> the ExplicitAuthFlows entries that allow it (either spelling).
_ALLOWED_BY = {
    "USER_PASSWORD_AUTH": ("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"),
    "ADMIN_USER_PASSWORD_AUTH": ("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"),
    "ADMIN_NO_SRP_AUTH": ("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"),
    "CUSTOM_AUTH": ("ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"),
}


def _check_flow_allowed(pool: Any, client_id: str, flow: str) -> None:
    """Cognito refuses a flow the app client does not allow (moto does not check)."""
    allowed_by = _ALLOWED_BY.get(flow)
    flows = moto_seam.client_auth_flows(pool, client_id)
    if allowed_by is None or not flows:
        return
    if not set(allowed_by) & set(flows):
        raise CognitoError("InvalidParameterException", f"{flow} flow not enabled for this client")


# -- password sign-in ----------------------------------------------------------


def _password_sign_in(
    flows: Flows,
    pool: Any,
    client_id: str,
    username: Optional[str],
    password: Optional[str],
    metadata: Optional[Dict[str, str]],
) -> Dict[str, Any]:
    username = str(username or "")
    user = moto_seam.find_user(pool, username)
    if user is None:
        user = _migrate(flows, pool, client_id, username, password, metadata)
    _pre_authentication(flows, pool, client_id, user, metadata)
    if not user.enabled:
        raise CognitoError("NotAuthorizedException", "User is disabled.")
    if not password or user.password != password:
        raise CognitoError("NotAuthorizedException", "Incorrect username or password.")
    status = moto_seam.status(user)
    if status == "UNCONFIRMED":
        raise CognitoError("UserNotConfirmedException", "User is not confirmed.")
    if status == "RESET_REQUIRED":
        raise CognitoError("PasswordResetRequiredException", "Password reset required for the user")
    if status == "FORCE_CHANGE_PASSWORD":
        session = flows.open_session(
            AuthSession(NEW_PASSWORD_REQUIRED, pool.id, str(user.username), client_id)
        )
        attributes = {
            k: v
            for k, v in moto_seam.attributes(user).items()
            if k not in ("sub", "email_verified", "phone_number_verified")
        }
        return {
            "ChallengeName": NEW_PASSWORD_REQUIRED,
            "Session": session,
            "ChallengeParameters": {
                "USER_ID_FOR_SRP": str(user.username),
                "requiredAttributes": "[]",
                "userAttributes": json.dumps(attributes),
            },
        }
    return _sign_in(flows, pool, client_id, user, "Authentication", None)


def _migrate(
    flows: Flows,
    pool: Any,
    client_id: str,
    username: str,
    password: Optional[str],
    metadata: Optional[Dict[str, str]],
    source: str = "Authentication",
) -> Any:
    """UserMigration for a user the pool does not know: the user it returns, created."""
    if flows.trigger_arn(pool, "UserMigration") is None:
        if source == "Authentication":
            raise CognitoError("NotAuthorizedException", "Incorrect username or password.")
        raise CognitoError("UserNotFoundException", "Username/client id combination not found.")
    request: Dict[str, Any] = {"userAttributes": None}
    if source == "Authentication":
        request = {"password": password, "validationData": metadata, "userAttributes": None}
    elif metadata:
        request["clientMetadata"] = metadata
    returned = flows.fire(
        pool,
        "UserMigration",
        source,
        username,
        client_id,
        request,
        _MIGRATION_RESPONSE,
        check=_check_migration,
    )
    answer = (returned or {}).get("response") or {}
    attributes = {
        str(k): str(v) for k, v in (answer.get("userAttributes") or {}).items() if k != "username"
    }
    attributes.pop("sub", None)
    flows.forward(
        "AdminCreateUser",
        {
            "UserPoolId": pool.id,
            "Username": username,
            "MessageAction": "SUPPRESS",
            "UserAttributes": [{"Name": k, "Value": v} for k, v in attributes.items()],
        },
    )
    user = flows.user(pool, username)
    final = answer.get("finalUserStatus") or "RESET_REQUIRED"
    if source == "Authentication" and final == "CONFIRMED":
        # The password the user typed is the one the legacy store accepted.
        moto_seam.set_password(user, password)
    else:
        moto_seam.set_password(user, None)
    moto_seam.set_status(user, "CONFIRMED" if final == "CONFIRMED" else "RESET_REQUIRED")
    return user


def _check_migration(result: Dict[str, Any]) -> None:
    answer = result["response"]
    if not isinstance(answer.get("userAttributes"), dict):
        raise CognitoError(
            "InvalidLambdaResponseException", "Invalid lambda response: userAttributes is required."
        )
    if answer.get("finalUserStatus") not in (None, "CONFIRMED", "RESET_REQUIRED"):
        raise CognitoError("InvalidLambdaResponseException", "Unrecognizable lambda output")
    if answer.get("messageAction") not in (None, "SUPPRESS", "RESEND"):
        raise CognitoError("InvalidLambdaResponseException", "Unrecognizable lambda output")


def _pre_authentication(
    flows: Flows, pool: Any, client_id: str, user: Any, metadata: Optional[Dict[str, str]]
) -> None:
    flows.fire(
        pool,
        "PreAuthentication",
        "Authentication",
        str(user.username),
        client_id,
        {"userAttributes": flows.event_attributes(user), "validationData": metadata},
        {},
    )


def _sign_in(
    flows: Flows,
    pool: Any,
    client_id: str,
    user: Any,
    source: str,
    metadata: Optional[Dict[str, str]],
) -> Dict[str, Any]:
    """PostAuthentication, then tokens through PreTokenGeneration."""
    request: Dict[str, Any] = {"userAttributes": flows.event_attributes(user)}
    if metadata:
        request["clientMetadata"] = metadata
    flows.fire(
        pool, "PostAuthentication", "Authentication", str(user.username), client_id, request, {}
    )
    tokens = moto_seam.issue_tokens(pool, client_id, str(user.username))
    tokens = _token_generation(flows, pool, client_id, user, source, tokens, metadata)
    return {"ChallengeParameters": {}, "AuthenticationResult": tokens}


def _refresh(
    flows: Flows,
    pool: Any,
    refresh_token: Optional[str],
    source: str = "RefreshTokens",
    metadata: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    try:
        client_id, username, tokens = moto_seam.refresh_tokens(pool, str(refresh_token or ""))
    except LookupError:
        raise CognitoError("NotAuthorizedException", "Invalid Refresh Token") from None
    user = flows.user(pool, username)
    tokens = _token_generation(flows, pool, client_id, user, source, tokens, metadata)
    return {"ChallengeParameters": {}, "AuthenticationResult": tokens}


def get_tokens_from_refresh_token(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    """GetTokensFromRefreshToken: TokenGeneration_Authentication (not _RefreshTokens)."""
    pool = flows.pool_of_client(params.get("ClientId"))
    answer = _refresh(
        flows, pool, params.get("RefreshToken"), "Authentication", client_metadata(params)
    )
    return {"AuthenticationResult": answer["AuthenticationResult"]}


# -- challenges ------------------------------------------------------------------


def _respond(
    flows: Flows, pool: Any, client_id: str, params: Mapping[str, Any], operation: str
) -> Dict[str, Any]:
    name = params.get("ChallengeName")
    answers = dict(params.get("ChallengeResponses") or {})
    metadata = client_metadata(params)
    if name == CUSTOM_CHALLENGE:
        session = flows.take_session(params.get("Session"), CUSTOM_CHALLENGE)
        return _custom_answer(flows, pool, session, answers.get("ANSWER"), metadata)
    if name == NEW_PASSWORD_REQUIRED:
        session = flows.take_session(params.get("Session"), NEW_PASSWORD_REQUIRED)
        user = flows.user(pool, session.username)
        new_password = str(answers.get("NEW_PASSWORD") or "")
        moto_seam.validate_password(pool, new_password)
        moto_seam.set_password(user, new_password)
        moto_seam.set_status(user, "CONFIRMED")
        return _sign_in(flows, pool, session.client_id, user, "NewPasswordChallenge", metadata)
    return flows.forward(operation, params)


def _custom_start(
    flows: Flows,
    pool: Any,
    client_id: str,
    username: Optional[str],
    metadata: Optional[Dict[str, str]],
) -> Dict[str, Any]:
    for trigger in ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse"):
        if flows.trigger_arn(pool, trigger) is None:
            raise CognitoError(
                "InvalidParameterException",
                f"Custom auth lambda trigger is not configured for the user pool ({trigger}).",
            )
    user = flows.user(pool, username)
    _pre_authentication(flows, pool, client_id, user, metadata)
    if moto_seam.status(user) == "UNCONFIRMED":
        raise CognitoError("UserNotConfirmedException", "User is not confirmed.")
    session = AuthSession(CUSTOM_CHALLENGE, pool.id, str(user.username), client_id)
    return _next_challenge(flows, pool, session, user, None)


def _custom_answer(
    flows: Flows,
    pool: Any,
    session: AuthSession,
    answer: Optional[str],
    metadata: Optional[Dict[str, str]],
) -> Dict[str, Any]:
    user = flows.user(pool, session.username)
    request: Dict[str, Any] = {
        "userAttributes": flows.event_attributes(user),
        "privateChallengeParameters": session.private_parameters,
        "challengeAnswer": answer,
    }
    if metadata:
        request["clientMetadata"] = metadata
    returned = flows.fire(
        pool,
        "VerifyAuthChallengeResponse",
        "Authentication",
        session.username,
        session.client_id,
        request,
        {"answerCorrect": None},
    )
    correct = bool(((returned or {}).get("response") or {}).get("answerCorrect"))
    session.challenges.append(
        {
            "challengeName": session.challenge_name or CUSTOM_CHALLENGE,
            "challengeResult": correct,
            "challengeMetadata": session.metadata,
        }
    )
    return _next_challenge(flows, pool, session, user, metadata)


def _next_challenge(
    flows: Flows,
    pool: Any,
    session: AuthSession,
    user: Any,
    metadata: Optional[Dict[str, str]],
) -> Dict[str, Any]:
    """DefineAuthChallenge decides: tokens, failure, or the next custom challenge."""
    attributes = flows.event_attributes(user)
    request: Dict[str, Any] = {"userAttributes": attributes, "session": list(session.challenges)}
    if metadata:
        request["clientMetadata"] = metadata
    returned = flows.fire(
        pool,
        "DefineAuthChallenge",
        "Authentication",
        session.username,
        session.client_id,
        request,
        {"challengeName": None, "issueTokens": None, "failAuthentication": None},
    )
    decision = (returned or {}).get("response") or {}
    if decision.get("issueTokens") and not decision.get("failAuthentication"):
        return _sign_in(flows, pool, session.client_id, user, "Authentication", metadata)
    if decision.get("failAuthentication"):
        raise CognitoError("NotAuthorizedException", "Incorrect username or password.")
    challenge = decision.get("challengeName")
    if challenge != CUSTOM_CHALLENGE:
        raise CognitoError(
            "InvalidLambdaResponseException",
            f"Unrecognizable lambda output (challengeName {challenge!r}: this emulator answers "
            f"{CUSTOM_CHALLENGE} only)",
        )
    create_request: Dict[str, Any] = {
        "userAttributes": attributes,
        "challengeName": challenge,
        "session": list(session.challenges),
    }
    if metadata:
        create_request["clientMetadata"] = metadata
    created = flows.fire(
        pool,
        "CreateAuthChallenge",
        "Authentication",
        session.username,
        session.client_id,
        create_request,
        {
            "publicChallengeParameters": None,
            "privateChallengeParameters": None,
            "challengeMetadata": None,
        },
    )
    answer = (created or {}).get("response") or {}
    session.challenge_name = str(challenge)
    session.private_parameters = {
        str(k): str(v) for k, v in (answer.get("privateChallengeParameters") or {}).items()
    }
    session.metadata = answer.get("challengeMetadata")
    public = {str(k): str(v) for k, v in (answer.get("publicChallengeParameters") or {}).items()}
    public.setdefault("USERNAME", session.username)
    token = flows.open_session(
        AuthSession(
            CUSTOM_CHALLENGE,
            session.pool_id,
            session.username,
            session.client_id,
            challenges=session.challenges,
            private_parameters=session.private_parameters,
            metadata=session.metadata,
            challenge_name=session.challenge_name,
        )
    )
    return {"ChallengeName": CUSTOM_CHALLENGE, "Session": token, "ChallengeParameters": public}


# -- tokens ----------------------------------------------------------------------


def _token_generation(
    flows: Flows,
    pool: Any,
    client_id: str,
    user: Any,
    source: str,
    tokens: Dict[str, Any],
    metadata: Optional[Dict[str, str]],
) -> Dict[str, Any]:
    """Fire PreTokenGeneration and re-sign moto's tokens with the response applied."""
    version = flows.token_version(pool)
    key = _details_key(version)
    returned = flows.fire(
        pool,
        "PreTokenGeneration",
        source,
        str(user.username),
        client_id,
        _token_request(flows, user, tokens, metadata, version),
        {key: None},
        version=version,
        check=lambda result: _check_token_response(result, version),
    )
    if returned is None:
        return tokens
    details = (returned.get("response") or {}).get(key) or {}
    id_claims = _claims(tokens["IdToken"])
    access_claims = _claims(tokens["AccessToken"])
    if version == "1":
        _apply_v1(details, id_claims)
    else:
        _apply_v2(details, id_claims, access_claims)
    if "groupOverrideDetails" in details:
        _apply_group_override(details.get("groupOverrideDetails") or {}, id_claims, access_claims)
    tokens = dict(tokens)
    tokens["IdToken"] = moto_seam.resign(pool, tokens["IdToken"], id_claims, "id")
    tokens["AccessToken"] = moto_seam.resign(pool, tokens["AccessToken"], access_claims, "access")
    return tokens


def _details_key(version: str) -> str:
    """Where the response's overrides live: V1 has ID token claims only, V2/V3 add scopes."""
    return "claimsOverrideDetails" if version == "1" else "claimsAndScopeOverrideDetails"


def _token_request(
    flows: Flows,
    user: Any,
    tokens: Dict[str, Any],
    metadata: Optional[Dict[str, str]],
    version: str,
) -> Dict[str, Any]:
    """The event's request: attributes, the user's groups by precedence, V2/V3 scopes."""
    # Cognito orders groups by precedence, groups without one last.
    memberships = sorted(
        moto_seam.groups(user), key=lambda g: (g[2] is None, g[2] if g[2] is not None else 0)
    )
    roles = [g[1] for g in memberships if g[1]]
    request: Dict[str, Any] = {
        "userAttributes": flows.event_attributes(user),
        "groupConfiguration": {
            "groupsToOverride": [g[0] for g in memberships],
            "iamRolesToOverride": roles,
            "preferredRole": roles[0] if roles else None,
        },
    }
    if version != "1":
        request["scopes"] = _claims(tokens["AccessToken"]).get("scope", "").split()
    if metadata:
        request["clientMetadata"] = metadata
    return request


def _apply_v1(details: Dict[str, Any], id_claims: Dict[str, Any]) -> None:
    """V1 response: claims added to / suppressed from the ID token only."""
    _apply(id_claims, details.get("claimsToAddOrOverride"), details.get("claimsToSuppress"))


def _apply_v2(
    details: Dict[str, Any], id_claims: Dict[str, Any], access_claims: Dict[str, Any]
) -> None:
    """V2/V3 response: ID and access token claims, and the access token's scopes."""
    id_part = details.get("idTokenGeneration") or {}
    access_part = details.get("accessTokenGeneration") or {}
    _apply(id_claims, id_part.get("claimsToAddOrOverride"), id_part.get("claimsToSuppress"))
    _apply(
        access_claims,
        access_part.get("claimsToAddOrOverride"),
        access_part.get("claimsToSuppress"),
    )
    access_claims["scope"] = " ".join(
        _override_scopes(
            access_claims.get("scope", "").split(),
            access_part.get("scopesToAdd") or [],
            access_part.get("scopesToSuppress") or [],
        )
    )


def _override_scopes(scopes: List[str], add: List[str], suppress: List[str]) -> List[str]:
    """Suppress first, then add what is not already there (order kept, no duplicates)."""
    suppressed = set(suppress)
    kept = [s for s in scopes if s not in suppressed]
    return kept + [s for s in add if s not in kept]


def _apply_group_override(
    override: Dict[str, Any], id_claims: Dict[str, Any], access_claims: Dict[str, Any]
) -> None:
    """groupOverrideDetails: groups replace (or, empty, remove) cognito:groups in both tokens;
    roles and the preferred role go to the ID token."""
    groups = override.get("groupsToOverride") or []
    for claims in (id_claims, access_claims):
        if groups:
            claims["cognito:groups"] = list(groups)
        else:
            claims.pop("cognito:groups", None)
    roles = override.get("iamRolesToOverride") or []
    preferred = override.get("preferredRole")
    if roles:
        id_claims["cognito:roles"] = list(roles)
    if preferred:
        id_claims["cognito:preferred_role"] = preferred


def _check_token_response(result: Dict[str, Any], version: str) -> None:
    """Reject what Cognito rejects: a non-object, V1 non-string claims, V2/V3 bad scopes."""
    details = result["response"].get(_details_key(version))
    if details is None:
        return
    if not isinstance(details, dict):
        raise CognitoError("InvalidLambdaResponseException", "Unrecognizable lambda output")
    if version == "1":
        _check_v1_claims(details)
    else:
        _check_v2_scopes(details)


def _check_v1_claims(details: Dict[str, Any]) -> None:
    for value in (details.get("claimsToAddOrOverride") or {}).values():
        if not isinstance(value, str):
            raise CognitoError(
                "InvalidLambdaResponseException",
                "Invalid lambda response: claimsToAddOrOverride values must be strings.",
            )


def _check_v2_scopes(details: Dict[str, Any]) -> None:
    access = details.get("accessTokenGeneration") or {}
    scopes = list(access.get("scopesToAdd") or []) + list(access.get("scopesToSuppress") or [])
    for scope in scopes:
        if not isinstance(scope, str) or not scope or " " in scope:
            raise CognitoError(
                "InvalidLambdaResponseException",
                "Invalid lambda response: a scope may not be empty or contain spaces.",
            )


def _apply(claims: Dict[str, Any], add: Any, suppress: Any) -> None:
    """Add/override then suppress (suppression wins), leaving protected claims alone."""
    for name, value in (add or {}).items():
        if _protected(name):
            continue
        claims[name] = value
    for name in suppress or []:
        if _protected(name):
            continue
        claims.pop(name, None)


def _protected(name: str) -> bool:
    return name in PROTECTED_CLAIMS or (name.startswith("cognito:") and name != "cognito:groups")


def _claims(token: str) -> Dict[str, Any]:
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    claims: Dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
    return claims


def decode_claims(token: str) -> Dict[str, Any]:
    """The claims of a JWT (no signature check): what tests and the demo read."""
    return _claims(token)


__all__: List[str] = [
    "admin_initiate_auth",
    "admin_respond_to_auth_challenge",
    "decode_claims",
    "get_tokens_from_refresh_token",
    "initiate_auth",
    "respond_to_auth_challenge",
]
