"""``@app.cognito_trigger``: registration through Chalice and decoration-time errors."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client

from chalice_cognito import Blueprint, Chalice, registered_triggers
from chalice_cognito.catalogue import TriggerDeclarationError, UnknownTriggerError

EVENT = {
    "version": "1",
    "triggerSource": "PreSignUp_SignUp",
    "region": "us-east-1",
    "userPoolId": "us-east-1_EXAMPLE",
    "userName": "jane",
    "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "abc"},
    "request": {"userAttributes": {"email": "jane@example.com"}, "validationData": None},
    "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
}


def _app() -> Chalice:
    return Chalice(app_name="shop", configure_logs=False)


def test_registered_as_a_chalice_pure_lambda() -> None:
    app = _app()

    @app.cognito_trigger("PreSignUp")
    def pre_sign_up(event: Any) -> Any:
        event.response.auto_confirm_user = True
        return event

    [function] = app.pure_lambda_functions
    assert function.name == "pre_sign_up"
    assert function.handler_string == "app.pre_sign_up"
    assert app.handler_map["pre_sign_up"] is pre_sign_up
    [registration] = registered_triggers(app)
    assert (registration.trigger, registration.function_name, registration.version) == (
        "PreSignUp",
        "pre_sign_up",
        None,
    )
    with Client(app) as client:
        payload = client.lambda_.invoke("pre_sign_up", EVENT).payload
    assert payload["response"]["autoConfirmUser"] is True
    assert payload["request"] == EVENT["request"]


def test_handler_may_take_context_and_a_custom_name() -> None:
    app = _app()
    seen = {}

    @app.cognito_trigger("PreSignUp", name="signup_gate")
    def gate(event: Any, context: Any) -> None:
        seen["context"] = context
        event.response.auto_verify_email = True

    assert "signup_gate" in app.handler_map
    with Client(app) as client:
        payload = client.lambda_.invoke("signup_gate", EVENT).payload
    assert payload["response"]["autoVerifyEmail"] is True
    assert seen["context"] is not None


def test_versions_are_recorded() -> None:
    app = _app()

    @app.cognito_trigger("PreTokenGeneration", version="V2_0")
    def tokens(event: Any) -> Any:
        return event

    @app.cognito_trigger("CustomEmailSender")
    def mail(event: Any) -> Any:
        return event

    versions = {r.trigger: r.version for r in registered_triggers(app)}
    assert versions == {"PreTokenGeneration": "V2_0", "CustomEmailSender": "V1_0"}


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (("PreSignup",), {}, UnknownTriggerError, "Did you mean 'PreSignUp'"),
        (("PreSignUp",), {"version": "V2_0"}, TriggerDeclarationError, "takes no version"),
        (
            ("PreTokenGeneration",),
            {"version": "V4_0"},
            TriggerDeclarationError,
            "Valid versions: V1_0, V2_0, V3_0",
        ),
        (("PreSignUp",), {"user_pool": ""}, TriggerDeclarationError, "user_pool"),
        (("PreSignUp",), {"access": ["AdminGetUsr"]}, TriggerDeclarationError, "AdminGetUser"),
    ],
)
def test_errors_at_decoration_time(args: Any, kwargs: Any, error: type, message: str) -> None:
    app = _app()
    with pytest.raises(error, match=message):
        app.cognito_trigger(*args, **kwargs)
    assert app.pure_lambda_functions == []


def test_decorating_a_non_callable_is_a_declaration_error() -> None:
    app = _app()
    with pytest.raises(TriggerDeclarationError, match="must decorate a function, not str"):
        app.cognito_trigger("PreSignUp")("pre_sign_up")
    assert app.pure_lambda_functions == []


def test_declaration_errors_stay_value_errors() -> None:
    # Code written against the first release caught ValueError.
    assert issubclass(TriggerDeclarationError, ValueError)
    assert issubclass(UnknownTriggerError, TriggerDeclarationError)


def test_two_handlers_for_one_slot_are_refused() -> None:
    app = _app()

    @app.cognito_trigger("PreSignUp")
    def first(event: Any) -> Any:
        return event

    with pytest.raises(
        ValueError, match="Two handlers for the Cognito trigger PreSignUp.*'first' and 'second'"
    ):

        @app.cognito_trigger("PreSignUp")
        def second(event: Any) -> Any:
            return event

    # Another pool's PreSignUp is a different slot.
    @app.cognito_trigger("PreSignUp", user_pool="staff")
    def staff_gate(event: Any) -> Any:
        return event

    assert sorted(r.function_name for r in registered_triggers(app)) == ["first", "staff_gate"]


def test_blueprint_triggers_land_on_the_app_with_prefix() -> None:
    app = _app()
    bp = Blueprint("chalicelib.auth")

    @bp.cognito_trigger("PostConfirmation")
    def welcome(event: Any) -> Any:
        return event

    app.register_blueprint(bp, name_prefix="auth_")
    [registration] = registered_triggers(app)
    assert registration.function_name == "auth_welcome"
    [function] = app.pure_lambda_functions
    assert function.handler_string == "chalicelib.auth.welcome"


def test_blueprint_slot_clash_with_the_app_is_refused_at_registration() -> None:
    app = _app()

    @app.cognito_trigger("PostConfirmation")
    def on_app(event: Any) -> Any:
        return event

    bp = Blueprint("chalicelib.auth")

    @bp.cognito_trigger("PostConfirmation")
    def on_bp(event: Any) -> Any:
        return event

    with pytest.raises(ValueError, match="'on_app' and 'bp_on_bp'"):
        app.register_blueprint(bp, name_prefix="bp_")


def test_blueprint_slot_clash_inside_the_blueprint_is_refused_at_decoration() -> None:
    bp = Blueprint("chalicelib.auth")

    @bp.cognito_trigger("PostConfirmation")
    def one(event: Any) -> Any:
        return event

    with pytest.raises(ValueError, match="Two handlers"):
        bp.cognito_trigger("PostConfirmation")(lambda event: event)


def test_stock_chalice_app_with_two_blueprints_claiming_one_slot_is_refused() -> None:
    """A plain chalice.Chalice app has no decoration-time check: registered_triggers does it."""
    from chalice import Chalice as StockChalice

    app = StockChalice(app_name="shop", configure_logs=False)
    for prefix in ("one_", "two_"):
        bp = Blueprint(f"chalicelib.{prefix}")

        @bp.cognito_trigger("PreSignUp")
        def gate(event: Any) -> Any:
            return event

        app.register_blueprint(bp, name_prefix=prefix)
    with pytest.raises(ValueError, match="'one_gate' and 'two_gate'"):
        registered_triggers(app)


def test_two_blueprints_claiming_one_slot_on_our_app_are_refused_at_registration() -> None:
    app = _app()
    for prefix in ("one_", "two_"):
        bp = Blueprint(f"chalicelib.{prefix}")

        @bp.cognito_trigger("PreSignUp")
        def gate(event: Any) -> Any:
            return event

        if prefix == "one_":
            app.register_blueprint(bp, name_prefix=prefix)
    with pytest.raises(TriggerDeclarationError, match="'one_gate' and 'two_gate'"):
        app.register_blueprint(bp, name_prefix="two_")


def test_a_blueprint_on_another_pool_and_routes_register_as_usual() -> None:
    app = _app()
    bp = Blueprint("chalicelib.auth")

    @bp.cognito_trigger("PreSignUp", user_pool="partners")
    def gate(event: Any) -> Any:
        return event

    @bp.route("/ping")
    def ping() -> Any:
        return {"ok": True}

    @app.cognito_trigger("PreSignUp")
    def main_gate(event: Any) -> Any:
        return event

    app.register_blueprint(bp, url_prefix="/auth")
    assert sorted(r.function_name for r in registered_triggers(app)) == ["gate", "main_gate"]
    assert "/auth/ping" in app.routes


def test_the_runtime_half_overrides_no_private_chalice_method() -> None:
    """Issue 13: no private Chalice name in the runtime half (only public seams)."""
    import chalice.app as chalice_app

    from chalice_cognito.app import CognitoTriggerAPI

    for ours, stock in ((Chalice, chalice_app.Chalice), (Blueprint, chalice_app.Blueprint)):
        for klass in (ours, CognitoTriggerAPI):
            private = [
                name
                for name in vars(klass)
                if name.startswith("_") and not name.startswith("__") and hasattr(stock, name)
            ]
            assert private == [], f"{klass.__name__} overrides private Chalice names {private}"
