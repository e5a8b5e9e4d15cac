"""`render_completion`: the `chat.completion` body, checked with the official SDK's model."""

from __future__ import annotations

import orjson
from openai.types.chat import ChatCompletion

from codex2claudecode import ir
from codex2claudecode.accumulator import Accumulator
from codex2claudecode.frontends.openai_chat.response import render_completion


def render(events: list[ir.Event], estimate: int = 9) -> dict[str, object]:
    accumulator = Accumulator()
    for event in events:
        accumulator.add(event)
    raw = render_completion(
        accumulator.answer,
        completion_id="chatcmpl-abc",
        created=100,
        model="gpt-5.4",
        input_tokens_estimate=estimate,
    )
    ChatCompletion.model_validate_json(raw)
    body = orjson.loads(raw)
    assert isinstance(body, dict)
    return body


def test_text_answer() -> None:
    body = render(
        [ir.TextDelta("Hi "), ir.TextDelta("there"), ir.Usage(12, 2, 4, 1), ir.Stop("end_turn")]
    )
    assert body == {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 100,
        "model": "gpt-5.4",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hi there",
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 4,
            "total_tokens": 16,
            "prompt_tokens_details": {"cached_tokens": 2, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 1,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": None,
    }


def test_tool_calls_only_have_null_content() -> None:
    body = render(
        [
            ir.ThinkingDelta("plan"),
            ir.ThinkingEnd("sig"),
            ir.ToolCallStart("c1", "f"),
            ir.ToolCallDelta('{"a":1}'),
            ir.ToolCallEnd(),
            ir.ToolCallStart("c2", "g"),
            ir.ToolCallEnd(),
            ir.Stop("tool_use"),
        ]
    )
    choices = body["choices"]
    assert isinstance(choices, list)
    message = choices[0]["message"]
    assert message["content"] is None
    assert message["reasoning_content"] == "plan"
    assert message["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}},
        {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "{}"}},
    ]
    assert choices[0]["finish_reason"] == "tool_calls"


def test_length_and_estimate() -> None:
    body = render([ir.TextDelta("cut"), ir.Stop("max_tokens")], estimate=33)
    choices = body["choices"]
    usage = body["usage"]
    assert isinstance(choices, list) and isinstance(usage, dict)
    assert choices[0]["finish_reason"] == "length"
    assert usage["prompt_tokens"] == 33
