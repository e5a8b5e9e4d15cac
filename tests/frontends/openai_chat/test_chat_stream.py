"""Transcripts of `ChatStreamRenderer`: ir events in, `chat.completion.chunk` lines out, each
validated with the official SDK's model and the whole run accumulated by the SDK's own stream
state."""

from __future__ import annotations

from typing import Any, get_args

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from codex2claudecode import errors, ir
from codex2claudecode.frontends.openai_chat.request import parse_chat
from codex2claudecode.frontends.openai_chat.stream import ChatStreamRenderer

USAGE = b'"stream_options":{"include_usage":true},'


def make_renderer(options: bytes = b"", estimate: int = 7) -> ChatStreamRenderer:
    request = parse_chat(
        b'{"model":"gpt-5.4",'
        + options
        + b'"stream":true,"messages":[{"role":"user","content":"hi"}]}'
    )
    return ChatStreamRenderer(
        request, completion_id="chatcmpl-abc", created=1_700_000_000, input_tokens_estimate=estimate
    )


def lines(sse: bytes) -> list[bytes]:
    assert sse.endswith(b"\n\n")
    parts = sse[:-2].split(b"\n\n")
    assert all(part.startswith(b"data: ") for part in parts)
    return [part[6:] for part in parts]


def check(sse: bytes, *, usage: bool) -> list[dict[str, Any]]:
    """Assert the chunk grammar; return the chunks (without `[DONE]`)."""
    data = lines(sse)
    assert data[-1] == b"[DONE]"
    chunks = [orjson.loads(line) for line in data[:-1]]
    for line in data[:-1]:
        ChatCompletionChunk.model_validate_json(line)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert len({chunk["id"] for chunk in chunks}) == 1
    choice_chunks = [chunk for chunk in chunks if chunk["choices"]]
    finishes = [chunk["choices"][0]["finish_reason"] for chunk in choice_chunks]
    assert finishes[-1] in ("stop", "length", "tool_calls", "content_filter")
    assert all(reason is None for reason in finishes[:-1])
    if usage:
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] >= 0
        assert all(chunk["usage"] is None for chunk in chunks[:-1])
    else:
        assert all("usage" not in chunk for chunk in chunks)
    return chunks


def accumulate(sse: bytes) -> Any:
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    for line in lines(sse)[:-1]:
        state.handle_chunk(ChatCompletionChunk.model_validate_json(line))
    return state.current_completion_snapshot  # get_final_completion raises on "length"


def render(events: list[ir.Event], renderer: ChatStreamRenderer | None = None) -> bytes:
    renderer = renderer or make_renderer()
    return b"".join(renderer.render(event) for event in events)


def test_text_transcript() -> None:
    sse = render(
        [
            ir.Started("r", "m"),
            ir.TextStart(),
            ir.TextDelta("Hel"),
            ir.TextDelta("lo"),
            ir.TextEnd(),
            ir.Stop("end_turn"),
        ]
    )
    chunks = check(sse, usage=False)
    assert [chunk["choices"][0]["delta"] for chunk in chunks] == [
        {"role": "assistant", "content": "", "refusal": None},
        {"content": "Hel"},
        {"content": "lo"},
        {},
    ]
    assert chunks[0]["object"] == "chat.completion.chunk" and chunks[0]["model"] == "gpt-5.4"
    assert chunks[0]["created"] == 1_700_000_000 and chunks[0]["system_fingerprint"] is None
    completion = accumulate(sse)
    assert completion.choices[0].message.content == "Hello"
    assert completion.choices[0].finish_reason == "stop"


def test_parallel_tool_calls_are_indexed_and_stream_arguments() -> None:
    sse = render(
        [
            ir.ToolCallStart("call_a", "f"),
            ir.ToolCallDelta('{"x":'),
            ir.ToolCallDelta("1}"),
            ir.ToolCallEnd(),
            ir.ToolCallStart("call_b", "g"),
            ir.ToolCallDelta("{}"),
            ir.ToolCallEnd(),
            ir.Stop("tool_use"),
        ]
    )
    chunks = check(sse, usage=False)
    assert chunks[1]["choices"][0]["delta"] == {
        "tool_calls": [
            {
                "index": 0,
                "id": "call_a",
                "type": "function",
                "function": {"name": "f", "arguments": ""},
            }
        ]
    }
    assert chunks[2]["choices"][0]["delta"] == {
        "tool_calls": [{"index": 0, "function": {"arguments": '{"x":'}}]
    }
    assert chunks[4]["choices"][0]["delta"]["tool_calls"][0]["index"] == 1
    completion = accumulate(sse)
    calls = completion.choices[0].message.tool_calls
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_a", "f", '{"x":1}'),
        ("call_b", "g", "{}"),
    ]
    assert completion.choices[0].finish_reason == "tool_calls"


def test_usage_chunk_when_asked() -> None:
    sse = render(
        [ir.TextDelta("x"), ir.Usage(10, 4, 3, 2), ir.Stop("end_turn")], make_renderer(USAGE)
    )
    chunks = check(sse, usage=True)
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 10,
        "completion_tokens": 3,
        "total_tokens": 13,
        "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 2,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    assert accumulate(sse).usage.prompt_tokens == 10


def test_reasoning_goes_to_reasoning_content_and_signatures_are_dropped() -> None:
    sse = render(
        [
            ir.ThinkingStart(),
            ir.ThinkingDelta("think"),
            ir.ThinkingEnd("sig"),
            ir.RedactedThinking("x"),
            ir.TextDelta("a"),
            ir.Stop("end_turn"),
        ]
    )
    deltas = [chunk["choices"][0]["delta"] for chunk in check(sse, usage=False)]
    assert deltas[1:] == [{"reasoning_content": "think"}, {"content": "a"}, {}]


def test_finish_reasons() -> None:
    def finish(events: list[ir.Event]) -> str:
        reason: str = check(render(events), usage=False)[-1]["choices"][0]["finish_reason"]
        return reason

    assert finish([ir.TextDelta("a"), ir.Stop("max_tokens")]) == "length"
    assert finish([ir.ToolCallStart("c", "f"), ir.Stop("max_tokens")]) == "length"
    assert finish([ir.TextDelta("a"), ir.Stop("model_context_window_exceeded")]) == "length"
    assert finish([ir.TextDelta("a"), ir.Stop("refusal")]) == "content_filter"
    assert finish([ir.TextDelta("a"), ir.Stop("stop_sequence", "END")]) == "stop"
    assert (
        finish([ir.ToolCallStart("c", "f"), ir.ToolCallEnd(), ir.Stop("end_turn")]) == "tool_calls"
    )


def test_mid_stream_error_is_an_error_line_without_done() -> None:
    renderer = make_renderer()
    sse = render([ir.TextDelta("part")], renderer) + renderer.error(
        errors.UpstreamFailed("cut off")
    )
    last = lines(sse)[-1]
    assert orjson.loads(last) == {
        "error": {"message": "cut off", "type": "server_error", "param": None, "code": None}
    }
    assert b"[DONE]" not in sse
    assert (
        renderer.render(ir.Stop("end_turn")) == b""
        and renderer.error(errors.UpstreamFailed("x")) == b""
    )


ANY_EVENT = st.one_of(
    st.builds(ir.Started, st.text(max_size=3), st.text(max_size=3)),
    st.just(ir.TextStart()),
    st.builds(ir.TextDelta, st.text(max_size=5)),
    st.just(ir.TextEnd()),
    st.just(ir.ThinkingStart()),
    st.builds(ir.ThinkingDelta, st.text(max_size=5)),
    st.builds(ir.ThinkingEnd, st.text(max_size=5)),
    st.builds(ir.RedactedThinking, st.text(max_size=5)),
    st.builds(ir.ToolCallStart, st.text(min_size=1, max_size=3), st.text(min_size=1, max_size=3)),
    st.builds(ir.ToolCallDelta, st.text(max_size=5)),
    st.just(ir.ToolCallEnd()),
    st.builds(ir.Usage, st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 1000)),
)
STOPS = st.builds(
    ir.Stop,
    st.sampled_from(get_args(ir.StopReason)),
)


@settings(max_examples=150)
@given(st.lists(ANY_EVENT, max_size=25), STOPS, st.booleans())
def test_any_event_sequence_renders_valid_chunks(
    events: list[ir.Event], stop: ir.Stop, usage: bool
) -> None:
    renderer = make_renderer(USAGE if usage else b"")
    sse = render([*events, stop], renderer)
    check(sse, usage=usage)
    completion = accumulate(sse)
    text = "".join(e.text for e in events if isinstance(e, ir.TextDelta))
    assert (completion.choices[0].message.content or "") == text
    assert len(completion.choices[0].message.tool_calls or []) == sum(
        isinstance(e, ir.ToolCallStart) for e in events
    )
