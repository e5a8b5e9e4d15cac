"""The coalescing transport: writes of one loop turn leave as one write (issue 10)."""

import asyncio
from typing import Any

from codex2claudecode.server.coalesce import CoalescingTransport


class RecordingTransport:
    """The socket's side: the writes it was asked for, in order, and whether it was closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.events.append("write")

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 0

    def write_eof(self) -> None:
        self.events.append("eof")

    def close(self) -> None:
        self.closing = True
        self.events.append("close")

    def abort(self) -> None:
        self.closing = True
        self.events.append("abort")

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else default


def coalescing() -> tuple[CoalescingTransport, RecordingTransport]:
    inner = RecordingTransport()
    return CoalescingTransport(inner, asyncio.get_running_loop()), inner  # type: ignore[arg-type]


async def test_head_and_body_written_in_one_turn_leave_as_one_write() -> None:
    transport, inner = coalescing()
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    assert inner.writes == []
    assert transport.get_write_buffer_size() == 40
    await asyncio.sleep(0)
    assert inner.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]


async def test_writes_of_later_turns_are_separate() -> None:
    transport, inner = coalescing()
    transport.write(b"a")
    await asyncio.sleep(0)
    transport.writelines([b"b", b"", b"c"])
    await asyncio.sleep(0)
    assert inner.writes == [b"a", b"bc"]


async def test_close_and_eof_send_what_is_kept_first() -> None:
    transport, inner = coalescing()
    transport.write(b"bye")
    transport.write_eof()
    transport.close()
    assert inner.events == ["write", "eof", "close"]
    await asyncio.sleep(0)
    assert inner.writes == [b"bye"]


async def test_abort_drops_what_is_kept_and_other_calls_reach_the_transport() -> None:
    transport, inner = coalescing()
    transport.write(b"lost")
    transport.abort()
    await asyncio.sleep(0)
    assert inner.events == ["abort"]
    assert transport.is_closing()
    assert transport.get_extra_info("peername") == ("127.0.0.1", 1)
