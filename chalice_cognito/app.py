"""``Chalice`` and ``Blueprint`` with a ``cognito_trigger`` decorator.

A trigger handler is registered through Chalice's own ``lambda_function``
machinery (so stock Chalice packages, deploys, tests and logs it) and carries a
:class:`TriggerRegistration` that the deploy half reads to wire it into a user
pool.  Every check that can be made without AWS happens here, at decoration
time: unknown trigger names, bad versions, two handlers for one pool slot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import chalice.app as chalice_app

from chalice_cognito.catalogue import (
    TriggerDeclarationError,
    TriggerSpec,
    check_version,
    get_trigger,
)
from chalice_cognito.dispatch import TriggerDispatcher

#: Name of the attribute that marks a registered handler as a Cognito trigger.
REGISTRATION_ATTR = "cognito_trigger"


@dataclass(frozen=True)
class TriggerRegistration:
    """One ``@cognito_trigger`` declaration, as the deploy half needs it."""

    trigger: str
    #: Chalice function name (``name=`` or the Python name, blueprint prefix
    #: included once registered on an app); deployed as ``<app>-<stage>-<name>``.
    function_name: str
    #: LambdaVersion for versioned triggers (``V1_0`` by default), else None.
    version: Optional[str] = None
    #: pool alias from ``.chalice/config.json``; None means the default pool.
    user_pool: Optional[str] = None
    #: Cognito API actions the handler may call on its own pool (access grants).
    access: Tuple[str, ...] = ()

    @property
    def spec(self) -> TriggerSpec:
        return get_trigger(self.trigger)

    @property
    def slot(self) -> Tuple[Optional[str], str]:
        """(pool alias, trigger): at most one handler per slot."""
        return (self.user_pool, self.trigger)


def _slot_label(slot: Tuple[Optional[str], str]) -> str:
    pool = slot[0] or "the default pool"
    return f"{slot[1]} of {pool if slot[0] is None else 'pool ' + repr(pool)}"


class CognitoTriggerAPI:
    """The ``cognito_trigger`` decorator, mixed into Chalice and Blueprint."""

    def cognito_trigger(
        self,
        trigger: str,
        *,
        name: Optional[str] = None,
        version: Optional[str] = None,
        user_pool: Optional[str] = None,
        access: Sequence[str] = (),
    ) -> Callable[[Callable[..., Any]], Any]:
        """Register ``func`` as the Lambda function for a Cognito user pool trigger.

        ``trigger`` is a LambdaConfig key (``PreSignUp``, ``PreTokenGeneration``,
        ...); ``version`` picks the pre token generation event version
        (``V1_0`` default, ``V2_0``, ``V3_0``); ``user_pool`` names a pool of the
        ``cognito`` config (default pool when omitted); ``name`` the Chalice
        function name (the Python name by default).

        The handler takes ``(event)`` or ``(event, context)``; ``event`` is the
        typed model of the trigger.  Return the event, None (the event as
        mutated), a response model, or a dict of response fields.
        """
        spec = get_trigger(trigger)
        effective_version = check_version(spec, version)
        if user_pool is not None and (not isinstance(user_pool, str) or not user_pool):
            raise TriggerDeclarationError(
                "user_pool must be the non-empty name of a pool in the cognito config."
            )
        access_tuple = _check_access(tuple(access))

        def _decorator(func: Callable[..., Any]) -> Any:
            if not callable(func):
                raise TriggerDeclarationError(
                    f"@cognito_trigger({trigger!r}) must decorate a function, "
                    f"not {type(func).__name__}."
                )
            registration = TriggerRegistration(
                trigger=spec.name,
                function_name=name or func.__name__,
                version=effective_version,
                user_pool=user_pool,
                access=access_tuple,
            )
            self._claim_slot(registration)
            dispatcher = TriggerDispatcher(func, spec)
            setattr(dispatcher, REGISTRATION_ATTR, registration)
            wrapped = self.lambda_function(name=registration.function_name)(dispatcher)  # type: ignore[attr-defined]
            setattr(wrapped, REGISTRATION_ATTR, registration)
            return wrapped

        return _decorator

    def _claim_slot(self, registration: TriggerRegistration) -> None:
        _claim(self.__dict__.setdefault("_cognito_slots", {}), registration)


def _claim(slots: Dict[Tuple[Optional[str], str], str], registration: TriggerRegistration) -> None:
    """Record ``registration``'s slot in ``slots``; refuse a second handler for it."""
    holder = slots.get(registration.slot)
    if holder is not None:
        raise TriggerDeclarationError(
            f"Two handlers for the Cognito trigger {_slot_label(registration.slot)}: "
            f"{holder!r} and {registration.function_name!r}. A pool has one function "
            "per trigger; remove one, or give it user_pool=<another pool>."
        )
    slots[registration.slot] = registration.function_name


class Chalice(CognitoTriggerAPI, chalice_app.Chalice):
    """A drop-in ``chalice.Chalice`` with ``@app.cognito_trigger``."""

    def register_blueprint(
        self,
        blueprint: chalice_app.Blueprint,
        name_prefix: Optional[str] = None,
        url_prefix: Optional[str] = None,
    ) -> None:
        """Chalice's ``register_blueprint``, then claim the blueprint's trigger slots on the app.

        The triggers land in ``handler_map`` under their final (prefixed)
        names; a slot the app (or an earlier blueprint) already holds is
        refused here, while ``app.py`` is imported.
        """
        before = set(self.handler_map)
        super().register_blueprint(blueprint, name_prefix=name_prefix, url_prefix=url_prefix)
        for function_name, handler in self.handler_map.items():
            registration = getattr(handler, REGISTRATION_ATTR, None)
            if function_name not in before and isinstance(registration, TriggerRegistration):
                self._claim_slot(replace(registration, function_name=function_name))


class Blueprint(CognitoTriggerAPI, chalice_app.Blueprint):
    """A drop-in ``chalice.Blueprint`` with ``@bp.cognito_trigger``."""


def registered_triggers(app: chalice_app.Chalice) -> List[TriggerRegistration]:
    """Every Cognito trigger of an app, blueprints included, with final function names.

    Derived from ``app.handler_map`` (where Chalice puts every handler under
    its final name), so it works for a stock ``chalice.Chalice`` app that
    registered a ``chalice_cognito.Blueprint`` too.  Such an app has no
    decoration-time slot check, so the slots are checked here (deploy,
    package and the CDK helper all read the triggers through this function).
    """
    found = []
    slots: Dict[Tuple[Optional[str], str], str] = {}
    for function_name, handler in app.handler_map.items():
        registration = getattr(handler, REGISTRATION_ATTR, None)
        if isinstance(registration, TriggerRegistration):
            final = replace(registration, function_name=function_name)
            _claim(slots, final)
            found.append(final)
    return found


def _check_access(access: Tuple[str, ...]) -> Tuple[str, ...]:
    """Validate access grants (Cognito API action names); see chalice_cognito.access."""
    if not access:
        return access
    from chalice_cognito.access import expand_access

    return expand_access(access)
