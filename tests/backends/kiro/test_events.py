"""Transcripts: Kiro event-stream bytes in (real frames), ir events out."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode import errors, ir, tokens
from codex2claudecode.backends.kiro.events import KiroDecoder, KiroStreamDecoder
from tests.fakes.kiro_stream import (
    assistant_text,
    code_text,
    context_usage,
    encode_frame,
    error_frame,
    event,
    exception_frame,
    message_metadata,
    metadata,
    metering,
    reasoning,
    text_answer,
    tool_answer,
    tool_call,
    tool_use,
    usage,
)

STARTED = ir.Started(response_id="msg_1", model="claude-sonnet-4.5")
WINDOW = 200_000
ESTIMATE = 1234


def make_decoder(**overrides: object) -> KiroDecoder:
    options: dict[str, object] = {
        "response_id": "msg_1",
        "model": "claude-sonnet-4.5",
        "context_window": WINDOW,
        "estimated_input_tokens": ESTIMATE,
    }
    options.update(overrides)
    return KiroDecoder(**options)  # type: ignore[arg-type]


def decode(*chunks: bytes, **overrides: object) -> list[ir.Event]:
    """Bytes -> frames -> ir events, checking the ir stream contract."""
    stream = KiroStreamDecoder(make_decoder(**overrides))
    out: list[ir.Event] = []
    for chunk in chunks:
        out += stream.feed(chunk)
    out += stream.finish()
    assert stream.decoder.done
    assert_well_formed(out)
    return out


def assert_well_formed(events: list[ir.Event]) -> None:
    assert events[0] == STARTED
    assert isinstance(events[-1], ir.Stop)
    assert sum(isinstance(e, ir.Stop | ir.Started) for e in events) == 2
    closers: dict[type, type] = {
        ir.TextStart: ir.TextEnd,
        ir.ThinkingStart: ir.ThinkingEnd,
        ir.ToolCallStart: ir.ToolCallEnd,
    }
    inside: dict[type, type] = {
        ir.TextStart: ir.TextDelta,
        ir.ThinkingStart: ir.ThinkingDelta,
        ir.ToolCallStart: ir.ToolCallDelta,
    }
    open_block: type | None = None
    for e in events[1:-1]:
        if open_block is None:
            assert type(e) in (*closers, ir.RedactedThinking, ir.Usage), e
            if type(e) in closers:
                open_block = type(e)
        elif isinstance(e, closers[open_block]):
            open_block = None
        else:
            assert isinstance(e, inside[open_block]), e
    assert open_block is None


def text_of(events: list[ir.Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, ir.TextDelta))


def thinking_of(events: list[ir.Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, ir.ThinkingDelta))


# --------------------------------------------------------------------------- text


def test_a_text_answer() -> None:
    body = text_answer("Hel", "lo", token_usage=usage(100, 7, cache_read=60, cache_write=5))
    assert decode(body) == [
        STARTED,
        ir.TextStart(),
        ir.TextDelta("Hel"),
        ir.TextDelta("lo"),
        ir.TextEnd(),
        ir.Usage(input_tokens=165, cached_tokens=60, output_tokens=7),
        ir.Stop("end_turn"),
    ]


def test_code_events_are_text() -> None:
    assert text_of(decode(assistant_text("a ") + code_text("b") + metadata("END_TURN"))) == "a b"


def test_the_empty_sentinel_is_not_text_but_near_misses_are() -> None:
    body = b"".join(
        assistant_text(t) for t in ("(empty)", "(EMPTY)", "(empty) ", "(empty", "empty)")
    )
    assert text_of(decode(body)) == "(EMPTY)(empty) (emptyempty)"


def test_a_repeated_content_event_is_dropped() -> None:
    body = assistant_text("hello") + assistant_text("hello") + assistant_text("!")
    assert text_of(decode(body)) == "hello!"


def test_a_payload_nested_under_the_event_name() -> None:
    body = event("assistantResponseEvent", {"assistantResponseEvent": {"content": "nested"}})
    assert text_of(decode(body)) == "nested"


def test_skipped_and_unknown_events_change_nothing() -> None:
    decoder = make_decoder()
    stream = KiroStreamDecoder(decoder)
    body = (
        message_metadata()
        + event("followupPromptEvent", {"content": "ask me more"})
        + event("supplementaryWebLinksEvent", {"links": []})
        + event("brandNewEvent", {"content": "?"})
        + assistant_text("ok")
    )
    out = stream.feed(body) + stream.finish()
    assert text_of(out) == "ok"
    assert decoder.unknown_events == {"brandNewEvent"}


# --------------------------------------------------------------------------- tools


def test_a_tool_call_is_sent_whole_once_complete() -> None:
    arguments = '{"file_path": "/tmp/a.txt", "limit": 10}'
    body = tool_answer([("tooluse_1", "Read", arguments)], text="Reading.")
    assert decode(body) == [
        STARTED,
        ir.TextStart(),
        ir.TextDelta("Reading."),
        ir.TextEnd(),
        ir.ToolCallStart(id="tooluse_1", name="Read"),
        ir.ToolCallDelta(arguments),
        ir.ToolCallEnd(),
        ir.Usage(input_tokens=12, output_tokens=5),
        ir.Stop("tool_use"),
    ]


def test_nothing_of_a_pending_call_goes_out_before_its_stop() -> None:
    stream = KiroStreamDecoder(make_decoder())
    assert stream.feed(tool_use("t1", "Bash", '{"command"')) == []
    assert stream.feed(tool_use("t1", "Bash", ': "ls"}')) == []
    assert stream.feed(tool_use("t1", "Bash", stop=True)) == [
        STARTED,
        ir.ToolCallStart(id="t1", name="Bash"),
        ir.ToolCallDelta('{"command": "ls"}'),
        ir.ToolCallEnd(),
    ]


def test_parallel_calls_and_a_call_without_stop_whose_input_is_complete() -> None:
    body = (
        tool_use("t1", "Read", '{"file_path": "a"}')  # no stop: completed by the next call
        + tool_call("t2", "Read", '{"file_path": "b"}')
        + tool_use("t3", "Bash", '{"command": "ls"}')  # no stop, complete at the end
    )
    events = decode(body)
    starts = [e for e in events if isinstance(e, ir.ToolCallStart)]
    assert [s.id for s in starts] == ["t1", "t2", "t3"]
    assert events[-1] == ir.Stop("tool_use")


def test_object_inputs_are_merged() -> None:
    body = (
        tool_use("t1", "save", {"a": 1})
        + event("toolUseEvent", {"input": {"b": 2}})
        + event("toolUseEvent", {"stop": True})
    )
    assert ir.ToolCallDelta('{"a":1,"b":2}') in decode(body)


def test_a_call_without_parameters() -> None:
    assert ir.ToolCallDelta("{}") in decode(tool_use("t1", "now", "", stop=True))


@pytest.mark.parametrize(
    "body",
    [
        # Kiro cut the input short: no stop, and what came is not a JSON object.
        tool_use("t1", "Write", '{"file_path": "a.py", "content": "print(') + metadata("END_TURN"),
        # Only the name came.
        tool_use("t1", "Write", "") + context_usage(3.0),
        # Cut short, then the next call started.
        tool_use("t1", "Write", '{"file_pa') + tool_call("t2", "Read", '{"file_path": "b"}'),
        # A stop, but the input is still broken.
        tool_use("t1", "Write", '{"content": "x', stop=True),
        # Valid JSON, but not an object.
        tool_use("t1", "Write", "[1, 2]", stop=True),
    ],
)
def test_a_truncated_tool_call_never_reaches_the_client(body: bytes) -> None:
    decoder = make_decoder()
    stream = KiroStreamDecoder(decoder)
    events = stream.feed(assistant_text("Writing it.") + body) + stream.finish()
    assert_well_formed(events)
    assert all(getattr(e, "id", "") != "t1" for e in events)
    assert "Write tool call was cut off by Kiro" in text_of(events)
    assert events[-1] == ir.Stop("max_tokens")
    assert decoder.truncated_tool == "Write"


# --------------------------------------------------------------------------- thinking


def test_native_reasoning_passes_kiros_signature_through() -> None:
    body = (
        reasoning("Let me ")
        + reasoning("think.")
        + reasoning(signature="kiro-sig-abc")
        + assistant_text("Answer.")
    )
    assert decode(body)[:7] == [
        STARTED,
        ir.ThinkingStart(),
        ir.ThinkingDelta("Let me "),
        ir.ThinkingDelta("think."),
        ir.ThinkingEnd(signature="kiro-sig-abc"),
        ir.TextStart(),
        ir.TextDelta("Answer."),
    ]


def test_reasoning_omitted_keeps_only_the_signature() -> None:
    body = reasoning("secret") + reasoning(signature="kiro-sig-abc") + assistant_text("A.")
    assert decode(body, reasoning="omitted")[:5] == [
        STARTED,
        ir.ThinkingStart(),
        ir.ThinkingEnd(signature="kiro-sig-abc"),
        ir.TextStart(),
        ir.TextDelta("A."),
    ]


def test_reasoning_unasked_is_not_shown_native_or_tagged() -> None:
    body = reasoning("secret") + reasoning(signature="s") + reasoning(redacted="r")
    events = decode(body + assistant_text("A."), reasoning="off")
    assert events[:3] == [STARTED, ir.TextStart(), ir.TextDelta("A.")]
    tagged = decode(assistant_text(ANSWER), reasoning="off", thinking_tags=True)
    assert not any(isinstance(e, ir.ThinkingStart) for e in tagged)
    assert text_of(tagged) == "ok"


def test_redacted_reasoning_is_a_whole_block() -> None:
    events = decode(reasoning(redacted="opaque==") + assistant_text("ok"))
    assert events[:3] == [STARTED, ir.RedactedThinking(data="opaque=="), ir.TextStart()]


def test_reasoning_cut_short_by_text_closes_without_a_signature() -> None:
    events = decode(reasoning("hmm") + assistant_text("ok"))
    assert ir.ThinkingEnd(signature="") in events


ANSWER = "<thinking>plan</thinking>ok"


def split_events(text: str, cuts: list[int]) -> bytes:
    points = [0, *sorted(set(cuts)), len(text)]
    return b"".join(assistant_text(text[a:b]) for a, b in itertools.pairwise(points) if b > a)


@pytest.mark.parametrize("cut", range(1, len(ANSWER)))
def test_thinking_tags_split_at_every_offset(cut: int) -> None:
    events = decode(split_events(ANSWER, [cut]), thinking_tags=True)
    assert thinking_of(events) == "plan"
    assert text_of(events) == "ok"
    assert [type(e) for e in events if isinstance(e, ir.ThinkingStart | ir.TextStart)] == [
        ir.ThinkingStart,
        ir.TextStart,
    ]
    assert ir.ThinkingEnd(signature="") in events


@given(st.lists(st.integers(1, len(ANSWER) - 1), max_size=6))
def test_thinking_tags_split_anywhere(cuts: list[int]) -> None:
    events = decode(split_events(ANSWER, cuts), thinking_tags=True)
    assert (thinking_of(events), text_of(events)) == ("plan", "ok")


@pytest.mark.parametrize(
    ("chunks", "thinking", "text"),
    [
        (["<think>short</think>\nok"], "short", "\nok"),
        (["<thinking>pla", "n</thinking>ok"], "plan", "ok"),
        (["<thinking>plan</thi", "nking>ok"], "plan", "ok"),
        (["<thinking>never closed"], "never closed", ""),
        (["<thinking>a</thin"], "a</thin", ""),
        (["<thin"], "", "<thin"),
        (["<b>bold</b>"], "", "<b>bold</b>"),
        (["Hi <thinking>later</thinking>"], "", "Hi <thinking>later</thinking>"),
        ([" <thinking>x</thinking>"], "", " <thinking>x</thinking>"),
    ],
)
def test_thinking_tags(chunks: list[str], thinking: str, text: str) -> None:
    events = decode(b"".join(assistant_text(c) for c in chunks), thinking_tags=True)
    assert (thinking_of(events), text_of(events)) == (thinking, text)


def test_tags_are_text_when_not_in_use() -> None:
    assert text_of(decode(assistant_text(ANSWER))) == ANSWER


# --------------------------------------------------------------------------- stop and usage


@pytest.mark.parametrize(
    ("kiro", "with_call", "reason"),
    [
        ("END_TURN", False, "end_turn"),
        ("END_TURN", True, "tool_use"),
        ("TOOL_USE", True, "tool_use"),
        ("TOOL_USE", False, "end_turn"),
        ("MAX_TOKENS", False, "max_tokens"),
        ("MODEL_CONTEXT_WINDOW_EXCEEDED", False, "model_context_window_exceeded"),
        ("CONTENT_FILTERED", False, "refusal"),
        ("PAUSE_TURN", False, "pause_turn"),
        ("SOMETHING_NEW", False, "end_turn"),
        (None, False, "end_turn"),
        (None, True, "tool_use"),
    ],
)
def test_stop_reasons(kiro: str | None, with_call: bool, reason: ir.StopReason) -> None:
    body = assistant_text("x")
    if with_call:
        body += tool_call("t1", "Read", '{"file_path": "a"}')
    events = decode(body + metadata(kiro, refusal="policy" if kiro == "CONTENT_FILTERED" else None))
    assert events[-1] == ir.Stop(reason)


def test_a_context_window_stop_before_any_answer_is_a_context_error() -> None:
    stream = KiroStreamDecoder(make_decoder())
    assert stream.feed(message_metadata() + metadata("MODEL_CONTEXT_WINDOW_EXCEEDED")) == []
    with pytest.raises(errors.ContextTooLong, match="Compact"):
        stream.finish()


def test_usage_from_the_context_percentage() -> None:
    events = decode(assistant_text("hello") + context_usage(10.0))
    output = tokens.count_text("hello")
    assert ir.Usage(input_tokens=20_000 - output, output_tokens=output) in events


def test_usage_percentage_from_token_usage_and_kiro_output_count() -> None:
    body = assistant_text("hello") + metadata("END_TURN", {"outputTokens": 3})
    body += context_usage(50.0)
    assert ir.Usage(input_tokens=100_000 - 3, output_tokens=3) in decode(body)


def test_usage_falls_back_to_the_estimate_and_a_local_count() -> None:
    text = "The quick brown fox jumps over the lazy dog."
    events = decode(assistant_text(text) + tool_call("t1", "Read", '{"a": 1}'))
    expected = tokens.count_text(text + '{"a": 1}')
    assert ir.Usage(input_tokens=ESTIMATE, output_tokens=expected) in events


def test_an_empty_answer() -> None:
    assert decode(b"") == [STARTED, ir.Usage(input_tokens=ESTIMATE), ir.Stop("end_turn")]


def test_metering_reports_credits() -> None:
    credits: list[float] = []
    decode(text_answer("hi", credits=0.045) + metering(1), on_metering=credits.append)
    assert credits == [0.045, 1.0]


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("frame", "error", "words"),
    [
        (
            exception_frame(
                "ThrottlingException", "Rate exceeded", reason="USER_REQUEST_RATE_EXCEEDED"
            ),
            errors.RateLimited,
            "rate limiting this account",
        ),
        (
            exception_frame("ThrottlingException", "Throttled by the service"),
            errors.RateLimited,
            "credits are spent",
        ),
        (
            exception_frame(
                "ValidationException",
                "Input is too long.",
                reason="CONTENT_LENGTH_EXCEEDS_THRESHOLD",
            ),
            errors.ContextTooLong,
            "Input is too long",
        ),
        (
            exception_frame(
                "ValidationException", "Improperly formed request.", reason="TOOL_DUPLICATE"
            ),
            errors.InvalidRequest,
            "TOOL_DUPLICATE",
        ),
        (
            exception_frame("ThrottlingException", "busy", reason="INSUFFICIENT_MODEL_CAPACITY"),
            errors.UpstreamUnavailable,
            "no capacity",
        ),
        (
            exception_frame("InternalServerException", "boom"),
            errors.UpstreamFailed,
            "InternalServerException: boom",
        ),
        (error_frame("InternalFailure", "oops"), errors.UpstreamFailed, "InternalFailure: oops"),
        (error_frame("ThrottlingException", "slow down"), errors.RateLimited, "slow down"),
        (
            event("invalidStateEvent", {"reason": "INVALID_TASK_STATE", "message": "expired"}),
            errors.UpstreamFailed,
            "INVALID_TASK_STATE: expired",
        ),
        (encode_frame({":message-type": "surprise"}), errors.UpstreamFailed, "unknown type"),
        (
            encode_frame({":message-type": "event", ":event-type": "toolUseEvent"}, b"[1]"),
            errors.UpstreamFailed,
            "not a JSON object",
        ),
    ],
)
def test_failures_are_raised_with_plain_words(
    frame: bytes, error: type[errors.GatewayError], words: str
) -> None:
    stream = KiroStreamDecoder(make_decoder())
    with pytest.raises(error, match=words) as caught:
        stream.feed(frame)
    assert type(caught.value) is error


def test_a_failure_after_text_is_raised_mid_stream() -> None:
    stream = KiroStreamDecoder(make_decoder())
    assert stream.feed(assistant_text("Hi")) == [STARTED, ir.TextStart(), ir.TextDelta("Hi")]
    with pytest.raises(errors.RateLimited):
        stream.feed(exception_frame("ThrottlingException", "Rate exceeded"))


def test_a_stream_cut_mid_frame_fails_instead_of_ending_the_turn() -> None:
    stream = KiroStreamDecoder(make_decoder())
    body = text_answer("Hello")
    stream.feed(body[:-3])
    with pytest.raises(errors.UpstreamFailed, match="middle of a frame"):
        stream.finish()


# --------------------------------------------------------------------------- chunking


REALISTIC = (
    message_metadata()
    + reasoning("Plan the ")
    + reasoning("answer.")
    + reasoning(signature="sig-1")
    + b"".join(assistant_text(f"word{i} ") for i in range(20))
    + assistant_text("(empty)")
    + tool_call("t1", "Write", '{"file_path": "é.py", "content": "print(1)\\n"}', pieces=5)
    + context_usage(12.5)
    + metering(0.05)
    + metadata("TOOL_USE", usage(500, 40, cache_read=100))
)


@given(st.lists(st.integers(0, len(REALISTIC)), max_size=20))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(REALISTIC)]
    chunks = [REALISTIC[a:b] for a, b in itertools.pairwise(points)]
    assert decode(*chunks) == decode(REALISTIC)


def test_feed_after_finish_is_ignored() -> None:
    decoder = make_decoder()
    stream = KiroStreamDecoder(decoder)
    stream.feed(text_answer("x"))
    stream.finish()
    assert stream.feed(assistant_text("late")) == []
    assert decoder.finish() == []
