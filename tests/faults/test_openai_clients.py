"""Issue 10's hostile clients and bad input, on the OpenAI routes (`/v1/responses`,
`/v1/chat/completions`, `/v1/models`): each refused in OpenAI's error shape
`{"error": {message, type, param, code}}`, a bad field as a 400 whose `param` names it, never
a 500, and nothing sent upstream. The `survives` fixture checks nothing crashed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import orjson
import pytest

from tests.e2e.conftest import Env
from tests.faults.conftest import Start, connect, head_of, read_all

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("survives")]

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
CHAT_BODY: dict[str, Any] = {"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]}
RESPONSES_BODY: dict[str, Any] = {"model": "gpt-5.4", "input": "hi"}
BODIES = {CHAT: CHAT_BODY, RESPONSES: RESPONSES_BODY}
BIG = 18446744073709551616  # 2**64: one past what a 64-bit encoder can write


@pytest.fixture
def sdk(gateway: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=gateway + "/v1", api_key="any", max_retries=0) as client:
        yield client


def post(url: str, content: bytes, **headers: str) -> httpx.Response:
    sent = {"content-type": "application/json", **headers}
    return httpx.post(url, content=content, headers=sent, timeout=30)


def openai_error(response: httpx.Response) -> dict[str, Any]:
    document = response.json()
    assert set(document) == {"error"}
    assert set(document["error"]) == {"message", "type", "param", "code"}
    return dict(document["error"])


def with_big_int(document: dict[str, Any]) -> bytes:
    """`document` as JSON, every `0` value written as 2**64 (orjson cannot write it itself)."""
    return orjson.dumps(document).replace(b":0", b":" + str(BIG).encode())


def deep(levels: int) -> dict[str, Any]:
    """A JSON schema of `levels` nested `properties` (two JSON levels each)."""
    schema: dict[str, Any] = {}
    for _ in range(levels):
        schema = {"properties": {"a": schema}}
    return schema


# ---------------------------------------------------------------------- hostile clients


@pytest.mark.parametrize("route", [CHAT, RESPONSES, "/v1/models"])
def test_a_web_page_is_refused(env: Env, gateway: str, route: str) -> None:
    headers = {"origin": "http://evil.example", "content-type": "text/plain"}
    body = orjson.dumps(BODIES.get(route, {}))
    method = "GET" if route == "/v1/models" else "POST"
    response = httpx.request(method, gateway + route, content=body, headers=headers)

    assert response.status_code == 403
    error = openai_error(response)
    assert (error["type"], error["param"], error["code"]) == (
        "request_forbidden",
        None,
        "permission_denied",
    )
    assert "ALLOWED_ORIGINS" in error["message"]
    assert not [name for name in response.headers if name.startswith("access-control-")]
    assert env.fake.requests == []


def test_the_sdk_raises_the_refusal_of_a_foreign_origin(gateway: str) -> None:
    with (
        openai.OpenAI(
            base_url=gateway + "/v1",
            api_key="any",
            max_retries=0,
            default_headers={"Origin": "http://evil.example"},
        ) as sdk,
        pytest.raises(openai.PermissionDeniedError) as caught,
    ):
        sdk.responses.create(model="gpt-5.4", input="hi")
    assert "ALLOWED_ORIGINS" in caught.value.message


@pytest.mark.parametrize("route", [CHAT, RESPONSES, "/v1/models/gpt-5.4"])
def test_a_dns_rebinding_host_is_refused(env: Env, gateway: str, route: str) -> None:
    headers = {"host": "rebind.attacker.example:8787"}
    if route == "/v1/models/gpt-5.4":
        response = httpx.get(gateway + route, headers=headers)
    else:
        response = post(gateway + route, orjson.dumps(BODIES[route]), **headers)
    assert response.status_code == 403
    error = openai_error(response)
    assert error["code"] == "permission_denied"
    assert "ALLOWED_HOSTS" in error["message"]
    assert env.fake.requests == []


@pytest.mark.parametrize("route", [CHAT, RESPONSES])
def test_a_text_plain_body_is_refused(env: Env, gateway: str, route: str) -> None:
    response = post(gateway + route, orjson.dumps(BODIES[route]), **{"content-type": "text/plain"})
    assert response.status_code == 415
    assert openai_error(response) == {
        "message": "this endpoint takes a JSON body: send Content-Type: application/json",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert env.fake.requests == []


@pytest.mark.parametrize("route", [CHAT, RESPONSES])
def test_an_announced_oversized_body_is_refused_unread(gateway: str, route: str) -> None:
    with connect(gateway) as sock:
        sock.sendall(
            f"POST {route} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            "Content-Length: 50000000\r\nConnection: close\r\n\r\n".encode()
        )  # and not one byte of the body
        status, headers, body = head_of(read_all(sock))
    assert status == 413
    assert headers["connection"] == "close"
    error = json.loads(body)["error"]
    assert (error["type"], error["param"], error["code"]) == (
        "invalid_request_error",
        None,
        "request_too_large",
    )
    assert "MAX_REQUEST_BODY_BYTES" in error["message"]


@pytest.mark.parametrize("route", [CHAT, RESPONSES])
def test_an_sdk_sending_too_much_reads_the_413(env: Env, gateways: Start, route: str) -> None:
    small = gateways(MAX_REQUEST_BODY_BYTES="4096")
    with (
        openai.OpenAI(base_url=small + "/v1", api_key="any", max_retries=0) as sdk,
        pytest.raises(openai.APIStatusError) as caught,
    ):
        if route == CHAT:
            sdk.chat.completions.create(
                model="gpt-5.4", messages=[{"role": "user", "content": "x" * 5000}]
            )
        else:
            sdk.responses.create(model="gpt-5.4", input="x" * 5000)
    assert caught.value.status_code == 413
    assert caught.value.code == "request_too_large"
    assert "4096 bytes" in caught.value.message
    assert env.fake.requests == []


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize("route", [CHAT, RESPONSES])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"model":', "We could not parse the JSON body of your request"),
        (b"[1,2]", "The request body must be a JSON object."),
        (b"\xff\xfe", "We could not parse the JSON body of your request"),
    ],
    ids=["truncated", "an array", "not UTF-8"],
)
def test_a_body_that_is_not_a_json_object_is_a_400(
    env: Env, gateway: str, route: str, content: bytes, message: str
) -> None:
    response = post(gateway + route, content)
    assert response.status_code == 400
    error = openai_error(response)
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", None, None)
    assert error["message"].startswith(message)
    assert env.fake.requests == []


TOOL = {"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}}
FLAT_TOOL = {"type": "function", "name": "t", "parameters": {"type": "object"}}
CALL = {"id": "call_1", "type": "function", "function": {"name": "t", "arguments": {"x": 0}}}

# (name, route, fields merged into the body, the `param` the 400 names)
BAD_FIELDS: list[tuple[str, str, dict[str, Any], str]] = [
    ("model not a string", CHAT, {"model": 5}, "model"),
    ("messages not a list", CHAT, {"messages": "hi"}, "messages"),
    ("a message not an object", CHAT, {"messages": [1]}, "messages[0]"),
    (
        "a content part of unknown type",
        CHAT,
        {"messages": [{"role": "user", "content": [{"type": "video"}]}]},
        "messages[0].content[0].type",
    ),
    ("n > 1", CHAT, {"n": 2}, "n"),
    ("stream not a boolean", CHAT, {"stream": "yes"}, "stream"),
    ("tools not a list", CHAT, {"tools": {"a": 1}}, "tools"),
    ("a tool not an object", CHAT, {"tools": [1]}, "tools[0]"),
    (
        "a tool without a name",
        CHAT,
        {"tools": [{"type": "function", "function": {}}]},
        "tools[0].function.name",
    ),
    ("tool_choice a number", CHAT, {"tool_choice": 5}, "tool_choice"),
    ("stop a number", CHAT, {"stop": 5}, "stop"),
    ("metadata values not strings", CHAT, {"metadata": {"a": 1}}, "metadata"),
    ("model not a string", RESPONSES, {"model": 5}, "model"),
    ("input a number", RESPONSES, {"input": 5}, "input"),
    ("input an object", RESPONSES, {"input": {"a": 1}}, "input"),
    ("an input item not an object", RESPONSES, {"input": [1]}, "input[0]"),
    ("an input item of unknown type", RESPONSES, {"input": [{"type": "x"}]}, "input[0].type"),
    (
        "a content part of unknown type",
        RESPONSES,
        {"input": [{"role": "user", "content": [{"type": "input_video"}]}]},
        "input[0].content[0].type",
    ),
    ("instructions a number", RESPONSES, {"instructions": 5}, "instructions"),
    ("tools not a list", RESPONSES, {"tools": {"a": 1}}, "tools"),
    (
        "tool parameters not an object",
        RESPONSES,
        {"tools": [{"type": "function", "name": "t", "parameters": 5}]},
        "tools[0].parameters",
    ),
    ("reasoning a string", RESPONSES, {"reasoning": "high"}, "reasoning"),
    ("include a string", RESPONSES, {"include": "x"}, "include"),
    ("max_output_tokens a string", RESPONSES, {"max_output_tokens": "5"}, "max_output_tokens"),
    ("metadata values not strings", RESPONSES, {"metadata": {"a": [1]}}, "metadata"),
    (
        "text.format of unknown type",
        RESPONSES,
        {"text": {"format": {"type": "xml"}}},
        "text.format.type",
    ),
]


@pytest.mark.parametrize(
    ("route", "fields", "param"),
    [case[1:] for case in BAD_FIELDS],
    ids=[f"{case[1].rsplit('/', 1)[-1]}: {case[0]}" for case in BAD_FIELDS],
)
def test_a_bad_field_is_a_400_naming_it(
    env: Env, gateway: str, route: str, fields: dict[str, Any], param: str
) -> None:
    response = post(gateway + route, orjson.dumps({**BODIES[route], **fields}))
    assert response.status_code == 400, response.text
    error = openai_error(response)
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, None)
    # OpenAI names the field in the message, or (for a value outside a closed set) in `param`.
    assert f"'{param}" in error["message"] or error["message"].startswith("Invalid value: ")
    assert env.fake.requests == []


# (name, route, body, the `param` the 400 names): values no encoder downstream can write
UNWRITABLE: list[tuple[str, str, bytes, str]] = [
    (
        "integer beyond 64 bits in a tool schema",
        CHAT,
        with_big_int(
            {
                **CHAT_BODY,
                "tools": [{**TOOL, "function": {"name": "t", "parameters": {"maximum": 0}}}],
            }
        ),
        "tools[0].function.parameters.maximum",
    ),
    (
        "integer beyond 64 bits in a tool schema",
        RESPONSES,
        with_big_int({**RESPONSES_BODY, "tools": [{**FLAT_TOOL, "parameters": {"maximum": 0}}]}),
        "tools[0].parameters.maximum",
    ),
    (
        "integer beyond 64 bits in a tool call's arguments",
        CHAT,
        with_big_int(
            {
                **CHAT_BODY,
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "tool_calls": [CALL]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
                ],
            }
        ),
        "messages[1].tool_calls[0].function.arguments.x",
    ),
    (
        "integer beyond 64 bits in a function call's arguments",
        RESPONSES,
        with_big_int(
            {
                **RESPONSES_BODY,
                "input": [
                    {"type": "function_call", "call_id": "c", "name": "t", "arguments": {"x": 0}},
                    {"type": "function_call_output", "call_id": "c", "output": "ok"},
                ],
            }
        ),
        "input[0].arguments.x",
    ),
    (
        "integer beyond 64 bits in an output schema",
        CHAT,
        with_big_int(
            {
                **CHAT_BODY,
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "o", "schema": {"maximum": 0}},
                },
            }
        ),
        "response_format.json_schema.schema.maximum",
    ),
    (
        "integer beyond 64 bits in an output schema",
        RESPONSES,
        with_big_int(
            {
                **RESPONSES_BODY,
                "text": {"format": {"type": "json_schema", "name": "o", "schema": {"maximum": 0}}},
            }
        ),
        "text.format.schema.maximum",
    ),
    (
        "max_tokens beyond 64 bits",
        CHAT,
        with_big_int({**CHAT_BODY, "max_tokens": 0}),
        "max_tokens",
    ),
    (
        "max_output_tokens beyond 64 bits",
        RESPONSES,
        with_big_int({**RESPONSES_BODY, "max_output_tokens": 0}),
        "max_output_tokens",
    ),
    (
        "a tool schema nested deeper than the encoder allows",
        CHAT,
        orjson.dumps(
            {
                **CHAT_BODY,
                "tools": [{"type": "function", "function": {"name": "t", "parameters": deep(100)}}],
            }
        ),
        "tools[0].function.parameters" + ".properties.a" * 32,
    ),
    (
        "a tool schema nested deeper than the encoder allows",
        RESPONSES,
        orjson.dumps({**RESPONSES_BODY, "tools": [{**FLAT_TOOL, "parameters": deep(100)}]}),
        "tools[0].parameters" + ".properties.a" * 32,
    ),
    (
        "CR/LF in the prompt cache key",
        CHAT,
        orjson.dumps({**CHAT_BODY, "prompt_cache_key": "a\r\nX-Evil: 1"}),
        "prompt_cache_key",
    ),
    (
        "CR/LF in the prompt cache key",
        RESPONSES,
        orjson.dumps({**RESPONSES_BODY, "prompt_cache_key": "a\r\nX-Evil: 1"}),
        "prompt_cache_key",
    ),
    (
        "a 100 KB prompt cache key",
        RESPONSES,
        orjson.dumps({**RESPONSES_BODY, "prompt_cache_key": "s" * 100_000}),
        "prompt_cache_key",
    ),
]


@pytest.mark.parametrize(
    ("route", "content", "param"),
    [case[1:] for case in UNWRITABLE],
    ids=[f"{case[1].rsplit('/', 1)[-1]}: {case[0]}" for case in UNWRITABLE],
)
def test_unwritable_input_is_a_400_naming_the_field(
    env: Env, gateway: str, route: str, content: bytes, param: str
) -> None:
    response = post(gateway + route, content)
    assert response.status_code == 400, response.text
    error = openai_error(response)
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, None)
    assert f"'{param}'" in error["message"]
    assert env.fake.requests == []


def test_a_bad_session_header_is_a_400(env: Env, gateway: str) -> None:
    body = orjson.dumps(RESPONSES_BODY)
    response = post(gateway + RESPONSES, body, session_id="s" * 60_000)
    assert response.status_code == 400, response.text
    error = openai_error(response)
    assert error["param"] == "session_id"
    assert "printable ASCII of at most 128 characters" in error["message"]
    assert env.fake.requests == []


# ---------------------------------------------------------------------- models


def test_an_unknown_model_is_a_404_the_sdk_raises(env: Env, sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.models.retrieve("no-such-model")
    assert caught.value.body == {
        "message": "Model 'no-such-model' not found. Use GET /v1/models to list available models.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert "gpt-5.4" in [model.id for model in sdk.models.list()]


def test_a_post_to_the_model_list_is_a_405(gateway: str) -> None:
    response = post(gateway + "/v1/models", b"{}")
    assert response.status_code == 405
    assert openai_error(response)["type"] == "invalid_request_error"
