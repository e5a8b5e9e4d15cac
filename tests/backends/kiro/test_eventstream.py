from __future__ import annotations

import itertools
import struct
import uuid
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codex2claudecode import errors
from codex2claudecode.backends.kiro.eventstream import (
    EventStreamParser,
    Frame,
    HeaderValue,
    Timestamp,
    frames_text,
)
from tests.fakes.kiro_stream import (
    BYTE,
    LONG,
    SHORT,
    Typed,
    assistant_text,
    encode_frame,
    exception_frame,
    flip_byte,
    text_answer,
    tool_call,
)


def parse(*chunks: bytes, max_frame_bytes: int = 16 * 1024 * 1024) -> list[Frame]:
    parser = EventStreamParser(max_frame_bytes=max_frame_bytes)
    out: list[Frame] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    return out + parser.flush()


def frame_bytes(total: int, headers_len: int, rest: bytes) -> bytes:
    """A frame with a valid prelude CRC and message CRC around arbitrary lengths and content."""
    prelude = struct.pack(">II", total, headers_len)
    body = prelude + struct.pack(">I", zlib.crc32(prelude)) + rest
    return body + struct.pack(">I", zlib.crc32(body))


def test_the_aws_empty_message_vector() -> None:
    # The `empty_message` vector of the AWS event-stream test suite.
    data = bytes.fromhex("000000100000000005c248eb7d98c8ff")
    assert parse(data) == [Frame({}, b"")]
    assert encode_frame({}) == data


def test_a_kiro_event_frame() -> None:
    [frame] = parse(assistant_text("Hello"))
    assert frame.headers == {
        ":event-type": "assistantResponseEvent",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert frame.payload == b'{"content":"Hello"}'


def test_every_header_type() -> None:
    headers: dict[str, HeaderValue | Typed] = {
        "t": True,
        "f": False,
        "byte": Typed(BYTE, -7),
        "short": Typed(SHORT, 30000),
        "int": -(2**31),
        "long": Typed(LONG, 2**62),
        "bytes": b"\x00\xff",
        "str": "é ✓",
        "time": Timestamp(1_795_000_000_123),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    }
    [frame] = parse(encode_frame(headers, b"body"))
    assert frame.headers == {
        name: value.value if isinstance(value, Typed) else value for name, value in headers.items()
    }
    assert frame.payload == b"body"


header_values = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.binary(max_size=40),
    st.text(max_size=40),
    st.builds(Timestamp, st.integers(-(2**63), 2**63 - 1)),
    st.uuids(),
)
frames = st.builds(
    lambda headers, payload: (headers, payload),
    st.dictionaries(st.text(min_size=1, max_size=20), header_values, max_size=6),
    st.binary(max_size=200),
)


@given(st.lists(frames, max_size=5))
def test_frames_round_trip(items: list[tuple[dict[str, HeaderValue], bytes]]) -> None:
    data = b"".join(encode_frame(headers, payload) for headers, payload in items)
    assert parse(data) == [Frame(headers, payload) for headers, payload in items]


STREAM = (
    text_answer("Hello", " world", "!")
    + tool_call("tooluse_1", "Read", '{"file_path": "/tmp/é.txt"}')
    + encode_frame({"n": 1}, b"")
)


@given(st.lists(st.integers(0, len(STREAM)), max_size=12))
def test_any_chunking_gives_the_same_frames(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(STREAM)]
    chunks = [STREAM[a:b] for a, b in itertools.pairwise(points)]
    assert parse(*chunks) == parse(STREAM)


def test_byte_by_byte() -> None:
    assert parse(*(STREAM[i : i + 1] for i in range(len(STREAM)))) == parse(STREAM)


def test_every_single_byte_corruption_of_a_frame_is_detected() -> None:
    # CRC32 catches every error burst of up to 32 bits, so no flipped byte may pass: in the
    # prelude (lengths) the prelude CRC catches it, anywhere else the message CRC does.
    data = assistant_text("Hi")
    for index in range(len(data)):
        for mask in range(1, 256):
            with pytest.raises(errors.UpstreamFailed, match=r"corrupt|ended in the middle"):
                parse(flip_byte(data, index, mask))


@settings(max_examples=300)
@given(st.data())
def test_a_flipped_byte_anywhere_in_a_stream_is_detected(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(STREAM) - 1))
    mask = data.draw(st.integers(1, 255))
    with pytest.raises(errors.UpstreamFailed):
        parse(flip_byte(STREAM, index, mask))


def test_the_error_names_the_check_and_the_offset() -> None:
    first = assistant_text("a")
    second = flip_byte(assistant_text("b"), len(assistant_text("b")) - 1)
    parser = EventStreamParser()
    with pytest.raises(errors.UpstreamFailed, match=f"byte {len(first)}: its message checksum"):
        parser.feed(first + second)
    with pytest.raises(errors.UpstreamFailed, match="byte 0: its prelude checksum"):
        parse(flip_byte(first, 2))


def frame_ends(data: bytes) -> set[int]:
    ends, pos = set(), 0
    while pos < len(data):
        pos += int.from_bytes(data[pos : pos + 4], "big")
        ends.add(pos)
    return ends


def test_a_stream_cut_inside_a_frame_fails_at_the_end() -> None:
    ends = frame_ends(STREAM)
    assert len(ends) == 11
    for cut in range(1, len(STREAM)):
        parser = EventStreamParser()
        parser.feed(STREAM[:cut])
        if cut in ends:
            assert parser.flush() == []
        else:
            with pytest.raises(errors.UpstreamFailed, match="ended in the middle of a frame"):
                parser.flush()


@pytest.mark.parametrize(
    ("total", "headers_len", "why"),
    [
        (15, 0, "impossible lengths"),
        (0, 0, "impossible lengths"),
        (20, 5, "impossible lengths"),
        (2**32 - 1, 0, "over the 1024-byte limit"),
        (1025, 0, "over the 1024-byte limit"),
    ],
)
def test_impossible_or_oversized_lengths_fail_before_waiting(
    total: int, headers_len: int, why: str
) -> None:
    prelude = struct.pack(">II", total, headers_len)
    data = prelude + struct.pack(">I", zlib.crc32(prelude))
    with pytest.raises(errors.UpstreamFailed, match=why):
        EventStreamParser(max_frame_bytes=1024).feed(data)


@pytest.mark.parametrize(
    "block",
    [
        b"\x01a\x0a",  # unknown value type 10
        b"\x01a",  # no type byte
        b"\x00\x00",  # empty name
        b"\x01a\x07\x00\x09abc",  # string longer than the block
        b"\x01a\x04\x00\x00",  # int cut short
        b"\x01a\x09" + b"\x00" * 15,  # uuid cut short
        b"\x01a\x07\x00\x02\xff\xfe",  # string that is not UTF-8
        b"\x02\xff\xfe\x00",  # name that is not UTF-8
    ],
)
def test_a_malformed_header_block_fails_even_with_good_checksums(block: bytes) -> None:
    data = frame_bytes(16 + len(block), len(block), block)
    with pytest.raises(errors.UpstreamFailed, match="header block is malformed"):
        parse(data)


def test_headers_may_fill_the_whole_frame() -> None:
    block = b"\x01a\x00"
    assert parse(frame_bytes(16 + len(block), len(block), block)) == [Frame({"a": True}, b"")]


def test_a_large_frame_split_across_many_reads() -> None:
    payload = bytes(range(256)) * 4000
    data = encode_frame({":message-type": "event"}, payload)
    chunks = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    assert parse(*chunks) == [Frame({":message-type": "event"}, payload)]


# ---------------------------------------------------------------------- as text, for the log


def test_frames_as_text_one_line_each() -> None:
    data = assistant_text("Hi") + exception_frame("ThrottlingException", "slow down")
    lines = frames_text(data).splitlines()
    assert lines[0] == 'assistantResponseEvent {"content":"Hi"}'
    assert lines[1].startswith("ThrottlingException {")
    assert "slow down" in lines[1]


def test_frames_as_text_say_where_the_log_cut_the_stream() -> None:
    whole = text_answer("Hello")
    first = assistant_text("x")
    cut = first + whole[: len(whole) // 2]
    text = frames_text(cut)
    assert text.splitlines()[0] == 'assistantResponseEvent {"content":"x"}'
    assert text.endswith("bytes of a frame the log cut off)")


def test_frames_as_text_of_something_else_say_so() -> None:
    assert frames_text(b"<html>not a stream</html>\n" * 4).startswith(
        "(not an event stream the log can show: the upstream sent a corrupt"
    )
