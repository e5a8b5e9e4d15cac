"""`render_response`: the non-streaming Response object, checked with the official SDK's model."""

from __future__ import annotations

import orjson
import pytest
from openai.types.responses import Response

from codex2claudecode import ir
from codex2claudecode.accumulator import Accumulator
from codex2claudecode.frontends.openai_responses.request import parse_responses
from codex2claudecode.frontends.openai_responses.response import render_response
from codex2claudecode.frontends.openai_responses.stream import ResponsesStreamRenderer


def answer_of(events: list[ir.Event]) -> Accumulator:
    accumulator = Accumulator()
    for event in events:
        accumulator.add(event)
    return accumulator


EVENTS: list[ir.Event] = [
    ir.Started("resp_up", "gpt"),
    ir.ThinkingStart(),
    ir.ThinkingDelta("Think"),
    ir.ThinkingEnd("state"),
    ir.TextDelta("Hi"),
    ir.TextEnd(),
    ir.ToolCallStart("call_9", "exec_command"),
    ir.ToolCallDelta('{"cmd":"ls"}'),
    ir.ToolCallEnd(),
    ir.Usage(input_tokens=20, cached_tokens=5, output_tokens=8, reasoning_tokens=3),
    ir.Stop("tool_use"),
]


def render(events: list[ir.Event], body: bytes = b"") -> dict[str, object]:
    request = parse_responses(b'{"model":"gpt-5.4",' + body + b'"input":"hi"}')
    raw = render_response(
        answer_of(events).answer,
        request,
        response_id="resp_abc",
        created_at=100,
        completed_at=105,
        input_tokens_estimate=9,
    )
    Response.model_validate_json(raw)
    decoded = orjson.loads(raw)
    assert isinstance(decoded, dict)
    return decoded


def test_full_answer() -> None:
    body = render(EVENTS, b'"include":["reasoning.encrypted_content"],')
    assert body["status"] == "completed" and body["completed_at"] == 105
    assert body["output"] == [
        {
            "id": "rs_abc_0",
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "Think"}],
            "encrypted_content": "state",
        },
        {
            "id": "msg_abc_1",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi", "annotations": [], "logprobs": []}],
        },
        {
            "id": "fc_abc_2",
            "type": "function_call",
            "status": "completed",
            "arguments": '{"cmd":"ls"}',
            "call_id": "call_9",
            "name": "exec_command",
        },
    ]
    assert body["usage"] == {
        "input_tokens": 20,
        "input_tokens_details": {"cached_tokens": 5, "cache_write_tokens": 0},
        "output_tokens": 8,
        "output_tokens_details": {"reasoning_tokens": 3},
        "total_tokens": 28,
    }


def test_matches_the_final_snapshot_of_the_stream() -> None:
    include = b'"include":["reasoning.encrypted_content"],'
    request = parse_responses(b'{"model":"gpt-5.4",' + include + b'"input":"hi"}')
    times = iter([100, 105])
    renderer = ResponsesStreamRenderer(
        request, response_id="resp_abc", clock=lambda: next(times), input_tokens_estimate=9
    )
    sse = b"".join(renderer.render(event) for event in EVENTS)
    streamed = orjson.loads(sse.rsplit(b"data: ", 1)[1])["response"]
    assert render(EVENTS, include) == streamed


@pytest.mark.parametrize("reason", ["max_tokens", "model_context_window_exceeded"])
def test_a_cut_answer_is_incomplete(reason: ir.StopReason) -> None:
    body = render([ir.TextDelta("cut"), ir.Stop(reason)])
    assert body["status"] == "incomplete"
    assert body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert body["completed_at"] is None


def test_no_usage_uses_the_estimate() -> None:
    body = render([ir.TextDelta("x"), ir.Stop("end_turn")])
    usage = body["usage"]
    assert isinstance(usage, dict) and usage["input_tokens"] == 9
