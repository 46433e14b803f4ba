"""Claims and scopes the shop adds to tokens (PreTokenGeneration).

Every token says which customer tier the user is on (``shop:tier``, from the
``custom:tier`` attribute, ``standard`` by default), so the shop's APIs can
authorise without a profile lookup, and access tokens get the
``shop/orders.read`` scope.

Two shapes, because two event versions reach the same function: a pool wired
with LambdaVersion ``V2_0`` sends version ``"2"`` events, which can change the
ID *and* access tokens and their scopes; an older ``V1_0`` wiring, or the
cognito-local emulator (which sends version ``"0"`` V1-shaped events), can only
change the ID token, with string claim values.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping

TIER_ATTRIBUTE = "custom:tier"
DEFAULT_TIER = "standard"
TIER_CLAIM = "shop:tier"
ORDERS_SCOPE = "shop/orders.read"


def tier_of(attributes: Mapping[str, str]) -> str:
    """The customer tier of a user."""
    return attributes.get(TIER_ATTRIBUTE) or DEFAULT_TIER


def v2_overrides(attributes: Mapping[str, str]) -> Dict[str, Any]:
    """``claimsAndScopeOverrideDetails`` (wire names) for a V2/V3 event.

    ``groupOverrideDetails`` is left out on purpose: setting it replaces the
    user's groups, and leaving it out keeps them.
    """
    claims = {TIER_CLAIM: tier_of(attributes)}
    return {
        "idTokenGeneration": {"claimsToAddOrOverride": dict(claims)},
        "accessTokenGeneration": {
            "claimsToAddOrOverride": dict(claims),
            "scopesToAdd": [ORDERS_SCOPE],
        },
    }


def v1_overrides(attributes: Mapping[str, str]) -> Dict[str, Any]:
    """``claimsOverrideDetails`` (wire names) for a V1 event: ID token only, strings only."""
    return {"claimsToAddOrOverride": {TIER_CLAIM: tier_of(attributes)}}
