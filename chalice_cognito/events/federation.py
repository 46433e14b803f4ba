"""Inbound federation: map a federated user's IdP attributes before Cognito writes the profile.

AWS doc: ``user-pool-lambda-inbound-federation.html`` (LambdaConfig
``InboundFederation`` with ``LambdaVersion: V1_0``).  Runs for new and
returning federated users, before pre sign-up / pre authentication.
"""

from __future__ import annotations

from typing import ClassVar, Dict, List, Optional

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

#: ``AttributeValueType`` of the Cognito API: longer values are refused.
ATTRIBUTE_VALUE_MAX = 2048

# IdP maps are typed as any JSON: the docs only show strings, but a raw IdP
# claim such as ``exp`` may be a number and must echo back unchanged.


class FederationAttributes(CognitoModel):
    """``request.attributes``: what the IdP returned; OIDC/social or SAML keys only."""

    #: OIDC/social: the IdP ``/token`` response (``access_token``, ``id_token``...).  Secret.
    token_response: Optional[Dict[str, JsonValue]] = None
    #: OIDC/social: the decoded, validated ID-token claims
    id_token: Optional[Dict[str, JsonValue]] = None
    #: OIDC/social: the UserInfo endpoint's answer; may be empty
    user_info: Optional[Dict[str, JsonValue]] = None
    #: SAML: assertion attributes (keys may be full claim URIs)
    saml_response: Optional[Dict[str, JsonValue]] = None


class InboundFederationRequest(CognitoRequest):
    #: the IdP name configured in the pool
    provider_name: Optional[str] = None
    #: ``OIDC``, ``SAML``, ``Facebook``, ``Google``, ``SignInWithApple`` or ``LoginWithAmazon``
    provider_type: Optional[str] = None
    attributes: FederationAttributes = Field(default_factory=FederationAttributes)


class InboundFederationResponse(CognitoResponse):
    #: the attributes written to the profile.  Must hold EVERY attribute to
    #: keep: omitted ones are dropped.  ``{}`` (what Cognito sends) keeps the
    #: IdP mapping as if the trigger had not run.  Values at most 2048 characters.
    user_attributes_to_map: Optional[StringMap] = None


class InboundFederationEvent(CognitoEvent):
    """``InboundFederation_ExternalProvider``: transform federated attributes."""

    trigger: ClassVar[str] = "InboundFederation"
    request: InboundFederationRequest = Field(default_factory=InboundFederationRequest)
    response: InboundFederationResponse = Field(default_factory=InboundFederationResponse)

    def response_violations(self) -> List[Violation]:
        mapped = self.response.user_attributes_to_map or {}
        found: List[Violation] = []
        # In-place edits of the dict skip validation: check types here too.
        not_strings = sorted(k for k, v in mapped.items() if not isinstance(v, str))
        if not_strings:
            found.append(
                Violation(
                    "response.userAttributesToMap",
                    f"values must be strings: {', '.join(not_strings)}",
                )
            )
        too_long = sorted(
            k for k, v in mapped.items() if isinstance(v, str) and len(v) > ATTRIBUTE_VALUE_MAX
        )
        if too_long:
            found.append(
                Violation(
                    "response.userAttributesToMap",
                    f"values must be at most {ATTRIBUTE_VALUE_MAX} characters: "
                    f"{', '.join(too_long)}",
                )
            )
        return found
