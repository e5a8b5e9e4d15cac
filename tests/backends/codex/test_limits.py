from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode.accounts.limits import Credits, Limit, Snapshot, Window
from codex2claudecode.backends.codex.limits import from_event, from_headers, from_usage

NOW = 1_800_000_000.0

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
limit_keys = st.sampled_from(
    ["rate_limits", "rate_limit", "primary", "secondary", "primary_window", "credits",
     "used_percent", "reset_at", "window_minutes", "additional_rate_limits", "plan_type",
     "limit_name", "metered_limit_name", "has_credits", "unlimited", "limit_reached"]
)  # fmt: skip
shaped = st.recursive(
    json_values,
    lambda inner: st.dictionaries(limit_keys | st.text(), inner, max_size=5),
    max_leaves=20,
)


# ---------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"content-type": "text/event-stream"}, None),
        (
            {
                "x-codex-primary-used-percent": "12.5",
                "x-codex-primary-window-minutes": "300",
                "x-codex-primary-reset-at": "1800003600",
                "x-codex-secondary-used-percent": "40",
                "x-codex-secondary-window-minutes": "10080",
                "x-codex-secondary-reset-at": "1800500000",
            },
            Snapshot(
                primary=Window(12.5, 300, 1_800_003_600),
                secondary=Window(40, 10080, 1_800_500_000),
            ),
        ),
        # Header names are case-insensitive.
        (
            {"X-Codex-Primary-Used-Percent": "100", "X-Codex-Primary-Reset-At": "1800000100"},
            Snapshot(primary=Window(100, None, 1_800_000_100)),
        ),
        # Older builds: relative resets.
        (
            {
                "x-codex-primary-used-percent": "5",
                "x-codex-primary-reset-after-seconds": "60",
                "x-codex-secondary-used-percent": "7",
                "x-codex-secondary-reset-after-seconds": "3600",
            },
            Snapshot(primary=Window(5, None, NOW + 60), secondary=Window(7, None, NOW + 3600)),
        ),
        # A secondary window alone.
        (
            {"x-codex-secondary-used-percent": "99", "x-codex-secondary-window-minutes": "10080"},
            Snapshot(secondary=Window(99, 10080, None)),
        ),
        # All zero means nothing is known.
        ({"x-codex-primary-used-percent": "0", "x-codex-primary-window-minutes": "0"}, None),
        ({"x-codex-primary-used-percent": "lots"}, None),
        ({"x-codex-primary-used-percent": "nan"}, None),
        (
            {
                "x-codex-credits-has-credits": "true",
                "x-codex-credits-unlimited": "False",
                "x-codex-credits-balance": " 9.99 ",
            },
            Snapshot(credits=Credits(True, False, "9.99")),
        ),
        ({"x-codex-credits-has-credits": "maybe", "x-codex-credits-unlimited": "0"}, None),
        # Extra families are additional limits, named by their limit-name header.
        (
            {
                "x-codex-primary-used-percent": "10",
                "x-codex-bengalfox-primary-used-percent": "80",
                "x-codex-bengalfox-primary-window-minutes": "300",
                "x-codex-bengalfox-limit-name": "gpt-5.3-codex-spark",
                "x-codex-secondary-primary-used-percent": "3",
            },
            Snapshot(
                primary=Window(10),
                additional=(
                    Limit("codex_bengalfox", "gpt-5.3-codex-spark", Window(80, 300)),
                    Limit("codex_secondary", None, Window(3)),
                ),
            ),
        ),
    ],
)
def test_from_headers(headers: dict[str, str], expected: Snapshot | None) -> None:
    assert from_headers(headers, now=NOW) == expected


@given(st.dictionaries(st.text(), st.text()))
def test_from_headers_never_raises(headers: dict[str, str]) -> None:
    from_headers(headers, now=NOW)


@given(st.dictionaries(st.sampled_from(["used-percent", "window-minutes", "reset-at"]), st.text()))
def test_from_headers_on_odd_values(values: dict[str, str]) -> None:
    headers = {f"x-codex-primary-{k}": v for k, v in values.items()}
    snapshot = from_headers(headers, now=NOW)
    assert snapshot is None or snapshot.primary is not None


# ---------------------------------------------------------------------- events


def rate_limits_event(**fields: Any) -> dict[str, Any]:
    window = {"used_percent": 100.0, "window_minutes": 300, "reset_at": 1_800_001_000}
    weekly = {"used_percent": 55.0, "window_minutes": 10080, "reset_at": 1_800_400_000}
    return {
        "type": "codex.rate_limits",
        "plan_type": "plus",
        "rate_limits": {"primary": window, "secondary": weekly},
        "credits": {"has_credits": False, "unlimited": False, "balance": None},
        **fields,
    }


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            rate_limits_event(),
            Snapshot(
                primary=Window(100, 300, 1_800_001_000),
                secondary=Window(55, 10080, 1_800_400_000),
                credits=Credits(False, False, None),
                plan="plus",
            ),
        ),
        (
            rate_limits_event(rate_limits={"primary": None, "secondary": None}, credits=None),
            Snapshot(plan="plus"),
        ),
        ({"type": "codex.rate_limits"}, None),
        ({"type": "codex.rate_limits", "rate_limits": "broken", "credits": [1]}, None),
        # A metered limit other than the main one is an additional limit.
        (
            rate_limits_event(metered_limit_name="codex_bengalfox", credits=None),
            Snapshot(
                additional=(
                    Limit(
                        "codex_bengalfox",
                        None,
                        Window(100, 300, 1_800_001_000),
                        Window(55, 10080, 1_800_400_000),
                    ),
                ),
                plan="plus",
            ),
        ),
        (
            rate_limits_event(limit_name="codex", credits=None, plan_type=None),
            Snapshot(
                primary=Window(100, 300, 1_800_001_000),
                secondary=Window(55, 10080, 1_800_400_000),
            ),
        ),
    ],
)
def test_from_event(event: dict[str, Any], expected: Snapshot | None) -> None:
    assert from_event(event, now=NOW) == expected


@given(st.dictionaries(limit_keys | st.text(), shaped))
def test_from_event_never_raises(event: dict[str, Any]) -> None:
    from_event(event, now=NOW)


# ---------------------------------------------------------------------- wham/usage


USAGE_BODY = {
    "email": "me@example.com",
    "plan_type": "pro",
    "account_id": "acct-1",
    "rate_limit": {
        "allowed": True,
        "limit_reached": False,
        "primary_window": {
            "used_percent": 13,
            "limit_window_seconds": 18000,
            "reset_after_seconds": 600,
            "reset_at": 1_800_000_600,
        },
        "secondary_window": {"used_percent": 47, "reset_at": 1_800_300_000},
    },
    "credits": {"has_credits": True, "unlimited": False, "balance": "9.99"},
    "additional_rate_limits": [
        {
            "limit_name": "GPT-5.3-Codex-Spark",
            "metered_feature": "codex_bengalfox",
            "rate_limit": {
                "primary_window": {"used_percent": 0, "reset_at": 1_800_001_000},
                "secondary_window": {"used_percent": 100, "reset_at": 1_800_600_000},
            },
        }
    ],
}


def test_from_usage() -> None:
    assert from_usage(USAGE_BODY, now=NOW) == Snapshot(
        primary=Window(13, 300, 1_800_000_600),
        secondary=Window(47, None, 1_800_300_000),
        additional=(
            Limit(
                "codex_bengalfox",
                "GPT-5.3-Codex-Spark",
                Window(0, None, 1_800_001_000),
                Window(100, None, 1_800_600_000),
            ),
        ),
        credits=Credits(True, False, "9.99"),
        plan="pro",
    )


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ({"used_percent": 5, "reset_after_seconds": 90}, Window(5, None, NOW + 90)),
        ({"used_percent": 5, "window_minutes": 300, "resets_at": NOW}, Window(5, 300, NOW)),
        ({"used_percent": "5"}, Window(5)),
        ({"used_percent": None}, None),
        ({"used_percent": True}, None),
        ([], None),
    ],
)
def test_usage_windows(window: Any, expected: Window | None) -> None:
    assert from_usage({"rate_limit": {"primary_window": window}}, now=NOW).primary == expected


@pytest.mark.parametrize(
    ("rate_limit", "reached"),
    [({"limit_reached": True}, True), ({"allowed": False}, True), ({"allowed": True}, False)],
)
def test_usage_limit_reached(rate_limit: dict[str, Any], reached: bool) -> None:
    assert from_usage({"rate_limit": rate_limit}, now=NOW).limit_reached is reached


def test_empty_usage_body() -> None:
    assert from_usage({}, now=NOW) == Snapshot()


@given(st.dictionaries(limit_keys | st.text(), shaped))
def test_from_usage_never_raises(body: dict[str, Any]) -> None:
    from_usage(body, now=NOW)


# ---------------------------------------------------------------------- the model


@pytest.mark.parametrize(
    ("snapshot", "blocked_until"),
    [
        (Snapshot(), None),
        (Snapshot(primary=Window(99.4, 300, NOW + 100)), None),
        (Snapshot(primary=Window(100, 300, NOW + 100)), NOW + 100),
        # The later of two exhausted windows.
        (
            Snapshot(primary=Window(100, 300, NOW + 100), secondary=Window(100, 10080, NOW + 900)),
            NOW + 900,
        ),
        (Snapshot(secondary=Window(100.5, 10080, NOW + 900)), NOW + 900),
        # A reset that has passed does not block.
        (Snapshot(primary=Window(100, 300, NOW - 1)), None),
        # No reset time: the fallback rest.
        (Snapshot(primary=Window(100)), NOW + 60),
        (Snapshot(limit_reached=True), NOW + 60),
        # Credits lift the block.
        (Snapshot(primary=Window(100, 300, NOW + 100), credits=Credits(True, False)), None),
        (Snapshot(primary=Window(100, 300, NOW + 100), credits=Credits(False, True)), None),
        (Snapshot(primary=Window(100, 300, NOW + 100), credits=Credits(False, False)), NOW + 100),
        # Additional (per-model) limits never block the account.
        (Snapshot(additional=(Limit("x", None, Window(100, 300, NOW + 100)),)), None),
    ],
)
def test_blocked_until(snapshot: Snapshot, blocked_until: float | None) -> None:
    assert snapshot.blocked_until(NOW, unknown_reset=60) == blocked_until


def test_merged_keeps_what_the_newer_reading_lacks() -> None:
    old = Snapshot(
        primary=Window(10),
        secondary=Window(20),
        additional=(Limit("a", None, Window(1)), Limit("b", None, Window(2))),
        credits=Credits(False, False),
        plan="plus",
        limit_reached=True,
    )
    new = Snapshot(primary=Window(11), additional=(Limit("b", None, Window(3)),))
    assert old.merged(new) == Snapshot(
        primary=Window(11),
        secondary=Window(20),
        additional=(Limit("a", None, Window(1)), Limit("b", None, Window(3))),
        credits=Credits(False, False),
        plan="plus",
    )


@pytest.mark.parametrize(
    ("used", "left"), [(0, 100), (12.4, 88), (12.6, 87), (99.6, 0), (100, 0), (130, 0), (-5, 100)]
)
def test_left_percent(used: float, left: int) -> None:
    assert Window(used).left_percent == left
