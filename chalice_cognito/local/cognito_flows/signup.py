"""Sign-up flows: SignUp, ConfirmSignUp, ResendConfirmationCode, AdminCreateUser, AdminConfirmSignUp.

Triggers, in Cognito's order: PreSignUp (a refusal creates no user;
autoConfirmUser / autoVerifyEmail / autoVerifyPhone applied for SignUp,
ignored for AdminCreateUser), then the code or invitation through
CustomMessage or a custom sender, and PostConfirmation_ConfirmSignUp when the
user is confirmed (auto-confirmed, ConfirmSignUp, AdminConfirmSignUp).

Deploy-time module.
"""

from __future__ import annotations

import secrets
import string
from typing import Any, Dict, Mapping

from chalice_cognito.local.cognito_flows import moto_seam
from chalice_cognito.local.cognito_flows.context import (
    Flows,
    attribute_map,
    client_metadata,
)
from chalice_cognito.local.cognito_flows.triggers import NO_CLIENT, CognitoError

_PRE_SIGN_UP_RESPONSE = {
    "autoConfirmUser": False,
    "autoVerifyEmail": False,
    "autoVerifyPhone": False,
}


def _pre_sign_up_request(params: Mapping[str, Any]) -> Dict[str, Any]:
    request: Dict[str, Any] = {
        "userAttributes": attribute_map(params.get("UserAttributes")),
        "validationData": attribute_map(params["ValidationData"])
        if params.get("ValidationData")
        else None,
    }
    metadata = client_metadata(params)
    if metadata:
        request["clientMetadata"] = metadata
    return request


def _check_pre_sign_up(attributes: Mapping[str, str]) -> Any:
    def check(result: Dict[str, Any]) -> None:
        answer = result["response"]
        for key in _PRE_SIGN_UP_RESPONSE:
            if answer.get(key) not in (None, True, False):
                raise CognitoError("InvalidLambdaResponseException", "Unrecognizable lambda output")
        for flag, attribute in (("autoVerifyEmail", "email"), ("autoVerifyPhone", "phone_number")):
            if answer.get(flag) and not attributes.get(attribute):
                raise CognitoError(
                    "InvalidParameterException",
                    f"{flag} is set but the user has no {attribute} attribute.",
                )

    return check


def post_confirmation(
    flows: Flows, pool: Any, user: Any, source: str, client_id: str, params: Mapping[str, Any]
) -> None:
    request: Dict[str, Any] = {"userAttributes": flows.event_attributes(user)}
    metadata = client_metadata(params)
    if metadata:
        request["clientMetadata"] = metadata
    flows.fire(pool, "PostConfirmation", source, str(user.username), client_id, request, {})


def sign_up(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    client_id = str(params.get("ClientId") or "")
    pool = flows.pool_of_client(client_id)
    username = str(params.get("Username") or "")
    if moto_seam.find_user(pool, username) is not None:
        raise CognitoError("UsernameExistsException", "User already exists")
    moto_seam.validate_password(pool, str(params.get("Password") or ""))
    request = _pre_sign_up_request(params)
    returned = flows.fire(
        pool,
        "PreSignUp",
        "SignUp",
        username,
        client_id,
        request,
        _PRE_SIGN_UP_RESPONSE,
        check=_check_pre_sign_up(request["userAttributes"]),
    )
    answer = (returned or {}).get("response") or {}
    created = flows.forward(
        "SignUp",
        {
            k: params[k]
            for k in ("ClientId", "Username", "Password", "UserAttributes")
            if k in params
        },
    )
    user = flows.user(pool, username)
    verified = {}
    if answer.get("autoVerifyEmail"):
        verified["email_verified"] = "true"
    if answer.get("autoVerifyPhone"):
        verified["phone_number_verified"] = "true"
    if verified:
        moto_seam.update_attributes(user, verified)
    result: Dict[str, Any] = {"UserConfirmed": False, "UserSub": created.get("UserSub")}
    if answer.get("autoConfirmUser"):
        moto_seam.set_status(user, "CONFIRMED")
        result["UserConfirmed"] = True
        post_confirmation(flows, pool, user, "ConfirmSignUp", client_id, params)
        return result
    code = flows.new_code(pool, str(user.username), "signup")
    details = flows.deliver(pool, user, "SignUp", code, client_id, client_metadata(params))
    if details:
        result["CodeDeliveryDetails"] = details
    return result


def confirm_sign_up(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    client_id = str(params.get("ClientId") or "")
    pool = flows.pool_of_client(client_id)
    user = flows.user(pool, params.get("Username"), "Username/client id combination not found.")
    if moto_seam.status(user) == "CONFIRMED":
        raise CognitoError(
            "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED"
        )
    flows.check_code(pool, str(user.username), "signup", params.get("ConfirmationCode"))
    moto_seam.set_status(user, "CONFIRMED")
    attributes = moto_seam.attributes(user)
    if attributes.get("email") and attributes.get("email_verified") != "true":
        moto_seam.update_attributes(user, {"email_verified": "true"})
    elif attributes.get("phone_number"):
        moto_seam.update_attributes(user, {"phone_number_verified": "true"})
    post_confirmation(flows, pool, user, "ConfirmSignUp", client_id, params)
    return {}


def admin_confirm_sign_up(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    pool = flows.pool(params.get("UserPoolId"))
    user = flows.user(pool, params.get("Username"))
    if moto_seam.status(user) == "CONFIRMED":
        raise CognitoError(
            "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED"
        )
    moto_seam.set_status(user, "CONFIRMED")
    post_confirmation(flows, pool, user, "ConfirmSignUp", NO_CLIENT, params)
    return {}


def resend_confirmation_code(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    client_id = str(params.get("ClientId") or "")
    pool = flows.pool_of_client(client_id)
    user = flows.user(pool, params.get("Username"), "Username/client id combination not found.")
    if moto_seam.status(user) == "CONFIRMED":
        raise CognitoError("InvalidParameterException", "User is already confirmed.")
    code = flows.new_code(pool, str(user.username), "signup")
    details = flows.deliver(pool, user, "ResendCode", code, client_id, client_metadata(params))
    return {"CodeDeliveryDetails": details} if details else {}


def _temporary_password() -> str:
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{core}Aa1!"


def admin_create_user(flows: Flows, params: Dict[str, Any]) -> Dict[str, Any]:
    pool = flows.pool(params.get("UserPoolId"))
    username = str(params.get("Username") or "")
    action = params.get("MessageAction")
    if action != "RESEND" and moto_seam.find_user(pool, username) is not None:
        raise CognitoError("UsernameExistsException", "User account already exists")
    if action != "RESEND":
        # The response is ignored for AdminCreateUser; a refusal still stops it.
        flows.fire(
            pool,
            "PreSignUp",
            "AdminCreateUser",
            username,
            NO_CLIENT,
            _pre_sign_up_request(params),
            _PRE_SIGN_UP_RESPONSE,
        )
    forwarded = dict(params)
    forwarded.pop("ClientMetadata", None)
    forwarded.pop("ValidationData", None)
    forwarded.pop("DesiredDeliveryMediums", None)
    password = str(params.get("TemporaryPassword") or _temporary_password())
    forwarded["TemporaryPassword"] = password
    if action == "RESEND":
        user = flows.user(pool, username)
        moto_seam.set_password(user, password)
        created = {"User": {"Username": user.username}}
    else:
        created = flows.forward("AdminCreateUser", forwarded)
        user = flows.user(pool, username)
    if action != "SUPPRESS":
        mediums = params.get("DesiredDeliveryMediums") or ["SMS"]
        attributes = moto_seam.attributes(user)
        attribute = "email" if "EMAIL" in mediums and attributes.get("email") else None
        if attribute is None and attributes.get("phone_number"):
            attribute = "phone_number"
        if attribute is None and attributes.get("email"):
            attribute = "email"
        if attribute:
            flows.deliver(
                pool,
                user,
                "AdminCreateUser",
                password,
                NO_CLIENT,
                client_metadata(params),
                attribute=attribute,
                invitation=True,
            )
    return created
