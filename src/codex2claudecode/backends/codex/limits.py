"""Codex usage limits, read from three upstream sources into `accounts.limits.Snapshot`.

The Codex backend reports the same windows as `x-codex-*` response headers, as in-stream
`codex.rate_limits` events and as the `wham/usage` body (protocols §5c). The parsers are pure
(the clock is passed in), never raise on odd input, and return None when a source says nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from codex2claudecode.accounts.limits import MAIN_LIMIT, Credits, Limit, Snapshot, Window

# ---------------------------------------------------------------------- response headers


def from_headers(headers: Mapping[str, str], *, now: float) -> Snapshot | None:
    """The snapshot in `x-<limit>-{primary,secondary}-*` and `x-codex-credits-*` headers.

    `x-codex-*` is the main limit; other families (`x-codex-bengalfox-*`) are additional
    limits, named by their `-limit-name` header. Older builds send `-reset-after-seconds`.
    """
    found = {k.lower(): v for k, v in headers.items() if k[:2] in ("x-", "X-")}
    if not found:
        return None
    main: Limit | None = None
    additional: list[Limit] = []
    for key in found:
        family = key.removesuffix("-primary-used-percent")
        if family == key or not family.startswith("x-") or len(family) < 3:
            continue
        limit = _header_limit(found, family, now)
        if limit is None:
            continue
        if limit.id == MAIN_LIMIT:
            main = limit
        else:
            additional.append(limit)
    if main is None:
        # A secondary window may come alone.
        main = _header_limit(found, "x-codex", now)
    credits = _header_credits(found)
    if main is None and not additional and credits is None:
        return None
    return Snapshot(
        primary=main.primary if main else None,
        secondary=main.secondary if main else None,
        additional=tuple(additional),
        credits=credits,
    )


def _header_limit(found: Mapping[str, str], family: str, now: float) -> Limit | None:
    primary = _header_window(found, f"{family}-primary", now)
    secondary = _header_window(found, f"{family}-secondary", now)
    if primary is None and secondary is None:
        return None
    name = found.get(f"{family}-limit-name", "").strip() or None
    return Limit(_limit_id(family[2:]), name, primary, secondary)


def _header_window(found: Mapping[str, str], prefix: str, now: float) -> Window | None:
    used = _number(found.get(f"{prefix}-used-percent"))
    if used is None:
        return None
    minutes = _number(found.get(f"{prefix}-window-minutes"))
    resets_at = _number(found.get(f"{prefix}-reset-at"))
    if resets_at is None:
        after = _number(found.get(f"{prefix}-reset-after-seconds"))
        resets_at = now + after if after is not None else None
    if used == 0 and not minutes and resets_at is None:
        return None  # the upstream's way of saying nothing
    return Window(used, int(minutes) if minutes else None, resets_at)


def _header_credits(found: Mapping[str, str]) -> Credits | None:
    has_credits = _flag(found.get("x-codex-credits-has-credits"))
    unlimited = _flag(found.get("x-codex-credits-unlimited"))
    if has_credits is None or unlimited is None:
        return None
    balance = found.get("x-codex-credits-balance", "").strip() or None
    return Credits(has_credits, unlimited, balance)


# ---------------------------------------------------------------------- stream event


def from_event(event: Mapping[str, Any], *, now: float) -> Snapshot | None:
    """The snapshot in a `codex.rate_limits` stream event."""
    details = _mapping(event.get("rate_limits"))
    primary = _json_window(details.get("primary"), now)
    secondary = _json_window(details.get("secondary"), now)
    credits = _json_credits(event.get("credits"))
    plan = _text(event.get("plan_type"))
    limit_id = _limit_id(_text(event.get("metered_limit_name")) or _text(event.get("limit_name")))
    if limit_id != MAIN_LIMIT:
        extra = Limit(limit_id, None, primary, secondary)
        return Snapshot(additional=(extra,), credits=credits, plan=plan)
    if primary is None and secondary is None and credits is None and plan is None:
        return None
    return Snapshot(primary=primary, secondary=secondary, credits=credits, plan=plan)


# ---------------------------------------------------------------------- wham/usage


def from_usage(body: Mapping[str, Any], *, now: float) -> Snapshot:
    """The snapshot in a `GET {CHATGPT_BASE_URL}/wham/usage` answer."""
    rate = _mapping(body.get("rate_limit"))
    additional = []
    entries = body.get("additional_rate_limits")
    for entry in entries if isinstance(entries, list) else ():
        entry = _mapping(entry)
        limit_rate = _mapping(entry.get("rate_limit"))
        name = _text(entry.get("limit_name")) or _text(entry.get("metered_feature"))
        additional.append(
            Limit(
                _limit_id(_text(entry.get("metered_feature")) or name or "additional"),
                name,
                _json_window(limit_rate.get("primary_window"), now),
                _json_window(limit_rate.get("secondary_window"), now),
            )
        )
    return Snapshot(
        primary=_json_window(rate.get("primary_window"), now),
        secondary=_json_window(rate.get("secondary_window"), now),
        additional=tuple(additional),
        credits=_json_credits(body.get("credits")),
        plan=_text(body.get("plan_type")),
        limit_reached=rate.get("limit_reached") is True or rate.get("allowed") is False,
    )


def _json_window(value: object, now: float) -> Window | None:
    window = _mapping(value)
    used = _number(window.get("used_percent"))
    if used is None:
        return None
    minutes = _number(window.get("window_minutes"))
    if minutes is None:
        seconds = _number(window.get("limit_window_seconds"))
        minutes = seconds / 60 if seconds is not None else None
    resets_at = _number(window.get("reset_at"))
    if resets_at is None:
        resets_at = _number(window.get("resets_at"))
    if resets_at is None:
        after = _number(window.get("reset_after_seconds"))
        resets_at = now + after if after is not None else None
    return Window(used, round(minutes) if minutes else None, resets_at)


def _json_credits(value: object) -> Credits | None:
    credits = _mapping(value)
    has_credits, unlimited = credits.get("has_credits"), credits.get("unlimited")
    if not isinstance(has_credits, bool) or not isinstance(unlimited, bool):
        return None
    balance = credits.get("balance")
    return Credits(has_credits, unlimited, str(balance) if balance is not None else None)


# ---------------------------------------------------------------------- small helpers


def _limit_id(name: str | None) -> str:
    return (name or MAIN_LIMIT).strip().lower().replace("-", "_") or MAIN_LIMIT


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _flag(value: str | None) -> bool | None:
    lowered = (value or "").strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    return None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None
