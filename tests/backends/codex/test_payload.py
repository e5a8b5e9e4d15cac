from __future__ import annotations

from typing import Any

import pytest

from codex2claudecode import ir
from codex2claudecode.backends.codex.models import ResolvedModel
from codex2claudecode.backends.codex.payload import encode_payload
from codex2claudecode.backends.codex.signature import pack_reasoning

GPT = ResolvedModel("gpt-5.4", "medium")
THINKING = ir.Thinking("adaptive")


def make_request(*messages: ir.Message, **overrides: Any) -> ir.Request:
    if not messages:
        messages = (ir.Message("user", (ir.TextPart("hi"),)),)
    overrides.setdefault("thinking", THINKING)
    return ir.Request(model=overrides.pop("model", "gpt-5.4"), messages=messages, **overrides)


def encode(request: ir.Request, model: ResolvedModel = GPT, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("prompt_cache_key", None)
    return encode_payload(request, model=model, **kwargs)


def input_of(*parts: ir.Part, role: ir.Role = "user") -> list[Any]:
    body = encode(make_request(ir.Message(role, parts)))
    items: list[Any] = body["input"]
    return items


def user_text(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


# ---------------------------------------------------------------------- top level


def test_minimal_body() -> None:
    body = encode(make_request(), prompt_cache_key="sess-1")
    assert body == {
        "model": "gpt-5.4",
        "instructions": "You are a helpful assistant.",
        "input": [user_text("hi")],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": False,
        "stream": True,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "sess-1",
    }


def test_key_order() -> None:
    # As protocols §5c's Codex CLI capture; `text` and `service_tier` are the optional extras.
    request = make_request(
        tools=(ir.Tool("t", None, {"type": "object"}),),
        output_format=ir.OutputFormat({"type": "object"}),
    )
    assert list(encode(request, prompt_cache_key="k", service_tier="priority")) == [
        "model",
        "instructions",
        "input",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "store",
        "stream",
        "include",
        "prompt_cache_key",
        "text",
        "service_tier",
    ]


def test_system_text_becomes_instructions() -> None:
    body = encode(make_request(system="Be brief.\n\nReally."))
    assert body["instructions"] == "Be brief.\n\nReally."


def test_client_only_fields_never_go_upstream() -> None:
    request = make_request(
        max_tokens=64000,
        stop_sequences=("STOP",),
        metadata={"user_id": "u"},
        stream=False,
        session_key="s",
    )
    body = encode(request)
    assert body["stream"] is True
    forbidden = {"max_output_tokens", "temperature", "top_p", "metadata", "stop", "user"}
    assert not forbidden & set(body)


def test_model_without_reasoning_gets_no_reasoning_fields() -> None:
    body = encode(make_request(), ResolvedModel("gpt-4.1", None))
    assert body["model"] == "gpt-4.1"
    assert "reasoning" not in body
    assert "include" not in body


@pytest.mark.parametrize("effort", ["none", "low", "high", "xhigh"])
def test_effort(effort: ir.Effort) -> None:
    body = encode(make_request(), ResolvedModel("gpt-5.4", effort))
    assert body["reasoning"] == {"effort": effort, "summary": "auto"}


@pytest.mark.parametrize("thinking", [None, ir.Thinking("disabled")])
def test_without_thinking_no_summary_and_no_reasoning_state_is_asked_for(
    thinking: ir.Thinking | None,
) -> None:
    # Issue 11.3: the real API returns no thinking blocks unasked.
    body = encode(make_request(thinking=thinking), ResolvedModel("gpt-5.4", "none"))
    assert body["reasoning"] == {"effort": "none"}
    assert "include" not in body


@pytest.mark.parametrize("mode", ["enabled", "adaptive"])
def test_omitted_thinking_asks_for_state_but_no_summary(mode: str) -> None:
    thinking = ir.Thinking(mode, 2048, display="omitted")  # type: ignore[arg-type]
    body = encode(make_request(thinking=thinking))
    assert body["reasoning"] == {"effort": "medium"}
    assert body["include"] == ["reasoning.encrypted_content"]


def test_optional_fields() -> None:
    assert "prompt_cache_key" not in encode(make_request(), prompt_cache_key=None)
    assert "service_tier" not in encode(make_request())
    assert encode(make_request(), service_tier="priority")["service_tier"] == "priority"


@pytest.mark.parametrize(
    ("output_format", "expected"),
    [
        (
            ir.OutputFormat({"type": "object"}),
            {"type": "json_schema", "name": "structured_output", "schema": {"type": "object"}},
        ),
        (
            ir.OutputFormat({"type": "object"}, name="contact info", strict=False),
            {"type": "json_schema", "name": "contact_info", "schema": {"type": "object"}},
        ),
        (
            ir.OutputFormat({}, name="x" * 80),
            {"type": "json_schema", "name": "x" * 64, "schema": {}},
        ),
    ],
)
def test_output_format(output_format: ir.OutputFormat, expected: dict[str, Any]) -> None:
    body = encode(make_request(output_format=output_format))
    assert body["text"] == {"format": {**expected, "strict": output_format.strict}}


# ---------------------------------------------------------------------- tools


def test_function_tools() -> None:
    schema: dict[str, object] = {"type": "object", "properties": {"command": {"type": "string"}}}
    tools = (
        ir.Tool("Bash", "Run a command", schema),
        ir.Tool("Strict", None, schema, strict=True),
        ir.Tool("Bare", None, {}),
    )
    assert encode(make_request(tools=tools))["tools"] == [
        {
            "type": "function",
            "name": "Bash",
            "description": "Run a command",
            "parameters": schema,
            "strict": False,
        },
        {"type": "function", "name": "Strict", "parameters": schema, "strict": True},
        {
            "type": "function",
            "name": "Bare",
            "parameters": {"type": "object", "properties": {}},
            "strict": False,
        },
    ]


@pytest.mark.parametrize(
    ("choice", "tool_choice", "parallel"),
    [
        (None, "auto", True),
        (ir.ToolChoice("auto"), "auto", True),
        (ir.ToolChoice("any"), "required", True),
        (ir.ToolChoice("none"), "none", True),
        (ir.ToolChoice("tool", name="Bash"), {"type": "function", "name": "Bash"}, True),
        (ir.ToolChoice("tool"), "auto", True),
        (ir.ToolChoice("auto", parallel=False), "auto", False),
    ],
)
def test_tool_choice(choice: ir.ToolChoice | None, tool_choice: object, parallel: bool) -> None:
    tools = (ir.Tool("Bash", None, {"type": "object"}),)
    body = encode(make_request(tools=tools, tool_choice=choice))
    assert (body["tool_choice"], body["parallel_tool_calls"]) == (tool_choice, parallel)


def test_tool_choice_without_tools_is_auto() -> None:
    body = encode(make_request(tool_choice=ir.ToolChoice("tool", name="Gone")))
    assert (body["tools"], body["tool_choice"]) == ([], "auto")


# ---------------------------------------------------------------------- input: messages


def test_conversation_keeps_part_order() -> None:
    call = ir.ToolCallPart("toolu_1", "Bash", '{"command":"ls"}')
    messages = (
        ir.Message("user", (ir.TextPart("list files"),)),
        ir.Message("assistant", (ir.TextPart("Sure."), call, ir.TextPart("Running it."))),
        ir.Message(
            "user",
            (
                ir.ToolResultPart("toolu_1", (ir.TextPart("a.txt"),)),
                ir.TextPart("<system-reminder>x</system-reminder>"),
            ),
        ),
        ir.Message("system", (ir.TextPart("Mid-conversation instruction"),)),
    )
    assert encode(make_request(*messages))["input"] == [
        user_text("list files"),
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Sure."}],
        },
        {
            "type": "function_call",
            "call_id": "toolu_1",
            "name": "Bash",
            "arguments": '{"command":"ls"}',
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Running it."}],
        },
        # The tool output stays before the user's text (fixes spec §13.8).
        {"type": "function_call_output", "call_id": "toolu_1", "output": "a.txt"},
        user_text("<system-reminder>x</system-reminder>"),
        {
            "type": "message",
            "role": "developer",
            "content": [{"type": "input_text", "text": "Mid-conversation instruction"}],
        },
    ]


def test_consecutive_content_parts_share_one_message() -> None:
    items = input_of(
        ir.TextPart("look:"),
        ir.ImagePart("image/png", "iVBORw0K"),
        ir.ImagePart(None, None, url="https://example.com/a.jpg"),
        ir.TextPart("and this"),
    )
    assert items == [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "look:"},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0K"},
                {"type": "input_image", "image_url": "https://example.com/a.jpg"},
                {"type": "input_text", "text": "and this"},
            ],
        }
    ]


def test_assistant_keeps_only_non_empty_text() -> None:
    items = input_of(
        ir.TextPart(""),
        ir.TextPart("ok"),
        ir.ImagePart("image/png", "AAAA"),
        role="assistant",
    )
    assert items == [
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]}
    ]
    assert input_of(ir.TextPart(""), role="assistant") == []


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            ir.DocumentPart(
                "base64", title="report.pdf", media_type="application/pdf", data="JVBE"
            ),
            {
                "type": "input_file",
                "filename": "report.pdf",
                "file_data": "data:application/pdf;base64,JVBE",
            },
        ),
        (
            ir.DocumentPart("base64", data="JVBE"),
            {
                "type": "input_file",
                "filename": "document.pdf",
                "file_data": "data:application/pdf;base64,JVBE",
            },
        ),
        (
            ir.DocumentPart("base64", data="data:application/pdf;base64,JVBE"),
            {
                "type": "input_file",
                "filename": "document.pdf",
                "file_data": "data:application/pdf;base64,JVBE",
            },
        ),
        (
            ir.DocumentPart("url", url="https://example.com/a.pdf"),
            {"type": "input_file", "file_url": "https://example.com/a.pdf"},
        ),
        (
            ir.DocumentPart("file", file_id="file-abc"),
            {"type": "input_file", "file_id": "file-abc"},
        ),
        (
            ir.DocumentPart("text", title="doc.txt", data="body"),
            {"type": "input_text", "text": "Document: doc.txt\n\nbody"},
        ),
    ],
)
def test_documents(document: ir.DocumentPart, expected: dict[str, Any]) -> None:
    assert input_of(document) == [{"type": "message", "role": "user", "content": [expected]}]


# ---------------------------------------------------------------------- input: tools


def test_tool_call_without_arguments_sends_an_empty_object() -> None:
    items = input_of(ir.ToolCallPart("call_1", "Now", ""), role="assistant")
    assert items == [
        {"type": "function_call", "call_id": "call_1", "name": "Now", "arguments": "{}"}
    ]


@pytest.mark.parametrize(
    ("result", "output"),
    [
        (ir.ToolResultPart("c", (ir.TextPart("a"), ir.TextPart("b"))), "a\nb"),
        (ir.ToolResultPart("c", ()), ""),
        (ir.ToolResultPart("c", (ir.TextPart("boom"),), is_error=True), "Error: boom"),
        (ir.ToolResultPart("c", (), is_error=True), ""),
        # Images inside a result reach the model as images (pitfall #23).
        (
            ir.ToolResultPart("c", (ir.TextPart("shot:"), ir.ImagePart("image/png", "AAAA"))),
            [
                {"type": "input_text", "text": "shot:"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
            ],
        ),
        (
            ir.ToolResultPart(
                "c", (ir.TextPart("bad"), ir.ImagePart("image/png", "AAAA")), is_error=True
            ),
            [
                {"type": "input_text", "text": "Error: bad"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
            ],
        ),
        (
            ir.ToolResultPart("c", (ir.ImagePart("image/png", "AAAA"),), is_error=True),
            [
                {"type": "input_text", "text": "Error:"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
            ],
        ),
    ],
)
def test_tool_results(result: ir.ToolResultPart, output: object) -> None:
    assert input_of(result) == [{"type": "function_call_output", "call_id": "c", "output": output}]


# ---------------------------------------------------------------------- input: reasoning


def test_our_thinking_becomes_the_reasoning_item_again() -> None:
    signature = pack_reasoning("rs_1", "gAAAAenc")
    items = input_of(
        ir.ThinkingPart("Plan: list files", signature),
        ir.TextPart("Sure."),
        ir.ToolCallPart("call_1", "Bash", "{}"),
        role="assistant",
    )
    assert items == [
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "Plan: list files"}],
            "encrypted_content": "gAAAAenc",
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Sure."}],
        },
        {"type": "function_call", "call_id": "call_1", "name": "Bash", "arguments": "{}"},
    ]


def test_redacted_and_summary_less_reasoning() -> None:
    items = input_of(
        ir.RedactedThinkingPart(pack_reasoning("rs_2", "enc2")),
        ir.ThinkingPart("", pack_reasoning("rs_3", "enc3")),
        role="assistant",
    )
    assert items == [
        {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "enc2"},
        {"type": "reasoning", "id": "rs_3", "summary": [], "encrypted_content": "enc3"},
    ]


@pytest.mark.parametrize(
    "part",
    [
        ir.ThinkingPart("from Claude", "EqQBCkgIAxABGAIiQLtV3zW6"),
        ir.ThinkingPart("from the fake", "fakesig_cf3a388b428940a8"),
        ir.ThinkingPart("no signature", None),
        ir.ThinkingPart("cut short", ""),
        ir.RedactedThinkingPart("EmwKAhgBEgy3va3pzix"),
        # Ours, but without encrypted state: the backend could not resolve the id.
        ir.ThinkingPart("no state", pack_reasoning("rs_4", "")),
    ],
)
def test_thinking_we_cannot_restore_is_dropped(part: ir.Part) -> None:
    assert input_of(part, ir.TextPart("answer"), role="assistant") == [
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "answer"}],
        }
    ]
