"""Thinking written as `<thinking>…</thinking>` text by models without native reasoning.

Spec original-kiro §4.4: only a tag at the very start of the answer opens thinking; tags may be
split across events at any offset, so a possible tag prefix is held back until it is decided.
"""

from __future__ import annotations

from typing import Literal

Piece = tuple[bool, str]
"""(is_thinking, text)."""

_OPEN_TAGS = (("<thinking>", "</thinking>"), ("<think>", "</think>"))


class TagSplitter:
    """Feed the answer's text in order; get back its thinking and text pieces, in order."""

    __slots__ = ("_buf", "_close", "_state")

    def __init__(self) -> None:
        self._state: Literal["start", "thinking", "text"] = "start"
        self._buf = ""
        self._close = ""

    def feed(self, text: str) -> list[Piece]:
        if self._state == "text":
            return [(False, text)] if text else []
        self._buf += text
        if self._state == "start":
            return self._start()
        return self._thinking()

    def flush(self) -> list[Piece]:
        """What is held back at the end: unclosed thinking stays thinking."""
        buf, self._buf = self._buf, ""
        thinking = self._state == "thinking"
        self._state = "text"
        return [(thinking, buf)] if buf else []

    def _start(self) -> list[Piece]:
        buf = self._buf
        for open_tag, close_tag in _OPEN_TAGS:
            if buf.startswith(open_tag):
                self._state, self._close = "thinking", close_tag
                self._buf = buf[len(open_tag) :]
                return self._thinking()
        if any(tag.startswith(buf) for tag, _ in _OPEN_TAGS):
            return []  # still possibly a tag: wait for more text
        self._state, self._buf = "text", ""
        return [(False, buf)] if buf else []

    def _thinking(self) -> list[Piece]:
        buf, close = self._buf, self._close
        end = buf.find(close)
        if end >= 0:
            self._state, self._buf = "text", ""
            after = buf[end + len(close) :]
            return [(flag, part) for flag, part in ((True, buf[:end]), (False, after)) if part]
        keep = _partial_tag(buf, close)
        self._buf = buf[len(buf) - keep :]
        thinking = buf[: len(buf) - keep]
        return [(True, thinking)] if thinking else []


def _partial_tag(text: str, tag: str) -> int:
    """The length of the longest end of `text` that is a start of `tag` (shorter than it)."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0
