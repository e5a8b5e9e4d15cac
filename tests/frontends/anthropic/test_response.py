"""Tests for the non-streaming Anthropic Messages JSON rendering."""

from __future__ import annotations

import json

import pytest

from codex2claudecode import ir
from codex2claudecode.accumulator import (
    Answer,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from codex2claudecode.frontends.anthropic.response import render_message, tool_input, usage_json


def render(answer: Answer, estimate: int = 10) -> dict[str, object]:
    body = render_message(
        answer, message_id="msg_1", model="claude-x", input_tokens_estimate=estimate
    )
    decoded: dict[str, object] = json.loads(body)
    return decoded


def test_every_block_kind_in_order() -> None:
    answer = Answer(
        response_id="resp_1",
        model="gpt-upstream",
        blocks=[
            ThinkingBlock("plan", "sig"),
            RedactedThinkingBlock("b3BhcXVl"),
            TextBlock("Hello"),
            ToolCallBlock("call_1", "Bash", '{"command":"ls"}'),
            ToolCallBlock("call_2", "Noop"),
        ],
        usage=ir.Usage(input_tokens=100, cached_tokens=60, output_tokens=20),
        stop=ir.Stop("tool_use"),
    )
    assert render(answer) == {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [
            {"type": "thinking", "thinking": "plan", "signature": "sig"},
            {"type": "redacted_thinking", "data": "b3BhcXVl"},
            {"type": "text", "text": "Hello"},
            {"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"command": "ls"}},
            {"type": "tool_use", "id": "call_2", "name": "Noop", "input": {}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 40,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 60,
            "output_tokens": 20,
            "service_tier": "standard",
        },
    }


def test_no_stop_means_end_turn_and_no_usage_means_the_estimate() -> None:
    message = render(Answer(blocks=[TextBlock("cut")]), estimate=1234)
    assert (message["stop_reason"], message["stop_sequence"]) == ("end_turn", None)
    assert message["usage"] == {
        "input_tokens": 1234,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 0,
        "service_tier": "standard",
    }


def test_stop_sequence_is_reported() -> None:
    message = render(Answer(stop=ir.Stop("stop_sequence", stop_sequence="###")))
    assert (message["stop_reason"], message["stop_sequence"]) == ("stop_sequence", "###")


def test_a_context_window_stop_is_anthropics_own() -> None:
    message = render(Answer(stop=ir.Stop("model_context_window_exceeded")))
    assert message["stop_reason"] == "model_context_window_exceeded"


def test_output_is_compact_json() -> None:
    body = render_message(Answer(), message_id="m", model="x", input_tokens_estimate=0)
    assert b": " not in body and b", " not in body


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("", {}),
        ("{}", {}),
        ('{"a":1,"b":[true,null]}', {"a": 1, "b": [True, None]}),
        ('{"content":"half a fi', {}),  # truncated: never run a tool on half its input
        ("not json", {}),
        ("[1, 2]", {}),  # `input` must be an object
        ('"text"', {}),
        ("null", {}),
    ],
)
def test_tool_input(arguments: str, expected: dict[str, object]) -> None:
    assert tool_input(arguments) == expected


@pytest.mark.parametrize(
    ("usage", "estimate", "expected"),
    [
        (None, 7, (7, 0, 0)),
        (ir.Usage(input_tokens=0), 7, (7, 0, 0)),
        (ir.Usage(input_tokens=0, output_tokens=3), 7, (7, 0, 3)),
        (ir.Usage(input_tokens=0, cached_tokens=5), 7, (0, 5, 0)),
        (ir.Usage(input_tokens=9, cached_tokens=4, output_tokens=2), 7, (5, 4, 2)),
        (ir.Usage(input_tokens=3, cached_tokens=4), 7, (0, 4, 0)),
    ],
)
def test_usage_json(usage: ir.Usage | None, estimate: int, expected: tuple[int, int, int]) -> None:
    input_tokens, cached, output = expected
    assert usage_json(usage, estimate) == {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cached,
        "output_tokens": output,
    }
