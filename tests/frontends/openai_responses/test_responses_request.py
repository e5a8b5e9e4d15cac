"""`parse_responses`: table-driven parsing, OpenAI-style error paths, and the requests the real
Codex CLI sends."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode import errors, ir
from codex2claudecode.frontends.openai_responses.request import parse_responses

FIXTURES = Path(__file__).parents[2] / "fixtures" / "codex-cli"


def parse(**fields: object) -> ir.Request:
    body = {"model": "gpt-5.4", "input": "hi", **fields}
    return parse_responses(orjson.dumps(body))


NESTED: list[object] = []
for _ in range(70):
    NESTED = [NESTED]


def error_of(**fields: object) -> errors.InvalidRequest:
    with pytest.raises(errors.InvalidRequest) as caught:
        parse(**fields)
    return caught.value


def test_string_input_is_one_user_message() -> None:
    request = parse()
    assert request.messages == (ir.Message("user", (ir.TextPart("hi"),)),)
    assert request.system == "" and request.stream is False


def test_leading_developer_messages_become_the_system_prompt() -> None:
    request = parse(
        input=[
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "A"}],
            },
            {"role": "system", "content": "B"},
            {"role": "user", "content": "hi"},
            {"role": "developer", "content": "later"},
        ]
    )
    assert request.system == "A\n\nB"
    assert request.messages == (
        ir.Message("user", (ir.TextPart("hi"),)),
        ir.Message("system", (ir.TextPart("later"),)),
    )


def test_instructions_keep_developer_messages_in_place() -> None:
    request = parse(
        instructions="I",
        input=[{"role": "developer", "content": "D"}, {"role": "user", "content": "u"}],
    )
    assert request.system == "I"
    assert request.messages[0] == ir.Message("system", (ir.TextPart("D"),))


def test_a_tool_round_trip_groups_into_turns() -> None:
    request = parse(
        input=[
            {"role": "user", "content": "run"},
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "S"}],
                "encrypted_content": "E",
            },
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "c1",
                "name": "f",
                "arguments": "{}",
            },
            {"type": "function_call", "call_id": "c2", "name": "g", "arguments": {"x": 1}},
            {"type": "function_call_output", "call_id": "c1", "output": "one"},
            {
                "type": "function_call_output",
                "call_id": "c2",
                "output": [{"type": "input_text", "text": "two"}],
            },
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "done"}],
            },
        ]
    )
    assert request.messages[1:] == (
        ir.Message(
            "assistant",
            (
                ir.ThinkingPart("S", "E"),
                ir.ToolCallPart("c1", "f", "{}"),
                ir.ToolCallPart("c2", "g", '{"x":1}'),
            ),
        ),
        ir.Message(
            "user",
            (
                ir.ToolResultPart("c1", (ir.TextPart("one"),)),
                ir.ToolResultPart("c2", (ir.TextPart("two"),)),
            ),
        ),
        ir.Message("assistant", (ir.TextPart("done"),)),
    )


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            {"type": "reasoning", "summary": [], "encrypted_content": "E"},
            ir.RedactedThinkingPart("E"),
        ),
        (
            {
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": "S"}],
                "encrypted_content": None,
            },
            ir.ThinkingPart("S", None),
        ),
    ],
)
def test_reasoning_items(item: dict[str, object], expected: ir.Part) -> None:
    assert parse(input=[{"role": "user", "content": "u"}, item]).messages[1].parts == (expected,)


def test_content_parts() -> None:
    content = [
        {"type": "input_text", "text": "t"},
        {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
        {"type": "input_image", "image_url": "https://x/y.png", "detail": "high"},
        {
            "type": "input_file",
            "filename": "a.pdf",
            "file_data": "data:application/pdf;base64,UEs=",
        },
        {"type": "input_file", "file_id": "file_1"},
        {"type": "input_file", "file_url": "https://x/a.pdf"},
    ]
    assert parse(input=[{"role": "user", "content": content}]).messages[0].parts == (
        ir.TextPart("t"),
        ir.ImagePart("image/png", "AAAA"),
        ir.ImagePart(None, None, url="https://x/y.png"),
        ir.DocumentPart("base64", "a.pdf", "application/pdf", "UEs="),
        ir.DocumentPart("file", file_id="file_1"),
        ir.DocumentPart("url", url="https://x/a.pdf"),
    )


def test_settings() -> None:
    request = parse(
        tools=[
            {"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": True},
            {"type": "web_search", "external_web_access": True},
            {
                "type": "namespace",
                "name": "ns",
                "description": "d",
                "tools": [{"type": "function", "name": "g"}],
            },
        ],
        tool_choice={"type": "function", "name": "g"},
        parallel_tool_calls=False,
        reasoning={"effort": "xhigh", "summary": "concise"},
        text={"format": {"type": "json_object"}, "verbosity": "high"},
        max_output_tokens=50,
        stream=True,
        prompt_cache_key="sess",
        metadata={"a": "b"},
        include=["reasoning.encrypted_content"],
        temperature=0.2,
    )
    assert [tool.name for tool in request.tools] == ["f", "g"]
    assert request.tools[0].strict and request.tools[1].input_schema == {
        "type": "object",
        "properties": {},
    }
    assert request.tool_choice == ir.ToolChoice("tool", "g", parallel=False)
    assert (request.effort, request.reasoning_summary, request.verbosity) == (
        "xhigh",
        "concise",
        "high",
    )
    assert request.output_format == ir.OutputFormat({"type": "object"}, None, strict=False)
    assert (request.max_tokens, request.stream, request.session_key) == (50, True, "sess")
    assert request.metadata == {"a": "b"} and request.include == ("reasoning.encrypted_content",)


def test_json_schema_format() -> None:
    request = parse(
        text={
            "format": {
                "type": "json_schema",
                "name": "n",
                "schema": {"type": "object"},
                "strict": False,
            }
        }
    )
    assert request.output_format == ir.OutputFormat({"type": "object"}, "n", strict=False)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("none", ir.ToolChoice("none")),
        ("auto", ir.ToolChoice("auto")),
        ("required", ir.ToolChoice("any")),
        ({"type": "allowed_tools", "mode": "required", "tools": []}, ir.ToolChoice("any")),
        ({"type": "web_search_preview"}, ir.ToolChoice("auto")),
    ],
)
def test_tool_choice(choice: object, expected: ir.ToolChoice) -> None:
    assert (
        parse(tool_choice=choice, tools=[{"type": "function", "name": "f"}]).tool_choice == expected
    )


def test_session_header_is_the_fallback_key() -> None:
    body = b'{"model":"m","input":"x"}'
    assert parse_responses(body, session_header=" s1 ").session_key == "s1"


@pytest.mark.parametrize(
    ("fields", "param", "message"),
    [
        (
            {"model": 5},
            "model",
            "Invalid type for 'model': expected a string, but got an integer instead.",
        ),
        ({"input": None}, "input", "Missing required parameter: 'input'."),
        (
            {"input": [{"role": "user"}]},
            "input[0].content",
            "Missing required parameter: 'input[0].content'.",
        ),
        (
            {"input": [{"role": "bot", "content": "x"}]},
            "input[0].role",
            "Invalid value: 'bot'. Supported values are: 'user', 'assistant', 'system', and "
            "'developer'.",
        ),
        (
            {
                "input": [
                    {"role": "user", "content": "u"},
                    {
                        "role": "user",
                        "content": [{"type": "input_text", "text": "a"}, {"type": "video"}],
                    },
                ]
            },
            "input[1].content[1].type",
            "Invalid value: 'video'.",
        ),
        (
            {"input": [{"type": "function_call", "name": "f", "arguments": "{}"}]},
            "input[0].call_id",
            "Missing required parameter: 'input[0].call_id'.",
        ),
        ({"input": [{"type": "item_reference", "id": "x"}]}, "input[0].type", "item_reference"),
        ({"input": [{"type": "mystery"}]}, "input[0].type", "Supported values are: 'message'"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]},
            "input[0].content[0].file_id",
            "send 'image_url'",
        ),
        (
            {"tools": [{"type": "function"}]},
            "tools[0].name",
            "Missing required parameter: 'tools[0].name'.",
        ),
        (
            {"tools": [{"type": "function", "name": "f"}, {"type": "function", "name": "f"}]},
            "tools[1]",
            "duplicate tool name 'f'",
        ),
        (
            {
                "tools": [
                    {
                        "type": "namespace",
                        "name": "n",
                        "description": "d",
                        "tools": [{"type": "function", "name": ""}],
                    }
                ]
            },
            "tools[0].tools[0].name",
            "empty string",
        ),
        (
            {"tool_choice": {"type": "function", "name": "nope"}},
            "tool_choice",
            "'nope' is not among",
        ),
        (
            {"reasoning": {"effort": "max"}},
            "reasoning.effort",
            "Supported values are: 'none', 'minimal', 'low', 'medium', 'high', and 'xhigh'.",
        ),
        ({"max_output_tokens": 0}, "max_output_tokens", "expected a value >= 1."),
        ({"max_output_tokens": 2**63}, "max_output_tokens", "expected a value <= "),
        ({"metadata": {"a": 1}}, "metadata", "expected a string, but got an integer"),
        ({"prompt_cache_key": "s" * 129}, "prompt_cache_key", "at most 128 characters"),
        (
            {"text": {"format": {"type": "json_schema", "name": "o", "schema": {"m": NESTED}}}},
            "text.format.schema.m" + "[0]" * 63,
            "JSON nested more than 64 levels deep",
        ),
        (
            {"text": {"format": {"type": "json_schema", "schema": {}}}},
            "text.format.name",
            "Missing required parameter",
        ),
        ({"previous_response_id": "resp_1"}, "previous_response_id", "send the whole conversation"),
        ({"background": True}, "background", "Unsupported parameter"),
        ({"messages": []}, "messages", "use 'input'"),
        (
            {
                "input": [
                    {
                        "role": "user",
                        "content": [{"type": "input_image", "image_url": "data:image/png,xyz"}],
                    }
                ]
            },
            "input[0].content[0].image_url",
            "base64",
        ),
    ],
)
def test_bad_input_names_the_path(fields: dict[str, object], param: str, message: str) -> None:
    error = error_of(**fields)
    assert error.param == param
    assert message in error.message
    assert error.status == 400


def test_not_json_and_not_an_object() -> None:
    with pytest.raises(errors.InvalidRequest, match="could not parse the JSON"):
        parse_responses(b"{")
    with pytest.raises(errors.InvalidRequest, match="must be a JSON object"):
        parse_responses(b"[]")


@pytest.mark.parametrize("name", ["plain_text", "exec_tool_loop", "reasoning_sandbox"])
def test_every_codex_cli_request_parses(name: str) -> None:
    lines = (FIXTURES / f"{name}.jsonl").read_bytes().splitlines()
    for line in lines:
        body = orjson.loads(line)["body"]
        request = parse_responses(orjson.dumps(body))
        assert request.system.startswith("You are a coding agent running in the Codex CLI")
        assert request.messages[-1].role == "user"
        assert request.session_key == body["prompt_cache_key"]
        assert "exec_command" in [tool.name for tool in request.tools]
        assert "spawn_agent" in [tool.name for tool in request.tools]  # from the namespace
        calls = [p for m in request.messages for p in m.parts if isinstance(p, ir.ToolCallPart)]
        outputs = [p for m in request.messages for p in m.parts if isinstance(p, ir.ToolResultPart)]
        assert [c.id for c in calls] == [o.call_id for o in outputs]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
ITEM_KEYS = st.sampled_from(
    [
        "type",
        "role",
        "content",
        "call_id",
        "name",
        "arguments",
        "output",
        "summary",
        "encrypted_content",
    ]
)


@given(
    st.lists(
        st.dictionaries(
            ITEM_KEYS, JSON | st.sampled_from(["message", "user", "function_call", "reasoning"])
        ),
        max_size=4,
    ),
    JSON,
)
def test_arbitrary_input_either_parses_or_names_a_field(
    items: list[dict[str, object]], tools: object
) -> None:
    try:
        parse(input=items or "x", tools=tools)
    except errors.InvalidRequest as exc:
        assert exc.message
        assert exc.param is None or exc.param.split(".")[0].split("[")[0] in ("input", "tools")
