"""Requests per minute and tokens today, read from the request log (off the UI thread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from codex2claudecode.requestlog import LogReader, LogUnreadable
from codex2claudecode.tui.render import start_of_day


@dataclass(frozen=True, slots=True)
class Traffic:
    requests_per_minute: int
    tokens_today: int
    problem: str | None = None


def read_traffic(path: Path, now: float, tz: tzinfo | None) -> Traffic:
    """Blocking (SQLite): run it in a thread."""
    try:
        with LogReader(path) as reader:
            rpm = reader.requests_since(now - 60)
            totals = reader.token_totals(since=start_of_day(now, tz))
    except LogUnreadable as exc:
        return Traffic(0, 0, str(exc))
    tokens = sum(t.input_tokens + t.output_tokens for t in totals)
    return Traffic(rpm, tokens)
