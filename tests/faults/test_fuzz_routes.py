"""Issue 10: property-based fuzzing of every route's body through the real server: never a 5xx.

The fake upstream answers every request that gets through, so any 5xx (or a logged traceback,
which the `survives` fixture catches) is the gateway's own fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Env
from tests.fakes.codex import Recorded, Reply
from tests.fakes.responses_events import text_answer

pytestmark = [pytest.mark.timeout(300), pytest.mark.usefixtures("survives")]

POST_ROUTES = ["/v1/messages", "/v1/message", "/v1/messages/count_tokens"]
GET_ROUTES = ["/", "/health", "/usage", "/environments"]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

edge_ints = st.sampled_from([0, -1, 1, 2**31, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1])
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | edge_ints
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "\r\n", "\x00", "text", "user", "assistant", "tool_use", "auto"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def maybe(key: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(st.just({}), values.map(lambda v: {key: v}))


block_types = st.sampled_from(
    [
        "text",
        "image",
        "document",
        "tool_use",
        "tool_result",
        "thinking",
        "redacted_thinking",
        "search_result",
        "server_tool_use",
        "tool_reference",
        "nonsense",
    ]
)
blocks = st.builds(
    lambda t, extra: {"type": t, **extra},
    block_types,
    st.dictionaries(
        st.sampled_from(
            [
                "text",
                "id",
                "name",
                "input",
                "tool_use_id",
                "content",
                "source",
                "thinking",
                "signature",
                "data",
                "is_error",
                "tool_name",
                "title",
            ]
        ),
        json_values,
        max_size=4,
    ),
)
messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "assistant", "system", "bot"]) | scalars,
            "content": st.text(max_size=30) | st.lists(blocks, max_size=3) | scalars,
        }
    ),
    max_size=3,
)
tools = st.lists(
    st.dictionaries(
        st.sampled_from(["name", "type", "description", "input_schema", "strict"]),
        json_values,
        max_size=5,
    ),
    max_size=3,
)
shaped_bodies = st.builds(
    lambda *parts: {k: v for part in parts for k, v in part.items()},
    maybe("model", st.sampled_from(["gpt-5.4", "claude-sonnet-4-5", "opus", ""]) | scalars),
    maybe("max_tokens", st.integers() | edge_ints | scalars),
    maybe("messages", messages | json_values),
    maybe("system", st.text(max_size=20) | st.lists(blocks, max_size=2) | scalars),
    maybe("tools", tools | json_values),
    maybe("tool_choice", st.dictionaries(st.sampled_from(["type", "name"]), json_values)),
    maybe("thinking", st.dictionaries(st.sampled_from(["type", "budget_tokens"]), json_values)),
    maybe("output_config", st.dictionaries(st.sampled_from(["effort", "format"]), json_values)),
    maybe("stop_sequences", st.lists(st.text(max_size=5), max_size=2) | scalars),
    maybe("stream", st.booleans() | scalars),
    maybe("metadata", st.dictionaries(st.just("user_id"), st.text(max_size=40) | scalars)),
)


def encoded(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # integers beyond 64 bits: write them as JSON text
        return (
            repr(value)
            .replace("None", "null")
            .replace("True", "true")
            .replace("False", "false")
            .replace("'", '"')
            .encode()
        )


bodies = st.one_of(
    shaped_bodies.map(encoded),
    json_values.map(encoded),
    st.binary(max_size=200),
)


@pytest.fixture
def answering(env: Env) -> Iterator[Env]:
    def answer(recorded: Recorded) -> Reply:
        return Reply(events=text_answer("fuzzed"))

    env.fake.responder = answer
    yield env
    env.fake.responder = None


@pytest.mark.parametrize("path", POST_ROUTES)
@FUZZ
@given(body=bodies)
def test_no_body_makes_a_post_route_fail(
    answering: Env, gateway: str, path: str, body: bytes
) -> None:
    r = httpx.post(
        gateway + path, content=body, headers={"content-type": "application/json"}, timeout=30
    )
    assert r.status_code < 500, (body, r.text)
    if r.status_code >= 400:
        assert r.json()["type"] == "error"


@pytest.mark.parametrize("path", GET_ROUTES)
@settings(FUZZ, max_examples=40)
@given(body=st.binary(max_size=100), query=st.text(max_size=20))
def test_no_body_or_query_makes_a_get_route_fail(
    answering: Env, gateway: str, path: str, body: bytes, query: str
) -> None:
    r = httpx.request("GET", gateway + path, params={"q": query}, content=body, timeout=30)
    assert r.status_code < 500, r.text
