"""Errors of the wiring engine.

Every error the engine raises derives from :class:`WiringError`, so the CLI and
the custom-resource handler can catch one class and print ``str(error)``: each
message names the pool, slot, function or IAM action involved and never holds a
secret (the engine handles none).

Standard library only: the engine also runs inside the custom-resource Lambda.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from chalice_cognito.deploy.model import PoolPlan


class WiringError(Exception):
    """Base class: something prevents wiring triggers to a pool."""


class ConfigError(WiringError):
    """The ``cognito`` section of ``.chalice/config.json`` is wrong."""


class PoolNotFoundError(WiringError):
    """The pool named by id or name does not exist in the region."""


class AmbiguousPoolError(WiringError):
    """``user_pool_name`` matches more than one pool."""

    def __init__(self, message: str, matches: Sequence[str] = ()) -> None:
        super().__init__(message)
        #: ids of every pool with that name
        self.matches = tuple(matches)


class FunctionNotFoundError(WiringError):
    """A function to wire does not exist (moto would accept it; Cognito would fail at sign-up)."""


class AccessDeniedError(WiringError):
    """AWS denied a call; ``action`` is the IAM action to grant (``cognito-idp:UpdateUserPool``)."""

    def __init__(self, message: str, action: str) -> None:
        super().__init__(message)
        self.action = action


class RefusedError(WiringError):
    """The plan has refusals (conflicts, KMS, tier): nothing was written."""

    def __init__(self, plan: PoolPlan) -> None:
        reasons = "; ".join(r.reason for r in plan.refusals)
        super().__init__(f"Refusing to change user pool {plan.pool.pool_id}: {reasons}")
        self.plan = plan


class VerificationError(WiringError):
    """The pool still did not hold the planned triggers after every retry."""

    def __init__(self, message: str, plan: Optional[PoolPlan] = None) -> None:
        super().__init__(message)
        self.plan = plan
