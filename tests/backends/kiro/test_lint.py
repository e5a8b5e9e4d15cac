from __future__ import annotations

import copy
import itertools
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codex2claudecode import errors, ir
from codex2claudecode.backends.kiro.lint import explain_rejection, lint_payload
from codex2claudecode.backends.kiro.models import KiroModel, resolve_model
from tests.backends.kiro.test_payload import (
    CONV_ID,
    FIXTURE_NAMES,
    READ,
    SONNET,
    encode,
    fixture_request,
)

OPUS = KiroModel("claude-opus-4.8", "Opus", 1_000_000, True, ("low", "medium", "high", "max"))


def user_entry(content: str, **extra: Any) -> dict[str, Any]:
    message = {"content": content, "modelId": "claude-sonnet-4.5", "origin": "AI_EDITOR", **extra}
    return {"userInputMessage": message}


def assistant_entry(content: str, **extra: Any) -> dict[str, Any]:
    return {"assistantResponseMessage": {"content": content, **extra}}


def body(history: list[dict[str, Any]], current: dict[str, Any], **top: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "conversationId": CONV_ID,
        "currentMessage": current,
        "chatTriggerType": "MANUAL",
    }
    if history:
        state["history"] = history
    return {"conversationState": state, **top}


def rules(result: Any) -> set[str]:
    return {f.rule for f in result.findings}


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_payloads_lint_clean(name: str) -> None:
    request = fixture_request(name)
    model = resolve_model(request.model)
    payload = encode(request, model=model)
    linted = lint_payload(payload.body, model=model, size_limit=1_200_000)
    assert linted.findings == ()
    assert linted.body == payload.body


def test_repairs_a_broken_body_and_is_idempotent() -> None:
    broken = body(
        [
            assistant_entry("", toolUses=[{"toolUseId": "t|1", "name": "my-tool", "input": "x"}]),
            assistant_entry("again"),
            user_entry(
                "  ",
                userInputMessageContext={
                    "toolResults": [{"toolUseId": "zzz", "content": [], "status": "weird"}],
                    "tools": [{"toolSpecification": {"name": "Read"}}],
                },
            ),
        ],
        user_entry(
            "now\x00",
            userInputMessageContext={
                "tools": [
                    {
                        "toolSpecification": {
                            "name": "my-tool",
                            "description": "",
                            "inputSchema": {"json": {"type": "object", "required": []}},
                        }
                    },
                    {"cachePoint": {"type": "default"}},
                ]
            },
        ),
        systemPrompt="no",
    )
    broken["conversationState"]["chatTriggerType"] = "AUTO"
    broken["conversationState"]["conversationId"] = "not-a-uuid"
    result = lint_payload(broken)
    assert {"R2", "R4", "R7", "R8", "R15", "R16", "R17", "R19", "R20", "R28"} <= rules(result)
    assert {"R31", "R35", "R52", "R64"} <= rules(result)
    assert all(f.severity == "repaired" for f in result.findings)
    assert result.tool_names == {"my_tool": "my-tool"}
    again = lint_payload(result.body)
    assert again.findings == ()
    assert again.body == result.body
    raw = orjson.dumps(result.body)
    assert b"systemPrompt" not in raw and b"cachePoint" not in raw and b"\\u0000" not in raw


def test_unrepairable_body_is_an_invalid_request() -> None:
    with pytest.raises(errors.InvalidRequest, match="no current user message"):
        lint_payload({"conversationState": {"history": []}})
    with pytest.raises(errors.InvalidRequest, match="names no model"):
        lint_payload(body([], {"userInputMessage": {"content": "hi"}}))


def test_model_checks() -> None:
    fields = {"thinking": {"type": "adaptive"}, "output_config": {"effort": "huge"}, "x": 1}
    native = lint_payload(
        body([], user_entry("hi"), additionalModelRequestFields=fields), model=OPUS
    )
    assert native.body["additionalModelRequestFields"] == {"thinking": {"type": "adaptive"}}
    plain = lint_payload(
        body([], user_entry("hi"), additionalModelRequestFields=fields), model=SONNET
    )
    assert "additionalModelRequestFields" not in plain.body
    other = lint_payload(body([], user_entry("hi")), model=OPUS)
    assert [(f.rule, f.severity) for f in other.findings] == [("R61", "warned")]


def test_history_cap_and_size_warnings() -> None:
    history = [user_entry("u"), assistant_entry("a")] * 100
    result = lint_payload(body(history, user_entry("x" * 5000)), size_limit=1000)
    assert {(f.rule, f.severity) for f in result.findings} == {("R58", "warned"), ("R56", "warned")}


def test_renamed_property_keys_follow_into_history() -> None:
    spec = {
        "toolSpecification": {
            "name": "q",
            "description": "q",
            "inputSchema": {
                "json": {"type": "object", "properties": {"$top": {"type": "integer"}}}
            },
        }
    }
    use = {"toolUseId": "t1", "name": "q", "input": {"$top": 3}}
    results = [{"toolUseId": "t1", "content": [{"text": "ok"}], "status": "success"}]
    linted = lint_payload(
        body(
            [user_entry("go"), assistant_entry("", toolUses=[use])],
            user_entry("", userInputMessageContext={"toolResults": results, "tools": [spec]}),
        )
    )
    assert linted.property_keys == {"q": {"dollar_top": "$top"}}
    entry = linted.body["conversationState"]["history"][1]  # type: ignore[index]
    assert entry["assistantResponseMessage"]["toolUses"][0]["input"] == {"dollar_top": 3}


# --------------------------------------------------------------------------- property test

texts = st.sampled_from(["", " ", "hi", "x\x00y", "\ud800z"])
ids = st.sampled_from(["a", "b", "c", "d|long"])


@st.composite
def parts(draw: st.DrawFn, role: str) -> tuple[ir.Part, ...]:
    out: list[ir.Part] = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["text", "call", "result", "thinking", "image"]))
        if kind == "text":
            out.append(ir.TextPart(draw(texts)))
        elif kind == "call":
            name = draw(st.sampled_from(["Read", "gone", "bad-name"]))
            args = draw(st.sampled_from(["{}", '{"path":"p"}', "[1]", "nope"]))
            out.append(ir.ToolCallPart(draw(ids), name, args))
        elif kind == "result":
            content = (ir.TextPart(draw(texts)),) if draw(st.booleans()) else ()
            out.append(ir.ToolResultPart(draw(ids), content, draw(st.booleans())))
        elif kind == "thinking":
            out.append(ir.ThinkingPart("t", draw(st.sampled_from([None, "sig"]))))
        else:
            out.append(ir.ImagePart("image/png", "QUFB"))
    return tuple(out)


@st.composite
def conversations(draw: st.DrawFn) -> ir.Request:
    messages = []
    for _ in range(draw(st.integers(0, 8))):
        role: ir.Role = draw(st.sampled_from(["user", "assistant", "system"]))
        messages.append(ir.Message(role, draw(parts(role))))
    tools = (READ, ir.Tool("bad-name", None, {}))[: draw(st.integers(0, 2))]
    return ir.Request(
        model="m",
        messages=tuple(messages),
        system=draw(st.sampled_from(["", "S"])),
        tools=tools,
        effort=draw(st.sampled_from([None, "high"])),
    )


def assert_structure(payload: dict[str, Any]) -> None:
    state = payload["conversationState"]
    assert state.get("history") != []  # R3
    history = state.get("history", [])
    roles = ["user" if "userInputMessage" in h else "assistant" for h in history] + ["user"]
    assert roles[0] == "user"
    assert all(a != b for a, b in itertools.pairwise(roles))  # alternation
    entries = [*history, state["currentMessage"]]
    offered = {
        t["toolSpecification"]["name"]
        for t in state["currentMessage"]["userInputMessage"]
        .get("userInputMessageContext", {})
        .get("tools", [])
    }
    for index, entry in enumerate(entries):
        message = entry.get("userInputMessage") or entry["assistantResponseMessage"]
        assert message["content"].strip()
        uses = message.get("toolUses", [])
        if uses:
            assert {u["name"] for u in uses} <= offered
            answer = entries[index + 1]["userInputMessage"]["userInputMessageContext"]
            assert {r["toolUseId"] for r in answer["toolResults"]} == {u["toolUseId"] for u in uses}
        context = message.get("userInputMessageContext", {})
        if "tools" in context:
            assert index == len(entries) - 1  # R15
        for result in context.get("toolResults", []):
            previous = entries[index - 1]["assistantResponseMessage"]
            assert result["toolUseId"] in {u["toolUseId"] for u in previous.get("toolUses", [])}
            assert result["content"] and result["status"] in ("success", "error")
    orjson.dumps(payload)  # R52: serialisable (no lone surrogates)


@settings(max_examples=300, deadline=None)
@given(conversations(), st.booleans())
def test_random_conversations_lint_to_valid_structure(request: ir.Request, native: bool) -> None:
    payload = encode(request, model=OPUS if native else SONNET)
    assert_structure(payload.body)
    linted = lint_payload(copy.deepcopy(payload.body))
    assert linted.findings == ()  # the encoder already produced what the linter wants
    assert linted.body == payload.body


# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("raw", "kind", "words"),
    [
        (
            b'{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}',
            errors.ContextTooLong,
            "R57",
        ),
        (b'{"message":"x","reason":"PROMPT_TOO_LONG"}', errors.ContextTooLong, "too long"),
        (b'{"message":"bad","reason":"THINKING_SIGNATURE_INVALID"}', errors.InvalidRequest, "R51"),
        (
            b'{"message":"m","reason":"TOOL_SCHEMA_INVALID","__type":"com.amazon#ValidationException"}',
            errors.InvalidRequest,
            "R34-R39",
        ),
        (b'{"message":"m","reason":"TOOL_USE_RESULT_MISMATCH"}', errors.InvalidRequest, "pair up"),
        (
            b'{"message":"Invalid model. Please select a different model.",'
            b'"reason":"INVALID_MODEL_ID"}',
            errors.InvalidRequest,
            "R61",
        ),
        (
            b'{"message":"Improperly formed request.","reason":null}',
            errors.InvalidRequest,
            "found nothing",
        ),
    ],
)
def test_explain_rejection(raw: bytes, kind: type[errors.GatewayError], words: str) -> None:
    payload = encode(ir.Request(model="m", messages=(ir.Message("user", (ir.TextPart("hi"),)),)))
    error = explain_rejection(raw, payload=payload.body, model=SONNET)
    assert type(error) is kind
    assert words in error.message


def test_too_long_names_the_history_cap() -> None:
    history = [user_entry("u"), assistant_entry("a")] * 100
    error = explain_rejection(
        b'{"message":"Input is too long."}', payload=body(history, user_entry("x"))
    )
    assert isinstance(error, errors.ContextTooLong) and "R58" in error.message
    assert error.tokens is None  # counted by the backend, not guessed from bytes (issue 11.5)


def test_improperly_formed_names_linter_findings() -> None:
    bad = body([], user_entry("hi"), systemPrompt="x")
    error = explain_rejection(b'{"message":"Improperly formed request."}', payload=bad)
    assert "R4" in error.message


def test_an_id_repeated_within_one_turn_is_renamed_once_per_repeat() -> None:
    # Found by hypothesis: two calls with id `a` in one turn both became `a#1`.
    call = ir.ToolCallPart("a", "Read", "{}")
    request = ir.Request(
        model="m",
        messages=(
            ir.Message("assistant", (ir.TextPart(""), call)),
            ir.Message("assistant", (call, call)),
            ir.Message("user", ()),
        ),
        tools=(READ,),
    )
    payload = encode(request, model=SONNET)
    linted = lint_payload(payload.body, model=SONNET)
    assert linted.findings == ()
    state: Any = payload.body["conversationState"]
    uses = [
        use["toolUseId"]
        for entry in state.get("history", [])
        for use in entry.get("assistantResponseMessage", {}).get("toolUses", [])
    ]
    assert len(uses) == len(set(uses)) == 3
