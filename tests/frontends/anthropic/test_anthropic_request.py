"""Tests for the Anthropic request parser: captured Claude Code bodies, features, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codex2claudecode import errors, ir
from codex2claudecode.frontends.anthropic.request import (
    parse_count_tokens,
    parse_messages,
    session_key_from,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "claude-code"
BILLING = "x-anthropic-billing-header: cc_version=2.1.197.1c0; cc_entrypoint=cli;"
IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."
IDENTITIES = {IDENTITY, "You are a Claude agent, built on Anthropic's Claude Agent SDK."}
DROP = object()


def fixture(name: str) -> tuple[dict[str, Any], bytes, str | None]:
    request = json.loads((FIXTURES / name).read_text())["request"]
    headers = {key.lower(): value for key, value in request["headers"]}
    body = request["body"]
    return body, json.dumps(body).encode(), headers.get("x-claude-code-session-id")


def make_body(**fields: object) -> bytes:
    """A minimal valid /v1/messages body; a field given as DROP is removed."""
    body: dict[str, object] = {
        "model": "gpt-5.4",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
    }
    body.update(fields)
    return json.dumps({key: value for key, value in body.items() if value is not DROP}).encode()


def blocks(*content: object, role: str = "user") -> bytes:
    return make_body(messages=[{"role": role, "content": list(content)}])


def parts_of(*content: object, role: str = "user") -> tuple[ir.Part, ...]:
    return parse_messages(blocks(*content, role=role)).messages[0].parts


# --------------------------------------------------------------------------- captured bodies

MESSAGE_FIXTURES = sorted(path.name for path in FIXTURES.glob("messages_*.json"))
COUNT_FIXTURES = sorted(path.name for path in FIXTURES.glob("count_tokens_*.json"))


def test_fixtures_were_found() -> None:
    assert len(MESSAGE_FIXTURES) >= 7
    assert len(COUNT_FIXTURES) >= 2


@pytest.mark.parametrize("name", MESSAGE_FIXTURES)
def test_claude_code_bodies_parse(name: str) -> None:
    raw, body, header = fixture(name)

    request = parse_messages(body, session_header=header)

    assert request.model == raw["model"]
    assert request.max_tokens == raw["max_tokens"]
    assert request.stream is raw.get("stream", False)
    assert (
        [tool.name for tool in request.tools] == [tool["name"] for tool in raw["tools"]]
        if ("tools" in raw)
        else request.tools == ()
    )
    assert [message.role for message in request.messages] == [m["role"] for m in raw["messages"]]
    assert "x-anthropic-billing-header" not in request.system
    assert IDENTITY not in request.system
    assert request.session_key == header == "<SESSION_ID>"
    assert request.metadata == {"user_id": raw["metadata"]["user_id"]}


@pytest.mark.parametrize("name", ["messages_main_stream.json", "messages_main_interactive.json"])
def test_main_turn_keeps_system_prompt_text_and_the_mid_conversation_system_message(
    name: str,
) -> None:
    raw, body, header = fixture(name)

    request = parse_messages(body, session_header=header)

    kept = [block["text"] for block in raw["system"][1:] if block["text"] not in IDENTITIES]
    assert request.system == "\n\n".join(kept)
    assert request.messages[1] == ir.Message(
        "system", (ir.TextPart(raw["messages"][1]["content"]),)
    )
    assert request.thinking == ir.Thinking("adaptive")
    assert request.effort == "high"
    assert request.tool_choice is None


def test_thinking_echo_keeps_signature_tool_call_and_result() -> None:
    _, body, header = fixture("messages_thinking_echo.json")

    request = parse_messages(body, session_header=header)

    assistant, result = request.messages[2], request.messages[3]
    assert assistant.parts == (
        ir.ThinkingPart(
            "Fake reasoning from fake-anthropic.", "fakesig_754f5142e4004561bc28700962dda281"
        ),
        ir.ToolCallPart(
            "toolu_fake_5377474aa37a4175bdea8d06",
            "Bash",
            '{"command":"echo hi","description":"Print hi"}',
        ),
    )
    assert result.parts == (
        ir.ToolResultPart("toolu_fake_5377474aa37a4175bdea8d06", (ir.TextPart("hi"),)),
    )


def test_session_title_request_carries_structured_output() -> None:
    raw, body, header = fixture("messages_session_title_structured.json")

    request = parse_messages(body, session_header=header)

    assert request.output_format == ir.OutputFormat(raw["output_config"]["format"]["schema"])
    assert request.thinking == ir.Thinking("disabled")
    assert request.system.startswith("Generate a concise, sentence-case title")


def test_session_key_comes_from_metadata_without_the_header() -> None:
    _, body, _ = fixture("messages_main_stream.json")

    assert parse_messages(body).session_key == "<SESSION_ID>"
    assert parse_messages(body, session_header="hdr-1").session_key == "hdr-1"


@pytest.mark.parametrize("name", COUNT_FIXTURES)
def test_count_tokens_bodies_parse(name: str) -> None:
    raw, body, header = fixture(name)

    request = parse_count_tokens(body, session_header=header)

    assert request.max_tokens is None
    assert request.messages == (ir.Message("user", (ir.TextPart("foo"),)),)
    assert [tool.name for tool in request.tools] == [tool["name"] for tool in raw["tools"]]
    assert request.session_key == "<SESSION_ID>"


def test_count_tokens_accepts_empty_messages() -> None:
    request = parse_count_tokens(make_body(max_tokens=DROP, messages=[]))

    assert request.messages == ()


# --------------------------------------------------------------------------- session key

SESSION_ID = "6f1c2a8e-1111-4222-8333-944455556666"


@pytest.mark.parametrize(
    ("header", "user_id", "expected"),
    [
        ("hdr", json.dumps({"session_id": SESSION_ID}), "hdr"),
        ("  ", json.dumps({"session_id": SESSION_ID}), SESSION_ID),
        (
            None,
            json.dumps({"device_id": "d", "account_uuid": "", "session_id": SESSION_ID}),
            SESSION_ID,
        ),
        (None, f"user_abc123_account_0c1d_session_{SESSION_ID}", SESSION_ID),
        (None, f"user_abc123_account__session_{SESSION_ID}", SESSION_ID),
        (None, json.dumps({"device_id": "d"}), None),
        (None, json.dumps({"session_id": 5}), None),
        (None, "{not json", None),
        (None, "user_abc123", None),
        (None, "user_abc_session_", None),
        (None, "", None),
        (None, None, None),
    ],
)
def test_session_key_from(header: str | None, user_id: str | None, expected: str | None) -> None:
    assert session_key_from(header, user_id) == expected


# --------------------------------------------------------------------------- system prompt


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        (DROP, ""),
        (None, ""),
        ("Be brief.", "Be brief."),
        (f"  {BILLING}", ""),
        (IDENTITY, ""),
        (
            [
                {"type": "text", "text": BILLING},
                {"type": "text", "text": IDENTITY, "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "  "},
                {"type": "text", "text": "\nFirst.\n"},
                {"type": "text", "text": "Second.", "citations": None},
            ],
            "\nFirst.\n\n\nSecond.",
        ),
        ([{"type": "text", "text": f"{IDENTITY} And more."}], f"{IDENTITY} And more."),
    ],
)
def test_system_prompt(system: object, expected: str) -> None:
    assert parse_messages(make_body(system=system)).system == expected


def test_system_message_inside_messages_keeps_its_place_and_text_blocks() -> None:
    messages = [
        {"role": "user", "content": "a"},
        {
            "role": "system",
            "content": [{"type": "text", "text": "s1"}, {"type": "text", "text": "s2"}],
        },
        {"role": "assistant", "content": "b"},
    ]

    request = parse_messages(make_body(messages=messages))

    assert request.messages == (
        ir.Message("user", (ir.TextPart("a"),)),
        ir.Message("system", (ir.TextPart("s1"), ir.TextPart("s2"))),
        ir.Message("assistant", (ir.TextPart("b"),)),
    )


# --------------------------------------------------------------------------- content blocks

PNG = {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"type": "text", "text": "t", "cache_control": {"type": "ephemeral"}}, ir.TextPart("t")),
        ({"type": "image", "source": PNG}, ir.ImagePart("image/png", "iVBORw0KGgo=")),
        (
            {"type": "image", "source": {"type": "url", "url": "https://x/a.png"}},
            ir.ImagePart(None, None, url="https://x/a.png"),
        ),
        (
            {
                "type": "document",
                "title": "Spec",
                "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"},
            },
            ir.DocumentPart("base64", "Spec", "application/pdf", "JVBE"),
        ),
        (
            {"type": "document", "source": {"type": "url", "url": "https://x/a.pdf"}},
            ir.DocumentPart("url", url="https://x/a.pdf"),
        ),
        (
            {
                "type": "document",
                "source": {"type": "text", "media_type": "text/plain", "data": "d"},
            },
            ir.DocumentPart("text", None, "text/plain", "d"),
        ),
        (
            {
                "type": "document",
                "title": None,
                "citations": {"enabled": True},
                "source": {
                    "type": "content",
                    "content": [{"type": "text", "text": "p1"}, {"type": "text", "text": "p2"}],
                },
            },
            ir.DocumentPart("text", None, "text/plain", "p1\np2"),
        ),
        (
            {"type": "document", "source": {"type": "file", "file_id": "file-abc"}},
            ir.DocumentPart("file", file_id="file-abc"),
        ),
        (
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "Read",
                "input": {"path": "a b", "n": [1, 2.5]},
            },
            ir.ToolCallPart("toolu_1", "Read", '{"path":"a b","n":[1,2.5]}'),
        ),
        (
            {"type": "tool_use", "id": "toolu_1", "name": "Now", "input": {}},
            ir.ToolCallPart("toolu_1", "Now", "{}"),
        ),
        (
            {"type": "tool_use", "id": "toolu_1", "name": "Big", "input": {"n": 10**30}},
            ir.ToolCallPart("toolu_1", "Big", '{"n":1000000000000000000000000000000}'),
        ),
        (
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "out", "is_error": True},
            ir.ToolResultPart("toolu_1", (ir.TextPart("out"),), is_error=True),
        ),
        (
            {"type": "tool_result", "tool_use_id": "toolu_1"},
            ir.ToolResultPart("toolu_1", ()),
        ),
        (
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "is_error": None,
                "content": [{"type": "text", "text": "see"}, {"type": "image", "source": PNG}],
            },
            ir.ToolResultPart(
                "toolu_1", (ir.TextPart("see"), ir.ImagePart("image/png", "iVBORw0KGgo="))
            ),
        ),
        (
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            ir.ThinkingPart("hmm", "sig"),
        ),
        ({"type": "redacted_thinking", "data": "opaque"}, ir.RedactedThinkingPart("opaque")),
    ],
)
def test_content_block(block: dict[str, object], expected: ir.Part) -> None:
    assert parts_of(block) == (expected,)


def test_tool_result_document_follows_the_result() -> None:
    result = {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": [
            {"type": "text", "text": "PDF read"},
            {
                "type": "document",
                "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"},
            },
            {"type": "search_result", "source": "s", "title": "t", "content": []},
        ],
    }

    assert parts_of(result, {"type": "text", "text": "next"}) == (
        ir.ToolResultPart("toolu_1", (ir.TextPart("PDF read"),)),
        ir.DocumentPart("base64", None, "application/pdf", "JVBE"),
        ir.TextPart("next"),
    )


@pytest.mark.parametrize(
    "block",
    [
        {
            "type": "server_tool_use",
            "id": "srvtoolu_1",
            "name": "web_search",
            "input": {"query": "q"},
        },
        {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
        {"type": "web_fetch_tool_result", "tool_use_id": "srvtoolu_1", "content": {}},
        {"type": "search_result", "source": "s", "title": "t", "content": []},
        {"type": "container_upload", "file_id": "file_1"},
        {"type": "mcp_tool_use", "id": "mcptoolu_1", "name": "n", "server_name": "s", "input": {}},
        {"type": "mcp_tool_result", "tool_use_id": "mcptoolu_1", "content": []},
    ],
)
def test_server_side_blocks_are_dropped(block: dict[str, object]) -> None:
    assert parts_of({"type": "text", "text": "a"}, block, role="assistant") == (ir.TextPart("a"),)


def test_unknown_fields_are_ignored_everywhere() -> None:
    body = make_body(
        temperature=None,
        tool_choice=None,
        context_management={"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        some_future_field={"x": [1]},
        metadata={"user_id": None, "other": 1},
        output_config={"effort": None, "task_budget": 5},
        messages=[
            {
                "role": "user",
                "name": "ignored",
                "content": [{"type": "text", "text": "t", "citations": [{"x": 1}], "extra": True}],
            }
        ],
    )

    request = parse_messages(body)

    assert request.messages == (ir.Message("user", (ir.TextPart("t"),)),)
    assert request.metadata == {}
    assert request.effort is None


# --------------------------------------------------------------------------- tools and options


def test_tools() -> None:
    schema: dict[str, object] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
    }
    tools = [
        {"name": "Read", "description": "Read a file", "input_schema": schema, "strict": True},
        {"type": "custom", "name": "Now", "cache_control": {"type": "ephemeral"}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
        {"type": "bash_20250124", "name": "bash"},
        {"type": "mcp_toolset", "mcp_server_name": "srv"},
    ]

    request = parse_messages(make_body(tools=tools))

    assert request.tools == (
        ir.Tool("Read", "Read a file", schema, strict=True),
        ir.Tool("Now", None, {"type": "object", "properties": {}}),
    )


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        (None, None),
        ({"type": "auto"}, ir.ToolChoice("auto")),
        ({"type": "any", "disable_parallel_tool_use": True}, ir.ToolChoice("any", parallel=False)),
        ({"type": "none", "disable_parallel_tool_use": False}, ir.ToolChoice("none")),
        ({"type": "tool", "name": "Read"}, ir.ToolChoice("tool", "Read")),
        (
            {"type": "tool", "name": "Read", "disable_parallel_tool_use": True},
            ir.ToolChoice("tool", "Read", parallel=False),
        ),
    ],
)
def test_tool_choice(tool_choice: object, expected: ir.ToolChoice | None) -> None:
    body = make_body(tools=[{"name": "Read", "input_schema": {}}], tool_choice=tool_choice)

    assert parse_messages(body).tool_choice == expected


@pytest.mark.parametrize(
    ("thinking", "expected"),
    [
        (None, None),
        ({"type": "enabled", "budget_tokens": 2048}, ir.Thinking("enabled", 2048)),
        ({"type": "adaptive"}, ir.Thinking("adaptive")),
        ({"type": "adaptive", "budget_tokens": 5}, ir.Thinking("adaptive")),
        ({"type": "disabled"}, ir.Thinking("disabled")),
        (
            {"type": "adaptive", "display": "omitted"},
            ir.Thinking("adaptive", display="omitted"),
        ),
        (
            {"type": "enabled", "budget_tokens": 1024, "display": "summarized"},
            ir.Thinking("enabled", 1024, "summarized"),
        ),
        # Claude Code's `updates` (stream-json output), and any value to come, shows the text.
        ({"type": "adaptive", "display": "updates"}, ir.Thinking("adaptive")),
    ],
)
def test_thinking(thinking: object, expected: ir.Thinking | None) -> None:
    assert parse_messages(make_body(thinking=thinking)).thinking == expected


@pytest.mark.parametrize(
    ("effort", "expected"),
    [("low", "low"), ("medium", "medium"), ("high", "high"), ("xhigh", "xhigh"), ("max", "xhigh")],
)
def test_effort(effort: str, expected: ir.Effort) -> None:
    assert parse_messages(make_body(output_config={"effort": effort})).effort == expected


SCHEMA: dict[str, object] = {"type": "object", "properties": {"title": {"type": "string"}}}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, None),
        (
            {"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}},
            ir.OutputFormat(SCHEMA),
        ),
        (
            {"output_config": {"format": {"type": "json_schema", "schema": SCHEMA, "name": "t"}}},
            ir.OutputFormat(SCHEMA, "t"),
        ),
        (
            {
                "output_format": {
                    "type": "json_schema",
                    "schema": {**SCHEMA, "title": " Session title! (v2) "},
                }
            },
            ir.OutputFormat({**SCHEMA, "title": " Session title! (v2) "}, "Session_title_v2"),
        ),
        (
            {"output_format": {"type": "json_schema", "schema": {"title": "x" * 80}}},
            ir.OutputFormat({"title": "x" * 80}, "x" * 64),
        ),
        (
            {"output_format": {"type": "json_schema", "schema": {"title": "!!"}}},
            ir.OutputFormat({"title": "!!"}),
        ),
        (
            {
                "output_config": {
                    "format": {"type": "json_schema", "schema": SCHEMA, "name": "new"}
                },
                "output_format": {"type": "json_schema", "schema": {}, "name": "old"},
            },
            ir.OutputFormat(SCHEMA, "new"),
        ),
    ],
)
def test_output_format(fields: dict[str, object], expected: ir.OutputFormat | None) -> None:
    assert parse_messages(make_body(**fields)).output_format == expected


def test_plain_options() -> None:
    request = parse_messages(make_body(stop_sequences=["\n\nHuman:", "END"], stream=True))

    assert request.stop_sequences == ("\n\nHuman:", "END")
    assert request.stream is True
    assert parse_messages(make_body()).stream is False
    assert parse_messages(make_body(stream=None)).stream is False


# --------------------------------------------------------------------------- invalid input

TEXT = {"type": "text", "text": "t"}
TAGS = (
    "'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking', "
    "'search_result', 'server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result', "
    "'container_upload', 'mcp_tool_use', 'mcp_tool_result', 'tool_reference'"
)


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        (make_body(model=DROP), "model", "model: Field required"),
        (make_body(model=""), "model", "model: String should have at least 1 character"),
        (make_body(model=5), "model", "model: Input should be a valid string"),
        (make_body(max_tokens=DROP), "max_tokens", "max_tokens: Field required"),
        (
            make_body(max_tokens=0),
            "max_tokens",
            "max_tokens: Input should be greater than or equal to 1",
        ),
        (make_body(max_tokens=True), "max_tokens", "max_tokens: Input should be a valid integer"),
        (make_body(max_tokens=1.5), "max_tokens", "max_tokens: Input should be a valid integer"),
        (make_body(messages=DROP), "messages", "messages: Field required"),
        (make_body(messages={}), "messages", "messages: Input should be a valid list"),
        (
            make_body(messages=[]),
            "messages",
            "messages: List should have at least 1 item after validation, not 0",
        ),
        (
            make_body(messages=[{"role": "tool", "content": "x"}]),
            "messages.0.role",
            "messages.0.role: Input should be 'user', 'assistant' or 'system'",
        ),
        (
            make_body(messages=[{"role": "user"}]),
            "messages.0.content",
            "messages.0.content: Field required",
        ),
        (
            make_body(messages=[{"role": "user", "content": 5}]),
            "messages.0.content",
            "messages.0.content: Input should be a valid string or a list of content blocks",
        ),
        (
            make_body(messages=["hi"]),
            "messages.0",
            "messages.0: Input should be a valid dictionary",
        ),
        (
            blocks(TEXT, {"type": "video"}),
            "messages.0.content.1.type",
            "messages.0.content.1.type: Input tag 'video' found using 'type' does not match any "
            f"of the expected tags: {TAGS}",
        ),
        (
            blocks({"text": "t"}),
            "messages.0.content.0.type",
            "messages.0.content.0.type: Field required",
        ),
        (
            blocks({"type": "text"}),
            "messages.0.content.0.text",
            "messages.0.content.0.text: Field required",
        ),
        (
            blocks(TEXT, {"type": "image", "source": {"type": "file", "file_id": "f"}}),
            "messages.0.content.1.source.type",
            "messages.0.content.1.source.type: Input should be 'base64' or 'url'",
        ),
        (
            blocks({"type": "image", "source": {"type": "base64", "data": "x"}}),
            "messages.0.content.0.source.media_type",
            "messages.0.content.0.source.media_type: Field required",
        ),
        (
            blocks({"type": "image", "source": {"type": "url"}}),
            "messages.0.content.0.source.url",
            "messages.0.content.0.source.url: Field required",
        ),
        (
            blocks({"type": "document", "source": {"type": "zip"}}),
            "messages.0.content.0.source.type",
            "messages.0.content.0.source.type: Input should be 'base64', 'url', 'text', "
            "'content' or 'file'",
        ),
        (
            blocks({"type": "document", "source": {"type": "text"}}),
            "messages.0.content.0.source.data",
            "messages.0.content.0.source.data: Field required",
        ),
        (
            blocks({"type": "document", "source": {"type": "file"}}),
            "messages.0.content.0.source.file_id",
            "messages.0.content.0.source.file_id: Field required",
        ),
        (
            blocks({"type": "document", "source": {"type": "content"}}),
            "messages.0.content.0.source.content",
            "messages.0.content.0.source.content: Field required",
        ),
        (
            blocks(
                {
                    "type": "document",
                    "source": {"type": "content", "content": [{"type": "image", "source": PNG}]},
                }
            ),
            "messages.0.content.0.source.content.0.type",
            "messages.0.content.0.source.content.0.type: Input tag 'image' found using 'type' "
            "does not match any of the expected tags: 'text'",
        ),
        (
            blocks({"type": "tool_use", "id": "t", "name": "n", "input": [1]}),
            "messages.0.content.0.input",
            "messages.0.content.0.input: Input should be a valid dictionary",
        ),
        (
            blocks({"type": "tool_use", "name": "n", "input": {}}),
            "messages.0.content.0.id",
            "messages.0.content.0.id: Field required",
        ),
        (
            blocks({"type": "tool_result", "tool_use_id": "t", "content": [{"type": "tool_use"}]}),
            "messages.0.content.0.content.0.type",
            "messages.0.content.0.content.0.type: Input tag 'tool_use' found using 'type' does "
            "not match any of the expected tags: 'text', 'image', 'document', 'search_result', "
            "'tool_reference'",
        ),
        (
            blocks({"type": "tool_result", "tool_use_id": "t", "is_error": "yes"}),
            "messages.0.content.0.is_error",
            "messages.0.content.0.is_error: Input should be a valid boolean",
        ),
        (
            blocks({"type": "thinking", "thinking": 1}),
            "messages.0.content.0.thinking",
            "messages.0.content.0.thinking: Input should be a valid string",
        ),
        (
            blocks(TEXT, {"type": "image", "source": PNG}, role="system"),
            "messages.0.content.1.type",
            "messages.0.content.1.type: Input tag 'image' found using 'type' does not match any "
            "of the expected tags: 'text'",
        ),
        (
            make_body(system=[{"type": "image", "source": PNG}]),
            "system.0.type",
            "system.0.type: Input tag 'image' found using 'type' does not match any of the "
            "expected tags: 'text'",
        ),
        (
            make_body(system=5),
            "system",
            "system: Input should be a valid string or a list of content blocks",
        ),
        (make_body(tools={}), "tools", "tools: Input should be a valid list"),
        (make_body(tools=[{"input_schema": {}}]), "tools.0.name", "tools.0.name: Field required"),
        (
            make_body(tools=[{"name": ""}]),
            "tools.0.name",
            "tools.0.name: String should have at least 1 character",
        ),
        (
            make_body(tools=[{"name": "a", "input_schema": "x"}]),
            "tools.0.input_schema",
            "tools.0.input_schema: Input should be a valid dictionary",
        ),
        (
            make_body(tools=[{"name": "a"}, {"name": "a"}]),
            "tools.1.name",
            "tools.1.name: Tool names must be unique, 'a' repeats",
        ),
        (
            make_body(tool_choice={"type": "function"}),
            "tool_choice.type",
            "tool_choice.type: Input tag 'function' found using 'type' does not match any of the "
            "expected tags: 'auto', 'any', 'none', 'tool'",
        ),
        (
            make_body(tool_choice={"type": "tool"}),
            "tool_choice.name",
            "tool_choice.name: Field required",
        ),
        (
            make_body(tools=[{"name": "a"}], tool_choice={"type": "tool", "name": "b"}),
            "tool_choice.name",
            "tool_choice.name: Tool 'b' is not among the request's tools",
        ),
        (
            make_body(thinking={"type": "enabled"}),
            "thinking.budget_tokens",
            "thinking.budget_tokens: Field required",
        ),
        (
            make_body(thinking={"type": "on"}),
            "thinking.type",
            "thinking.type: Input tag 'on' found using 'type' does not match any of the expected "
            "tags: 'enabled', 'adaptive', 'disabled'",
        ),
        (
            make_body(output_config={"effort": "extreme"}),
            "output_config.effort",
            "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'",
        ),
        (
            make_body(output_config={"format": {"type": "json_schema"}}),
            "output_config.format.schema",
            "output_config.format.schema: Field required",
        ),
        (
            make_body(output_format={"type": "text"}),
            "output_format.type",
            "output_format.type: Input tag 'text' found using 'type' does not match any of the "
            "expected tags: 'json_schema'",
        ),
        (
            make_body(stop_sequences=["a", 1]),
            "stop_sequences.1",
            "stop_sequences.1: Input should be a valid string",
        ),
        (make_body(stream="yes"), "stream", "stream: Input should be a valid boolean"),
        (
            make_body(metadata={"user_id": 5}),
            "metadata.user_id",
            "metadata.user_id: Input should be a valid string",
        ),
    ],
)
def test_invalid_request(body: bytes, param: str, message: str) -> None:
    with pytest.raises(errors.InvalidRequest) as caught:
        parse_messages(body)

    assert (caught.value.param, caught.value.message) == (param, message)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Invalid JSON: Input data was truncated"),
        (b"{", "Invalid JSON: Input data was truncated"),
        (b'{"model": "m\xff"}', "Invalid JSON: "),
        (b'{"x":' + b"[" * 5000 + b"]" * 5000 + b"}", "Invalid JSON: nested too deeply"),
        (b"[]", "The request body must be a JSON object, not array"),
        (b"null", "The request body must be a JSON object, not null"),
    ],
)
def test_unreadable_body(body: bytes, message: str) -> None:
    with pytest.raises(errors.InvalidRequest) as caught:
        parse_messages(body)

    assert caught.value.message.startswith(message)
    assert caught.value.param is None


def test_count_tokens_validates_what_it_gets() -> None:
    with pytest.raises(errors.InvalidRequest) as caught:
        parse_count_tokens(make_body(max_tokens=DROP, model=DROP))

    assert caught.value.param == "model"


# --------------------------------------------------------------------------- properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "model", "max_tokens", "messages", "system", "tools", "tool_choice", "thinking",
    "output_config", "output_format", "stop_sequences", "stream", "metadata",
]  # fmt: skip
BLOCK_TYPES = [
    "text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking",
    "search_result", "video",
]  # fmt: skip


def assert_parses_or_rejects(body: bytes) -> None:
    for parse in (parse_messages, parse_count_tokens):
        try:
            request = parse(body)
        except errors.InvalidRequest as exc:
            assert exc.message
        else:
            assert isinstance(request, ir.Request)


@given(json_values)
def test_any_json_value_parses_or_is_rejected_as_invalid(value: object) -> None:
    assert_parses_or_rejects(json.dumps(value).encode())


@given(st.binary(max_size=64))
def test_any_bytes_parse_or_are_rejected_as_invalid(data: bytes) -> None:
    assert_parses_or_rejects(data)


@settings(max_examples=300)
@given(
    field=st.sampled_from(FIELDS),
    value=json_values,
    block_type=st.sampled_from(BLOCK_TYPES),
    block=st.dictionaries(
        st.sampled_from(["text", "source", "id", "name", "input", "content", "data", "thinking"]),
        json_values,
    ),
)
def test_near_valid_requests_parse_or_are_rejected_as_invalid(
    field: str, value: object, block_type: str, block: dict[str, object]
) -> None:
    messages = [{"role": "user", "content": [{**block, "type": block_type}]}]
    assert_parses_or_rejects(make_body(messages=messages))
    assert_parses_or_rejects(make_body(**{field: value}))
