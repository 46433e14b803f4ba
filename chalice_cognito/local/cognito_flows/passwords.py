"""Password reset and attribute verification flows.

* ForgotPassword: UserMigration_ForgotPassword for a user the pool does not
  know (created RESET_REQUIRED from the response), then the code through
  CustomMessage_ForgotPassword or a custom sender (a verified email or phone
  is required, as in Cognito).
* ConfirmForgotPassword: the code is checked, the password set, then
  PostConfirmation_ConfirmForgotPassword.
* UpdateUserAttributes / AdminUpdateUserAttributes: a changed email or phone
  number (auto-verified in the pool) is unverified and gets a code through
  CustomMessage_UpdateUserAttribute or the sender.
* GetUserAttributeVerificationCode: CustomMessage_VerifyUserAttribute or the
  sender; VerifyUserAttribute checks that code.

Deploy-time module.
"""

from __future__ import annotations

from typing import Any, Dict, List

from chalice_cognito.local.cognito_flows import moto_seam
from chalice_cognito.local.cognito_flows.auth import _migrate
from chalice_cognito.local.cognito_flows.context import Flows, attribute_map, client_metadata
from chalice_cognito.local.cognito_flows.signup import post_confirmation
from chalice_cognito.local.cognito_flows.triggers import NO_CLIENT, CognitoError

_VERIFIABLE = ("email", "phone_number")


def forgot_password(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    client_id = str(params.get("ClientId") or "")
    pool = flows.pool_of_client(client_id)
    username = str(params.get("Username") or "")
    metadata = client_metadata(params)
    user = moto_seam.find_user(pool, username)
    if user is None:
        user = _migrate(flows, pool, client_id, username, None, metadata, source="ForgotPassword")
    code = flows.new_code(pool, str(user.username), "forgot")
    details = flows.deliver(
        pool, user, "ForgotPassword", code, client_id, metadata, verified_only=True
    )
    return {"CodeDeliveryDetails": details}


def confirm_forgot_password(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    client_id = str(params.get("ClientId") or "")
    pool = flows.pool_of_client(client_id)
    user = flows.user(pool, params.get("Username"), "Username/client id combination not found.")
    flows.check_code(pool, str(user.username), "forgot", params.get("ConfirmationCode"))
    password = str(params.get("Password") or "")
    moto_seam.validate_password(pool, password)
    moto_seam.set_password(user, password)
    moto_seam.set_status(user, "CONFIRMED")
    post_confirmation(flows, pool, user, "ConfirmForgotPassword", client_id, params)
    return {}


def _send_verifications(
    flows: Flows,
    pool: Any,
    user: Any,
    changed: List[str],
    client_id: str,
    params: Dict[str, Any],
) -> List[Dict[str, str]]:
    auto = set(moto_seam.pool_setting(pool, "AutoVerifiedAttributes") or [])
    sent = []
    for name in changed:
        if name not in auto:
            continue
        moto_seam.update_attributes(user, {f"{name}_verified": "false"})
        code = flows.new_code(pool, str(user.username), f"verify:{name}")
        details = flows.deliver(
            pool,
            user,
            "UpdateUserAttribute",
            code,
            client_id,
            client_metadata(params),
            attribute=name,
        )
        if details:
            sent.append(details)
    return sent


def _changed(user: Any, params: Dict[str, Any]) -> List[str]:
    before = moto_seam.attributes(user)
    wanted = attribute_map(params.get("UserAttributes"))
    return [n for n in _VERIFIABLE if n in wanted and wanted[n] != before.get(n)]


def update_user_attributes(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    pool, user = flows.user_of_access_token(params.get("AccessToken"))
    changed = _changed(user, params)
    forwarded: Dict[str, Any] = {
        k: params[k] for k in ("AccessToken", "UserAttributes") if k in params
    }
    flows.forward("UpdateUserAttributes", forwarded)
    client_id = _client_of(pool, params.get("AccessToken"))
    return {
        "CodeDeliveryDetailsList": _send_verifications(
            flows, pool, user, changed, client_id, params
        )
    }


def admin_update_user_attributes(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    pool = flows.pool(params.get("UserPoolId"))
    user = flows.user(pool, params.get("Username"))
    changed = _changed(user, params)
    forwarded: Dict[str, Any] = {
        k: params[k] for k in ("UserPoolId", "Username", "UserAttributes") if k in params
    }
    flows.forward("AdminUpdateUserAttributes", forwarded)
    wanted = attribute_map(params.get("UserAttributes"))
    # An admin may set the verified flag along with the value: then nothing is sent.
    changed = [n for n in changed if wanted.get(f"{n}_verified") != "true"]
    _send_verifications(flows, pool, user, changed, NO_CLIENT, params)
    return {}


def get_user_attribute_verification_code(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    pool, user = flows.user_of_access_token(params.get("AccessToken"))
    name = str(params.get("AttributeName") or "")
    if name not in _VERIFIABLE or not moto_seam.attributes(user).get(name):
        raise CognitoError(
            "InvalidParameterException", f"The user has no {name or 'such'} attribute to verify."
        )
    code = flows.new_code(pool, str(user.username), f"verify:{name}")
    details = flows.deliver(
        pool,
        user,
        "VerifyUserAttribute",
        code,
        _client_of(pool, params.get("AccessToken")),
        client_metadata(params),
        attribute=name,
    )
    return {"CodeDeliveryDetails": details}


def verify_user_attribute(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    pool, user = flows.user_of_access_token(params.get("AccessToken"))
    name = str(params.get("AttributeName") or "")
    flows.check_code(pool, str(user.username), f"verify:{name}", params.get("Code"))
    moto_seam.update_attributes(user, {f"{name}_verified": "true"})
    return {}


def _client_of(pool: Any, access_token: Any) -> str:
    return moto_seam.client_of_access_token(pool, str(access_token or "")) or NO_CLIENT
