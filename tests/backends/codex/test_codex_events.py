"""Transcripts: Responses stream events in (as the Codex backend sends them), ir events out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode import errors, ir
from codex2claudecode.accumulator import Accumulator, RedactedThinkingBlock, ThinkingBlock
from codex2claudecode.backends.codex.events import (
    ResponsesDecoder,
    context_too_long,
    is_context_overflow,
)
from codex2claudecode.backends.codex.models import ResolvedModel
from codex2claudecode.backends.codex.payload import ReasoningShown, encode_payload
from codex2claudecode.backends.codex.signature import pack_reasoning
from codex2claudecode.backends.codex.sse import SSEParser
from tests.fakes.responses_events import (
    Event,
    ResponseScript,
    encode_sse,
    failed_answer,
    incomplete_answer,
    make_usage,
    reasoning_answer,
    text_answer,
    tool_calls_answer,
)

STARTED = ir.Started(response_id="resp_0001", model="gpt-5.4")


def decode(
    events: list[Event], *, finish: bool = True, reasoning: ReasoningShown = "summarized"
) -> list[ir.Event]:
    """Upstream events -> SSE bytes -> parser -> decoder, checking the ir stream contract."""
    parser, decoder = SSEParser(), ResponsesDecoder(reasoning=reasoning)
    out: list[ir.Event] = []
    for name, data in parser.feed(encode_sse(events)) + parser.flush():
        out += decoder.feed(name, data)
    if finish:
        out += decoder.finish()
        assert_well_formed(out)
    return out


def assert_well_formed(events: list[ir.Event]) -> None:
    assert isinstance(events[0], ir.Started)
    assert isinstance(events[-1], ir.Stop)
    assert sum(isinstance(e, ir.Stop | ir.Started) for e in events) == 2
    open_block: type | None = None
    closers = {
        ir.TextStart: ir.TextEnd,
        ir.ThinkingStart: ir.ThinkingEnd,
        ir.ToolCallStart: ir.ToolCallEnd,
    }
    inside = {
        ir.TextStart: ir.TextDelta,
        ir.ThinkingStart: ir.ThinkingDelta,
        ir.ToolCallStart: ir.ToolCallDelta,
    }
    for event in events[1:-1]:
        if open_block is None:
            assert type(event) in (*closers, ir.RedactedThinking, ir.Usage), event
            if type(event) in closers:
                open_block = type(event)
        elif isinstance(event, closers[open_block]):
            open_block = None
        else:
            assert isinstance(event, inside[open_block]), event
    assert open_block is None


def without(events: list[Event], *kinds: str) -> list[Event]:
    return [event for event in events if event["type"] not in kinds]


# ---------------------------------------------------------------------- text


def test_text_answer() -> None:
    assert decode(text_answer("Hel", "lo")) == [
        STARTED,
        ir.TextStart(),
        ir.TextDelta("Hel"),
        ir.TextDelta("lo"),
        ir.TextEnd(),
        ir.Usage(input_tokens=12, cached_tokens=0, output_tokens=5, reasoning_tokens=0),
        ir.Stop("end_turn"),
    ]


def test_empty_deltas_never_open_a_block() -> None:
    events = decode(text_answer("", "hello", "", " world"))
    assert events[1:5] == [
        ir.TextStart(),
        ir.TextDelta("hello"),
        ir.TextDelta(" world"),
        ir.TextEnd(),
    ]


def test_unstreamed_text_comes_from_the_finished_item() -> None:
    events = ResponseScript().text("All ", "at once", stream=False).completed()
    assert decode(events)[1:4] == [ir.TextStart(), ir.TextDelta("All at once"), ir.TextEnd()]


def test_empty_message_gives_no_block() -> None:
    assert decode(ResponseScript().text().completed()) == [
        STARTED,
        ir.Usage(12, 0, 5, 0),
        ir.Stop("end_turn"),
    ]


def test_refusal_is_shown_as_text() -> None:
    events = ResponseScript().completed()
    refusal = [
        {"type": "response.refusal.delta", "sequence_number": 90, "item_id": "m", "delta": "No."},
        {
            "type": "response.output_item.done",
            "sequence_number": 91,
            "item": {
                "id": "m",
                "type": "message",
                "content": [{"type": "refusal", "refusal": "No."}],
            },
        },
    ]
    decoded = decode(events[:2] + refusal + events[2:])
    assert decoded[1:4] == [ir.TextStart(), ir.TextDelta("No."), ir.TextEnd()]


# ---------------------------------------------------------------------- reasoning


def test_reasoning_summary_then_text() -> None:
    events = (
        ResponseScript()
        .reasoning("Plan: say hi", "Then wave", encrypted_content="gAAAAenc")
        .text("Hi")
        .completed(make_usage(reasoning_tokens=7))
    )
    assert decode(events) == [
        STARTED,
        ir.ThinkingStart(),
        ir.ThinkingDelta("Plan: "),
        ir.ThinkingDelta("say hi"),
        ir.ThinkingDelta("\n\n"),
        ir.ThinkingDelta("Then "),
        ir.ThinkingDelta("wave"),
        ir.ThinkingEnd(signature=pack_reasoning("rs_0001", "gAAAAenc")),
        ir.TextStart(),
        ir.TextDelta("Hi"),
        ir.TextEnd(),
        ir.Usage(12, 0, 5, 7),
        ir.Stop("end_turn"),
    ]


def test_reasoning_without_summary_is_a_redacted_block() -> None:
    events = ResponseScript().reasoning(encrypted_content="gAAAAenc").text("Hi").completed()
    assert decode(events)[1:3] == [
        ir.RedactedThinking(data=pack_reasoning("rs_0001", "gAAAAenc")),
        ir.TextStart(),
    ]


def test_reasoning_without_summary_or_state_is_dropped() -> None:
    events = ResponseScript().reasoning(encrypted_content=None).text("Hi").completed()
    assert decode(events)[1] == ir.TextStart()


def test_reasoning_is_not_shown_when_thinking_is_off() -> None:
    # Issue 11.3: even if the backend sends a summary and state unasked, no block comes back.
    events = reasoning_answer("Plan: say hi", "Hi", encrypted_content="gAAAAenc")
    assert decode(events, reasoning="off")[1:4] == [
        ir.TextStart(),
        ir.TextDelta("Hi"),
        ir.TextEnd(),
    ]


def test_omitted_thinking_is_an_empty_block_with_its_signature() -> None:
    events = reasoning_answer("Plan: say hi", "Hi", encrypted_content="gAAAAenc")
    assert decode(events, reasoning="omitted")[1:5] == [
        ir.ThinkingStart(),
        ir.ThinkingEnd(signature=pack_reasoning("rs_0001", "gAAAAenc")),
        ir.TextStart(),
        ir.TextDelta("Hi"),
    ]
    stateless = ResponseScript().reasoning(encrypted_content=None).text("Hi").completed()
    assert decode(stateless, reasoning="omitted")[1] == ir.TextStart()


def test_unstreamed_summary_comes_from_the_finished_item() -> None:
    events = ResponseScript().reasoning("One", "Two", encrypted_content="e").completed()
    events = without(events, "response.reasoning_summary_text.delta")
    assert decode(events)[1:4] == [
        ir.ThinkingStart(),
        ir.ThinkingDelta("One\n\nTwo"),
        ir.ThinkingEnd(signature=pack_reasoning("rs_0001", "e")),
    ]


def test_reasoning_round_trip() -> None:
    """The thinking block a client echoes back restores the exact upstream reasoning item."""
    events = reasoning_answer("Plan: list files", "Done.", encrypted_content="gAAAAB-state")
    accumulator = Accumulator()
    for event in decode(events):
        accumulator.add(event)
    block = accumulator.answer.blocks[0]
    assert isinstance(block, ThinkingBlock)

    history = ir.Message("assistant", (ir.ThinkingPart(block.text, block.signature),))
    request = ir.Request(model="gpt-5.4", messages=(history,))
    body = encode_payload(request, model=ResolvedModel("gpt-5.4", "high"), prompt_cache_key=None)

    upstream_item = next(
        e["item"]
        for e in events
        if e["type"] == "response.output_item.done" and e["item"]["type"] == "reasoning"
    )
    assert body["input"] == [upstream_item]


def test_redacted_round_trip() -> None:
    events = ResponseScript().reasoning(encrypted_content="gAAAAB-state").completed()
    accumulator = Accumulator()
    for event in decode(events):
        accumulator.add(event)
    block = accumulator.answer.blocks[0]
    assert isinstance(block, RedactedThinkingBlock)
    history = ir.Message("assistant", (ir.RedactedThinkingPart(block.data),))
    request = ir.Request(model="gpt-5.4", messages=(history,))
    body = encode_payload(request, model=ResolvedModel("gpt-5.4", "high"), prompt_cache_key=None)
    assert body["input"] == [
        {"type": "reasoning", "id": "rs_0001", "summary": [], "encrypted_content": "gAAAAB-state"}
    ]


# ---------------------------------------------------------------------- tool calls


def test_several_tool_calls_stream_their_arguments() -> None:
    events = tool_calls_answer(
        ("Bash", '{"command":"ls"}'), ("Read", '{"file_path":"/a"}'), text="Let me look."
    )
    assert decode(events) == [
        STARTED,
        ir.TextStart(),
        ir.TextDelta("Let me look."),
        ir.TextEnd(),
        ir.ToolCallStart(id="call_0002", name="Bash"),
        ir.ToolCallDelta('{"comman'),
        ir.ToolCallDelta('d":"ls"}'),
        ir.ToolCallEnd(),
        ir.ToolCallStart(id="call_0003", name="Read"),
        ir.ToolCallDelta('{"file_pa'),
        ir.ToolCallDelta('th":"/a"}'),
        ir.ToolCallEnd(),
        ir.Usage(12, 0, 5, 0),
        ir.Stop("tool_use"),
    ]


def test_unstreamed_arguments_come_from_the_finished_item() -> None:
    events = ResponseScript().function_call("Bash", {"command": "pwd"}, chunks=0).completed()
    assert decode(events)[1:4] == [
        ir.ToolCallStart(id="call_0001", name="Bash"),
        ir.ToolCallDelta('{"command":"pwd"}'),
        ir.ToolCallEnd(),
    ]


def test_call_never_announced_is_sent_whole() -> None:
    events = ResponseScript().function_call("Bash", '{"command":"pwd"}').completed()
    events = without(events, "response.output_item.added", "response.function_call_arguments.delta")
    assert decode(events)[1:4] == [
        ir.ToolCallStart(id="call_0001", name="Bash"),
        ir.ToolCallDelta('{"command":"pwd"}'),
        ir.ToolCallEnd(),
    ]


def test_reasoning_then_tool_call() -> None:
    events = (
        ResponseScript()
        .reasoning("Need ls", encrypted_content="e", chunks=1)
        .function_call("Bash", "{}", chunks=1)
        .completed()
    )
    assert decode(events) == [
        STARTED,
        ir.ThinkingStart(),
        ir.ThinkingDelta("Need ls"),
        ir.ThinkingEnd(signature=pack_reasoning("rs_0001", "e")),
        ir.ToolCallStart(id="call_0002", name="Bash"),
        ir.ToolCallDelta("{}"),
        ir.ToolCallEnd(),
        ir.Usage(12, 0, 5, 0),
        ir.Stop("tool_use"),
    ]


# ---------------------------------------------------------------------- usage and stops


def test_usage() -> None:
    events = ResponseScript().text("x").completed(make_usage(100, 60, 20, 7))
    assert decode(events)[-2] == ir.Usage(
        input_tokens=100, cached_tokens=60, output_tokens=20, reasoning_tokens=7
    )


def test_completed_with_a_max_output_tokens_cut() -> None:
    events = ResponseScript().text("x").completed()
    events[-1]["response"]["incomplete_details"] = {"reason": "max_output_tokens"}
    assert decode(events)[-1] == ir.Stop("max_tokens")


@pytest.mark.parametrize(
    ("reason", "stop"),
    [("max_output_tokens", "max_tokens"), ("content_filter", "refusal")],
)
def test_incomplete(reason: str, stop: ir.StopReason) -> None:
    assert decode(incomplete_answer("Partial", reason))[-2:] == [
        ir.Usage(12, 0, 5, 0),
        ir.Stop(stop),
    ]


def test_open_blocks_close_before_the_end() -> None:
    script = ResponseScript().function_call("Bash", '{"command":"ls"}')
    cut = without(
        script.events, "response.output_item.done", "response.function_call_arguments.done"
    )
    events = cut + ResponseScript(created=False).incomplete()
    assert decode(events)[-4:] == [
        ir.ToolCallDelta('d":"ls"}'),
        ir.ToolCallEnd(),
        ir.Usage(12, 0, 5, 0),
        ir.Stop("max_tokens"),
    ]


def test_completed_without_usage() -> None:
    events = text_answer("x")
    events[-1]["response"]["usage"] = None
    assert decode(events)[-2:] == [ir.TextEnd(), ir.Stop("end_turn")]


def test_usage_found_in_any_layout() -> None:
    # Pretty-printed, tools after the usage, and a tool parameter named "usage".
    tool = {
        "type": "function",
        "name": "t",
        "parameters": {"properties": {"usage": {"type": "string"}}},
    }
    response = {
        "id": "resp_9",
        "usage": make_usage(40, 10, 3, 1),
        "incomplete_details": None,
        "tools": [tool],
    }
    completed = {"type": "response.completed", "sequence_number": 1, "response": response}
    decoder = ResponsesDecoder()
    out = decoder.feed(b"response.completed", json.dumps(completed, indent=2).encode())
    assert out[1:] == [ir.Usage(40, 10, 3, 1), ir.Stop("end_turn")]


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("code", "message", "error_type"),
    [
        (
            "context_length_exceeded",
            "Your input exceeds the context window of this model.",
            errors.ContextTooLong,
        ),
        (
            "invalid_prompt",
            "This model's maximum context length is 272000 tokens.",
            errors.ContextTooLong,
        ),
        ("rate_limit_exceeded", "Rate limit reached", errors.RateLimited),
        ("usage_limit_reached", "The usage limit has been reached", errors.RateLimited),
        ("usage_not_included", "Upgrade to use Codex", errors.RateLimited),
        ("server_is_overloaded", "Our servers are busy", errors.UpstreamUnavailable),
        ("slow_down", "Slow down", errors.UpstreamUnavailable),
        ("server_error", "Something went wrong", errors.UpstreamFailed),
    ],
)
def test_failed(code: str, message: str, error_type: type[errors.GatewayError]) -> None:
    with pytest.raises(error_type) as caught:
        decode(failed_answer(code, message))
    assert type(caught.value) is error_type
    assert caught.value.message == message


def test_failed_without_message() -> None:
    events = failed_answer()
    events[-1]["response"]["error"] = None
    with pytest.raises(errors.UpstreamFailed, match="Upstream generation failed"):
        decode(events)


@pytest.mark.parametrize(
    "event",
    [
        {
            "type": "error",
            "code": "usage_limit_reached",
            "message": "Limit",
            "resets_in_seconds": 3600,
        },
        {
            "type": "error",
            "error": {"type": "usage_limit_reached", "message": "Limit", "resets_in_seconds": 3600},
        },
    ],
)
def test_error_event_rate_limit(event: Event) -> None:
    with pytest.raises(errors.RateLimited) as caught:
        decode([*ResponseScript().events, event])
    assert (caught.value.message, caught.value.retry_after) == ("Limit", 3600)


def test_error_event_without_details() -> None:
    with pytest.raises(errors.UpstreamFailed, match="Upstream generation failed"):
        decode(ResponseScript().error(code="", message=""))


def test_error_event_context_overflow() -> None:
    events = ResponseScript().error("context_length_exceeded", "Input is too long.")
    with pytest.raises(errors.ContextTooLong, match="Input is too long"):
        decode(events)


def test_stream_cut_before_the_end() -> None:
    events = ResponseScript().text("Hel", "lo").events
    decoder = ResponsesDecoder()
    parser = SSEParser()
    for name, data in parser.feed(encode_sse(events)):
        decoder.feed(name, data)
    assert not decoder.done
    with pytest.raises(errors.UpstreamFailed, match="ended before the response completed"):
        decoder.finish()


@pytest.mark.parametrize(
    ("message", "overflow"),
    [
        ("prompt is too long: 250000 tokens > 200000 maximum", True),
        ("Request too large for gpt-5.4", True),
        ("This request exceeds the maximum token limit", True),
        ("Rate limit reached for requests", False),
        ("Invalid value for 'tools'", False),
    ],
)
def test_context_overflow_patterns(message: str, overflow: bool) -> None:
    assert is_context_overflow(message) is overflow


# ---------------------------------------------------------------------- framing and dispatch


def test_done_and_later_events() -> None:
    decoder = ResponsesDecoder()
    parser = SSEParser()
    messages = parser.feed(encode_sse(text_answer("x")))
    for name, data in messages:
        decoder.feed(name, data)
    assert decoder.done
    assert decoder.feed(*messages[-2]) == []
    assert decoder.finish() == []


def test_events_we_do_not_translate_are_ignored() -> None:
    events = ResponseScript().rate_limits().text("x").completed()
    events.insert(3, {"type": "response.web_search_call.searching", "sequence_number": 99})
    assert decode(events) == decode(text_answer("x"))


def test_dispatch_on_json_type_without_event_lines() -> None:
    decoder = ResponsesDecoder()
    out: list[ir.Event] = []
    for event in text_answer("Hi"):
        out += decoder.feed(b"", json.dumps(event).encode())
    assert out == decode(text_answer("Hi"))


def test_malformed_event_is_skipped() -> None:
    decoder = ResponsesDecoder()
    out = decoder.feed(b"response.created", json.dumps(ResponseScript().events[0]).encode())
    out += decoder.feed(b"response.output_text.delta", b"{not json")
    out += decoder.feed(b"response.output_text.delta", b"[1, 2]")
    out += decoder.feed(b"response.output_text.delta", b'{"delta": "ok", "item_id": "m"}')
    assert out == [STARTED, ir.TextStart(), ir.TextDelta("ok")]


def test_started_without_response_created() -> None:
    events = without(text_answer("x"), "response.created", "response.in_progress")
    assert decode(events)[:2] == [ir.Started(response_id="", model=""), ir.TextStart()]


# ---------------------------------------------------------------------- properties


_item = st.one_of(
    st.tuples(st.just("text"), st.lists(st.text(max_size=5), max_size=3)),
    st.tuples(st.just("reasoning"), st.lists(st.text(min_size=1, max_size=5), max_size=2)),
    st.tuples(st.just("call"), st.integers(min_value=0, max_value=3)),
)


def _script(items: list[tuple[str, Any]], ending: str) -> list[Event]:
    script = ResponseScript()
    for kind, detail in items:
        if kind == "text":
            script.text(*detail)
        elif kind == "reasoning":
            script.reasoning(*detail, encrypted_content="enc")
        else:
            script.function_call("Tool", {"n": detail}, chunks=detail)
    return script.completed() if ending == "completed" else script.incomplete()


@given(
    items=st.lists(_item, max_size=5),
    ending=st.sampled_from(["completed", "incomplete"]),
    cut=st.integers(min_value=0),
)
def test_any_response_is_well_formed_and_split_proof(
    items: list[tuple[str, Any]], ending: str, cut: int
) -> None:
    events = _script(items, ending)
    whole = decode(events)  # checks the contract
    stream = encode_sse(events)
    cut %= len(stream) + 1
    parser, decoder = SSEParser(), ResponsesDecoder()
    split: list[ir.Event] = []
    for chunk in (stream[:cut], stream[cut:]):
        for name, data in parser.feed(chunk):
            split += decoder.feed(name, data)
    assert split == whole
    texts = "".join(e.text for e in whole if isinstance(e, ir.TextDelta))
    assert texts == "".join("".join(d) for kind, d in items if kind == "text")
    calls = [e for e in whole if isinstance(e, ir.ToolCallStart)]
    assert len(calls) == sum(kind == "call" for kind, _ in items)
    if ending == "completed":
        assert whole[-1] == ir.Stop("tool_use" if calls else "end_turn")


@pytest.mark.parametrize(
    ("message", "numbers"),
    [
        (
            "This model's maximum context length is 272000 tokens. However, your messages "
            "resulted in 300,123 tokens. Please reduce the length of the messages.",
            (300123, 272000),
        ),
        ("prompt is too long: 210118 tokens > 200000 maximum", (210118, 200000)),
        ("Your input exceeds the context window of this model.", (None, None)),
        ("maximum context length is 272000 tokens", (None, None)),
    ],
)
def test_overflow_numbers_come_from_the_upstream_when_it_gives_them(
    message: str, numbers: tuple[int | None, int | None]
) -> None:
    exc = context_too_long(message)
    assert (exc.tokens, exc.limit) == numbers
    assert not exc.approximate
