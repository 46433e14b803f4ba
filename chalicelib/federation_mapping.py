"""Map a federated identity provider's claims to user pool attributes (InboundFederation).

Cognito applies ``userAttributesToMap`` as the user's whole profile: an
attribute left out is dropped, so :func:`map_attributes` returns every
attribute to keep, not only the ones it changed.  The mapping reads the OIDC ID
token claims first, then the UserInfo answer for what the ID token lacks, and
for SAML the assertion attributes (full claim URIs or short names).  Token
values (``tokenResponse``) are never copied.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

#: Cognito's limit on an attribute value.
MAX_VALUE_LENGTH = 2048

#: source claim -> user pool attribute, OIDC and social providers.
OIDC_CLAIMS: Mapping[str, str] = {
    "email": "email",
    "email_verified": "email_verified",
    "given_name": "given_name",
    "family_name": "family_name",
    "name": "name",
    "locale": "locale",
    "picture": "picture",
}

_SAML_NS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
#: SAML assertion attribute -> user pool attribute.
SAML_CLAIMS: Mapping[str, str] = {
    f"{_SAML_NS}emailaddress": "email",
    f"{_SAML_NS}givenname": "given_name",
    f"{_SAML_NS}surname": "family_name",
    f"{_SAML_NS}name": "name",
    "email": "email",
    "given_name": "given_name",
    "family_name": "family_name",
    "name": "name",
}


def _copy(
    source: Optional[Mapping[str, Any]], claims: Mapping[str, str], out: Dict[str, str]
) -> None:
    for claim, attribute in claims.items():
        value = (source or {}).get(claim)
        if value is None or value == "" or attribute in out:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        out[attribute] = str(value)[:MAX_VALUE_LENGTH]


def map_attributes(
    *,
    id_token: Optional[Mapping[str, Any]] = None,
    user_info: Optional[Mapping[str, Any]] = None,
    saml_response: Optional[Mapping[str, Any]] = None,
) -> Dict[str, str]:
    """The complete attribute set to store for a federated user."""
    out: Dict[str, str] = {}
    _copy(id_token, OIDC_CLAIMS, out)
    _copy(user_info, OIDC_CLAIMS, out)
    _copy(saml_response, SAML_CLAIMS, out)
    if "email" in out:
        out["email"] = out["email"].strip().lower()
    if "name" not in out:
        full = " ".join(p for p in (out.get("given_name"), out.get("family_name")) if p)
        if full:
            out["name"] = full
    return out
