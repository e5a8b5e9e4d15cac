from __future__ import annotations

import pytest

from codex2claudecode.accounts.limits import Credits, Snapshot, Window
from codex2claudecode.accounts.pool import (
    DEFAULT_COOLDOWN,
    AccountPool,
    Member,
    Strategy,
    parse_strategy,
    wait_text,
)
from codex2claudecode.errors import RateLimited

START = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def make_pool(
    strategy: Strategy = "sticky",
    keys: tuple[str, ...] = ("a", "b", "c"),
    *,
    active: str | None = None,
    clock: Clock | None = None,
    max_sessions: int = 100,
) -> AccountPool[str]:
    pool: AccountPool[str] = AccountPool(
        strategy=strategy, clock=clock or Clock(), max_sessions=max_sessions
    )
    pool.update([(key, f"handle-{key}") for key in keys], active=active)
    return pool


def keys(members: list[Member[str]]) -> list[str]:
    return [m.key for m in members]


def serve(pool: AccountPool[str], session: str | None) -> str:
    """One request that succeeds on the first account offered."""
    member = pool.choose(session)[0]
    pool.served(member, session)
    return member.key


def member(pool: AccountPool[str], key: str) -> Member[str]:
    found = pool.member(key)
    assert found is not None
    return found


# ---------------------------------------------------------------------- strategies


@pytest.mark.parametrize(
    ("value", "strategy"),
    [(None, "sticky"), ("", "sticky"), ("Sticky", "sticky"), ("round_robin", "round-robin"),
     (" round-robin ", "round-robin"), ("MANUAL", "manual")],
)  # fmt: skip
def test_parse_strategy(value: str | None, strategy: Strategy) -> None:
    assert parse_strategy(value) == strategy


def test_parse_strategy_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="sticky, round-robin, manual"):
        parse_strategy("random")


def test_sticky_new_sessions_start_on_the_active_account() -> None:
    pool = make_pool(active="b")
    assert keys(pool.choose("s1")) == ["b", "a", "c"]
    assert keys(pool.choose(None)) == ["b", "a", "c"]


def test_sticky_without_active_account_starts_on_the_first() -> None:
    assert keys(make_pool(active="nope").choose("s1")) == ["a", "b", "c"]


def test_sticky_session_on_the_active_account_offers_each_account_once() -> None:
    pool = make_pool(active="b")
    pool.served(member(pool, "b"), "s1")
    assert keys(pool.choose("s1")) == ["b", "a", "c"]


def test_sticky_session_elsewhere_falls_back_to_the_active_account_first() -> None:
    pool = make_pool(active="b")
    pool.served(member(pool, "c"), "s1")
    assert keys(pool.choose("s1")) == ["c", "b", "a"]


def test_sticky_session_stays_where_it_was_served() -> None:
    pool = make_pool()
    first = pool.choose("s1")
    pool.served(first[1], "s1")  # failed over to b once
    assert keys(pool.choose("s1")) == ["b", "a", "c"]
    assert keys(pool.choose("s2")) == ["a", "b", "c"]


def test_sticky_session_moves_when_its_account_cools_and_stays_after_it_returns() -> None:
    clock = Clock()
    pool = make_pool(clock=clock)
    assert serve(pool, "s1") == "a"
    pool.refused(member(pool, "a"), retry_after=100)
    assert serve(pool, "s1") == "b"
    clock.now += 101
    assert serve(pool, "s1") == "b"  # prompt-cache affinity: no move back
    assert serve(pool, "s2") == "a"  # new sessions use the returned account


def test_sticky_forgets_the_oldest_sessions() -> None:
    pool = make_pool(max_sessions=2)
    for session in ("s1", "s2", "s3"):
        pool.served(member(pool, "c"), session)
    assert keys(pool.choose("s1"))[0] == "a"
    assert keys(pool.choose("s2"))[0] == "c"
    assert keys(pool.choose("s3"))[0] == "c"


def test_round_robin_rotates_and_ignores_sessions() -> None:
    pool = make_pool("round-robin")
    assert [serve(pool, "s1") for _ in range(4)] == ["a", "b", "c", "a"]
    assert keys(pool.choose("s1")) == ["b", "c", "a"]


def test_round_robin_skips_cooling_accounts() -> None:
    pool = make_pool("round-robin")
    pool.refused(member(pool, "b"), retry_after=100)
    assert [serve(pool, None) for _ in range(3)] == ["a", "c", "c"]


def test_manual_offers_only_the_active_account() -> None:
    pool = make_pool("manual", active="b")
    assert keys(pool.choose("s1")) == ["b"]
    pool.served(member(pool, "b"), "s1")
    assert keys(pool.choose("s1")) == ["b"]


def test_manual_does_not_fail_over_but_still_asks_the_upstream() -> None:
    pool = make_pool("manual", active="b")
    pool.refused(member(pool, "b"), retry_after=30)
    assert keys(pool.choose("s1")) == ["b"]  # issue 10: the upstream decides, not a lock
    upstream = RateLimited("The usage limit has been reached", retry_after=30)
    assert pool.exhausted(upstream) is upstream


def test_no_accounts_means_nothing_to_try() -> None:
    assert make_pool(keys=()).choose("s1") == []


# ---------------------------------------------------------------------- cooldowns


def test_refused_account_is_skipped_until_its_reset_then_returns() -> None:
    clock = Clock()
    pool = make_pool(clock=clock)
    pool.refused(member(pool, "a"), retry_after=3600)
    assert keys(pool.choose(None)) == ["b", "c"]
    clock.now += 3599
    assert keys(pool.choose(None)) == ["b", "c"]
    clock.now += 1
    assert keys(pool.choose(None)) == ["a", "b", "c"]
    assert member(pool, "a").cooling_until == 0
    assert not member(pool, "a").refused


def test_refusal_without_reset_only_steers_and_invents_no_wait() -> None:
    clock = Clock()
    pool = make_pool(keys=("a", "b"), clock=clock)
    pool.refused(member(pool, "a"), retry_after=None)
    assert member(pool, "a").cooling_until == START + DEFAULT_COOLDOWN
    assert keys(pool.choose(None)) == ["b"]
    pool.refused(member(pool, "b"), retry_after=None)
    upstream = RateLimited("The usage limit has been reached")
    assert pool.exhausted(upstream) is upstream  # no 60 s retry-after made up
    assert keys(pool.choose(None)) == ["a"]  # asked again: it may have recovered


def test_all_refused_asks_the_soonest_reset_and_reports_it() -> None:
    clock = Clock()
    pool = make_pool(clock=clock)
    for key, wait in (("a", 7200), ("b", 300), ("c", 90_000)):
        pool.refused(member(pool, key), retry_after=wait)
    assert keys(pool.choose("s1")) == ["b"]  # issue 10: not refused locally
    caught = pool.exhausted(RateLimited("upstream", retry_after=90_000))
    assert caught.retry_after == 300
    assert caught.message == (
        "All 3 Codex accounts have reached their usage limits; "
        "the first one is available again in 5m 00s."
    )
    clock.now += 300
    assert keys(pool.choose("s1")) == ["b"]
    assert not member(pool, "b").refused


def test_a_single_account_resting_is_still_asked() -> None:
    pool = make_pool(keys=("a",))
    pool.refused(member(pool, "a"), retry_after=18_000)
    assert keys(pool.choose(None)) == ["a"]


def test_exhausted_keeps_the_upstream_error_for_one_account() -> None:
    pool = make_pool(keys=("a",))
    pool.refused(member(pool, "a"), retry_after=42)
    upstream = RateLimited("The usage limit has been reached", retry_after=42)
    assert pool.exhausted(upstream) is upstream


def test_a_reading_at_100_percent_makes_the_account_a_last_resort() -> None:
    clock = Clock()
    pool = make_pool(clock=clock)
    pool.observe(member(pool, "a"), Snapshot(primary=Window(100, 300, START + 600)))
    pool.observe(member(pool, "b"), Snapshot(secondary=Window(100, 10080, START + 300)))
    assert keys(pool.choose(None)) == ["c", "b", "a"]
    pool.refused(member(pool, "c"), retry_after=1000)
    assert keys(pool.choose(None)) == ["b", "a"]  # still tried: the reading may be stale
    clock.now += 600
    assert keys(pool.choose(None)) == ["a", "b"]


def test_a_later_reading_below_100_percent_ends_the_rest() -> None:
    pool = make_pool()
    a = member(pool, "a")
    pool.observe(a, Snapshot(primary=Window(100, 300, START + 600)))
    assert a.cooling_until == START + 600
    pool.observe(a, Snapshot(primary=Window(3, 300, START + 18_000)))
    assert a.cooling_until == 0
    assert keys(pool.choose(None))[0] == "a"


def test_credits_keep_an_account_at_100_percent_healthy() -> None:
    pool = make_pool()
    a = member(pool, "a")
    pool.observe(a, Snapshot(primary=Window(100, 300, START + 600), credits=Credits(True, False)))
    assert a.cooling_until == 0


def test_readings_do_not_shorten_a_refusal() -> None:
    pool = make_pool()
    a = member(pool, "a")
    pool.refused(a, retry_after=5000)
    pool.observe(a, Snapshot(primary=Window(20, 300, START + 100)))
    assert a.cooling_until == START + 5000
    assert a.snapshot == Snapshot(primary=Window(20, 300, START + 100))


def test_readings_merge() -> None:
    pool = make_pool()
    a = member(pool, "a")
    pool.observe(a, Snapshot(primary=Window(10), secondary=Window(30)))
    pool.observe(a, Snapshot(primary=Window(12)))
    assert a.snapshot == Snapshot(primary=Window(12), secondary=Window(30))


# ---------------------------------------------------------------------- membership


def test_update_keeps_what_is_known_about_remaining_accounts() -> None:
    pool = make_pool()
    pool.refused(member(pool, "b"), retry_after=100)
    pool.served(member(pool, "c"), "s1")
    pool.update([("c", "new-c"), ("b", "new-b"), ("d", "new-d")], active="d")
    assert [m.key for m in pool.members] == ["c", "b", "d"]
    assert member(pool, "b").refused
    assert member(pool, "c").handle == "new-c"
    assert pool.member("a") is None
    assert keys(pool.choose("s1")) == ["c", "d"]
    assert keys(pool.choose("s2")) == ["d", "c"]


def test_a_session_bound_to_a_removed_account_starts_over() -> None:
    pool = make_pool()
    pool.served(member(pool, "b"), "s1")
    pool.update([("a", "a"), ("c", "c")])
    assert keys(pool.choose("s1")) == ["a", "c"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (9.2, "10s"), (60, "1m 00s"), (250, "4m 10s"), (7500, "2h 05m"),
     (90_000, "1d 1h")],
)  # fmt: skip
def test_wait_text(seconds: float, text: str) -> None:
    assert wait_text(seconds) == text


def test_messages_name_the_provider_of_the_pool(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    pool: AccountPool[str] = AccountPool(clock=clock, provider="Kiro")
    pool.update([(key, f"handle-{key}") for key in ("a", "b")], active=None)
    with caplog.at_level("INFO", logger="codex2claudecode"):
        for key in ("a", "b"):
            pool.refused(member(pool, key), retry_after=60)
        caught = pool.exhausted(RateLimited("upstream", retry_after=60))
        clock.now += 61
        pool.choose(None)
    assert caught.message.startswith("All 2 Kiro accounts have reached their usage limits")
    assert "Kiro account a reached its usage limit; it rests for 1m 00s" in caplog.text
    assert "Kiro account a is available again" in caplog.text
    assert "Codex" not in caplog.text


def test_a_request_rate_refusal_is_not_called_a_usage_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    pool: AccountPool[str] = AccountPool(clock=clock, provider="Codex")
    pool.update([(key, f"handle-{key}") for key in ("a", "b")], active=None)
    last = RateLimited("slow down", retry_after=20, usage_limit=False)
    with caplog.at_level("INFO", logger="codex2claudecode"):
        for key in ("a", "b"):
            pool.refused(member(pool, key), retry_after=20, usage_limit=False)
        caught = pool.exhausted(last)
    assert caught is last  # the upstream's own words, not "all accounts reached their limits"
    assert "Codex account a: the upstream asks for fewer requests (HTTP 429)" in caplog.text
    assert "usage limit" not in caplog.text
    assert keys(pool.choose(None)) == ["a"]  # both resting: the soonest still asks upstream
