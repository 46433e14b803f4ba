"""Property-based fuzz of the dispatcher on the sample events of every trigger (hypothesis).

Each example takes the sample event of a triggerSource (V1 and V2/V3 token
events included), mutates it (any value replaced by random JSON, by a list or
an object where a string belongs, by a 1,000-level nesting or a 1 MB string;
an int too long for ``str()``; keys deleted or added; sometimes the whole event is not an
object) and runs a
handler that does one of the things handlers do (nothing, set a response
field, return a dict or the event, refuse, return garbage).  The outcome must
be one of three: a correct echo (everything but ``response`` is the input,
and the response sent back is stable under a re-parse), the handler's own refusal, or the plugin's
clean error (:class:`TriggerError` / :class:`EventParseError`, a bounded
one-line message).  Any other exception from the plugin's code fails.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Dict, List, Tuple, Union

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chalice_cognito.catalogue import trigger_for_source
from chalice_cognito.dispatch import MAX_LOGGED_MESSAGE, TriggerDispatcher, TriggerError
from chalice_cognito.events import EventParseError, parse_event
from chalice_cognito.testing import sample_events

#: Examples per run; derandomized, so every run walks the same cases.
EXAMPLES = 1000

SAMPLES: List[Tuple[str, Dict[str, Any]]] = [
    *sample_events(),
    *((s, e) for s, e in sample_events(version="V2_0") if s.startswith("TokenGeneration")),
    *((s, e) for s, e in sample_events(version="V3_0") if s.startswith("TokenGeneration")),
]

Path = Tuple[Union[str, int], ...]


class Refusal(ValueError):
    """What a handler raises to refuse the sign-up or sign-in."""


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)
hostile = st.sampled_from(["deep", "deep", "huge", "list", "object", "long-int"]).map(
    lambda kind: {
        "deep": _nested(1000),
        "huge": "PreSignUp_" + "x" * 1_000_000,
        # more digits than str() converts (a dict built in Python; JSON parsing refuses it)
        "long-int": 10**5000,
        "list": ["PreSignUp_SignUp"],
        "object": {"triggerSource": "PreSignUp_SignUp"},
    }[kind]
)
#: mostly JSON, one draw in four hostile
values = st.one_of(json_values, json_values, json_values, hostile)


def _paths(node: Any, prefix: Path = ()) -> List[Path]:
    """Every path to a value in the event (dict keys and list indexes)."""
    out: List[Path] = []
    if isinstance(node, dict):
        for key, child in node.items():
            out.append((*prefix, key))
            out += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            out.append((*prefix, index))
            out += _paths(child, (*prefix, index))
    return out


def _apply(event: Dict[str, Any], path: Path, op: str, value: Any) -> None:
    node: Any = event
    for part in path[:-1]:
        node = node[part]
    last = path[-1]
    if op == "delete" and isinstance(node, dict):
        del node[last]
    elif op == "add" and isinstance(node, dict):
        node[f"fuzz{len(node)}"] = value
    else:
        node[last] = value


@st.composite
def events(draw: st.DrawFn) -> Tuple[str, Any]:
    source, sample = draw(st.sampled_from(SAMPLES))
    event = copy.deepcopy(sample)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        paths = _paths(event)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        _apply(event, path, draw(st.sampled_from(["replace", "delete", "add"])), draw(values))
    if draw(st.integers(min_value=0, max_value=40)) == 0:
        return source, draw(json_values)  # not an object at all
    return source, event


handlers = st.tuples(
    st.sampled_from(["none", "event", "set", "dict", "refuse", "garbage"]),
    st.text(max_size=12)
    | st.sampled_from(["auto_confirm_user", "answerCorrect", "user_attributes"]),
    json_values,
)


def _handler(kind: str, field: str, value: Any) -> Any:
    def handler(event: Any) -> Any:
        if kind == "event":
            return event
        if kind == "set":
            response_fields = sorted(type(event.response).model_fields)
            name = response_fields[len(field) % len(response_fields)] if response_fields else field
            setattr(event.response, name if len(field) % 2 else field or "x", value)
            return None
        if kind == "dict":
            return {field: value}
        if kind == "refuse":
            raise Refusal("not allowed here")
        if kind == "garbage":
            return value if value is not None and not isinstance(value, dict) else 42
        return None

    return handler


def _equal(a: Any, b: Any) -> bool:
    """``a == b`` without recursion (the fuzz nests 1,000 levels deep)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y:
            continue
        if isinstance(x, dict) and isinstance(y, dict):
            if x.keys() != y.keys():
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif type(x) is not type(y) or x != y:
            return False
    return True


@pytest.fixture(autouse=True)
def _quiet_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="chalice_cognito")


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # caplog is cleared at the start of every example.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(case=events(), behaviour=handlers)
def test_every_input_gives_an_echo_the_refusal_or_a_clean_error(
    case: Tuple[str, Any], behaviour: Tuple[str, str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    source, raw = case
    caplog.clear()
    dispatcher = TriggerDispatcher(_handler(*behaviour), trigger_for_source(source))
    before = [(k, raw[k]) for k in raw] if isinstance(raw, dict) else None
    try:
        out = dispatcher(raw)
    except Refusal:
        assert behaviour[0] == "refuse"
        event("the handler's refusal")
    except (TriggerError, EventParseError) as error:
        event(f"clean error: {type(error).__name__}")
        message = str(error)
        assert "\n" not in message.strip() or "Valid" in message
        assert len(message) < 6000
    else:
        event("echo")
        assert isinstance(raw, dict) and isinstance(out, dict)
        # The echo: every key but response is the input's own value.
        assert [k for k in out if k != "response"] == [k for k in raw if k != "response"]
        assert all(_equal(out[k], raw[k]) for k in raw if k != "response")
        assert isinstance(out.get("response", {}), dict)
        if behaviour[0] in ("none", "event") and isinstance(raw.get("response"), dict):
            assert out["response"].keys() == raw["response"].keys()
        if "response" in out and not _deep(out["response"]):
            # The response sent back is already what the model writes (stable).
            assert _equal(parse_event(out).to_dict()["response"], out["response"])
    # The input is never changed, and the log line (if any) is bounded.
    if before is not None:
        assert [(k, raw[k]) for k in raw] == before
    for record in caplog.records:
        assert len(record.getMessage()) <= MAX_LOGGED_MESSAGE + 400


def _deep(value: Any) -> bool:
    depth, node = 0, value
    while isinstance(node, (dict, list)) and node and depth < 50:
        node = next(iter(node.values())) if isinstance(node, dict) else node[0]
        depth += 1
    return depth >= 50


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("triggerSource", ["PreSignUp_SignUp"]),
        ("triggerSource", {"a": 1}),
        ("triggerSource", _nested(1000)),
        ("version", ["1"]),
        ("version", {"v": "1"}),
        ("version", _nested(1000)),
        ("triggerSource", 10**5000),
        ("version", 10**5000),
    ],
    ids=[
        "source-list",
        "source-object",
        "source-deep",
        "version-list",
        "version-object",
        "version-deep",
        "source-long-int",
        "version-long-int",
    ],
)
def test_a_list_or_object_where_cognito_sends_a_string_is_a_clean_error(
    key: str, value: Any
) -> None:
    raw = dict(next(e for s, e in SAMPLES if s == "PreSignUp_SignUp"))
    raw[key] = value
    with pytest.raises((TriggerError, EventParseError)) as info:
        TriggerDispatcher(lambda event: None, trigger_for_source("PreSignUp"))(raw)
    assert key in str(info.value) or "triggerSource" in str(info.value)


@pytest.mark.parametrize(
    "where", ["request.password", "request.validationData", "response.userAttributes", "extra"]
)
def test_events_nested_a_thousand_levels_deep_do_not_crash(
    where: str, caplog: pytest.LogCaptureFixture
) -> None:
    raw = copy.deepcopy(next(e for s, e in SAMPLES if s == "UserMigration_Authentication"))
    *parents, last = where.split(".")
    node = raw
    for part in parents:
        node = node[part]
    node[last] = _nested(1100)

    def handler(event: Any) -> None:
        raise Refusal(f"no user {event.user_name}")

    caplog.set_level(logging.ERROR, logger="chalice_cognito")
    with pytest.raises((Refusal, TriggerError)):
        TriggerDispatcher(handler, trigger_for_source("UserMigration"))(raw)
    assert all(len(r.getMessage()) <= MAX_LOGGED_MESSAGE + 400 for r in caplog.records)


def test_a_megabyte_trigger_source_is_quoted_once_and_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw = copy.deepcopy(next(e for s, e in SAMPLES if s == "PreSignUp_SignUp"))
    raw["triggerSource"] = "Unknown_" + "x" * 1_000_000
    caplog.set_level(logging.DEBUG, logger="chalice_cognito")
    with pytest.raises(EventParseError) as info:
        TriggerDispatcher(lambda event: None, trigger_for_source("PreSignUp"))(raw)
    assert len(str(info.value)) < 3000 and "(1000008 characters)" in str(info.value)
    (record,) = caplog.records
    line = record.getMessage()
    assert len(line) <= MAX_LOGGED_MESSAGE + 400
    # The prefix and the message each quote the first 80 characters, no more.
    assert line.count("(1000008 characters)") == 2 and line.count("x") <= 2 * 80 + 10
