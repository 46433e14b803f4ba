"""Access grants: which Cognito API actions a trigger may call on its own pool.

``@app.cognito_trigger("PostConfirmation", access=["AdminAddUserToGroup"])``
declares that the handler calls ``cognito-idp:AdminAddUserToGroup`` on the user
pool the trigger is attached to.  At deploy time
:func:`chalice_cognito.deploy.grants.statements_for` turns the declaration into
an IAM statement that allows exactly those actions on exactly that pool's ARN,
resolved then, so the app never has to name its pool in code (the circular
dependency CDK and Amplify users hit).

This module runs at decoration time inside Lambda too, so it is standard
library only: the known action names are a static table generated from
botocore's ``cognito-idp`` service model (``python -m
chalice_cognito.deploy.grants --write-actions`` regenerates it; a unit test
fails when it drifts from the installed botocore).

The API model sorts every operation into one of three kinds:

* :data:`POOL_ACTIONS`: signed with IAM credentials and addressed to one user
  pool (``UserPoolId`` or the pool's ``ResourceArn`` in the request).  Only
  these can be granted: they are what a pool-scoped statement authorises.
* :data:`PUBLIC_ACTIONS`: unauthenticated in the API model (``SignUp``,
  ``InitiateAuth``, ``GetUser``...).  IAM never evaluates them, so a grant
  would change nothing; they are refused with that explanation.
* :data:`ACCOUNT_ACTIONS`: signed but not addressed to a pool
  (``ListUserPools``, ``CreateUserPool``...).  A statement scoped to the pool
  ARN would not authorise them and anything wider is out of scope, so they are
  refused too: grant them in your own IAM policy if you really need them.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence, Tuple, Union

from chalice_cognito.catalogue import TriggerDeclarationError, did_you_mean

#: IAM service prefix of the Cognito user pools API.
SERVICE_PREFIX = "cognito-idp"

# BEGIN GENERATED ACTIONS (botocore 1.44.8, cognito-idp 2016-04-18)
POOL_ACTIONS: Tuple[str, ...] = (
    "AddCustomAttributes",
    "AddUserPoolClientSecret",
    "AdminAddUserToGroup",
    "AdminConfirmSignUp",
    "AdminCreateUser",
    "AdminDeleteSoftwareToken",
    "AdminDeleteUser",
    "AdminDeleteUserAttributes",
    "AdminDisableProviderForUser",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminForgetDevice",
    "AdminGetDevice",
    "AdminGetUser",
    "AdminGetUserAuthFactors",
    "AdminInitiateAuth",
    "AdminLinkProviderForUser",
    "AdminListDevices",
    "AdminListGroupsForUser",
    "AdminListUserAuthEvents",
    "AdminListUserSessions",
    "AdminRemoveUserFromGroup",
    "AdminResetUserPassword",
    "AdminRespondToAuthChallenge",
    "AdminRevokeUserSession",
    "AdminSetUserMFAPreference",
    "AdminSetUserPassword",
    "AdminSetUserSettings",
    "AdminUpdateAuthEventFeedback",
    "AdminUpdateDeviceStatus",
    "AdminUpdateUserAttributes",
    "AdminUserGlobalSignOut",
    "CancelPointInTimeRecovery",
    "CreateCIMDPolicy",
    "CreateGroup",
    "CreateIdentityProvider",
    "CreateManagedLoginBranding",
    "CreateResourceServer",
    "CreateTerms",
    "CreateUserImportJob",
    "CreateUserPoolClient",
    "CreateUserPoolDomain",
    "CreateUserPoolReplica",
    "DeleteCIMDPolicy",
    "DeleteGroup",
    "DeleteIdentityProvider",
    "DeleteManagedLoginBranding",
    "DeleteResourceServer",
    "DeleteTerms",
    "DeleteUserPool",
    "DeleteUserPoolClient",
    "DeleteUserPoolClientSecret",
    "DeleteUserPoolDomain",
    "DeleteUserPoolReplica",
    "DescribeCIMDPolicy",
    "DescribeIdentityProvider",
    "DescribeManagedLoginBranding",
    "DescribeManagedLoginBrandingByClient",
    "DescribePointInTimeRecovery",
    "DescribeResourceServer",
    "DescribeRiskConfiguration",
    "DescribeTerms",
    "DescribeTermsByClient",
    "DescribeUserImportJob",
    "DescribeUserPool",
    "DescribeUserPoolClient",
    "GetCSVHeader",
    "GetGroup",
    "GetIdentityProviderByIdentifier",
    "GetLogDeliveryConfiguration",
    "GetSigningCertificate",
    "GetUICustomization",
    "GetUserPoolClientSessionConfiguration",
    "GetUserPoolMfaConfig",
    "GetUserPoolSessionConfiguration",
    "InitiatePointInTimeRecovery",
    "ListCIMDPolicies",
    "ListClientMetadataURLs",
    "ListGroups",
    "ListIdentityProviders",
    "ListPointInTimeRecoveries",
    "ListResourceServers",
    "ListTagsForResource",
    "ListTerms",
    "ListUserImportJobs",
    "ListUserPoolClientSecrets",
    "ListUserPoolClients",
    "ListUserPoolReplicas",
    "ListUsers",
    "ListUsersInGroup",
    "SetLogDeliveryConfiguration",
    "SetRiskConfiguration",
    "SetUICustomization",
    "SetUserPoolClientSessionConfiguration",
    "SetUserPoolMfaConfig",
    "SetUserPoolSessionConfiguration",
    "StartPointInTimeRecovery",
    "StartUserImportJob",
    "StopUserImportJob",
    "TagResource",
    "UntagResource",
    "UpdateCIMDPolicy",
    "UpdateClientMetadataURLState",
    "UpdateGroup",
    "UpdateIdentityProvider",
    "UpdateManagedLoginBranding",
    "UpdateResourceServer",
    "UpdateTerms",
    "UpdateUserPool",
    "UpdateUserPoolClient",
    "UpdateUserPoolDomain",
    "UpdateUserPoolReplica",
)
PUBLIC_ACTIONS: Tuple[str, ...] = (
    "AssociateSoftwareToken",
    "ChangePassword",
    "CompleteWebAuthnRegistration",
    "ConfirmDevice",
    "ConfirmForgotPassword",
    "ConfirmSignUp",
    "DeleteUser",
    "DeleteUserAttributes",
    "DeleteWebAuthnCredential",
    "ForgetDevice",
    "ForgotPassword",
    "GetDevice",
    "GetTokensFromRefreshToken",
    "GetUser",
    "GetUserAttributeVerificationCode",
    "GetUserAuthFactors",
    "GlobalSignOut",
    "InitiateAuth",
    "ListDevices",
    "ListUserSessions",
    "ListWebAuthnCredentials",
    "ResendConfirmationCode",
    "RespondToAuthChallenge",
    "RevokeToken",
    "RevokeUserSession",
    "SetUserMFAPreference",
    "SetUserSettings",
    "SignUp",
    "StartWebAuthnRegistration",
    "UpdateAuthEventFeedback",
    "UpdateDeviceStatus",
    "UpdateUserAttributes",
    "VerifySoftwareToken",
    "VerifyUserAttribute",
)
ACCOUNT_ACTIONS: Tuple[str, ...] = (
    "CreateUserPool",
    "DescribeUserPoolDomain",
    "GetClientToken",
    "GetDerivedToken",
    "GetProvisionedLimit",
    "ListUserPools",
    "UpdateProvisionedLimit",
)
# END GENERATED ACTIONS

#: Every operation of the cognito-idp API model (the three kinds together).
ALL_ACTIONS: Tuple[str, ...] = tuple(sorted(POOL_ACTIONS + PUBLIC_ACTIONS + ACCOUNT_ACTIONS))

#: Documented shorthands, each a fixed list of pool actions.  Passwords and
#: MFA settings are deliberately in none of them: name those actions one by
#: one if a trigger really must change them.
GROUPS: Mapping[str, Tuple[str, ...]] = {
    # look users up: profile, group membership, search
    "read_users": (
        "AdminGetUser",
        "AdminListGroupsForUser",
        "ListUsers",
        "ListUsersInGroup",
    ),
    # read_users + create, change, enable/disable, delete and sign out users
    "manage_users": (
        "AdminGetUser",
        "AdminListGroupsForUser",
        "ListUsers",
        "ListUsersInGroup",
        "AdminCreateUser",
        "AdminConfirmSignUp",
        "AdminUpdateUserAttributes",
        "AdminDeleteUserAttributes",
        "AdminDisableUser",
        "AdminEnableUser",
        "AdminDeleteUser",
        "AdminUserGlobalSignOut",
    ),
    # group membership and the groups themselves
    "manage_groups": (
        "AdminAddUserToGroup",
        "AdminRemoveUserFromGroup",
        "AdminListGroupsForUser",
        "ListUsersInGroup",
        "GetGroup",
        "ListGroups",
        "CreateGroup",
        "UpdateGroup",
        "DeleteGroup",
    ),
}

_POOL = frozenset(POOL_ACTIONS)
_PUBLIC = frozenset(PUBLIC_ACTIONS)
_ACCOUNT = frozenset(ACCOUNT_ACTIONS)


class UnknownActionError(TriggerDeclarationError):
    """An ``access=`` entry that is not a grantable Cognito action or group."""


def expand_access(access: Union[str, Iterable[str]]) -> Tuple[str, ...]:
    """Validate ``access=`` entries and return the Cognito action names they grant.

    Entries are pool action names (``AdminAddUserToGroup``, optionally written
    ``cognito-idp:AdminAddUserToGroup``) or group names (:data:`GROUPS`).  The
    result keeps declaration order, groups expanded in place, duplicates
    dropped.  Raises :class:`UnknownActionError` (a ``ValueError``) naming the
    entry, why it is refused and, for a typo, the closest valid name.
    """
    entries = _entries(access)
    result: list[str] = []
    for entry in entries:
        for action in _expand_one(entry):
            if action not in result:
                result.append(action)
    return tuple(result)


def iam_actions(actions: Iterable[str]) -> Tuple[str, ...]:
    """``("AdminGetUser",)`` -> ``("cognito-idp:AdminGetUser",)``, sorted and unique."""
    return tuple(sorted({f"{SERVICE_PREFIX}:{a}" for a in actions}))


def _entries(access: Union[str, Iterable[str]]) -> Sequence[str]:
    if isinstance(access, str):
        # access="AdminGetUser" would otherwise be read as 12 one-letter names
        raise UnknownActionError(
            f"access must be a list of action names, not a string: access=[{access!r}]."
        )
    entries = list(access)
    if entries and all(isinstance(e, str) and len(e) == 1 for e in entries):
        # the caller already did tuple("AdminGetUser"): no action is one letter long
        joined = "".join(entries)
        raise UnknownActionError(
            f"access must be a list of action names, not a string: access=[{joined!r}]."
        )
    for entry in entries:
        if not isinstance(entry, str):
            raise UnknownActionError(
                f"access entries must be Cognito action names (strings), got "
                f"{type(entry).__name__}."
            )
    return entries


def _expand_one(entry: str) -> Tuple[str, ...]:
    if entry in GROUPS:
        return GROUPS[entry]
    name = entry
    prefix = f"{SERVICE_PREFIX}:"
    if name.lower().startswith(prefix):
        name = name[len(prefix) :]
    if name in _POOL:
        return (name,)
    if "*" in name or "?" in name:
        raise UnknownActionError(
            f"access entry {entry!r}: wildcards are not accepted; name each Cognito "
            f"action (or use a group: {', '.join(GROUPS)})."
        )
    if name in _PUBLIC:
        raise UnknownActionError(
            f"access entry {entry!r}: {name} is a public Cognito API (authorised by the "
            "app client or the user's access token, never by IAM), so a grant would change "
            "nothing; call it without access=."
        )
    if name in _ACCOUNT:
        raise UnknownActionError(
            f"access entry {entry!r}: {name} is not addressed to a user pool, so it cannot "
            "be scoped to the trigger's pool; grant it in your own IAM policy instead."
        )
    raise UnknownActionError(
        f"Unknown Cognito action {entry!r} in access=.{_did_you_mean(name)} "
        f"Use a cognito-idp action name such as 'AdminAddUserToGroup' or a group: "
        f"{', '.join(GROUPS)}."
    )


def _did_you_mean(word: str) -> str:
    return did_you_mean(word, (*ALL_ACTIONS, *GROUPS))
