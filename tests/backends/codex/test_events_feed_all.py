"""`ResponsesDecoder.feed_all` (issue 10): its inline text-delta path gives exactly what `feed`
gives event by event, for every text delta valid or not, laid out as the Codex backend sends it
or otherwise."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode import ir
from codex2claudecode.backends.codex.events import ResponsesDecoder
from tests.fakes.responses_events import ResponseScript

TEXT = b"response.output_text.delta"
Message = tuple[bytes, bytes]

_real_keys = [
    "type",
    "sequence_number",
    "item_id",
    "output_index",
    "content_index",
    "delta",
    "logprobs",
    "obfuscation",
]
_json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(),
)


@st.composite
def _delta_event(draw: st.DrawFn) -> bytes:
    """A text delta event's data: as the Codex backend lays it out, reordered, with extra or
    missing fields, with a delta of any kind, or not valid JSON at all."""
    fields: dict[str, Any] = {
        "type": "response.output_text.delta",
        "sequence_number": draw(st.integers(0, 10**6)),
        "item_id": draw(st.sampled_from(["msg_1", "msg_2", "", 'm"\\\u00e9'])),
        "output_index": draw(st.integers(0, 3)),
        "content_index": 0,
        # Every kind of character: escapes, quotes, control characters, astral planes.
        "delta": draw(st.one_of(st.text(), _json_scalar, st.just('","delta":"x'))),
        "logprobs": [],
        "obfuscation": draw(st.text(max_size=12) | st.just('","delta":"evil')),
    }
    keys = draw(st.permutations(_real_keys) | st.just(_real_keys))
    keys = [k for k in keys if k != "obfuscation" or draw(st.booleans())]
    extra = draw(st.dictionaries(st.text(max_size=5), _json_scalar, max_size=2))
    data = orjson.dumps({**{k: fields[k] for k in keys}, **extra})
    match draw(st.integers(0, 9)):
        case 0:  # cut short
            data = data[: draw(st.integers(0, len(data)))]
        case 1:  # whitespace around and inside
            data = b" " + data.replace(b":", b" : ", 1) + b"\n"
        case 2:  # not an object
            data = orjson.dumps([fields["delta"]])
        case 3:  # a key twice
            data = data[:-1] + b',"delta":' + orjson.dumps(fields["delta"]) + b"}"
        case 4:  # raw bytes: invalid UTF-8, a lone surrogate escape, an unescaped control
            junk = draw(st.sampled_from([b"\xff", b"\\ud800", b"\x01", b"\\x", b'\\"']))
            data = data.replace(b'"delta":"', b'"delta":"' + junk, 1)
        case _:
            pass
    return data


def _other(kind: str, **fields: Any) -> Message:
    return kind.encode(), orjson.dumps({"type": kind, **fields})


_message_done = {
    "id": "msg_1",
    "type": "message",
    "content": [{"type": "output_text", "text": "x"}],
}
_OTHERS = [
    # Events around the deltas: they close, reopen or end the text block.
    _other("response.refusal.delta", item_id="msg_2", delta="No."),
    _other("response.output_item.done", item=_message_done),
    _other("response.reasoning_summary_text.delta", item_id="rs_1", delta="hmm"),
    _other("response.content_part.added", item_id="msg_1"),
    _other("response.completed", response=ResponseScript().completed()[-1]["response"]),
]


@st.composite
def _stream(draw: st.DrawFn) -> list[Message]:
    messages: list[Message] = []
    for _ in range(draw(st.integers(1, 25))):
        if draw(st.integers(0, 5)):
            messages.append((TEXT, draw(_delta_event())))
        else:
            messages.append(draw(st.sampled_from(_OTHERS)))
    return messages


def _one_by_one(messages: list[Message]) -> list[ir.Event]:
    decoder = ResponsesDecoder()
    out: list[ir.Event] = []
    for name, data in messages:
        out += decoder.feed(name, data)
    return out


@given(messages=_stream(), cuts=st.lists(st.integers(0, 25), max_size=4))
def test_feed_all_is_feed_for_each(messages: list[Message], cuts: list[int]) -> None:
    decoder = ResponsesDecoder()
    out: list[ir.Event] = []
    points = sorted({c % (len(messages) + 1) for c in cuts})
    for a, b in zip([0, *points], [*points, len(messages)], strict=True):
        out += decoder.feed_all(messages[a:b])
    assert out == _one_by_one(messages)


@given(text=st.text(min_size=1))
def test_a_delta_in_the_real_layout_is_its_text(text: str) -> None:
    event = {
        "type": "response.output_text.delta",
        "sequence_number": 12,
        "item_id": "msg_1",
        "output_index": 1,
        "content_index": 0,
        "delta": text,
        "logprobs": [],
        "obfuscation": "Xk3aZ9q2Lp",
    }
    messages = [(TEXT, orjson.dumps({**event, "delta": "a"})), (TEXT, orjson.dumps(event))]
    assert ResponsesDecoder().feed_all(messages) == [
        ir.Started(response_id="", model=""),
        ir.TextStart(),
        ir.TextDelta("a"),
        ir.TextDelta(text),
    ]
