"""The one place that reaches into the embedded moto's in-process state.

The local Cognito runs in the same process as the moto server
(``ThreadedMotoServer``), so it reads and changes the user pools, users,
tokens and Lambda functions moto holds directly: no HTTP round trip per step,
and access to what moto's API does not expose (the zip of a function, the key
moto signs tokens with, its token maps).  moto is pinned (``moto[server]==5.2.5``);
every private name used lives in this module.

Deploy-time module: moto.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from moto.awslambda.models import lambda_backends
from moto.cognitoidp.models import CognitoIdpUser, UserStatus, cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]

#: The account moto answers as (dummy credentials map to it).
ACCOUNT_ID = DEFAULT_ACCOUNT_ID


def reset_all() -> None:
    """Forget everything moto holds in this process (its backends are process-wide).

    Every embedded moto server of the process shares one state: a LocalCognito
    starts and ends on a clean one, so nothing of an earlier emulator (pools,
    functions, keys) leaks into the next.
    """
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


def backend(region: str) -> Any:
    """moto's cognito-idp backend of ``region``."""
    return cognitoidp_backends[ACCOUNT_ID][region]


def lambda_backend(region: str) -> Any:
    """moto's Lambda backend of ``region``."""
    return lambda_backends[ACCOUNT_ID][region]


def pool(region: str, pool_id: str) -> Any:
    """The moto user pool (raises moto's ResourceNotFoundException)."""
    return backend(region).describe_user_pool(pool_id)


def pool_of_client(region: str, client_id: str) -> Optional[Any]:
    """The pool holding app client ``client_id`` (None when no pool has it)."""
    for candidate in backend(region).user_pools.values():
        if client_id in candidate.clients:
            return candidate
    return None


def client_auth_flows(user_pool: Any, client_id: str) -> List[str]:
    """The app client's ExplicitAuthFlows (``[]`` when it has none)."""
    client = user_pool.clients.get(client_id)
    if client is None:
        return []
    return [str(f) for f in client.extended_config.get("ExplicitAuthFlows") or []]


def lambda_config(user_pool: Any) -> Dict[str, Any]:
    """The pool's LambdaConfig as DescribeUserPool returns it."""
    return dict(user_pool.extended_config.get("LambdaConfig") or {})


def pool_setting(user_pool: Any, key: str, default: Any = None) -> Any:
    """A pool setting as DescribeUserPool returns it (``AutoVerifiedAttributes``...)."""
    return user_pool.extended_config.get(key, default)


def find_user(user_pool: Any, username: str) -> Optional[CognitoIdpUser]:
    """A user by username or username attribute (None when unknown)."""
    found: Optional[CognitoIdpUser] = user_pool._get_user(username)
    return found


def attributes(user: CognitoIdpUser) -> Dict[str, str]:
    """A user's attributes as a trigger event carries them (all strings)."""
    return {str(a["Name"]): str(a["Value"]) for a in user.attributes}


def status(user: CognitoIdpUser) -> str:
    value = user.status
    return str(value.value if isinstance(value, UserStatus) else value)


def set_status(user: CognitoIdpUser, value: str) -> None:
    user.status = UserStatus[value]


def set_password(user: CognitoIdpUser, password: Optional[str]) -> None:
    user.password = password


def update_attributes(user: CognitoIdpUser, values: Mapping[str, str]) -> None:
    user.update_attributes([{"Name": k, "Value": str(v)} for k, v in values.items()])


def groups(user: CognitoIdpUser) -> List[Tuple[str, Optional[str], Optional[int]]]:
    """(name, role ARN, precedence) of each group the user is in."""
    return [(g.group_name, g.role_arn, g.precedence) for g in user.groups]


def issue_tokens(user_pool: Any, client_id: str, username: str) -> Dict[str, Any]:
    """Sign the user in as moto does: a refresh, access and ID token."""
    refresh_token, origin_jti = user_pool.create_refresh_token(client_id, username)
    access_token, expires_in = user_pool.create_access_token(
        client_id, username, origin_jti=origin_jti
    )
    id_token, _ = user_pool.create_id_token(client_id, username, origin_jti=origin_jti)
    return {
        "AccessToken": access_token,
        "ExpiresIn": expires_in,
        "IdToken": id_token,
        "RefreshToken": refresh_token,
        "TokenType": "Bearer",
    }


def refresh_tokens(user_pool: Any, refresh_token: str) -> Tuple[str, str, Dict[str, Any]]:
    """(client id, username, new access + ID tokens) for a refresh token moto issued."""
    held = user_pool.refresh_tokens.get(refresh_token)
    if not held:
        raise LookupError("Refresh Token has been revoked")
    client_id, username, _ = held
    access_token, id_token, expires_in = user_pool.create_tokens_from_refresh_token(refresh_token)
    return (
        str(client_id),
        str(username),
        {
            "AccessToken": access_token,
            "ExpiresIn": expires_in,
            "IdToken": id_token,
            "TokenType": "Bearer",
        },
    )


def username_of_access_token(user_pool: Any, access_token: str) -> Optional[str]:
    held = user_pool.access_tokens.get(access_token)
    return str(held[1]) if held else None


def client_of_access_token(user_pool: Any, access_token: str) -> Optional[str]:
    held = user_pool.access_tokens.get(access_token)
    return str(held[0]) if held else None


def pools_holding_access_token(region: str, access_token: str) -> Iterator[Any]:
    for candidate in backend(region).user_pools.values():
        if access_token in candidate.access_tokens:
            yield candidate


def resign(user_pool: Any, token: str, claims: Dict[str, Any], token_use: str) -> str:
    """Sign ``claims`` with the pool's key (as moto does) and swap the token moto holds."""
    from joserfc import jwt

    new = str(jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, user_pool.json_web_key))
    table = user_pool.access_tokens if token_use == "access" else user_pool.id_tokens
    if token in table:
        table[new] = table.pop(token)
    return new


def function(region: str, identifier: str) -> Optional[Any]:
    """moto's Lambda function for a name or ARN (None when the emulator has none)."""
    try:
        return lambda_backend(region).get_function(identifier)
    except Exception:  # moto's UnknownFunctionException and friends
        return None


def function_code(fn: Any) -> bytes:
    return bytes(fn.code_bytes)


def function_code_sha(fn: Any) -> str:
    return str(fn.code_sha_256)


def layer_codes(region: str, fn: Any) -> List[bytes]:
    """The zips of the function's layers, in order."""
    out = []
    for layer in fn.layers or []:
        version = lambda_backend(region).layers_versions_by_arn(layer["Arn"])
        if version is not None:
            out.append(bytes(version.code_bytes))
    return out


def moto_error(error: BaseException) -> Optional[Tuple[str, str]]:
    """(error type, message) of a moto service exception, None for anything else."""
    error_type = getattr(error, "error_type", None)
    if not isinstance(error_type, str):
        return None
    return error_type.split("#")[-1], str(getattr(error, "message", "") or "")


def validate_password(user_pool: Any, password: str) -> None:
    """moto's password-policy check of the pool (raises moto's InvalidPasswordException)."""
    from chalice_cognito.local.cognito_flows.triggers import CognitoError

    try:
        user_pool.backend._validate_password(user_pool.id, password)
    except Exception as error:
        known = moto_error(error)
        if known is None:
            raise
        raise CognitoError(*known) from None
