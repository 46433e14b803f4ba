"""chalice-cognito: Amazon Cognito user pool triggers for AWS Chalice.

>>> from chalice_cognito import Chalice
>>> app = Chalice(app_name="shop")
>>> @app.cognito_trigger("PreSignUp")
... def pre_sign_up(event):
...     event.response.auto_confirm_user = True
...     return event

This package's top level is the *runtime half*: it is imported inside Lambda
and depends only on the standard library, ``chalice.app`` and pydantic.  The
deploy-time half (``chalice_cognito.cli``, ``.deploy``, ``.local``, ``.iac``)
is never imported from here.
"""

from chalice_cognito.app import Blueprint, Chalice, TriggerRegistration, registered_triggers
from chalice_cognito.catalogue import (
    TRIGGERS,
    TriggerDeclarationError,
    TriggerSpec,
    UnknownTriggerError,
)
from chalice_cognito.dispatch import ResponseValidationError, TriggerError

__version__ = "0.1.0"

__all__ = [
    "TRIGGERS",
    "Blueprint",
    "Chalice",
    "ResponseValidationError",
    "TriggerDeclarationError",
    "TriggerError",
    "TriggerRegistration",
    "TriggerSpec",
    "UnknownTriggerError",
    "__version__",
    "registered_triggers",
]
