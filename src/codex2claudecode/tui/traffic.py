"""Requests per minute, tokens today and the last requests, read from the request log (off
the UI thread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from codex2claudecode.requestlog import LogEntry, LogReader, LogUnreadable
from codex2claudecode.tui.render import start_of_day


@dataclass(frozen=True, slots=True)
class Traffic:
    requests_per_minute: int
    tokens_today: int
    problem: str | None = None
    recent: tuple[LogEntry, ...] = ()
    """The last requests, newest first."""


RECENT = 12
"""Requests the dashboard may show (as many as fit)."""


def read_traffic(path: Path, now: float, tz: tzinfo | None) -> Traffic:
    """Blocking (SQLite): run it in a thread."""
    try:
        with LogReader(path) as reader:
            rpm = reader.requests_since(now - 60)
            totals = reader.token_totals(since=start_of_day(now, tz))
            recent = reader.recent(RECENT)
    except LogUnreadable as exc:
        return Traffic(0, 0, str(exc))
    tokens = sum(t.input_tokens + t.output_tokens for t in totals)
    return Traffic(rpm, tokens, recent=tuple(reversed(recent)))
