"""Kiro's `getUsageLimits` answer as an `accounts.limits.Snapshot` (spec §10, update §6).

The credit row becomes the primary window: used percent of the effective limit (base plus
active trial plus active bonuses), resetting at `nextDateReset` (epoch seconds or ISO text);
the credits carry the amounts and the overage. The plan (tier) is the subscription title.
Parsing never raises; odd answers give None.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from codex2claudecode.accounts.limits import Credits, Snapshot, Window


def snapshot_from_usage(body: bytes) -> Snapshot | None:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    answer = _unwrap(parsed)
    if answer is None:
        return None
    rows = [r for r in answer.get("usageBreakdownList") or [] if isinstance(r, dict)]
    credit = next((r for r in rows if _is_credit(r)), rows[0] if rows else None)
    if credit is None:
        return None
    used = _number(credit, "currentUsageWithPrecision", "currentUsage") or 0.0
    limit = (_number(credit, "usageLimitWithPrecision", "usageLimit") or 0.0) + _extras(
        credit, answer
    )
    reset = _epoch(credit.get("nextDateReset")) or _epoch(answer.get("nextDateReset"))
    percent = 0.0 if limit <= 0 else min(100.0, used / limit * 100)
    left = max(0.0, limit - used)
    overage = _overage(answer)
    title = (answer.get("subscriptionInfo") or {}).get("subscriptionTitle")
    credits = Credits(
        has_credits=left > 0 or overage,
        unlimited=False,
        balance=f"{left:g}",
        used=used,
        limit=limit,
        overage=overage,
        overages=_number(credit, "currentOveragesWithPrecision", "currentOverages") or 0.0,
        overage_rate=_number(credit, "overageRate"),
    )
    return Snapshot(
        primary=Window(percent, None, reset),
        credits=credits,
        plan=title if isinstance(title, str) else None,
        limit_reached=limit > 0 and used >= limit and not overage,
    )


def _unwrap(parsed: object) -> Mapping[str, Any] | None:
    # Seen directly, under `Output`, and as JSON text in `Output.message` (spec §10).
    if not isinstance(parsed, dict):
        return None
    output = parsed.get("Output")
    if isinstance(output, dict):
        message = output.get("message")
        if isinstance(message, str):
            try:
                inner = orjson.loads(message)
            except orjson.JSONDecodeError:
                return None
            return inner if isinstance(inner, dict) else None
        return output
    return parsed


def _is_credit(row: Mapping[str, Any]) -> bool:
    return (
        row.get("resourceType") == "CREDIT"
        or row.get("displayName") == "Credit"
        or row.get("displayNamePlural") == "Credits"
    )


def _extras(row: Mapping[str, Any], answer: Mapping[str, Any]) -> float:
    """Active free-trial and bonus credits, added to the base limit (update §6)."""
    total = 0.0
    trial = row.get("freeTrialInfo") or answer.get("freeTrialInfo")
    if isinstance(trial, dict) and str(trial.get("freeTrialStatus", "")).upper() == "ACTIVE":
        total += _number(trial, "usageLimitWithPrecision", "usageLimit") or 0.0
    for bonus in row.get("bonuses") or answer.get("bonuses") or []:
        if isinstance(bonus, dict) and str(bonus.get("status", "ACTIVE")).upper() == "ACTIVE":
            total += _number(bonus, "usageLimitWithPrecision", "usageLimit") or 0.0
    return total


def _overage(answer: Mapping[str, Any]) -> bool:
    config = answer.get("overageConfiguration")
    if isinstance(config, dict) and str(config.get("overageStatus", "")).upper() == "ENABLED":
        return True
    return answer.get("overageEnabled") is True


def _number(row: Mapping[str, Any], *names: str) -> float | None:
    for name in names:
        value = row.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _epoch(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value) / 1000 if value > 10**11 else float(value)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None
