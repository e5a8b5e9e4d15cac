"""`parse_chat`: table-driven parsing and OpenAI-style error paths."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode import errors, ir
from codex2claudecode.frontends.openai_chat.request import parse_chat

USER = {"role": "user", "content": "hi"}


def parse(**fields: object) -> ir.Request:
    body = {"model": "gpt-5.4", "messages": [USER], **fields}
    return parse_chat(orjson.dumps(body))


def test_a_conversation_with_parallel_tool_calls() -> None:
    request = parse(
        messages=[
            {"role": "system", "content": "S"},
            {"role": "developer", "content": [{"type": "text", "text": "D"}]},
            USER,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                    {
                        "id": "c2",
                        "type": "function",
                        "function": {"name": "g", "arguments": '{"a":1}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "one"},
            {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "two"}]},
            {"role": "assistant", "content": "done"},
            {"role": "system", "content": "late"},
        ]
    )
    assert request.system == "S\n\nD"
    assert request.messages == (
        ir.Message("user", (ir.TextPart("hi"),)),
        ir.Message(
            "assistant", (ir.ToolCallPart("c1", "f", "{}"), ir.ToolCallPart("c2", "g", '{"a":1}'))
        ),
        ir.Message(
            "user",
            (
                ir.ToolResultPart("c1", (ir.TextPart("one"),)),
                ir.ToolResultPart("c2", (ir.TextPart("two"),)),
            ),
        ),
        ir.Message("assistant", (ir.TextPart("done"),)),
        ir.Message("system", (ir.TextPart("late"),)),
    )


def test_user_content_parts() -> None:
    content = [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
        {
            "type": "file",
            "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBE"},
        },
        {"type": "file", "file": {"file_id": "file_1"}},
    ]
    assert parse(messages=[{"role": "user", "content": content}]).messages[0].parts == (
        ir.TextPart("look"),
        ir.ImagePart("image/jpeg", "/9j/"),
        ir.ImagePart(None, None, url="https://x/y.png"),
        ir.DocumentPart("base64", "a.pdf", "application/pdf", "JVBE"),
        ir.DocumentPart("file", file_id="file_1"),
    )


def test_settings() -> None:
    request = parse(
        tools=[
            {
                "type": "function",
                "function": {"name": "f", "parameters": {"type": "object"}, "strict": True},
            },
            {"type": "custom", "custom": {"name": "free"}},
        ],
        tool_choice={"type": "function", "function": {"name": "f"}},
        parallel_tool_calls=False,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "n", "schema": {"type": "object"}, "strict": True},
        },
        reasoning_effort="minimal",
        verbosity="low",
        stream=True,
        stream_options={"include_usage": True},
        max_tokens=10,
        max_completion_tokens=20,
        stop="END",
        n=1,
        temperature=0.3,
        top_p=0.5,
        prompt_cache_key="k",
        metadata={"a": "b"},
    )
    assert [tool.name for tool in request.tools] == ["f"] and request.tools[0].strict
    assert request.tool_choice == ir.ToolChoice("tool", "f", parallel=False)
    assert request.output_format == ir.OutputFormat({"type": "object"}, "n", strict=True)
    assert (request.effort, request.verbosity) == ("minimal", "low")
    assert request.stream and request.stream_usage
    assert (request.max_tokens, request.stop_sequences, request.session_key) == (20, ("END",), "k")
    assert request.metadata == {"a": "b"}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"tool_choice": "none"}, ir.ToolChoice("none")),
        ({"tool_choice": "auto"}, ir.ToolChoice("auto")),
        ({"tool_choice": "required"}, ir.ToolChoice("any")),
        ({"parallel_tool_calls": False}, ir.ToolChoice("auto", parallel=False)),
        ({}, None),
    ],
)
def test_tool_choice(fields: dict[str, object], expected: ir.ToolChoice | None) -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    assert parse(tools=tools, **fields).tool_choice == expected


def test_formats_and_stops() -> None:
    assert parse(response_format={"type": "text"}).output_format is None
    assert parse(response_format={"type": "json_object"}).output_format == ir.OutputFormat(
        {"type": "object"}, None, strict=False
    )
    assert parse(stop=["a", "b"]).stop_sequences == ("a", "b")
    assert parse(max_tokens=5).max_tokens == 5
    assert not parse(stream_options={"include_usage": True}).stream_usage  # not streaming


@pytest.mark.parametrize(
    ("fields", "param", "message"),
    [
        ({"messages": []}, "messages", "empty array"),
        ({"messages": None}, "messages", "expected an array"),
        ({"n": 2}, "n", "one choice per request"),
        (
            {"messages": [{"role": "robot", "content": "x"}]},
            "messages[0].role",
            "Supported values are: 'system'",
        ),
        (
            {"messages": [{"role": "function", "content": "x", "name": "f"}]},
            "messages[0].role",
            "deprecated",
        ),
        (
            {"messages": [USER, {"role": "tool", "content": "x"}]},
            "messages[1].tool_call_id",
            "Missing required parameter",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]},
            "messages[0].content[0].type",
            "'input_audio'",
        ),
        (
            {
                "messages": [
                    {"role": "system", "content": [{"type": "image_url", "image_url": "u"}]}
                ]
            },
            "messages[0].content[0].type",
            "Supported values are: 'text'",
        ),
        ({"messages": [{"role": "user"}]}, "messages[0].content", "Missing required parameter"),
        (
            {"messages": [{"role": "assistant"}]},
            "messages[0].content",
            "Missing required parameter",
        ),
        (
            {"messages": [{"role": "assistant", "tool_calls": [{"id": "c", "function": {}}]}]},
            "messages[0].tool_calls[0].function.name",
            "Missing required parameter",
        ),
        ({"tools": [{"type": "function"}]}, "tools[0].function", "Missing required parameter"),
        (
            {"tools": [{"type": "function", "function": {"name": "f"}}] * 2},
            "tools[1]",
            "duplicate tool name",
        ),
        (
            {"tool_choice": {"type": "function", "function": {"name": "zz"}}},
            "tool_choice.function.name",
            "'zz' is not among",
        ),
        (
            {"response_format": {"type": "json_schema"}},
            "response_format.json_schema",
            "Missing required parameter",
        ),
        ({"reasoning_effort": "max"}, "reasoning_effort", "'xhigh'"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "at most 4"),
        ({"max_completion_tokens": 0}, "max_completion_tokens", "expected a value >= 1."),
        ({"max_tokens": 2**63}, "max_tokens", "expected a value <= 9223372036854775807."),
        ({"metadata": {"a": {"b": "c"}}}, "metadata", "expected a string, but got an object"),
        ({"prompt_cache_key": "a\r\nb"}, "prompt_cache_key", "printable ASCII"),
        ({"input": "x"}, "input", "use 'messages'"),
        ({"text": {}}, "text", "use 'response_format'"),
    ],
)
def test_bad_input_names_the_path(fields: dict[str, object], param: str, message: str) -> None:
    with pytest.raises(errors.InvalidRequest) as caught:
        parse(**fields)
    assert caught.value.param == param
    assert message in caught.value.message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(["role", "content", "tool_calls", "tool_call_id"])
VALUES = JSON | st.sampled_from(["user", "assistant", "tool", "system"])


@given(st.lists(st.dictionaries(KEYS, VALUES), min_size=1, max_size=4))
def test_arbitrary_messages_either_parse_or_name_a_field(messages: list[dict[str, object]]) -> None:
    try:
        parse(messages=messages)
    except errors.InvalidRequest as exc:
        assert exc.param is not None and exc.param.startswith("messages[")
