from __future__ import annotations

import base64
import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pytest

from codex2claudecode import errors, ir
from codex2claudecode.backends.kiro.models import KiroModel, resolve_model
from codex2claudecode.backends.kiro.payload import KiroPayload, encode_payload
from codex2claudecode.backends.kiro.size import measure, overflow_tokens
from codex2claudecode.frontends.anthropic.request import parse_messages

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "claude-code"
CONV_ID = "3f1c9a52-8a3e-4f7a-9d51-7f0c2b1a6e44"
SONNET = KiroModel("claude-sonnet-4.5", "Claude Sonnet 4.5")
OPUS = KiroModel("claude-opus-4.8", "Opus", 1_000_000, True, ("low", "medium", "high", "max"))
READ = ir.Tool(
    "Read", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}}
)


def user(*parts: ir.Part) -> ir.Message:
    return ir.Message("user", parts)


def assistant(*parts: ir.Part) -> ir.Message:
    return ir.Message("assistant", parts)


def text(t: str) -> ir.TextPart:
    return ir.TextPart(t)


def call(call_id: str, name: str = "Read", args: str = '{"path":"a.txt"}') -> ir.ToolCallPart:
    return ir.ToolCallPart(call_id, name, args)


def result(call_id: str, out: str = "file body", error: bool = False) -> ir.ToolResultPart:
    return ir.ToolResultPart(call_id, (ir.TextPart(out),), error)


def make_request(*messages: ir.Message, **kw: Any) -> ir.Request:
    return ir.Request(model="claude-sonnet-4-5", messages=messages, **kw)


def encode(request: ir.Request, model: KiroModel = SONNET, **kw: Any) -> KiroPayload:
    """Request fields in `kw` (`tools=...`) override the request's; the rest go to the encoder."""
    fields = {k: kw.pop(k) for k in list(kw) if k in ir.Request.__dataclass_fields__}
    request = dataclasses.replace(request, **fields)
    return encode_payload(request, model=model, conversation_id=CONV_ID, profile_arn=None, **kw)


def state(payload: KiroPayload) -> dict[str, Any]:
    result: dict[str, Any] = payload.body["conversationState"]  # type: ignore[assignment]
    return result


def current(payload: KiroPayload) -> dict[str, Any]:
    message: dict[str, Any] = state(payload)["currentMessage"]["userInputMessage"]
    return message


def test_spec_example_shape() -> None:
    """original-kiro §3.1, with the rules' pads and without the web_search injection."""
    request = make_request(
        user(text("hi")),
        assistant(text("Hello"), call("toolu_1")),
        user(result("toolu_1"), text("thanks")),
        system="Be brief.",
        tools=(READ,),
    )
    payload = encode_payload(
        request, model=SONNET, conversation_id=CONV_ID, profile_arn="arn:aws:x:us-east-1:1:p/A"
    )
    assert payload.body == {
        "conversationState": {
            "conversationId": CONV_ID,
            "currentMessage": {
                "userInputMessage": {
                    "content": "thanks",
                    "modelId": "claude-sonnet-4.5",
                    "origin": "AI_EDITOR",
                    "userInputMessageContext": {
                        "toolResults": [
                            {
                                "toolUseId": "toolu_1",
                                "content": [{"text": "file body"}],
                                "status": "success",
                            }
                        ],
                        "tools": [
                            {
                                "toolSpecification": {
                                    "name": "Read",
                                    "description": "Read a file",
                                    "inputSchema": {"json": READ.input_schema},
                                }
                            }
                        ],
                    },
                }
            },
            "chatTriggerType": "MANUAL",
            "history": [
                {
                    "userInputMessage": {
                        "content": "Be brief.\n\nhi",
                        "modelId": "claude-sonnet-4.5",
                        "origin": "AI_EDITOR",
                    }
                },
                {
                    "assistantResponseMessage": {
                        "content": "Hello",
                        "toolUses": [
                            {"toolUseId": "toolu_1", "name": "Read", "input": {"path": "a.txt"}}
                        ],
                    }
                },
            ],
        },
        "profileArn": "arn:aws:x:us-east-1:1:p/A",
    }


@pytest.mark.parametrize(
    ("messages", "history", "content"),
    [
        ((), [], "Continue"),  # spec §12 #26
        ((user(text("hello")), assistant(text("done"))), ["u:hello", "a:done"], "Continue"),
        ((user(text("   ")),), [], "Continue"),  # R12: whitespace is empty
        (
            (assistant(text("hi")), user(text("q"))),
            ["u:Continue", "a:hi"],
            "q",
        ),  # R7
        (
            (user(text("a")), user(text("b")), assistant(text("x")), assistant(text("y"))),
            ["u:a\n\nb", "a:x\n\ny"],
            "Continue",
        ),  # R8 merge, R1
        ((user(text("a")), ir.Message("system", (text("sys"),))), [], "a\n\nsys"),
    ],
)
def test_history_shape(messages: tuple[ir.Message, ...], history: list[str], content: str) -> None:
    payload = encode(make_request(*messages))
    got = [
        ("u:" + h["userInputMessage"]["content"])
        if "userInputMessage" in h
        else ("a:" + h["assistantResponseMessage"]["content"])
        for h in state(payload).get("history", [])
    ]
    assert got == history
    assert current(payload)["content"] == content
    assert "history" in state(payload) or not history  # R3: no empty history key


def test_tool_only_assistant_and_cancelled_use() -> None:
    """R10 pad; R17: a use never answered gets a cancelled error result."""
    payload = encode(
        make_request(user(text("go")), assistant(call("c1")), user(text("next"))), tools=(READ,)
    )
    history = state(payload)["history"]
    assert history[1]["assistantResponseMessage"]["content"] == "understood"
    results = current(payload)["userInputMessageContext"]["toolResults"]
    assert results == [
        {
            "toolUseId": "c1",
            "content": [{"text": "Tool use was cancelled by the user"}],
            "status": "error",
        }
    ]


def test_orphan_results_become_text() -> None:
    """R16 / spec §12 #33."""
    payload = encode(
        make_request(
            user(result("missing_1", "x")), assistant(text("ok")), user(result("missing_2", "y"))
        ),
        tools=(READ,),
    )
    raw = orjson.dumps(payload.body).decode()
    assert "toolResults" not in raw
    assert "[Tool Result (missing_1)]\\nx" in raw and "[Tool Result (missing_2)]\\ny" in raw


def test_no_tools_flattens_history_tool_traffic() -> None:
    """R26 option (b) / spec §12 #30."""
    payload = encode(
        make_request(assistant(call("call_1", "save", '{"x":1}')), user(result("call_1", "ok")))
    )
    history = state(payload)["history"]
    assert history[1]["assistantResponseMessage"] == {"content": '[Tool: save (call_1)]\n{"x":1}'}
    assert current(payload)["content"] == "[Tool Result (call_1)]\nok"
    assert "userInputMessageContext" not in current(payload)


def test_named_tool_choice_narrows_and_flattens_others() -> None:
    """R27 / spec §12 #32."""
    save = ir.Tool("save", None, {"type": "object", "properties": {}})
    skip = ir.Tool("skip", "", {"type": "object", "properties": {}})
    payload = encode(
        make_request(
            user(text("go")),
            assistant(call("a", "save", "{}"), call("b", "skip", "{}")),
            user(result("a"), result("b")),
            tools=(save, skip),
            tool_choice=ir.ToolChoice("tool", "save"),
        )
    )
    context = current(payload)["userInputMessageContext"]
    assert [t["toolSpecification"]["name"] for t in context["tools"]] == ["save"]
    assert context["tools"][0]["toolSpecification"]["description"] == "Tool: save"
    assert [r["toolUseId"] for r in context["toolResults"]] == ["a"]
    assert "[Tool: skip (b)]" in state(payload)["history"][1]["assistantResponseMessage"]["content"]
    assert "[Tool Result (b)]" in current(payload)["content"]


def test_missing_required_input_is_narrated() -> None:
    """R21: a replayed `{}` for a tool with required keys poisons later turns."""
    write = ir.Tool("Write", "w", {"type": "object", "properties": {"p": {}}, "required": ["p"]})
    payload = encode(
        make_request(user(text("go")), assistant(call("c", "Write", "{}")), user(result("c"))),
        tools=(write,),
    )
    assert "toolUses" not in state(payload)["history"][1]["assistantResponseMessage"]
    assert "[Tool Result (c)]" in current(payload)["content"]


def test_tool_names_aliased_and_mapped_back() -> None:
    """R28-R30: invalid characters, long names, case collisions; the map reverses them."""
    long = "mcp__" + "x" * 70
    tools = (
        ir.Tool("mcp__chrome-devtools__click", "c", {}),
        ir.Tool(long, "l", {}),
        ir.Tool("read", "r", {}),
        ir.Tool("READ", "R", {}),
        ir.Tool("1st", "f", {}),
    )
    payload = encode(
        make_request(
            user(text("go")),
            assistant(call("c", "mcp__chrome-devtools__click", "{}")),
            user(result("c")),
        ),
        tools=tools,
    )
    names = [
        t["toolSpecification"]["name"] for t in current(payload)["userInputMessageContext"]["tools"]
    ]
    assert names[0] == "mcp__chrome_devtools__click"
    assert len(names[1]) == 63 and names[1].startswith("mcp__xxx")
    assert names[2:] == ["read", "READ_2", "t_1st"]
    assert payload.tool_names == dict(zip(names, [t.name for t in tools], strict=True))
    use = state(payload)["history"][1]["assistantResponseMessage"]["toolUses"][0]
    assert use["name"] == "mcp__chrome_devtools__click"


def test_long_description_moves_to_system_prompt() -> None:
    """R31 / spec §12 #35."""
    tool = ir.Tool("save", "d" * 10_001, {"type": "object", "properties": {}})
    payload = encode(make_request(user(text("hi")), system="S", tools=(tool,)))
    spec = current(payload)["userInputMessageContext"]["tools"][0]["toolSpecification"]
    assert spec["description"] == "See system prompt for full documentation for save."
    assert (
        current(payload)["content"] == f"S\n\nTool documentation:\nTool save:\n{'d' * 10_001}\n\nhi"
    )


def test_schema_cleaned() -> None:
    """R34-R39 on a Claude Code style 2020-12 schema."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "$expand": {"type": "string", "format": "uri"},
            "mode": {"const": "a"},
            "tags": {
                "type": "object",
                "propertyNames": {"pattern": "x"},
                "additionalProperties": {"type": "string"},
            },
            "node": {"$ref": "#/$defs/Node"},
        },
        "required": ["$expand"],
        "additionalProperties": False,
        "$defs": {
            "Node": {"type": "object", "properties": {"id": {"type": "string"}}, "required": []}
        },
    }
    tool = ir.Tool("q", "q", schema)
    payload = encode(
        make_request(
            user(text("go")), assistant(call("c", "q", '{"$expand":"v"}')), user(result("c"))
        ),
        tools=(tool,),
    )
    got = current(payload)["userInputMessageContext"]["tools"][0]["toolSpecification"][
        "inputSchema"
    ]["json"]
    assert got == {
        "type": "object",
        "properties": {
            "dollar_expand": {"type": "string"},
            "mode": {"enum": ["a"]},
            "tags": {"type": "object"},
            "node": {"type": "object", "properties": {"id": {"type": "string"}}},
        },
        "required": ["dollar_expand"],
    }
    assert payload.property_keys == {"q": {"dollar_expand": "$expand"}}
    use = state(payload)["history"][1]["assistantResponseMessage"]["toolUses"][0]
    assert use["input"] == {"dollar_expand": "v"}


def test_top_level_union_merged() -> None:
    """R36."""
    schema: dict[str, object] = {
        "anyOf": [
            {
                "type": "object",
                "properties": {"a": {"type": "string"}, "c": {}},
                "required": ["a", "c"],
            },
            {"type": "object", "properties": {"b": {"type": "string"}}, "required": ["b"]},
        ]
    }
    payload = encode(make_request(user(text("go")), tools=(ir.Tool("u", "u", schema),)))
    got = current(payload)["userInputMessageContext"]["tools"][0]["toolSpecification"][
        "inputSchema"
    ]["json"]
    assert got == {
        "type": "object",
        "properties": {"a": {"type": "string"}, "c": {}, "b": {"type": "string"}},
    }


def test_images_documents_and_tool_result_images() -> None:
    """R24, R44, R46; spec §12 #37."""
    png = base64.b64encode(b"\x89PNG....").decode()
    pdf = base64.b64encode(b"%PDF-1.4").decode()
    txt = base64.b64encode("doc ✓".encode()).decode()
    request = make_request(
        user(text("go")),
        assistant(call("c")),
        user(
            ir.ToolResultPart("c", (ir.ImagePart("image/png", png),)),
            ir.ImagePart("image/jpg", png),
            ir.ImagePart(None, None, url="https://x/y.png"),
            ir.ImagePart("image/bmp", png),
            ir.DocumentPart("base64", "Report v2.pdf", "application/pdf", pdf),
            ir.DocumentPart("base64", "a.txt", "text/plain", txt),
            ir.DocumentPart("url", "remote", url="https://x/doc.pdf"),
        ),
        tools=(READ,),
    )
    message = current(encode(request))
    assert message["images"] == [
        {"format": "png", "source": {"bytes": png}},
        {"format": "jpeg", "source": {"bytes": png}},
    ]
    assert message["documents"] == [
        {"format": "pdf", "name": "Report v2", "source": {"bytes": pdf}}
    ]
    result_items = message["userInputMessageContext"]["toolResults"][0]["content"]
    assert result_items == [{"text": "[Tool returned an image; attached to this message]"}]
    assert "Document: a.txt\n\ndoc ✓" in message["content"]
    assert "URL-based image skipped" in message["content"]
    assert "format bmp is not png" in message["content"]
    assert 'url document "remote" skipped' in message["content"]


def test_text_only_model_gets_image_stubs() -> None:
    """R45."""
    model = KiroModel("glm-5", "GLM", supports_images=False)
    payload = encode(make_request(user(ir.ImagePart("image/png", "QUFB"))), model=model)
    assert "images" not in current(payload)
    assert "this model takes text only" in current(payload)["content"]


def test_thinking_tags_and_native_fields() -> None:
    """R48 prompt tags before the instructions; R70 native fields; history thinking dropped."""
    request = make_request(
        user(text("q")),
        assistant(ir.ThinkingPart("plan", "sig-kiro"), text("a")),
        user(text("more")),
        system="S",
        effort="high",
    )
    tags = encode(request)
    assert current(tags)["content"].startswith(
        "<thinking_mode>enabled</thinking_mode>\n<max_thinking_length>16000</max_thinking_length>\nmore"
    )
    assert "additionalModelRequestFields" not in tags.body
    native = encode(request, model=OPUS)
    assert native.body["additionalModelRequestFields"] == {
        "thinking": {"type": "adaptive", "display": "summarized"},
        "output_config": {"effort": "high"},
    }
    assert "reasoningContent" not in orjson.dumps(native.body).decode()  # not vaulted: R51
    vaulted = encode(request, model=OPUS, signatures={"sig-kiro"})
    assert state(vaulted)["history"][1]["assistantResponseMessage"]["reasoningContent"] == {
        "reasoningText": {"text": "plan", "signature": "sig-kiro"}
    }


def test_structured_output_block() -> None:
    fmt = ir.OutputFormat({"type": "object"}, "title")
    payload = encode(make_request(user(text("x")), system="S", output_format=fmt))
    content = current(payload)["content"]
    assert content.startswith("S\n\nStructured output requested (title).")
    assert 'JSON schema: {"type":"object"}' in content and content.endswith("\n\nx")


def test_ids_normalised_and_deduplicated() -> None:
    """R19 (compound Responses ids) and R18 (an id reused by a later call)."""
    bad = "call_abc|fc_" + "x" * 70
    payload = encode(
        make_request(
            user(text("go")),
            assistant(call(bad)),
            user(result(bad)),
            assistant(call("dup")),
            user(result("dup")),
            assistant(call("dup")),
            user(result("dup")),
        ),
        tools=(READ,),
    )
    history = state(payload)["history"]
    first = history[1]["assistantResponseMessage"]["toolUses"][0]["toolUseId"]
    assert first.startswith("tooluse_") and len(first) <= 64
    assert (
        history[2]["userInputMessage"]["userInputMessageContext"]["toolResults"][0]["toolUseId"]
        == first
    )
    last_use = history[5]["assistantResponseMessage"]["toolUses"][0]["toolUseId"]
    assert last_use != "dup"
    assert current(payload)["userInputMessageContext"]["toolResults"][0]["toolUseId"] == last_use


# --------------------------------------------------------------------------- size


def big_history_request() -> ir.Request:
    old = "o" * 250_000
    return make_request(
        user(text(old)),
        assistant(text(old)),
        user(text("recent q")),
        assistant(text("recent a")),
        user(text("now")),
        system="System prompt",
    )


def test_claude_overflow_is_context_error() -> None:
    with pytest.raises(errors.ContextTooLong) as caught:
        encode(big_history_request(), size_limit=400_000)
    assert caught.value.limit == 200_000
    assert caught.value.tokens is not None and caught.value.tokens > 200_000
    assert str(caught.value).startswith(
        f"prompt is too long: {caught.value.tokens} tokens > 200000"
    )


def test_overflow_tokens_scale_by_byte_ratio() -> None:
    assert overflow_tokens(2_400_000, 1_200_000, 200_000) == 400_000
    assert overflow_tokens(1_200_001, 1_200_000, 200_000) == 200_001


def test_trim_removes_oldest_pair_and_keeps_instructions_once() -> None:
    """Spec §12 #39."""
    payload = encode(big_history_request(), size_limit=400_000, overflow="trim")
    history = state(payload)["history"]
    assert [next(iter(h)) for h in history] == ["userInputMessage", "assistantResponseMessage"]
    assert history[0]["userInputMessage"]["content"] == "System prompt\n\nrecent q"
    assert orjson.dumps(payload.body).decode().count("System prompt") == 1
    assert payload.warning is not None and "shortened" in payload.warning
    assert payload.size <= 400_000 and payload.size == measure(payload.body)


def test_trim_repairs_orphans_left_by_the_cut() -> None:
    """Spec §12 #41."""
    request = make_request(
        user(text("o" * 300_000)),
        assistant(call("call_1")),
        user(result("call_1", "ok")),
        tools=(READ,),
    )
    payload = encode(request, size_limit=100_000, overflow="trim")
    assert "history" not in state(payload)
    assert "[Tool Result (call_1)]\nok" in current(payload)["content"]


def test_trim_impossible_is_413() -> None:
    with pytest.raises(errors.RequestTooLarge, match="400000-byte limit"):
        encode(make_request(user(text("x" * 410_000))), size_limit=400_000, overflow="trim")


def test_images_do_not_count_toward_size() -> None:
    """Spec §12 #42."""
    image = base64.b64encode(b"\0" * 600_000).decode()
    payload = encode(
        make_request(user(ir.ImagePart("image/png", image), text("see"))), size_limit=400_000
    )
    assert payload.size < 1_000


# --------------------------------------------------------------------------- fixtures

FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("messages_*.json"))


def fixture_request(name: str) -> ir.Request:
    body = orjson.loads((FIXTURES / name).read_bytes())["request"]["body"]
    return parse_messages(orjson.dumps(body))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_payload(name: str) -> None:
    request = fixture_request(name)
    model = resolve_model(request.model)
    payload = encode(request, model=model)
    message = current(payload)
    tools_json = orjson.dumps(message.get("userInputMessageContext", {}).get("tools", []))
    for banned in (b"$schema", b"additionalProperties", b"propertyNames", b"cachePoint"):
        assert banned not in tools_json
    assert b"systemPrompt" not in orjson.dumps(payload.body)
    message = current(payload)
    assert message["content"].strip()
    tools = message.get("userInputMessageContext", {}).get("tools", [])
    assert len(tools) == len(request.tools)
    for spec in tools:
        assert len(spec["toolSpecification"]["description"].encode()) <= 10_000
