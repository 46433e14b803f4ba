"""Verification, reset and invitation texts in the user's language.

Used twice: by the CustomMessage trigger, which fills in Cognito's
placeholders (``{####}`` for the code, ``{username}`` for AdminCreateUser) that
Cognito then replaces, and by the custom email/SMS sender triggers, which fill
in the decrypted code themselves.  The language comes from the user's
``locale`` attribute (``fr``, ``fr-CA``, ``de_DE``...); unknown languages get
English.  Every SMS text stays under Cognito's 140-character limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Mapping, Optional

DEFAULT_LANGUAGE = "en"

#: triggerSource suffix -> kind of message.
KIND_OF_SOURCE: Mapping[str, str] = {
    "SignUp": "verify",
    "ResendCode": "verify",
    "ForgotPassword": "reset",
    "UpdateUserAttribute": "verify_attribute",
    "VerifyUserAttribute": "verify_attribute",
    "AdminCreateUser": "invite",
    "Authentication": "sign_in",
    "AccountTakeOverNotification": "security_alert",
}

# kind -> (subject, email body, SMS body); ``{code}`` and ``{username}`` are
# filled by str.format.
_Texts = Dict[str, "tuple[str, str, str]"]

TEXTS: Mapping[str, _Texts] = {
    "en": {
        "verify": (
            "Your Shop verification code",
            "Welcome to Shop! Your verification code is {code}.",
            "Your Shop verification code is {code}",
        ),
        "reset": (
            "Reset your Shop password",
            "Use the code {code} to choose a new Shop password.",
            "Your Shop password reset code is {code}",
        ),
        "verify_attribute": (
            "Confirm your new Shop contact details",
            "Your Shop confirmation code is {code}.",
            "Your Shop confirmation code is {code}",
        ),
        "invite": (
            "You are invited to Shop",
            "Sign in to Shop as {username} with the temporary password {code}.",
            "Shop: sign in as {username} with temporary password {code}",
        ),
        "sign_in": (
            "Your Shop sign-in code",
            "Your Shop sign-in code is {code}.",
            "Your Shop sign-in code is {code}",
        ),
        "security_alert": (
            "Unusual sign-in to your Shop account",
            "We noticed a sign-in to your Shop account that does not look like you. "
            "If it was not you, reset your password now.",
            "Shop: unusual sign-in to your account. Not you? Reset your password.",
        ),
    },
    "fr": {
        "verify": (
            "Votre code de vérification Shop",
            "Bienvenue sur Shop ! Votre code de vérification est {code}.",
            "Votre code de vérification Shop est {code}",
        ),
        "reset": (
            "Réinitialisez votre mot de passe Shop",
            "Utilisez le code {code} pour choisir un nouveau mot de passe Shop.",
            "Votre code de réinitialisation Shop est {code}",
        ),
        "verify_attribute": (
            "Confirmez vos nouvelles coordonnées Shop",
            "Votre code de confirmation Shop est {code}.",
            "Votre code de confirmation Shop est {code}",
        ),
        "invite": (
            "Vous êtes invité sur Shop",
            "Connectez-vous à Shop en tant que {username} avec le mot de passe temporaire {code}.",
            "Shop : connectez-vous en tant que {username}, mot de passe temporaire {code}",
        ),
        "sign_in": (
            "Votre code de connexion Shop",
            "Votre code de connexion Shop est {code}.",
            "Votre code de connexion Shop est {code}",
        ),
        "security_alert": (
            "Connexion inhabituelle à votre compte Shop",
            "Nous avons remarqué une connexion inhabituelle à votre compte Shop. "
            "Si ce n'était pas vous, changez votre mot de passe.",
            "Shop : connexion inhabituelle. Pas vous ? Changez votre mot de passe.",
        ),
    },
    "de": {
        "verify": (
            "Ihr Shop-Bestätigungscode",
            "Willkommen bei Shop! Ihr Bestätigungscode lautet {code}.",
            "Ihr Shop-Bestätigungscode lautet {code}",
        ),
        "reset": (
            "Shop-Passwort zurücksetzen",
            "Mit dem Code {code} wählen Sie ein neues Shop-Passwort.",
            "Ihr Shop-Code zum Zurücksetzen lautet {code}",
        ),
        "verify_attribute": (
            "Bestätigen Sie Ihre neuen Shop-Kontaktdaten",
            "Ihr Shop-Bestätigungscode lautet {code}.",
            "Ihr Shop-Bestätigungscode lautet {code}",
        ),
        "invite": (
            "Ihre Einladung zu Shop",
            "Melden Sie sich bei Shop als {username} mit dem temporären Passwort {code} an.",
            "Shop: Anmeldung als {username} mit temporärem Passwort {code}",
        ),
        "sign_in": (
            "Ihr Shop-Anmeldecode",
            "Ihr Shop-Anmeldecode lautet {code}.",
            "Ihr Shop-Anmeldecode lautet {code}",
        ),
        "security_alert": (
            "Ungewöhnliche Anmeldung bei Ihrem Shop-Konto",
            "Wir haben eine ungewöhnliche Anmeldung bei Ihrem Shop-Konto bemerkt. "
            "Waren Sie das nicht, ändern Sie bitte Ihr Passwort.",
            "Shop: ungewöhnliche Anmeldung. Nicht Sie? Ändern Sie Ihr Passwort.",
        ),
    },
}


@dataclass(frozen=True)
class Message:
    """One message in one language, ready to send or to hand to Cognito."""

    language: str
    subject: str
    email_body: str
    sms_body: str


def language_of(attributes: Mapping[str, str]) -> str:
    """The supported language of the ``locale`` attribute (``fr-CA`` -> ``fr``), else English."""
    locale = (attributes.get("locale") or "").strip().lower().replace("_", "-")
    language = locale.split("-", 1)[0]
    return language if language in TEXTS else DEFAULT_LANGUAGE


def kind_of(source: str) -> str:
    """The kind of message for a triggerSource suffix (``SignUp`` -> ``verify``)."""
    return KIND_OF_SOURCE.get(source, "verify")


def custom_email_enabled() -> bool:
    """False when ``CUSTOM_EMAIL_MESSAGES=false``: leave email to the pool's own template.

    Cognito only applies a CustomMessage ``emailMessage`` when the pool sends
    email through SES (``EmailSendingAccount=DEVELOPER``).
    """
    return os.environ.get("CUSTOM_EMAIL_MESSAGES", "true").strip().lower() != "false"


def compose(
    source: str,
    attributes: Mapping[str, str],
    *,
    code: Optional[str],
    username: Optional[str] = None,
) -> Message:
    """The message for a triggerSource suffix, in the user's language.

    ``code`` and ``username`` are either Cognito's placeholders (CustomMessage)
    or real values (custom senders).  Templates are filled with ``str.format``,
    which never re-reads the inserted values, so ``{####}`` arrives intact.
    """
    language = language_of(attributes)
    subject, email_body, sms_body = TEXTS[language][kind_of(source)]
    values = {"code": code or "", "username": username or ""}
    return Message(
        language=language,
        subject=subject.format(**values),
        email_body=email_body.format(**values),
        sms_body=sms_body.format(**values),
    )
