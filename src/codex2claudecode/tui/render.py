"""Text the TUI shows, as pure functions of plain data: bars, reset times, durations, counts.

Nothing here reads a clock or the time zone by itself: `now` and `tz` are passed in, so the
dashboard renders the same for the same data (its snapshot tests rely on that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rich.text import Text

from codex2claudecode.accounts.limits import Snapshot, Window
from codex2claudecode.backends.base import AccountLimits
from codex2claudecode.requestlog import LogEntry

_BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(left_percent: float, width: int) -> str:
    """A bar `width` cells wide, filled in proportion to `left_percent` (0-100), eighths exact."""
    eighths = round(max(0.0, min(100.0, left_percent)) / 100 * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_BLOCKS[part] if part else "")
    return text.ljust(width, "·")


def wait_text(seconds: float) -> str:
    """`45s`, `12m`, `2h 10m`, `3d 4h`: how long until something, coarse."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def reset_text(resets_at: float | None, now: float, tz: tzinfo | None) -> str:
    """`resets in 2h 10m (14:05)`, with the day (`Mon 14:05`) when it is not today."""
    if resets_at is None:
        return "reset time unknown"
    if resets_at <= now:
        return "resets now"
    at = datetime.fromtimestamp(resets_at, tz)
    today = datetime.fromtimestamp(now, tz).date()
    clock = at.strftime("%H:%M") if at.date() == today else at.strftime("%a %H:%M")
    return f"resets in {wait_text(resets_at - now)} ({clock})"


def duration_text(ms: float | None) -> str:
    """`840ms`, `2.4s`, `1m 05s`; `-` when unknown."""
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms:.0f}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}s"
    minutes, seconds = divmod(int(ms / 1000), 60)
    return f"{minutes}m {seconds:02d}s"


def count_text(n: int | None) -> str:
    """`-`, `950`, `12.3k`, `4.1M`: a token count at a glance."""
    if n is None:
        return "-"
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def clock_text(epoch: float, tz: tzinfo | None) -> str:
    return datetime.fromtimestamp(epoch, tz).strftime("%H:%M:%S")


def start_of_day(now: float, tz: tzinfo | None) -> float:
    """Epoch seconds of the local midnight that began the day of `now`."""
    day = datetime.fromtimestamp(now, tz)
    return day.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


# ---------------------------------------------------------------------------- limits


@dataclass(frozen=True, slots=True)
class LimitLine:
    """One window of one limit, ready to draw: `5h  ████···  58% left  resets in 2h`."""

    label: str
    left_percent: int
    reset: str
    exhausted: bool


def window_label(window: Window, fallback: str) -> str:
    minutes = window.window_minutes
    if minutes is None:
        return fallback
    if minutes % (7 * 24 * 60) == 0:
        weeks = minutes // (7 * 24 * 60)
        return "week" if weeks == 1 else f"{weeks}w"
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def limit_lines(snapshot: Snapshot, now: float, tz: tzinfo | None) -> list[LimitLine]:
    """Every window of `snapshot`: the main limit's first, then each additional limit's."""
    lines: list[LimitLine] = []
    groups = [("", snapshot.primary, snapshot.secondary)]
    groups += [
        (f"{lim.name or lim.id} ", lim.primary, lim.secondary) for lim in snapshot.additional
    ]
    for prefix, primary, secondary in groups:
        for window, fallback in ((primary, "5h"), (secondary, "week")):
            if window is None:
                continue
            lines.append(
                LimitLine(
                    label=prefix + window_label(window, fallback),
                    left_percent=window.left_percent,
                    reset=reset_text(window.resets_at, now, tz),
                    exhausted=window.exhausted,
                )
            )
    return lines


def account_title(limits: AccountLimits) -> str:
    """`ana@example.com (plus)`, else the key."""
    who = limits.email or limits.key
    plan = limits.plan or (limits.snapshot.plan if limits.snapshot else None)
    return f"{who} ({plan})" if plan else who


def credits_text(snapshot: Snapshot) -> str | None:
    credits = snapshot.credits
    if credits is None or not (credits.has_credits or credits.unlimited):
        return None
    if credits.unlimited:
        return "credits: unlimited"
    return f"credits: {credits.balance}" if credits.balance else "credits available"


def limit_summary(limits: AccountLimits, now: float) -> str:
    """One cell for an account row: `5h 58% · week 91%`, `limited, back in 2h`, or the problem."""
    if limits.problem:
        return limits.problem
    snapshot = limits.snapshot
    if snapshot is None:
        return "-"
    until = snapshot.blocked_until(now, unknown_reset=0)
    if until is not None:
        return f"limited, back in {wait_text(until - now)}"
    parts = [
        f"{label} {w.left_percent}%"
        for label, w in (("5h", snapshot.primary), ("week", snapshot.secondary))
        if w is not None
    ]
    return " · ".join(parts) or "-"


def find_limits(all_limits: Sequence[AccountLimits], key: str) -> AccountLimits | None:
    return next((lim for lim in all_limits if lim.key == key), None)


def request_cells(entry: LogEntry, tz: tzinfo | None) -> tuple[Text | str, ...]:
    """One request as table cells: time, method, path, model, status, duration, tokens."""
    status_style = "red" if entry.status >= 500 else "yellow" if entry.status >= 400 else "green"
    tokens = "-"
    if entry.input_tokens is not None or entry.output_tokens is not None:
        tokens = f"{count_text(entry.input_tokens)}→{count_text(entry.output_tokens)}"
    return (
        clock_text(entry.started_at, tz),
        entry.method,
        entry.path,
        entry.model_used or entry.model_requested or "-",
        Text(str(entry.status or "-"), style=status_style),
        duration_text(entry.duration_ms),
        tokens,
    )
