"""Build an UpdateUserPool request that changes LambdaConfig and nothing else.

UpdateUserPool resets every parameter left out to its default (password
policy, messages, email/SMS config, tags, deletion protection...).  The safe
update copies every field DescribeUserPool returned *and* UpdateUserPool
accepts.  That set is derived here from botocore's service model (input shape
of UpdateUserPool intersected with ``UserPoolType``, recursively for nested
structures), never from a hand-kept list: hand-kept lists go stale when AWS
adds a setting, and a stale list silently wipes it (serverless #7414, Zappa).

Update members not named like a described member are mapped by
:data:`RENAMED` (``UserPoolId`` <- ``Id``, ``PoolName`` <- ``Name``); the
model check in :func:`copyable_fields` keeps that map honest.

Described values that need care:

* ``AdminCreateUserConfig.UnusedAccountValidityDays`` is deprecated; once
  ``Policies.PasswordPolicy.TemporaryPasswordValidityDays`` is set Cognito
  rejects it, so it is dropped then;
* ``EmailVerificationMessage``/``EmailVerificationSubject``/``SmsVerificationMessage``
  are the legacy spellings of ``VerificationMessageTemplate``; AWS keeps them in
  sync.  They are copied when they agree with the template and dropped when
  they disagree (the template wins, as in Cognito).
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Dict, Mapping, Optional, Tuple

#: UpdateUserPool member -> DescribeUserPool (UserPoolType) member with another name
RENAMED: Mapping[str, str] = {"UserPoolId": "Id", "PoolName": "Name"}

#: legacy verification-message member -> VerificationMessageTemplate member
_LEGACY_TEMPLATE = {
    "EmailVerificationMessage": "EmailMessage",
    "EmailVerificationSubject": "EmailSubject",
    "SmsVerificationMessage": "SmsMessage",
}


@functools.lru_cache(maxsize=1)
def _service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("cognito-idp")


@functools.lru_cache(maxsize=4)
def copyable_fields(model: Any = None) -> Tuple[Tuple[str, str], ...]:
    """(UpdateUserPool member, UserPoolType member) pairs, from botocore's model.

    Every UpdateUserPool input member whose value DescribeUserPool also
    returns, under the same or a :data:`RENAMED` name.  ``model``: the
    cognito-idp service model (default: loaded from a new botocore session).
    """
    model = model if model is not None else _service_model()
    update = model.operation_model("UpdateUserPool").input_shape
    described = model.shape_for("UserPoolType")
    pairs = []
    for name in update.members:
        source = RENAMED.get(name, name)
        if source in described.members:
            pairs.append((name, source))
    return tuple(pairs)


def _filter(value: Any, shape: Any) -> Any:
    """Keep only members the input ``shape`` accepts, recursively; drop ``None``.

    ``shape`` is ``None`` for a member the input does not have: dropped too.
    """
    kind = getattr(shape, "type_name", None)
    if isinstance(value, Mapping) and kind in ("structure", "map"):
        pairs = ((k, _filter(v, _member(shape, k))) for k, v in value.items())
        return {k: v for k, v in pairs if v is not None}
    if isinstance(value, list) and kind == "list":
        return [v for v in (_filter(item, shape.member) for item in value) if v is not None]
    return None if shape is None else copy.deepcopy(value)


def _member(shape: Any, key: str) -> Any:
    """The shape of ``key`` in a structure (``None`` if it has no such member) or a map."""
    return shape.value if shape.type_name == "map" else shape.members.get(key)


def build_update_request(
    described: Mapping[str, Any], lambda_config: Mapping[str, Any], model: Any = None
) -> Dict[str, Any]:
    """The UpdateUserPool parameters: ``described`` as-is, except ``LambdaConfig``.

    ``model``: the cognito-idp service model, e.g. the one the client that
    read the pool already loaded (``client.meta.service_model``), so a deploy
    does not make a botocore session and parse the model a second time.
    """
    model = model if model is not None else _service_model()
    update = model.operation_model("UpdateUserPool").input_shape
    request: Dict[str, Any] = {}
    for name, source in copyable_fields(model):
        if name == "LambdaConfig" or source not in described:
            continue
        value = _filter(described[source], update.members[name])
        if value is not None:
            request[name] = value
    request["UserPoolId"] = str(described["Id"])
    request["LambdaConfig"] = _filter(dict(lambda_config), update.members["LambdaConfig"])
    _drop_deprecated_validity(request)
    _reconcile_verification_messages(request)
    return request


def _drop_deprecated_validity(request: Dict[str, Any]) -> None:
    temporary = (
        request.get("Policies", {}).get("PasswordPolicy", {}).get("TemporaryPasswordValidityDays")
    )
    admin = request.get("AdminCreateUserConfig")
    if temporary is not None and isinstance(admin, dict):
        admin.pop("UnusedAccountValidityDays", None)


def _reconcile_verification_messages(request: Dict[str, Any]) -> None:
    template: Optional[Mapping[str, Any]] = request.get("VerificationMessageTemplate")
    if not template:
        return
    for legacy, member in _LEGACY_TEMPLATE.items():
        if legacy in request and template.get(member) not in (None, request[legacy]):
            del request[legacy]
