"""access= validation: the action table, groups, refusals with reasons and suggestions."""

from __future__ import annotations

import pytest

from chalice_cognito import Chalice
from chalice_cognito.access import (
    ACCOUNT_ACTIONS,
    ALL_ACTIONS,
    GROUPS,
    POOL_ACTIONS,
    PUBLIC_ACTIONS,
    UnknownActionError,
    expand_access,
    iam_actions,
)


def test_action_table_equals_botocores_cognito_idp_operations() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("cognito-idp")
    assert set(ALL_ACTIONS) == set(model.operation_names)
    assert len(ALL_ACTIONS) == len(model.operation_names)


def test_action_kinds_match_the_generator() -> None:
    from chalice_cognito.deploy.grants import classify_actions

    assert classify_actions() == {
        "POOL_ACTIONS": POOL_ACTIONS,
        "PUBLIC_ACTIONS": PUBLIC_ACTIONS,
        "ACCOUNT_ACTIONS": ACCOUNT_ACTIONS,
    }


def test_kinds_are_disjoint() -> None:
    pool, public, account = set(POOL_ACTIONS), set(PUBLIC_ACTIONS), set(ACCOUNT_ACTIONS)
    assert not (pool & public or pool & account or public & account)
    assert "AdminAddUserToGroup" in pool and "SignUp" in public and "ListUserPools" in account


def test_groups_only_hold_pool_actions_and_no_password_or_mfa_changes() -> None:
    for name, actions in GROUPS.items():
        assert set(actions) <= set(POOL_ACTIONS), name
        assert not [a for a in actions if "Password" in a or "MFA" in a], name


def test_expands_names_prefixed_names_and_groups_in_order_without_duplicates() -> None:
    assert expand_access(["AdminAddUserToGroup", "cognito-idp:AdminGetUser"]) == (
        "AdminAddUserToGroup",
        "AdminGetUser",
    )
    expanded = expand_access(["AdminGetUser", "read_users"])
    assert expanded[0] == "AdminGetUser"
    assert expanded.count("AdminGetUser") == 1
    assert set(expanded) == set(GROUPS["read_users"])
    assert expand_access(()) == ()


@pytest.mark.parametrize(
    ("entry", "suggestion"),
    [
        ("AdminAddUserToGrup", "AdminAddUserToGroup"),
        ("adminupdateuserattributes", "AdminUpdateUserAttributes"),
        ("manage_user", "manage_users"),
    ],
)
def test_unknown_names_fail_with_a_suggestion(entry: str, suggestion: str) -> None:
    with pytest.raises(UnknownActionError) as info:
        expand_access([entry])
    assert f"Did you mean {suggestion!r}?" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_public_account_and_wildcard_entries_are_refused_with_the_reason() -> None:
    with pytest.raises(UnknownActionError, match="public Cognito API"):
        expand_access(["InitiateAuth"])
    with pytest.raises(UnknownActionError, match="not addressed to a user pool"):
        expand_access(["ListUserPools"])
    with pytest.raises(UnknownActionError, match="wildcards"):
        expand_access(["Admin*"])
    with pytest.raises(UnknownActionError, match="wildcards"):
        expand_access(["cognito-idp:*"])


def test_a_string_instead_of_a_list_is_refused() -> None:
    with pytest.raises(UnknownActionError, match=r"access=\['AdminGetUser'\]"):
        expand_access("AdminGetUser")
    # what app.py's tuple(access) makes of a string
    with pytest.raises(UnknownActionError, match=r"access=\['AdminGetUser'\]"):
        expand_access(tuple("AdminGetUser"))
    with pytest.raises(UnknownActionError, match="strings"):
        expand_access([42])  # type: ignore[list-item]


def test_iam_actions_are_prefixed_sorted_and_unique() -> None:
    assert iam_actions(["AdminGetUser", "AdminAddUserToGroup", "AdminGetUser"]) == (
        "cognito-idp:AdminAddUserToGroup",
        "cognito-idp:AdminGetUser",
    )


def test_decorator_validates_and_records_access_at_decoration_time() -> None:
    app = Chalice(app_name="grants-unit")

    @app.cognito_trigger("PostConfirmation", access=["AdminAddUserToGroup", "read_users"])
    def post_confirmation(event: object) -> None:
        return None

    registration = post_confirmation.cognito_trigger
    assert registration.access[0] == "AdminAddUserToGroup"
    assert set(GROUPS["read_users"]) <= set(registration.access)

    with pytest.raises(ValueError, match="Did you mean 'AdminAddUserToGroup'"):

        @app.cognito_trigger("PreSignUp", access=["AdminAddUserToGrop"])
        def pre_sign_up(event: object) -> None:
            return None
