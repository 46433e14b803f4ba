"""Pre token generation: V1 (``version "1"``) and V2/V3 (``version "2"``/``"3"``).

AWS doc: ``user-pool-lambda-pre-token-generation.html``.  V1 customises the ID
token (and groups in both tokens); V2 adds access-token claims and scopes for
user sign-ins; V3 does the same for machine (client credentials) tokens too.
V2 and V3 events share one shape and differ only in ``version``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Dict, Iterable, List, Mapping, Optional, Union

from pydantic import Field

from chalice_cognito.events.base import (
    CognitoEvent,
    CognitoModel,
    CognitoRequest,
    CognitoResponse,
    JsonValue,
    StringMap,
    Violation,
)

#: Claims Cognito never lets a trigger add, override or suppress (both tokens).
#: ``cognito:*`` is handled by :func:`_protected`: only ``cognito:groups`` is allowed.
_PROTECTED = frozenset(
    {
        "acr",
        "amr",
        "at_hash",
        "auth_time",
        "azp",
        "client_id",
        "device_key",
        "event_id",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "sub",
        "token_use",
        "version",
    }
)
#: ID-token claims whose values must not be objects or arrays (V2/V3).
_SIMPLE_ID_CLAIMS = ("phone_number_verified", "email_verified", "updated_at", "address")
#: ``ScopeType`` of the Cognito API: printable ASCII without space, ``"`` and ``\``.
_SCOPE_MATCH = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]{1,256}").fullmatch


def _protected(claim: str, token: str) -> bool:
    """True when Cognito refuses any change of ``claim`` in a ``token`` ("id" or "access")."""
    if claim in _PROTECTED:
        return True
    if claim.startswith("cognito:"):
        return claim != "cognito:groups"
    if claim == "aud":
        # aud is fixed in the ID token; see _claim_violations for the access token.
        return token == "id"
    return claim == "username" and token == "access"


class GroupConfiguration(CognitoModel):
    """``groupConfiguration`` / ``groupOverrideDetails``: the user's groups and their IAM roles."""

    #: group names that go into ``cognito:groups``
    groups_to_override: Optional[List[str]] = None
    #: IAM role ARNs of those groups (``cognito:roles``)
    iam_roles_to_override: Optional[List[str]] = None
    #: role of the highest-precedence group (``cognito:preferred_role``); ``null`` without groups
    preferred_role: Optional[str] = None


class PreTokenGenerationRequest(CognitoRequest):
    #: the user's attributes; empty for machine-to-machine tokens
    user_attributes: StringMap = Field(default_factory=dict)
    #: the user's current groups; Cognito sends ``[]``, ``[]``, ``null`` without groups
    #: (cognito-local sends ``{}``).  Nullable like every nested token object.
    group_configuration: Optional[GroupConfiguration] = Field(default_factory=GroupConfiguration)
    #: ``ClientMetadata`` of (Admin)RespondToAuthChallenge, or ``aws_client_metadata`` of M2M
    client_metadata: Optional[StringMap] = None


class ClaimsOverrideDetails(CognitoModel):
    """V1 ``claimsOverrideDetails``: changes to the ID token (and groups in both tokens)."""

    #: claims to add or replace in the ID token; values must be strings in V1
    claims_to_add_or_override: Optional[Dict[str, Any]] = None
    #: ID-token claims to remove; suppression wins over add
    claims_to_suppress: Optional[List[str]] = None
    #: replaces the groups (``null`` or ``{}`` suppresses them); copy
    #: ``request.group_configuration`` to keep them
    group_override_details: Optional[GroupConfiguration] = None


class PreTokenGenerationV1Response(CognitoResponse):
    #: ``null`` in the event Cognito sends: tokens unchanged
    claims_override_details: Optional[ClaimsOverrideDetails] = None


class _GroupOverride:
    """``override_groups``, shared by the V1 and V2/V3 events (both responses carry
    ``groupOverrideDetails`` inside their override details)."""

    def _details(self) -> Any:
        raise NotImplementedError

    def override_groups(
        self,
        groups: Iterable[str],
        iam_roles: Optional[Iterable[str]] = None,
        preferred_role: Optional[str] = None,
    ) -> None:
        """Replace ``cognito:groups`` (and roles) in the ID and access tokens."""
        self._details().group_override_details = GroupConfiguration(
            groups_to_override=list(groups),
            iam_roles_to_override=list(iam_roles or []),
            preferred_role=preferred_role,
        )


class PreTokenGenerationV1Event(_GroupOverride, CognitoEvent):
    """``TokenGeneration_*`` with event version 1 (LambdaVersion ``V1_0``, the default).

    cognito-local sends these with version "0" and empty ``groupConfiguration`` /
    ``claimsOverrideDetails`` objects.
    """

    trigger: ClassVar[str] = "PreTokenGeneration"
    request: PreTokenGenerationRequest = Field(default_factory=PreTokenGenerationRequest)
    response: PreTokenGenerationV1Response = Field(default_factory=PreTokenGenerationV1Response)

    def _details(self) -> ClaimsOverrideDetails:
        details = self.response.claims_override_details
        if details is None:
            details = ClaimsOverrideDetails()
            self.response.claims_override_details = details
        return details

    def add_claims(self, claims: Mapping[str, str]) -> None:
        """Add or replace ID-token claims (string values), creating the override details."""
        details = self._details()
        _set_claims(details, {**(details.claims_to_add_or_override or {}), **claims})

    def suppress_claims(self, *names: str) -> None:
        """Remove claims from the ID token."""
        details = self._details()
        _set_names(details, "claims_to_suppress", names)

    def response_violations(self) -> List[Violation]:
        details = self.response.claims_override_details
        if details is None:
            return []
        path = "response.claimsOverrideDetails"
        found: List[Violation] = []
        claims = details.claims_to_add_or_override or {}
        not_strings = [k for k, v in claims.items() if not isinstance(v, str)]
        if not_strings:
            not_strings.sort()
            found.append(
                Violation(
                    f"{path}.claimsToAddOrOverride",
                    "values must be strings in a V1_0 event (use LambdaVersion V2_0 for "
                    f"JSON values): {', '.join(not_strings)}",
                )
            )
        found += _claim_violations(
            f"{path}.claimsToAddOrOverride",
            claims,
            "id",
            self.caller_context.client_id,
            check_json=False,
        )
        found += _suppress_violations(f"{path}.claimsToSuppress", details.claims_to_suppress, "id")
        return found


class PreTokenGenerationV2Request(PreTokenGenerationRequest):
    #: access-token scopes requested and allowed (``aws.cognito.signin.user.admin`` for API sign-ins)
    scopes: Optional[List[str]] = None


class IdTokenGeneration(CognitoModel):
    """``idTokenGeneration``: changes to the ID token."""

    #: claims to add or replace; any JSON value, but ``email_verified``,
    #: ``phone_number_verified``, ``updated_at`` and ``address`` must stay simple
    claims_to_add_or_override: Optional[Dict[str, JsonValue]] = None
    #: claims to remove; suppression wins over add
    claims_to_suppress: Optional[List[str]] = None


class AccessTokenGeneration(IdTokenGeneration):
    """``accessTokenGeneration``: changes to the access token, scopes included."""

    #: scopes to add to the ``scope`` claim (no spaces)
    scopes_to_add: Optional[List[str]] = None
    #: scopes to remove from the ``scope`` claim
    scopes_to_suppress: Optional[List[str]] = None


class ClaimsAndScopeOverrideDetails(CognitoModel):
    """V2/V3 ``claimsAndScopeOverrideDetails``."""

    id_token_generation: Optional[IdTokenGeneration] = None
    access_token_generation: Optional[AccessTokenGeneration] = None
    #: replaces the groups (``null`` or ``{}`` suppresses them)
    group_override_details: Optional[GroupConfiguration] = None


class PreTokenGenerationV2Response(CognitoResponse):
    #: ``null`` in the event Cognito sends: tokens unchanged
    claims_and_scope_override_details: Optional[ClaimsAndScopeOverrideDetails] = None


class PreTokenGenerationV2Event(_GroupOverride, CognitoEvent):
    """``TokenGeneration_*`` with event version 2 or 3 (LambdaVersion ``V2_0``/``V3_0``).

    V3 adds ``TokenGeneration_ClientCredentials`` (machine tokens: no
    ``userName``, empty ``userAttributes``).  Use the helpers to change tokens
    without building the nested override models by hand::

        event.add_access_token_claims({"tenant": "a"})
        event.add_scopes("orders/read")
    """

    trigger: ClassVar[str] = "PreTokenGeneration"
    request: PreTokenGenerationV2Request = Field(default_factory=PreTokenGenerationV2Request)
    response: PreTokenGenerationV2Response = Field(default_factory=PreTokenGenerationV2Response)

    def _details(self, first: Optional[str] = None) -> ClaimsAndScopeOverrideDetails:
        """The override details, created (with an empty ``first`` generation) when null."""
        details = self.response.claims_and_scope_override_details
        if details is None:
            details = ClaimsAndScopeOverrideDetails(**({first: {}} if first else {}))
            self.response.claims_and_scope_override_details = details
        return details

    def _id(self) -> IdTokenGeneration:
        details = self._details("id_token_generation")
        gen = details.id_token_generation
        if gen is None:
            gen = IdTokenGeneration()
            details.id_token_generation = gen
        return gen

    def _access(self) -> AccessTokenGeneration:
        details = self._details("access_token_generation")
        gen = details.access_token_generation
        if gen is None:
            gen = AccessTokenGeneration()
            details.access_token_generation = gen
        return gen

    def add_id_token_claims(self, claims: Mapping[str, JsonValue]) -> None:
        """Add or replace ID-token claims, creating the override details as needed."""
        gen = self._id()
        _set_claims(gen, {**(gen.claims_to_add_or_override or {}), **claims})

    def add_access_token_claims(self, claims: Mapping[str, JsonValue]) -> None:
        """Add or replace access-token claims, creating the override details as needed."""
        gen = self._access()
        _set_claims(gen, {**(gen.claims_to_add_or_override or {}), **claims})

    def suppress_claims(
        self, *names: str, id_token: bool = True, access_token: bool = True
    ) -> None:
        """Remove claims from the ID and/or access token."""
        gens: List[IdTokenGeneration] = []
        if id_token:
            gens.append(self._id())
        if access_token:
            gens.append(self._access())
        for gen in gens:
            _set_names(gen, "claims_to_suppress", names)

    def add_scopes(self, *scopes: str) -> None:
        """Add scopes to the access token's ``scope`` claim."""
        gen = self._access()
        _set_names(gen, "scopes_to_add", scopes)

    def suppress_scopes(self, *scopes: str) -> None:
        """Remove scopes from the access token's ``scope`` claim."""
        gen = self._access()
        _set_names(gen, "scopes_to_suppress", scopes)

    def response_violations(self) -> List[Violation]:
        details = self.response.claims_and_scope_override_details
        if details is None:
            return []
        client_id = self.caller_context.client_id
        found: List[Violation] = []
        id_gen = details.id_token_generation
        if id_gen is not None:
            claims = id_gen.claims_to_add_or_override
            if claims:
                complex_ = [c for c in _SIMPLE_ID_CLAIMS if isinstance(claims.get(c), (dict, list))]
                if complex_:
                    found.append(
                        Violation(
                            _V2_ID_ADD, f"cannot hold objects or arrays for: {', '.join(complex_)}"
                        )
                    )
                found += _claim_violations(_V2_ID_ADD, claims, "id", client_id)
            if id_gen.claims_to_suppress:
                found += _suppress_violations(_V2_ID_SUPPRESS, id_gen.claims_to_suppress, "id")
        acc = details.access_token_generation
        if acc is not None:
            if acc.claims_to_add_or_override:
                found += _claim_violations(
                    _V2_ACCESS + ".claimsToAddOrOverride",
                    acc.claims_to_add_or_override,
                    "access",
                    client_id,
                )
            if acc.claims_to_suppress:
                found += _suppress_violations(
                    _V2_ACCESS + ".claimsToSuppress", acc.claims_to_suppress, "access"
                )
            for wire, scopes in (
                ("scopesToAdd", acc.scopes_to_add),
                ("scopesToSuppress", acc.scopes_to_suppress),
            ):
                if scopes and not all(map(_valid_scope, scopes)):
                    bad = [s for s in scopes if not _valid_scope(s)]
                    found.append(
                        Violation(
                            f"{_V2_ACCESS}.{wire}",
                            "scopes must be 1-256 printable ASCII characters without "
                            f'spaces, " or \\: {", ".join(repr(s) for s in bad)}',
                        )
                    )
        return found


_V2_DETAILS = "response.claimsAndScopeOverrideDetails"
_V2_ID_ADD = f"{_V2_DETAILS}.idTokenGeneration.claimsToAddOrOverride"
_V2_ID_SUPPRESS = f"{_V2_DETAILS}.idTokenGeneration.claimsToSuppress"
_V2_ACCESS = f"{_V2_DETAILS}.accessTokenGeneration"


def _is_json(value: Any) -> bool:
    """True when ``value`` is made of JSON types only (iterative: any depth, no RecursionError)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, (str, bool, int, float)):
            continue
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict) and all(isinstance(k, str) for k in item):
            stack.extend(item.values())
        else:
            return False
    return True


def _valid_scope(scope: Any) -> bool:
    return isinstance(scope, str) and _SCOPE_MATCH(scope) is not None


def _claim_violations(
    where: str,
    claims: Mapping[str, Any],
    token: str,
    client_id: Optional[str],
    check_json: bool = True,
) -> List[Violation]:
    aud_wrong = token == "access" and "aud" in claims and claims["aud"] != client_id
    found: List[Violation] = []
    # V1 reports non-strings itself (check_json=False); here catch what json.dumps would choke on
    # (a datetime, a set...), which Cognito would see as "Invalid JSON".
    not_json = sorted(c for c, v in claims.items() if check_json and not _is_json(v))
    if not_json:
        found.append(
            Violation(
                where,
                "values must be JSON strings, numbers, booleans, arrays or objects: "
                + ", ".join(not_json),
            )
        )
    protected = sorted(c for c in claims if _protected(c, token))
    if protected:
        found.append(
            Violation(where, f"cannot add or override protected claims: {', '.join(protected)}")
        )
    dev = sorted(c for c in claims if c.startswith("dev:"))
    if dev:
        found.append(Violation(where, f"dev:* attributes can only be suppressed: {', '.join(dev)}"))
    if aud_wrong:
        found.append(
            Violation(where, "aud can only be added to an access token with the app client id")
        )
    return found


def _suppress_violations(where: str, names: Optional[List[str]], token: str) -> List[Violation]:
    if not names or not any(_protected(n, token) for n in names):
        return []
    protected = sorted(n for n in names if _protected(n, token))
    return [Violation(where, f"cannot suppress protected claims: {', '.join(protected)}")]


def _merged(current: Optional[List[str]], extra: Iterable[str]) -> List[str]:
    """``current`` plus the new items, without duplicates, order kept."""
    out = list(current or [])
    out += [x for x in extra if x not in out]
    return out


def _set_names(model: CognitoModel, name: str, extra: Iterable[str]) -> None:
    """Set a list-of-strings field to its current items plus ``extra`` (validated assignment)."""
    setattr(model, name, _merged(getattr(model, name), extra))


def _set_claims(
    model: Union[IdTokenGeneration, ClaimsOverrideDetails], merged: Dict[str, Any]
) -> None:
    """Set ``claims_to_add_or_override`` (validated assignment)."""
    model.claims_to_add_or_override = merged
