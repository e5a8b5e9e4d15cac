"""Tests for the Anthropic SSE renderer: exact transcripts, usage, errors, and the official SDK.

The SDK tests feed the rendered bytes to `anthropic.Anthropic().messages.stream()` over an
in-memory transport and check that the message it accumulates equals the non-streaming JSON
rendered from the same events.
"""

from __future__ import annotations

import json
from typing import Any, get_args

import anthropic
import httpx2
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codex2claudecode import errors, ir
from codex2claudecode.accumulator import Accumulator
from codex2claudecode.frontends.anthropic.response import render_message
from codex2claudecode.frontends.anthropic.stream import SSERenderer

START = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message",'
    '"role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,'
    '"usage":{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,'
    '"output_tokens":0,"service_tier":"standard"}}}\n\n'
)
STOP_END_TURN = (
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn",'
    '"stop_sequence":null},"usage":{"input_tokens":10,"cache_creation_input_tokens":0,'
    '"cache_read_input_tokens":0,"output_tokens":0}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


def block_start(index: int, block: str) -> str:
    return (
        f'event: content_block_start\ndata: {{"type":"content_block_start","index":{index},'
        f'"content_block":{block}}}\n\n'
    )


def delta(index: int, body: str) -> str:
    return (
        f'event: content_block_delta\ndata: {{"type":"content_block_delta","index":{index},'
        f'"delta":{body}}}\n\n'
    )


def block_stop(index: int) -> str:
    return f'event: content_block_stop\ndata: {{"type":"content_block_stop","index":{index}}}\n\n'


def make_renderer(estimate: int = 10) -> SSERenderer:
    return SSERenderer(message_id="msg_1", model="claude-x", input_tokens_estimate=estimate)


def render_all(events: list[ir.Event], estimate: int = 10) -> bytes:
    renderer = make_renderer(estimate)
    return b"".join(renderer.render(event) for event in events)


STARTED = ir.Started(response_id="resp_1", model="gpt-upstream")

TRANSCRIPTS: list[tuple[str, list[ir.Event], str]] = [
    (
        "text",
        [
            STARTED,
            ir.TextStart(),
            ir.TextDelta("Hel"),
            ir.TextDelta('lo "x"\n'),
            ir.TextEnd(),
            ir.Stop("end_turn"),
        ],
        START
        + block_start(0, '{"type":"text","text":""}')
        + delta(0, '{"type":"text_delta","text":"Hel"}')
        + delta(0, '{"type":"text_delta","text":"lo \\"x\\"\\n"}')
        + block_stop(0)
        + STOP_END_TURN,
    ),
    (
        "thinking with signature, then text",
        [
            STARTED,
            ir.ThinkingStart(),
            ir.ThinkingDelta("Plan: "),
            ir.ThinkingDelta("say hi"),
            ir.ThinkingEnd("sig-opaque"),
            ir.TextStart(),
            ir.TextDelta("Hi"),
            ir.TextEnd(),
            ir.Stop("end_turn"),
        ],
        START
        + block_start(0, '{"type":"thinking","thinking":"","signature":""}')
        + delta(0, '{"type":"thinking_delta","thinking":"Plan: "}')
        + delta(0, '{"type":"thinking_delta","thinking":"say hi"}')
        + delta(0, '{"type":"signature_delta","signature":"sig-opaque"}')
        + block_stop(0)
        + block_start(1, '{"type":"text","text":""}')
        + delta(1, '{"type":"text_delta","text":"Hi"}')
        + block_stop(1)
        + STOP_END_TURN,
    ),
    (
        "redacted thinking",
        [STARTED, ir.RedactedThinking("ZW5jcnlwdGVk"), ir.Stop("end_turn")],
        START
        + block_start(0, '{"type":"redacted_thinking","data":"ZW5jcnlwdGVk"}')
        + block_stop(0)
        + STOP_END_TURN,
    ),
    (
        "tool use with fragmented arguments",
        [
            STARTED,
            ir.ToolCallStart("call_1", "Bash"),
            ir.ToolCallDelta('{"comm'),
            ir.ToolCallDelta(""),
            ir.ToolCallDelta('and":"ls"}'),
            ir.ToolCallEnd(),
            ir.Stop("tool_use"),
        ],
        START
        + block_start(0, '{"type":"tool_use","id":"call_1","name":"Bash","input":{}}')
        + delta(0, '{"type":"input_json_delta","partial_json":"{\\"comm"}')
        + delta(0, '{"type":"input_json_delta","partial_json":"and\\":\\"ls\\"}"}')
        + block_stop(0)
        + STOP_END_TURN.replace("end_turn", "tool_use"),
    ),
    (
        "two tool calls, the second without arguments",
        [
            STARTED,
            ir.ToolCallStart("call_1", "Read"),
            ir.ToolCallDelta('{"path":"a"}'),
            ir.ToolCallEnd(),
            ir.ToolCallStart("call_2", "Noop"),
            ir.ToolCallEnd(),
            ir.Stop("tool_use"),
        ],
        START
        + block_start(0, '{"type":"tool_use","id":"call_1","name":"Read","input":{}}')
        + delta(0, '{"type":"input_json_delta","partial_json":"{\\"path\\":\\"a\\"}"}')
        + block_stop(0)
        + block_start(1, '{"type":"tool_use","id":"call_2","name":"Noop","input":{}}')
        + delta(1, '{"type":"input_json_delta","partial_json":"{}"}')
        + block_stop(1)
        + STOP_END_TURN.replace("end_turn", "tool_use"),
    ),
    (
        "stop sequence",
        [STARTED, ir.Stop("stop_sequence", stop_sequence="END")],
        START
        + STOP_END_TURN.replace(
            '"end_turn","stop_sequence":null', '"stop_sequence","stop_sequence":"END"'
        ),
    ),
    (
        "a delta without its start opens the block",
        [
            STARTED,
            ir.TextDelta("a"),
            ir.TextEnd(),
            ir.ThinkingDelta("b"),
            ir.ThinkingEnd("s"),
            ir.Stop("end_turn"),
        ],
        START
        + block_start(0, '{"type":"text","text":""}')
        + delta(0, '{"type":"text_delta","text":"a"}')
        + block_stop(0)
        + block_start(1, '{"type":"thinking","thinking":"","signature":""}')
        + delta(1, '{"type":"thinking_delta","thinking":"b"}')
        + delta(1, '{"type":"signature_delta","signature":"s"}')
        + block_stop(1)
        + STOP_END_TURN,
    ),
    (
        "a block starting inside another closes the open one first",
        [
            STARTED,
            ir.TextStart(),
            ir.TextDelta("a"),
            ir.ToolCallStart("c", "T"),
            ir.Stop("tool_use"),
        ],
        START
        + block_start(0, '{"type":"text","text":""}')
        + delta(0, '{"type":"text_delta","text":"a"}')
        + block_stop(0)
        + block_start(1, '{"type":"tool_use","id":"c","name":"T","input":{}}')
        + delta(1, '{"type":"input_json_delta","partial_json":"{}"}')
        + block_stop(1)
        + STOP_END_TURN.replace("end_turn", "tool_use"),
    ),
    (
        "stray ends and fragments produce nothing",
        [
            STARTED,
            ir.TextEnd(),
            ir.ThinkingEnd("s"),
            ir.ToolCallDelta("{}"),
            ir.ToolCallEnd(),
            ir.Stop("end_turn"),
        ],
        START + STOP_END_TURN,
    ),
    (
        "no Started: message_start still comes first",
        [ir.TextDelta("a"), ir.Stop("end_turn")],
        START
        + block_start(0, '{"type":"text","text":""}')
        + delta(0, '{"type":"text_delta","text":"a"}')
        + block_stop(0)
        + STOP_END_TURN,
    ),
    (
        "nothing after Stop",
        [STARTED, ir.Stop("end_turn"), ir.TextDelta("late"), ir.Stop("end_turn")],
        START + STOP_END_TURN,
    ),
]


@pytest.mark.parametrize(
    ("events", "expected"), [t[1:] for t in TRANSCRIPTS], ids=[t[0] for t in TRANSCRIPTS]
)
def test_transcript(events: list[ir.Event], expected: str) -> None:
    assert render_all(events).decode() == expected


@pytest.mark.parametrize(
    ("usage", "estimate", "expected"),
    [
        (None, 10, (10, 0, 0)),
        (ir.Usage(input_tokens=100, cached_tokens=60, output_tokens=20), 10, (40, 60, 20)),
        (ir.Usage(input_tokens=100, output_tokens=5, reasoning_tokens=3), 10, (100, 0, 5)),
        (ir.Usage(input_tokens=50, cached_tokens=80, output_tokens=1), 10, (0, 80, 1)),
        (ir.Usage(input_tokens=0, output_tokens=7), 33, (33, 0, 7)),
    ],
)
def test_final_usage(usage: ir.Usage | None, estimate: int, expected: tuple[int, int, int]) -> None:
    events: list[ir.Event] = [STARTED, ir.Stop("end_turn")]
    if usage is not None:
        events.insert(1, usage)
    frames = parse_frames(render_all(events, estimate))
    message_delta = next(data for name, data in frames if name == "message_delta")
    input_tokens, cached, output = expected
    assert message_delta["usage"] == {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cached,
        "output_tokens": output,
    }
    assert frames[0][1]["message"]["usage"]["input_tokens"] == estimate


def test_started_and_finished_flags() -> None:
    renderer = make_renderer()
    assert (renderer.started, renderer.finished) == (False, False)
    renderer.render(STARTED)
    assert (renderer.started, renderer.finished) == (True, False)
    renderer.render(ir.Stop("end_turn"))
    assert (renderer.started, renderer.finished) == (True, True)


def test_ping_frame() -> None:
    assert make_renderer().ping() == b'event: ping\ndata: {"type": "ping"}\n\n'


def test_error_ends_the_stream_without_message_stop() -> None:
    renderer = make_renderer()
    head = renderer.render(STARTED) + renderer.render(ir.TextDelta("partial"))
    frame = renderer.error(errors.UpstreamUnavailable("Overloaded"))
    assert frame == (
        b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error",'
        b'"message":"Overloaded"}}\n\n'
    )
    assert renderer.finished
    assert renderer.render(ir.TextDelta("more")) == b""
    assert renderer.render(ir.Stop("end_turn")) == b""
    assert renderer.error(errors.UpstreamFailed("again")) == b""
    assert [name for name, _ in parse_frames(head + frame)][-1] == "error"


def test_error_after_message_stop_is_suppressed() -> None:
    renderer = make_renderer()
    renderer.render(ir.Stop("end_turn"))
    assert renderer.error(errors.UpstreamFailed("late")) == b""


# --------------------------------------------------------------------------- grammar


def parse_frames(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    text = raw.decode()
    assert text.endswith("\n\n")
    frames = []
    for chunk in text[:-2].split("\n\n"):
        event_line, data_line = chunk.split("\n")
        assert event_line.startswith("event: ") and data_line.startswith("data: ")
        name, data = event_line[7:], json.loads(data_line[6:])
        assert data["type"] == name
        frames.append((name, data))
    return frames


DELTAS = {
    "text": {"text_delta"},
    "thinking": {"thinking_delta", "signature_delta"},
    "redacted_thinking": set(),
    "tool_use": {"input_json_delta"},
}


def assert_grammar(raw: bytes) -> None:
    names = [name for name, _ in parse_frames(raw)]
    frames = parse_frames(raw)
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    open_type: str | None = None
    index = -1
    for name, data in frames[1:-2]:
        if name == "content_block_start":
            assert open_type is None and data["index"] == index + 1
            index, open_type = data["index"], data["content_block"]["type"]
        elif name == "content_block_delta":
            assert open_type is not None and data["index"] == index
            assert data["delta"]["type"] in DELTAS[open_type]
        else:
            assert name == "content_block_stop" and open_type is not None
            assert data["index"] == index
            open_type = None
    assert open_type is None


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


@given(st.lists(ANY_EVENT, max_size=25))
def test_any_event_order_yields_a_well_formed_stream(events: list[ir.Event]) -> None:
    assert_grammar(render_all([*events, ir.Stop("end_turn")]))


# --------------------------------------------------------------------------- the official SDK

REQUEST: dict[str, Any] = {
    "model": "claude-x",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "hi"}],
}


def sdk_client(body: bytes, content_type: str) -> anthropic.Anthropic:
    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": content_type}, content=body)

    transport = httpx2.MockTransport(answer)
    return anthropic.Anthropic(
        api_key="k",
        base_url="http://gateway.test",
        max_retries=0,
        http_client=httpx2.Client(transport=transport),
    )


def sdk_streamed(sse: bytes) -> dict[str, Any]:
    with sdk_client(sse, "text/event-stream").messages.stream(**REQUEST) as stream:
        message = stream.get_final_message().to_dict()
    # The SDK copies `stop_details` from message_delta even when the server sends none.
    assert message.pop("stop_details") is None
    return message


def sdk_created(body: bytes) -> dict[str, Any]:
    message: dict[str, Any] = (
        sdk_client(body, "application/json").messages.create(**REQUEST).to_dict()
    )
    return message


def both_renderings(events: list[ir.Event], estimate: int) -> tuple[bytes, bytes]:
    accumulator = Accumulator()
    for event in events:
        accumulator.add(event)
    body = render_message(
        accumulator.answer, message_id="msg_1", model="claude-x", input_tokens_estimate=estimate
    )
    return render_all(events, estimate), body


@pytest.mark.parametrize(
    "events", [t[1] for t in TRANSCRIPTS[:6]], ids=[t[0] for t in TRANSCRIPTS[:6]]
)
def test_sdk_stream_accumulates_to_the_json_answer(events: list[ir.Event]) -> None:
    sse, body = both_renderings(events, 10)
    assert sdk_streamed(sse) == json.loads(body) == sdk_created(body)


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
JSON_OBJECTS = st.dictionaries(
    st.text(max_size=4),
    st.recursive(
        JSON_SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=6,
    ),
    max_size=4,
)


@st.composite
def tool_call(draw: st.DrawFn) -> list[ir.Event]:
    arguments = orjson.dumps(draw(JSON_OBJECTS)).decode()
    cuts = sorted(draw(st.lists(st.integers(0, len(arguments)), max_size=4)))
    pieces = [arguments[a:b] for a, b in zip([0, *cuts], [*cuts, len(arguments)], strict=True)]
    if draw(st.booleans()) and arguments == "{}":
        pieces = []  # a call that streamed no argument fragment at all
    start = ir.ToolCallStart(draw(st.text(min_size=1, max_size=5)), draw(st.text(min_size=1)))
    return [start, *map(ir.ToolCallDelta, pieces), ir.ToolCallEnd()]


FRAGMENTS = st.lists(st.text(max_size=8), max_size=4)
BLOCK = st.one_of(
    FRAGMENTS.map(lambda parts: [ir.TextStart(), *map(ir.TextDelta, parts), ir.TextEnd()]),
    st.tuples(FRAGMENTS, st.text(max_size=8)).map(
        lambda t: [ir.ThinkingStart(), *map(ir.ThinkingDelta, t[0]), ir.ThinkingEnd(t[1])]
    ),
    st.text(max_size=8).map(lambda data: [ir.RedactedThinking(data)]),
    tool_call(),
)
USAGE = st.builds(ir.Usage, st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 10**6))
STOP = st.builds(
    ir.Stop,
    st.sampled_from(get_args(ir.StopReason)),
    st.none() | st.text(max_size=4),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.lists(BLOCK, max_size=5),
    usage=st.none() | USAGE,
    stop=STOP,
    estimate=st.integers(0, 10**6),
)
def test_sdk_agrees_with_json_for_any_valid_stream(
    blocks: list[list[ir.Event]], usage: ir.Usage | None, stop: ir.Stop, estimate: int
) -> None:
    events: list[ir.Event] = [STARTED, *(event for block in blocks for event in block)]
    if usage is not None:
        events.append(usage)
    events.append(stop)
    sse, body = both_renderings(events, estimate)
    assert_grammar(sse)
    assert sdk_streamed(sse) == json.loads(body)


def test_sdk_raises_on_a_mid_stream_error() -> None:
    renderer = make_renderer()
    sse = renderer.render(STARTED) + renderer.render(ir.TextDelta("partial"))
    sse += renderer.error(errors.ContextTooLong("too big", tokens=300_000, limit=272_000))
    with pytest.raises(anthropic.APIStatusError) as raised:
        sdk_streamed(sse)
    assert raised.value.body == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "prompt is too long: 300000 tokens > 272000 maximum",
        },
    }


@given(
    text=st.text(min_size=1),
    before=st.integers(0, 3),
    kind=st.sampled_from(["text", "thinking", "tool"]),
)
def test_a_delta_frame_is_its_payload_framed(text: str, before: int, kind: str) -> None:
    """The byte templates of the hot path (issue 10) frame a delta as any payload is framed."""
    renderer = make_renderer()
    events: list[ir.Event] = [STARTED]
    for _ in range(before):
        events += [ir.TextStart(), ir.TextEnd()]
    body: dict[str, str]
    match kind:
        case "text":
            events.append(ir.TextStart())
            event: ir.Event = ir.TextDelta(text)
            body = {"type": "text_delta", "text": text}
        case "thinking":
            events.append(ir.ThinkingStart())
            event = ir.ThinkingDelta(text)
            body = {"type": "thinking_delta", "thinking": text}
        case _:
            events.append(ir.ToolCallStart(id="call_1", name="f"))
            event = ir.ToolCallDelta(text)
            body = {"type": "input_json_delta", "partial_json": text}
    for earlier in events:
        renderer.render(earlier)
    payload = {"type": "content_block_delta", "index": before, "delta": body}
    framed = b"event: content_block_delta\ndata: " + orjson.dumps(payload) + b"\n\n"
    assert renderer.render(event) == framed
