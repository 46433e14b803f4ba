"""Base models shared by every Cognito trigger event.

Cognito requires a trigger to return the *entire* event it received, with only
``response`` changed.  So the models here are built for an exact echo:

* attribute names are snake_case in Python and camelCase on the wire
  (``alias_generator``), exactly as Cognito spells them;
* unknown fields are kept (``extra="allow"``): AWS adds event fields without
  notice and a model that drops them would return a different event;
* a key absent from the input stays absent in :meth:`CognitoModel.to_dict`
  (``exclude_unset``) and a ``null`` stays ``null``;
* assignment is validated, so ``event.response.auto_confirm_user = "maybe"``
  fails in the handler, not as an opaque "Unrecognizable lambda output".

Models use ``defer_build``: a Lambda serving one trigger builds only that
trigger's validator, on its first event (Cognito gives a trigger 5 seconds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Dict, List, Optional, Tuple

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic.alias_generators import to_camel
from pydantic_core import CoreSchema, core_schema


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


class _WireStrSchema:
    """Annotation marker that writes its core schema directly.

    The same validator ``Union[StrictStr, Annotated[Union[StrictBool,
    StrictInt, StrictFloat], AfterValidator(_to_wire_string)]]`` gives, but
    without pydantic deriving it from those typing objects for every field
    that uses it, a cost the first event of a cold start pays (~0.15 ms per
    field).  A fresh schema each time: pydantic may annotate schemas in place.
    """

    __slots__ = ()

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        scalar = core_schema.union_schema(
            [
                core_schema.bool_schema(strict=True),
                core_schema.int_schema(strict=True),
                core_schema.float_schema(strict=True),
            ]
        )
        return core_schema.union_schema(
            [
                core_schema.str_schema(strict=True),
                core_schema.no_info_after_validator_function(_to_wire_string, scalar),
            ]
        )


if TYPE_CHECKING:
    WireStr = str
else:
    #: A string that also accepts JSON booleans/numbers (stored as Cognito's
    #: strings).  A union, not a before-validator: real events carry strings,
    #: which the strict ``str`` branch accepts in pydantic-core without calling
    #: back into Python for every attribute value (per-invocation cost).
    WireStr = Annotated[str, _WireStrSchema()]
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
        cls = type(self)
        # The serializer itself, not model_dump(): the same call minus a Python
        # layer, on the per-invocation path (the dispatcher dumps the response).
        out: Dict[str, Any] = cls.__pydantic_serializer__.to_python(
            self, by_alias=True, exclude_unset=True
        )
        defaulted = _DEFAULTED.get(cls)
        if defaulted is None:
            defaulted = _defaulted_model_fields(cls)
        for name, alias in defaulted:
            if name in self.model_fields_set:
                continue
            value = getattr(self, name)
            if isinstance(value, CognitoModel) and value._touched():
                out[alias] = value.to_dict()
        return out

    def __setattr__(self, name: str, value: Any) -> None:
        """Validated assignment, with a shortcut for values the validator returns unchanged.

        ``event.response.auto_confirm_user = True`` is what most handlers do;
        a ``bool`` for an ``Optional[bool]`` field (likewise ``str``, ``int``,
        ``None``) is valid as it is, so it is stored directly (and the field
        marked set) instead of running the model's validator.  Any other value
        goes through pydantic's validate_assignment and fails as usual.
        """
        cls = type(self)
        exact = _EXACT_FIELDS.get(cls)
        if exact is None:
            exact = _exact_fields(cls)
        types = exact.get(name)
        if types is not None and type(value) in types:
            self.__dict__[name] = value
            self.__pydantic_fields_set__.add(name)
        else:
            super().__setattr__(name, value)

    def _set_valid(self, name: str, value: Any) -> None:
        """Set field ``name`` to a value already valid for it, as ``self.name = value`` would.

        For the event helpers, which build values of the field's exact type: it
        skips the validator run of an assignment (the bulk of a token handler's
        cost) and, like an assignment, marks the field set so it is echoed.
        """
        self.__dict__[name] = value
        self.__pydantic_fields_set__.add(name)

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


_NONE = type(None)
#: field annotation -> the value types its (lax) validator returns unchanged.
#: ``float`` is absent: a float field turns an int into a float.
_UNCHANGED: Dict[Any, Tuple[type, ...]] = {
    bool: (bool,),
    str: (str,),
    int: (int,),
    Optional[bool]: (bool, _NONE),
    Optional[str]: (str, _NONE),
    Optional[int]: (int, _NONE),
}
_EXACT_FIELDS: Dict[type, Dict[str, Tuple[type, ...]]] = {}
#: model_config options that make the validator change or refuse a plain str.
_STR_OPTIONS = (
    "str_strip_whitespace",
    "str_to_lower",
    "str_to_upper",
    "str_min_length",
    "str_max_length",
)


def _exact_fields(cls: type[CognitoModel]) -> Dict[str, Tuple[type, ...]]:
    """Field name -> value types that ``__setattr__`` may store without the validator.

    Only plain fields qualify: no constraints, not frozen, no validators on
    the model and no string options in its config (any of which could change
    or refuse a value of the right type).  Computed once per class, from field
    metadata (no schema build).
    """
    found: Dict[str, Tuple[type, ...]] = {}
    decorators = cls.__pydantic_decorators__
    config = cls.model_config
    if (
        config.get("validate_assignment")
        and not config.get("frozen")
        and not any(option in config for option in _STR_OPTIONS)
        and not decorators.validators
        and not decorators.field_validators
        and not decorators.root_validators
        and not decorators.model_validators
    ):
        for name, info in cls.model_fields.items():
            types = _UNCHANGED.get(info.annotation)
            if types is not None and not info.metadata and not info.frozen:
                found[name] = types
    _EXACT_FIELDS[cls] = found
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
