"""Base models shared by every Cognito trigger event.

Cognito requires a trigger to return the *entire* event it received, with only
``response`` changed.  So the models here are built for an exact echo:

* attribute names are snake_case in Python and camelCase on the wire
  (``alias_generator``), exactly as Cognito spells them;
* unknown fields are kept (``extra="allow"``): AWS adds event fields without
  notice and a model that drops them would return a different event;
* a key absent from the input stays absent in :meth:`CognitoModel.to_dict`
  (``exclude_unset``) and a ``null`` stays ``null``;
* assignment is validated, so ``event.response.auto_confirm_user = "yes"``
  fails in the handler (response flags take JSON booleans only, as Cognito
  does), not as an opaque "Unrecognizable lambda output".

Models use ``defer_build``: a Lambda serving one trigger builds only that
trigger's validator, on its first event (Cognito gives a trigger 5 seconds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Dict, List, Optional, Tuple, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)
from pydantic.alias_generators import to_camel


def _to_wire_string(value: Any) -> Any:
    """Coerce the JSON booleans and numbers that some doc events put in maps of strings.

    Real Cognito events carry every user attribute as a string
    (``"email_verified": "true"``); AWS doc test events sometimes show JSON
    booleans.  Accept both, store the string Cognito itself would send.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


if TYPE_CHECKING:
    WireStr = str
else:
    #: A string that also accepts JSON booleans/numbers (stored as Cognito's
    #: strings).  A union, not a before-validator: real events carry strings,
    #: which the strict ``str`` branch accepts without calling back into Python.
    WireStr = Union[
        StrictStr,
        Annotated[Union[StrictBool, StrictInt, StrictFloat], AfterValidator(_to_wire_string)],
    ]
#: A response flag: JSON ``true``/``false`` (or ``null``) only.  Strict, because
#: Cognito reads the JSON boolean and nothing else, and a lax ``bool`` would
#: turn ``"yes"`` or ``1`` into ``True`` in the handler without a word.
ResponseFlag = Optional[StrictBool]
#: ``dict[str, str]`` as Cognito sends user attributes, client metadata, etc.
StringMap = Dict[str, WireStr]
#: Any JSON value (V2/V3 claims may be objects, arrays, numbers, booleans).
JsonValue = Any


class Violation(Tuple[str, str]):
    """A broken Cognito rule: (dotted camelCase field, human-readable rule)."""

    __slots__ = ()

    def __new__(cls, field: str, rule: str) -> Violation:
        return super().__new__(cls, (field, rule))

    @property
    def field(self) -> str:
        return self[0]

    @property
    def rule(self) -> str:
        return self[1]


class CognitoModel(BaseModel):
    """A part of a Cognito event that echoes back exactly as it came in."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        validate_assignment=True,
        defer_build=True,
        protected_namespaces=(),
    )

    def to_dict(self) -> Dict[str, Any]:
        """The Cognito JSON of this model: wire names, unknown fields kept, absent keys absent.

        A nested model that was absent in the input but that the handler
        changed (``event.response.x = ...`` on an event that had no
        ``response`` key) is included, because it now carries data.
        """
        # The model's serializer, as model_dump() calls it, minus model_dump's
        # Python layer: this runs on every invocation (the response echo).
        out: Dict[str, Any] = type(self).__pydantic_serializer__.to_python(
            self, by_alias=True, exclude_unset=True
        )
        for name, alias in _defaulted_model_fields(type(self)):
            if name in self.model_fields_set:
                continue
            value = getattr(self, name)
            if isinstance(value, CognitoModel) and value._touched():
                out[alias] = value.to_dict()
        return out

    def _touched(self) -> bool:
        if self.model_fields_set:
            return True
        return any(
            isinstance(v, CognitoModel) and v._touched()
            for v in (getattr(self, n) for n, _ in _defaulted_model_fields(type(self)))
        )


_DEFAULTED: Dict[type, Tuple[Tuple[str, str], ...]] = {}


def _defaulted_model_fields(cls: type[CognitoModel]) -> Tuple[Tuple[str, str], ...]:
    """(name, wire alias) of the fields whose default is a fresh nested model.

    Only such fields can hold data the handler added without the field being
    "set"; computed once per class so ``to_dict`` on a response (usually
    none of them) costs no loop over every field.
    """
    found = _DEFAULTED.get(cls)
    if found is None:
        found = tuple(
            (name, info.alias or name)
            for name, info in cls.model_fields.items()
            if isinstance(info.default_factory, type)
            and issubclass(info.default_factory, CognitoModel)
        )
        _DEFAULTED[cls] = found
    return found


class CallerContext(CognitoModel):
    """``callerContext``: who called the Cognito API that fired the trigger."""

    #: e.g. ``aws-sdk-unknown-unknown``, ``aws-sdk-nodejs-2.987.0``
    aws_sdk_version: Optional[str] = None
    #: app client id; ``CLIENT_ID_NOT_APPLICABLE`` for admin API calls
    client_id: Optional[str] = None


class CognitoRequest(CognitoModel):
    """``request``: trigger specific.  Most triggers send ``userAttributes``."""


class CognitoResponse(CognitoModel):
    """``response``: what the handler may change.  Cognito pre-populates most keys with null."""


class CognitoEvent(CognitoModel):
    """The common envelope of every Cognito user pool trigger event.

    Subclasses narrow ``request`` and ``response`` and set ``trigger`` (the
    catalogue name).  Use :func:`chalice_cognito.events.parse_event` to get the
    right subclass for a raw event.
    """

    #: catalogue name of the trigger (``PreSignUp``); set by each subclass
    trigger: ClassVar[str] = ""

    #: event version: "1" for V1 triggers, "2"/"3" for pre token generation
    #: V2_0/V3_0; cognito-local sends "0".  One AWS doc example uses a number.
    version: WireStr = "1"
    #: e.g. ``PreSignUp_SignUp``; a new source AWS adds is accepted as-is.
    trigger_source: str
    region: Optional[str] = None
    user_pool_id: Optional[str] = None
    #: the user's name; a UUID (``sub``) when email/phone are usernames; absent
    #: for machine-to-machine token generation.
    user_name: Optional[str] = None
    caller_context: CallerContext = Field(default_factory=CallerContext)
    request: CognitoRequest = Field(default_factory=CognitoRequest)
    response: CognitoResponse = Field(default_factory=CognitoResponse)

    def response_violations(self) -> List[Violation]:
        """The Cognito rules the current ``response`` breaks (none by default).

        Each trigger overrides this with the checks Cognito enforces, so a bad
        response fails in the handler with a message that names the field and
        the rule instead of Cognito's opaque "Unrecognizable lambda output".
        """
        return []

    @property
    def source(self) -> str:
        """The part of ``triggerSource`` after the trigger prefix (``SignUp``)."""
        return self.trigger_source.split("_", 1)[-1]
