"""chalice_cognito.testing: sample events for all 41 sources, versions, overrides, paths."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, List, Tuple

import pytest
from chalice.test import Client

from chalice_cognito import Chalice
from chalice_cognito.catalogue import (
    BY_NAME,
    TRIGGERS,
    UnknownTriggerError,
    all_trigger_sources,
)
from chalice_cognito.events import parse_event
from chalice_cognito.testing import (
    DELETE,
    TEMPLATES,
    Replace,
    apply_assignment,
    parse_assignment,
    sample_event,
    sample_events,
    set_path,
)

SOURCES = [s for _, s in all_trigger_sources()]
TOKEN = BY_NAME["PreTokenGeneration"]
USER_TOKEN_SOURCES = list(TOKEN.sources_for("V1_0"))
#: (triggerSource, version) of every event sample_event can build.
ALL_VERSIONED: List[Tuple[str, str]] = [(s, "1") for s in SOURCES if s in USER_TOKEN_SOURCES] + [
    (s, v) for v in ("V2_0", "V3_0") for s in TOKEN.sources_for(v)
]


def test_one_template_per_catalogue_trigger() -> None:
    assert set(TEMPLATES) == {t.name for t in TRIGGERS}


# -- every source ---------------------------------------------------------------


@pytest.mark.parametrize("trigger_source", SOURCES)
def test_every_source_round_trips_exactly(trigger_source: str) -> None:
    event = sample_event(trigger_source)
    assert event["triggerSource"] == trigger_source
    model = parse_event(copy.deepcopy(event))
    assert model.trigger == BY_NAME[model.trigger].name
    assert trigger_source in BY_NAME[model.trigger].trigger_sources
    assert model.to_dict() == event
    assert model.response_violations() == []
    assert json.loads(json.dumps(event)) == event


@pytest.mark.parametrize(("trigger_source", "version"), ALL_VERSIONED)
def test_every_version_round_trips_exactly(trigger_source: str, version: str) -> None:
    event = sample_event(trigger_source, version=version)
    model = parse_event(copy.deepcopy(event))
    assert type(model) is TOKEN.model_for(event["version"])
    assert model.to_dict() == event
    assert model.response_violations() == []


def test_sample_events_yields_all_41_in_catalogue_order() -> None:
    pairs = list(sample_events())
    assert [s for s, _ in pairs] == SOURCES
    assert len(pairs) == 41
    for source, event in pairs:
        assert event == sample_event(source)
    versions = {s: e["version"] for s, e in pairs}
    assert versions["TokenGeneration_ClientCredentials"] == "3"
    assert {v for s, v in versions.items() if s != "TokenGeneration_ClientCredentials"} == {"1"}


@pytest.mark.parametrize(("version", "count"), [("V1_0", 40), ("2", 40), ("V3_0", 41)])
def test_sample_events_with_version_skips_sources_the_version_lacks(
    version: str, count: int
) -> None:
    pairs = list(sample_events(version=version))
    assert len(pairs) == count
    token_versions = {e["version"] for s, e in pairs if s.startswith("TokenGeneration_")}
    assert token_versions == {version[1] if version.startswith("V") else version}


def test_each_call_returns_a_fresh_event() -> None:
    first = sample_event("PreSignUp_SignUp")
    first["request"]["userAttributes"]["email"] = "changed@example.com"
    first["response"]["autoConfirmUser"] = True
    second = sample_event("PreSignUp_SignUp")
    assert second["request"]["userAttributes"]["email"] == "jane.doe@example.com"
    assert second["response"]["autoConfirmUser"] is False
    a = sample_event("DefineAuthChallenge_Authentication")
    a["request"]["session"].append({"challengeName": "CUSTOM_CHALLENGE"})
    assert len(sample_event("DefineAuthChallenge_Authentication")["request"]["session"]) == 2


# -- real-event conventions --------------------------------------------------------


@pytest.mark.parametrize(
    "trigger_source",
    [s for s in SOURCES if s.endswith("_AdminCreateUser")],
)
def test_admin_api_events_have_no_app_client(trigger_source: str) -> None:
    event = sample_event(trigger_source)
    assert event["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"
    assert event["userName"] == "jane.doe"


def test_source_specific_shapes() -> None:
    assert "password" in sample_event("UserMigration_Authentication")["request"]
    assert "password" not in sample_event("UserMigration_ForgotPassword")["request"]
    invite = sample_event("CustomMessage_AdminCreateUser")["request"]
    assert invite["usernameParameter"] == "{username}"
    assert sample_event("CustomMessage_ForgotPassword")["request"]["usernameParameter"] is None
    ato = sample_event("CustomEmailSender_AccountTakeOverNotification")["request"]
    assert ato["code"] is None
    assert ato["clientMetadata"] is None
    assert "sub" not in ato["userAttributes"]
    assert ato["userAttributes"]["ACCOUNT_TAKE_OVER_ACTION"] == "BLOCK"
    external = sample_event("PreSignUp_ExternalProvider")
    assert external["userName"].startswith("Google_")
    assert external["request"]["validationData"] == {}
    assert "phone_number" not in external["request"]["userAttributes"]
    assert sample_event("CustomSMSSender_SignUp")["request"]["type"] == "customSMSSenderRequestV1"
    for event in (e for _, e in sample_events()):
        attrs = event["request"].get("userAttributes") or {}
        assert all(isinstance(v, str) for v in attrs.values())


# -- versions --------------------------------------------------------------------


@pytest.mark.parametrize("trigger_source", USER_TOKEN_SOURCES)
@pytest.mark.parametrize(("lambda_version", "event_version"), [("V2_0", "2"), ("V3_0", "3")])
def test_v2_v3_token_events(trigger_source: str, lambda_version: str, event_version: str) -> None:
    event = sample_event(trigger_source, version=lambda_version)
    assert event == sample_event(trigger_source, version=event_version)
    assert event["version"] == event_version
    assert event["request"]["scopes"] == ["aws.cognito.signin.user.admin"]
    assert event["response"] == {"claimsAndScopeOverrideDetails": None}


@pytest.mark.parametrize("version", [None, "V1_0", "1"])
def test_v1_token_events(version: Any) -> None:
    event = sample_event("TokenGeneration_Authentication", version=version)
    assert event["version"] == "1"
    assert "scopes" not in event["request"]
    assert event["response"] == {"claimsOverrideDetails": None}


@pytest.mark.parametrize("version", [None, "V3_0", "3"])
def test_client_credentials_is_v3(version: Any) -> None:
    event = sample_event("TokenGeneration_ClientCredentials", version=version)
    assert event["version"] == "3"
    assert "userName" not in event
    assert event["request"]["userAttributes"] == {}
    assert event["request"]["scopes"] == ["orders/read"]


@pytest.mark.parametrize("version", ["V1_0", "1", "V2_0", "2"])
def test_client_credentials_before_v3_fails_clearly(version: str) -> None:
    with pytest.raises(ValueError, match=r"only exist .*LambdaVersion V3_0") as info:
        sample_event("TokenGeneration_ClientCredentials", version=version)
    assert "version='V3_0'" in str(info.value)


@pytest.mark.parametrize("version", ["V1_0", "1"])
def test_v1_accepted_for_unversioned_triggers(version: str) -> None:
    assert sample_event("PreSignUp_SignUp", version=version)["version"] == "1"
    assert sample_event("CustomEmailSender_SignUp", version=version)["version"] == "1"


@pytest.mark.parametrize(
    ("trigger_source", "version", "hint"),
    [
        ("PreSignUp_SignUp", "V2_0", "Valid versions: V1_0, 1"),
        ("TokenGeneration_Authentication", "V4_0", "Valid versions: V1_0, V2_0, V3_0, 1, 2, 3"),
        ("TokenGeneration_Authentication", "v2_0", "Did you mean 'V2_0'?"),
        ("InboundFederation_ExternalProvider", "3", "Valid versions: V1_0, 1"),
    ],
)
def test_bad_versions(trigger_source: str, version: str, hint: str) -> None:
    with pytest.raises(ValueError, match="Invalid version") as info:
        sample_event(trigger_source, version=version)
    assert hint in str(info.value)


# -- unknown sources -------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "suggestion"),
    [
        ("PreSignUp_Signup", "PreSignUp_SignUp"),
        ("CustomSmsSender_SignUp", "CustomSMSSender_SignUp"),
        ("TokenGeneration_Authenticate", "TokenGeneration_Authentication"),
        ("PreSignUp", "PreSignUp_SignUp"),
    ],
)
def test_unknown_source_suggests(bad: str, suggestion: str) -> None:
    with pytest.raises(UnknownTriggerError, match="Unknown Cognito triggerSource") as info:
        sample_event(bad)
    assert f"Did you mean {suggestion!r}?" in str(info.value)


def test_unknown_source_without_close_match() -> None:
    with pytest.raises(ValueError, match="Valid triggerSources: PreSignUp_SignUp") as info:
        sample_event("Nothing_Like_It")
    assert "Did you mean" not in str(info.value)


# -- overrides -------------------------------------------------------------------


def test_envelope_overrides() -> None:
    event = sample_event("PostConfirmation_ConfirmSignUp", user_name="bob", region="eu-west-1")
    assert event["userName"] == "bob"
    assert event["region"] == "eu-west-1"
    assert event["userPoolId"] == "eu-west-1_EXAMPLE"
    event = sample_event(
        "PostConfirmation_ConfirmSignUp", region="eu-west-1", user_pool_id="eu-west-1_AbC"
    )
    assert event["userPoolId"] == "eu-west-1_AbC"
    event = sample_event("PreSignUp_SignUp", caller_context={"clientId": "myclient"})
    assert event["callerContext"] == {
        "awsSdkVersion": "aws-sdk-unknown-unknown",
        "clientId": "myclient",
    }
    assert "userName" not in sample_event("PreSignUp_SignUp", user_name=DELETE)
    assert sample_event("PreSignUp_SignUp", user_name=None)["userName"] is None


def test_request_and_response_are_deep_merged() -> None:
    event = sample_event(
        "PreSignUp_SignUp",
        request={"userAttributes": {"email": "a@b.c"}, "clientMetadata": {"k": "v"}},
        response={"autoConfirmUser": True},
    )
    attrs = event["request"]["userAttributes"]
    assert attrs["email"] == "a@b.c"
    assert attrs["name"] == "Jane Doe"  # kept from the template
    assert event["request"]["clientMetadata"] == {"k": "v"}
    assert event["response"] == {
        "autoConfirmUser": True,
        "autoVerifyEmail": False,
        "autoVerifyPhone": False,
    }
    assert parse_event(copy.deepcopy(event)).to_dict() == event


def test_replace_and_delete_markers() -> None:
    event = sample_event(
        "PreSignUp_SignUp",
        request={"userAttributes": Replace({"email": "a@b.c"}), "validationData": DELETE},
    )
    assert event["request"] == {"userAttributes": {"email": "a@b.c"}}
    migration = sample_event("UserMigration_Authentication", request={"password": DELETE})
    assert "password" not in migration["request"]
    nested = sample_event(
        "PreSignUp_SignUp", request={"clientMetadata": {"keep": "1", "drop": DELETE}}
    )
    assert nested["request"]["clientMetadata"] == {"keep": "1"}


def test_override_values_are_copied() -> None:
    attrs = {"email": "a@b.c"}
    event = sample_event("PreSignUp_SignUp", request={"userAttributes": Replace(attrs)})
    event["request"]["userAttributes"]["email"] = "x@y.z"
    assert attrs == {"email": "a@b.c"}


def test_unknown_override_is_a_type_error_with_suggestion() -> None:
    with pytest.raises(TypeError, match=r"unknown override 'usr_name'") as info:
        sample_event("PreSignUp_SignUp", usr_name="bob")
    assert "Did you mean 'user_name'?" in str(info.value)
    with pytest.raises(TypeError, match="set_path"):
        sample_event("PreSignUp_SignUp", client_id="x")


# -- set_path and CLI assignments -------------------------------------------------


def test_set_path() -> None:
    event = sample_event("PreSignUp_SignUp")
    assert set_path(event, "request.userAttributes.email", "a@b.c") is event
    assert event["request"]["userAttributes"]["email"] == "a@b.c"
    set_path(event, "request.clientMetadata.tenant", "t1")  # creates clientMetadata
    assert event["request"]["clientMetadata"] == {"tenant": "t1"}
    set_path(event, "newTopLevel", [1])
    assert event["newTopLevel"] == [1]
    set_path(event, "request.validationData", DELETE)
    assert "validationData" not in event["request"]
    set_path(event, "request.notThere", DELETE)  # deleting an absent key is a no-op


def test_set_path_lists_and_escaped_dots() -> None:
    event = sample_event("DefineAuthChallenge_Authentication")
    set_path(event, "request.session.1.challengeResult", False)
    assert event["request"]["session"][1]["challengeResult"] is False
    set_path(event, "request.session.-1.challengeMetadata", "last")
    assert event["request"]["session"][1]["challengeMetadata"] == "last"
    set_path(event, "request.session.0", DELETE)
    assert [s["challengeName"] for s in event["request"]["session"]] == ["PASSWORD_VERIFIER"]
    saml = sample_event("InboundFederation_ExternalProvider")
    set_path(saml, r"request.attributes.samlResponse.http://x\.org/claims/email", "a@b.c")
    assert saml["request"]["attributes"]["samlResponse"] == {"http://x.org/claims/email": "a@b.c"}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "Invalid path"),
        ("request..email", "Invalid path"),
        ("request.userAttributes.email.domain", "holds a str"),
        ("request.session.5.challengeResult", "needs an index 0..1"),
        ("request.session.first", "needs an index"),
    ],
)
def test_set_path_errors(path: str, message: str) -> None:
    event = sample_event("DefineAuthChallenge_Authentication")
    before = copy.deepcopy(event)
    with pytest.raises(ValueError, match=message):
        set_path(event, path, "x")
    assert event == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("request.userAttributes.email=a@b.c", ("request.userAttributes.email", "a@b.c")),
        ("response.autoConfirmUser=true", ("response.autoConfirmUser", True)),
        ("response.x=null", ("response.x", None)),
        ('request.clientMetadata={"k": "v"}', ("request.clientMetadata", {"k": "v"})),
        (
            "request.userAttributes.phone_number=+12065551212",
            ("request.userAttributes.phone_number", "+12065551212"),
        ),
        ("a=b=c", ("a", "b=c")),
        ("a=", ("a", "")),
        (' a = "3"', ("a", "3")),
    ],
)
def test_parse_assignment(text: str, expected: Tuple[str, Any]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["no-equals", "=value", " =v"])
def test_parse_assignment_errors(text: str) -> None:
    with pytest.raises(ValueError, match="PATH=VALUE"):
        parse_assignment(text)


def test_apply_assignment_keeps_strings_where_cognito_has_strings() -> None:
    event = sample_event("PreSignUp_SignUp")
    apply_assignment(event, "request.userAttributes.name=true")  # existing string
    apply_assignment(event, "request.userAttributes.email_verified=false")  # new key, string map
    apply_assignment(event, "request.userAttributes.custom:tier=3")
    apply_assignment(event, "response.autoConfirmUser=true")  # map of booleans
    apply_assignment(event, "request.validationData=null")
    apply_assignment(event, 'request.clientMetadata={"k": "v"}')
    apply_assignment(event, "request.clientMetadata.n=7")
    apply_assignment(event, "extra=1")  # top level: JSON
    attrs = event["request"]["userAttributes"]
    assert attrs["name"] == "true"
    assert attrs["email_verified"] == "false"
    assert attrs["custom:tier"] == "3"
    assert event["response"]["autoConfirmUser"] is True
    assert event["request"]["validationData"] is None
    assert event["request"]["clientMetadata"] == {"k": "v", "n": "7"}
    assert event["extra"] == 1
    assert parse_event(copy.deepcopy(event)).to_dict() == event


# -- through chalice.test.Client ---------------------------------------------------


def _echo_app() -> Chalice:
    """One handler per trigger, each returning None: the dispatcher echoes the event."""
    app = Chalice(app_name="samples")
    for spec in TRIGGERS:

        def handler(event: Any) -> None:
            return None

        handler.__name__ = f"on_{spec.name.lower()}"
        app.cognito_trigger(spec.name)(handler)
    return app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # An empty project dir: no .chalice/config.json of the repository leaks in.
    project = tmp_path_factory.mktemp("project")
    with Client(_echo_app(), project_dir=str(project)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("trigger_source", "version"), [(s, None) for s in SOURCES] + ALL_VERSIONED
)
def test_chalice_client_invoke_echoes_every_sample(
    client: Any, trigger_source: str, version: Any
) -> None:
    event = sample_event(trigger_source, version=version)
    spec = next(t for t in TRIGGERS if trigger_source in t.trigger_sources)
    result = client.lambda_.invoke(f"on_{spec.name.lower()}", copy.deepcopy(event))
    assert result.payload == event


def test_documented_example(tmp_path: Path) -> None:
    """sample_event with request overrides, through chalice.test, on an inline app."""
    app = Chalice(app_name="shop")

    @app.cognito_trigger("PreSignUp")
    def pre_sign_up(event: Any) -> Any:
        if event.request.user_attributes.get("email", "").endswith("@example.com"):
            event.response.auto_confirm_user = True
        return event

    with Client(app, project_dir=str(tmp_path)) as test_client:
        event = sample_event(
            "PreSignUp_SignUp", request={"userAttributes": {"email": "a@example.com"}}
        )
        result = test_client.lambda_.invoke("pre_sign_up", event)
        assert result.payload["response"]["autoConfirmUser"] is True
        other = sample_event(
            "PreSignUp_SignUp", request={"userAttributes": {"email": "a@other.org"}}
        )
        assert test_client.lambda_.invoke("pre_sign_up", other).payload == other


def test_events_stay_plain_dicts() -> None:
    """sample_event is for any test: no pydantic objects, only JSON types."""

    def walk(node: Any) -> None:
        assert isinstance(node, (dict, list, str, bool, int, type(None))), type(node)
        children: List[Any] = (
            list(node.values())
            if isinstance(node, dict)
            else (node if isinstance(node, list) else [])
        )
        for child in children:
            walk(child)

    for _, event in sample_events(version="V3_0"):
        walk(event)


def test_runtime_half_imports_only_stdlib_and_the_catalogue() -> None:
    """testing.py is importable anywhere: no pydantic, chalice or boto3 at import time.

    Module level: the standard library and the catalogue only.  Inside
    functions it may also reach the event models (runtime half, imported on use),
    and the module ``__getattr__`` imports LocalCognito (deploy-time) when asked for it.
    """
    import ast
    import sys

    import chalice_cognito.testing as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))

    def third_party(nodes: Any) -> set:
        names = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        return {
            n for n in names if n.split(".")[0] not in sys.stdlib_module_names and n != "__future__"
        }

    assert third_party(tree.body) == {"chalice_cognito.catalogue"}
    # The module __getattr__ hands out LocalCognito (deploy-time) lazily, on request only.
    lazy = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "__getattr__"]
    functions = [n for n in tree.body if n not in lazy]
    assert third_party(n for f in functions for n in ast.walk(f)) <= {
        "chalice_cognito.catalogue",
        "chalice_cognito.events",
    }
    assert third_party(n for f in lazy for n in ast.walk(f)) <= {
        "chalice_cognito.local.cognito_flows"
    }


@pytest.mark.parametrize(
    ("path", "suggestion"),
    [
        ("request.userAttribute.email", "userAttributes"),
        ("response.autoConfirmUsr", "autoConfirmUser"),
        ("callerContext.clientID", "clientId"),
    ],
)
def test_set_path_refuses_a_near_miss_of_a_declared_field(path: str, suggestion: str) -> None:
    event = sample_event("PreSignUp_SignUp")
    before = copy.deepcopy(event)
    with pytest.raises(ValueError, match=f"Did you mean '{suggestion}'"):
        set_path(event, path, "x")
    assert event == before


def test_set_path_allows_new_keys_in_free_maps_and_unlike_any_field() -> None:
    event = sample_event("PreSignUp_SignUp")
    set_path(event, "request.userAttributes.custom:plan", "gold")  # a free map
    set_path(event, "fieldAwsAddsLater", 1)  # unknown fields must stay testable
    assert event["request"]["userAttributes"]["custom:plan"] == "gold"
    assert event["fieldAwsAddsLater"] == 1
