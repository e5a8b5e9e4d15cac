"""Transcripts of `ResponsesStreamRenderer`: ir events in, Responses SSE out, checked against a
strict grammar and the official SDK's event types."""

from __future__ import annotations

from typing import Any, get_args

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codex2claudecode import errors, ir
from codex2claudecode.frontends.openai_responses.request import parse_responses
from codex2claudecode.frontends.openai_responses.stream import ResponsesStreamRenderer
from tests.frontends.openai_responses.grammar import check, frames

ENCRYPTED = b'"include":["reasoning.encrypted_content"],'


def make_renderer(body: bytes = b"", estimate: int = 7) -> ResponsesStreamRenderer:
    request = parse_responses(b'{"model":"gpt-5.4",' + body + b'"input":"hi"}')
    times = iter([1_700_000_000, 1_700_000_009])
    return ResponsesStreamRenderer(
        request, response_id="resp_abc", clock=lambda: next(times), input_tokens_estimate=estimate
    )


def render(events: list[ir.Event], renderer: ResponsesStreamRenderer | None = None) -> bytes:
    renderer = renderer or make_renderer()
    return b"".join(renderer.render(event) for event in events)


def names(sse: bytes) -> list[str]:
    return [name for name, _ in frames(sse)]


def test_text_answer_transcript() -> None:
    sse = render(
        [
            ir.Started("resp_up", "gpt"),
            ir.TextStart(),
            ir.TextDelta("Hel"),
            ir.TextDelta("lo"),
            ir.TextEnd(),
            ir.Usage(input_tokens=10, cached_tokens=4, output_tokens=3),
            ir.Stop("end_turn"),
        ]
    )
    data = check(sse)
    assert names(sse) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert data[4]["logprobs"] == [] and data[4]["delta"] == "Hel"
    assert data[2]["item"] == {
        "id": "msg_abc_0",
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    final = data[-1]["response"]
    assert final["id"] == "resp_abc" and final["model"] == "gpt-5.4"
    assert final["created_at"] == 1_700_000_000 and final["completed_at"] == 1_700_000_009
    assert final["output"][0]["content"][0]["text"] == "Hello"
    assert final["usage"] == {
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 0},
        "output_tokens": 3,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 13,
    }
    assert data[0]["response"]["usage"] is None
    assert data[0]["response"]["status"] == "in_progress"


def test_tool_call_streams_arguments_as_they_arrive() -> None:
    sse = render(
        [
            ir.ToolCallStart("call_1", "exec_command"),
            ir.ToolCallDelta('{"cmd":'),
            ir.ToolCallDelta('"ls"}'),
            ir.ToolCallEnd(),
            ir.Stop("tool_use"),
        ]
    )
    data = check(sse)
    added, first, second, done, item_done = data[2:7]
    assert added["item"] == {
        "id": "fc_abc_0",
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": "call_1",
        "name": "exec_command",
    }
    assert (first["delta"], second["delta"]) == ('{"cmd":', '"ls"}')
    assert done["type"] == "response.function_call_arguments.done"
    assert done["arguments"] == '{"cmd":"ls"}'
    assert item_done["item"]["status"] == "completed"
    assert data[-1]["type"] == "response.completed"


def test_call_without_arguments_reports_an_empty_object() -> None:
    data = check(render([ir.ToolCallStart("c", "get_goal"), ir.ToolCallEnd(), ir.Stop("tool_use")]))
    assert data[-1]["response"]["output"][0]["arguments"] == "{}"


def test_reasoning_summary_and_state_when_the_client_asks_for_it() -> None:
    sse = render(
        [
            ir.ThinkingStart(),
            ir.ThinkingDelta("Plan"),
            ir.ThinkingEnd("c2cc-rs1-xyz"),
            ir.Stop("end_turn"),
        ],
        make_renderer(ENCRYPTED),
    )
    data = check(sse)
    assert names(sse)[2:9] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert data[7]["item"] == {
        "id": "rs_abc_0",
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "Plan"}],
        "encrypted_content": "c2cc-rs1-xyz",
    }


def test_reasoning_state_is_withheld_unless_included() -> None:
    data = check(
        render(
            [ir.ThinkingStart(), ir.ThinkingDelta("P"), ir.ThinkingEnd("sig"), ir.Stop("end_turn")]
        )
    )
    assert "encrypted_content" not in data[-1]["response"]["output"][0]


def test_redacted_reasoning_is_an_item_without_summary() -> None:
    data = check(
        render([ir.RedactedThinking("opaque"), ir.Stop("end_turn")], make_renderer(ENCRYPTED))
    )
    assert [d["type"] for d in data[2:4]] == [
        "response.output_item.added",
        "response.output_item.done",
    ]
    assert data[3]["item"] == {
        "id": "rs_abc_0",
        "type": "reasoning",
        "summary": [],
        "encrypted_content": "opaque",
    }


@pytest.mark.parametrize("reason", ["max_tokens", "model_context_window_exceeded"])
def test_a_cut_answer_ends_incomplete(reason: ir.StopReason) -> None:
    data = check(render([ir.TextDelta("cut"), ir.Stop(reason)]))
    final = data[-1]
    assert final["type"] == "response.incomplete"
    assert final["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["response"]["completed_at"] is None


def test_usage_falls_back_to_the_estimate() -> None:
    data = check(render([ir.TextDelta("x"), ir.Stop("end_turn")], make_renderer(estimate=42)))
    assert data[-1]["response"]["usage"]["input_tokens"] == 42


def test_a_new_block_closes_the_open_one() -> None:
    data = check(render([ir.TextDelta("a"), ir.ToolCallStart("c", "f"), ir.Stop("tool_use")]))
    output = data[-1]["response"]["output"]
    assert [item["type"] for item in output] == ["message", "function_call"]


def test_mid_stream_failure_ends_with_response_failed() -> None:
    renderer = make_renderer()
    sse = render([ir.TextDelta("part")], renderer)
    sse += renderer.error(errors.UpstreamFailed("the upstream stream was cut"))
    data = check(sse)
    failed = data[-1]
    assert failed["type"] == "response.failed"
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"] == {
        "code": "server_error",
        "message": "the upstream stream was cut",
    }
    assert renderer.render(ir.Stop("end_turn")) == b""
    assert renderer.error(errors.UpstreamFailed("again")) == b""


def test_failure_before_any_event_still_opens_the_stream() -> None:
    renderer = make_renderer()
    data = check(renderer.error(errors.RateLimited("slow down", retry_after=3)))
    assert data[-1]["response"]["error"] == {
        "code": "rate_limit_exceeded",
        "message": "slow down. Please try again in 3s.",
    }


def test_context_overflow_mid_stream_carries_the_code_the_codex_cli_compacts_on() -> None:
    renderer = make_renderer()
    sse = render([ir.Started("r", "m")], renderer) + renderer.error(
        errors.ContextTooLong("too long")
    )
    data = check(sse, sdk=False)  # the SDK's literal list of codes lags behind the API
    assert data[-1]["response"]["error"]["code"] == "context_length_exceeded"


def test_request_settings_are_echoed() -> None:
    body = (
        b'"instructions":"Be brief.","max_output_tokens":99,"reasoning":{"effort":"high",'
        b'"summary":"detailed"},"text":{"verbosity":"low","format":{"type":"json_schema",'
        b'"name":"out","schema":{"type":"object"}}},"tools":[{"type":"function","name":"f"}],'
        b'"tool_choice":"required","parallel_tool_calls":false,"metadata":{"k":"v"},'
    )
    data = check(render([ir.Stop("end_turn")], make_renderer(body)))
    final = data[-1]["response"]
    assert final["instructions"] == "Be brief."
    assert final["max_output_tokens"] == 99
    assert final["reasoning"] == {"effort": "high", "summary": "detailed"}
    assert final["text"]["format"] == {
        "type": "json_schema",
        "name": "out",
        "schema": {"type": "object"},
        "strict": True,
    }
    assert final["text"]["verbosity"] == "low"
    assert final["tool_choice"] == "required" and final["parallel_tool_calls"] is False
    assert final["tools"][0]["name"] == "f" and final["metadata"] == {"k": "v"}


ANY_EVENT = st.one_of(
    st.builds(ir.Started, st.text(max_size=3), st.text(max_size=3)),
    st.just(ir.TextStart()),
    st.builds(ir.TextDelta, st.text(max_size=5)),
    st.just(ir.TextEnd()),
    st.just(ir.ThinkingStart()),
    st.builds(ir.ThinkingDelta, st.text(max_size=5)),
    st.builds(ir.ThinkingEnd, st.text(max_size=5)),
    st.builds(ir.RedactedThinking, st.text(max_size=5)),
    st.builds(ir.ToolCallStart, st.text(max_size=3), st.text(max_size=3)),
    st.builds(ir.ToolCallDelta, st.text(max_size=5)),
    st.just(ir.ToolCallEnd()),
    st.builds(ir.Usage, st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 1000)),
)
STOPS = st.builds(
    ir.Stop,
    st.sampled_from(get_args(ir.StopReason)),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ANY_EVENT, max_size=25), STOPS | st.none(), st.booleans())
def test_any_event_sequence_renders_a_valid_stream(
    events: list[ir.Event], stop: ir.Stop | None, include: bool
) -> None:
    renderer = make_renderer(ENCRYPTED if include else b"")
    sse = render(events, renderer)
    if stop is None:
        sse += renderer.error(errors.UpstreamFailed("cut"))
    else:
        sse += renderer.render(stop)
    data: list[dict[str, Any]] = check(sse)
    final_output = data[-1]["response"]["output"]
    texts = "".join(e.text for e in events if isinstance(e, ir.TextDelta))
    rendered = "".join(i["content"][0]["text"] for i in final_output if i["type"] == "message")
    if stop is not None:
        assert rendered == texts
    assert all(orjson.dumps(d) for d in data)
