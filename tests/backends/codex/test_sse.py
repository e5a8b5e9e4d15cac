from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode import errors
from codex2claudecode.backends.codex.sse import SSEMessage, SSEParser

TEXT = b"response.output_text.delta"


def parse(*chunks: bytes) -> list[SSEMessage]:
    parser = SSEParser()
    out: list[SSEMessage] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    return out + parser.flush()


CASES: list[tuple[bytes, list[SSEMessage]]] = [
    (b'event: a\ndata: {"x":1}\n\n', [(b"a", b'{"x":1}')]),
    (b"event: a\ndata: 1\n\nevent: b\ndata: 2\n\n", [(b"a", b"1"), (b"b", b"2")]),
    # No event line: the name is empty.
    (b"data: 1\n\n", [(b"", b"1")]),
    # Several data lines are joined with LF.
    (b"event: a\ndata: 1\ndata: 2\n\n", [(b"a", b"1\n2")]),
    # Only one leading space is stripped; no space at all is fine.
    (b"event:a\ndata:  x\n\n", [(b"a", b" x")]),
    (b"event:  a\ndata: x\n\n", [(b" a", b"x")]),
    # Comments, ids, retries and unknown fields are ignored.
    (b": keep-alive\n\n", []),
    (b": hi\nevent: a\nid: 7\nretry: 10\nfoo: bar\ndata: x\n\n", [(b"a", b"x")]),
    # An event without data is not dispatched; a bare `data` line is empty data.
    (b"event: a\n\n", []),
    (b"event: a\ndata\n\n", [(b"a", b"")]),
    # Any line ending: CRLF, CR, and mixtures.
    (b"event: a\r\ndata: 1\r\n\r\nevent: b\r\ndata: 2\r\n\r\n", [(b"a", b"1"), (b"b", b"2")]),
    (b"event: a\rdata: 1\r\revent: b\rdata: 2\r\r", [(b"a", b"1"), (b"b", b"2")]),
    (b"event: a\r\ndata: 1\n\r\n", [(b"a", b"1")]),
    # Extra blank lines between events.
    (b"\n\n\nevent: a\ndata: 1\n\n\n\n", [(b"a", b"1")]),
    # The tail without a final blank line is an event at EOF.
    (b"event: a\ndata: 1\n\nevent: b\ndata: 2", [(b"a", b"1"), (b"b", b"2")]),
    (b"event: a\ndata: 1\r", [(b"a", b"1")]),
    # Multi-byte UTF-8 passes through as bytes.
    ("event: a\ndata: héllo ✓\n\n".encode(), [(b"a", "héllo ✓".encode())]),
    (b"", []),
    # Text deltas (cut on a fast path): only a single data line right after the name is one.
    (b"event: response.output_text.delta\ndata: 1\n\n", [(TEXT, b"1")]),
    (b"event: response.output_text.delta\ndata: 1\ndata: 2\n\n", [(TEXT, b"1\n2")]),
    (b"event: response.output_text.delta\ndata: 1\nid: 7\n\n", [(TEXT, b"1")]),
    (b"event: response.output_text.delta\ndata:1\n\n", [(TEXT, b"1")]),
    (b"event: response.output_text.delta\ndata: \n\n", [(TEXT, b"")]),
    (b"event: response.output_text.deltas\ndata: 1\n\n", [(TEXT + b"s", b"1")]),
]


@pytest.mark.parametrize(("stream", "expected"), CASES)
def test_whole(stream: bytes, expected: list[SSEMessage]) -> None:
    assert parse(stream) == expected


@pytest.mark.parametrize(("stream", "expected"), CASES)
def test_split_at_every_offset(stream: bytes, expected: list[SSEMessage]) -> None:
    for cut in range(len(stream) + 1):
        assert parse(stream[:cut], stream[cut:]) == expected, cut


@pytest.mark.parametrize(("stream", "expected"), CASES)
def test_byte_by_byte(stream: bytes, expected: list[SSEMessage]) -> None:
    assert parse(*(stream[i : i + 1] for i in range(len(stream)))) == expected


def test_events_come_out_as_soon_as_complete() -> None:
    parser = SSEParser()
    assert parser.feed(b"event: a\ndata: 1\n") == []
    assert parser.feed(b"\nevent: b\nda") == [(b"a", b"1")]
    assert parser.feed(b"ta: 2\n\n") == [(b"b", b"2")]
    assert parser.flush() == []


def test_cr_at_end_of_read_waits_for_the_next_byte() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: 1\r\n\r") == []
    assert parser.feed(b"\n") == [(b"", b"1")]


_line_end = st.sampled_from([b"\n", b"\r\n", b"\r"])
_value = st.binary().map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
_event = st.tuples(
    st.one_of(
        st.none(),
        _value.filter(lambda v: not v.startswith(b" ")),
        st.sampled_from([TEXT, TEXT[:-1], TEXT + b"x"]),
    ),
    st.lists(_value, min_size=1, max_size=3),
    _line_end,
    st.booleans(),
)


@given(events=st.lists(_event, max_size=6), cuts=st.lists(st.integers(min_value=0), max_size=8))
def test_random_streams_split_anywhere(
    events: list[tuple[bytes | None, list[bytes], bytes, bool]], cuts: list[int]
) -> None:
    stream = b""
    expected: list[SSEMessage] = []
    for name, data, eol, comment in events:
        lines = [b": note"] if comment else []
        if name is not None:
            lines.append(b"event: " + name)
        lines += [b"data: " + d for d in data]
        stream += eol.join(lines) + eol + eol
        expected.append((name or b"", b"\n".join(data)))
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    assert parse(*chunks) == expected


def test_an_event_past_the_cap_fails_the_stream() -> None:
    """Issue 10: one upstream event could grow without bound (by quadratic concatenation)."""
    parser = SSEParser(max_event_bytes=1000)
    assert parser.feed(b"event: a\ndata: " + b"x" * 500) == []
    assert parser.feed(b"x" * 400) == []
    with pytest.raises(errors.UpstreamFailed, match="larger than 1000 bytes"):
        parser.feed(b"x" * 200)


def test_an_event_at_the_cap_in_many_reads_is_whole() -> None:
    event = b"event: a\ndata: " + b"x" * 985 + b"\n\n"
    assert len(event) == 1002  # 1000 bytes before the separator's second byte
    parser = SSEParser(max_event_bytes=1001)
    out: list[SSEMessage] = []
    for i in range(0, len(event), 7):
        out += parser.feed(event[i : i + 7])
    assert out == [(b"a", b"x" * 985)]
    assert parser.flush() == []


@given(st.lists(st.integers(min_value=1, max_value=50), min_size=1), st.integers(10, 3000))
def test_the_cap_never_changes_what_fits(cuts: list[int], size: int) -> None:
    stream = b"".join(b"event: e\ndata: " + b"y" * size + b"\n\n" for _ in range(3))
    parser = SSEParser(max_event_bytes=size + 20)
    out: list[SSEMessage] = []
    pos = 0
    for cut in cuts * (len(stream) // sum(cuts) + 1):
        out += parser.feed(stream[pos : pos + cut])
        pos += cut
    assert out + parser.flush() == [(b"e", b"y" * size)] * 3


def _reference(stream: bytes) -> list[SSEMessage]:
    """The SSE grammar line by line: what any read split must give."""
    out: list[SSEMessage] = []
    name, data = b"", list[bytes]()
    lines = stream.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    for line in [*lines, b""]:
        if not line:
            if data:
                out.append((name, b"\n".join(data)))
            name, data = b"", []
        elif line[:1] != b":":
            field, _, value = line.partition(b":")
            value = value[1:] if value[:1] == b" " else value
            if field == b"data":
                data.append(value)
            elif field == b"event":
                name = value
    return out


# Mostly events as the Codex backend sends them, among pieces that are not one.
_piece = st.one_of(
    st.builds(
        lambda n, d: b"event: " + n + b"\ndata: " + d + b"\n\n",
        st.sampled_from([TEXT, b"response.completed", b""]),
        _value,
    ),
    st.sampled_from(
        [b"\n", b"\n\n", b": ping\n\n", b"id: 1\n", b"data: x\n", b"event: e\n", b"\r\n", b"d"]
    ),
)


@given(pieces=st.lists(_piece, max_size=12), cuts=st.lists(st.integers(min_value=0), max_size=6))
def test_codex_shaped_streams_give_what_the_grammar_gives(
    pieces: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(pieces)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    assert parse(*chunks) == _reference(stream)
