from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from codex2claudecode.accounts.limits import Credits, Limit, Snapshot, Window
from codex2claudecode.backends.base import AccountLimits
from codex2claudecode.commands import limits
from tests.fakes.wham import WhamReply, WhamUpstream, wham_upstream

TZ = timezone(timedelta(hours=2))
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=TZ).timestamp()  # a Monday


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ).timestamp()


def usage(snapshot: Snapshot | None, **fields: object) -> AccountLimits:
    values: dict[str, object] = {
        "key": "acct-1",
        "email": "me@example.com",
        "plan": "plus",
        "active": False,
        "snapshot": snapshot,
        "problem": None,
    }
    values.update(fields)
    return AccountLimits(**values)  # type: ignore[arg-type]


def render(*usages: AccountLimits) -> str:
    return limits.render(usages, now=NOW, tz=TZ, bar=("#", "."))


# ---------------------------------------------------------------------- rendering


def test_render_the_two_windows() -> None:
    snapshot = Snapshot(
        primary=Window(25, 300, at(2, 13, 5)),
        secondary=Window(90, 10080, at(5, 9, 30)),
    )
    assert render(usage(snapshot, active=True)) == (
        "me@example.com (plus)  [acct-1]  (active)\n"
        "  5h limit      ###############.....  75% left  resets 13:05 (in 3h 05m)\n"
        "  Weekly limit  ##..................  10% left  resets Thu 05 Mar 09:30 (in 2d 23h)"
    )


def test_render_additional_limits_and_credits() -> None:
    spark = Limit("codex_bengalfox", "GPT-5.3-Codex-Spark", Window(0), Window(100, None, at(2, 9)))
    snapshot = Snapshot(
        primary=Window(100, 300, at(2, 11)),
        additional=(spark,),
        credits=Credits(True, False, "9.99"),
    )
    assert render(usage(snapshot, email=None, plan=None)) == (
        "acct-1\n"
        "  5h limit  ....................   0% left  resets 11:00 (in 1h 00m)\n"
        "  GPT-5.3-Codex-Spark\n"
        "    5h limit      #################### 100% left\n"
        "    Weekly limit  ....................   0% left  resets 09:00 (passed)\n"
        "  credits: 9.99"
    )


@pytest.mark.parametrize(
    ("minutes", "label"),
    [(None, "5h limit"), (300, "5h limit"), (60, "1h limit"), (90, "90m limit"),
     (1440, "Daily limit"), (2880, "2-day limit"), (10080, "Weekly limit")],
)  # fmt: skip
def test_window_labels(minutes: int | None, label: str) -> None:
    text = render(usage(Snapshot(primary=Window(50, minutes))))
    assert text.splitlines()[1].startswith(f"  {label}  ")


def test_render_accounts_without_readings() -> None:
    text = render(
        usage(Snapshot(credits=Credits(False, True))),
        usage(None, key="acct-2", email="two@example.com", problem="needs a new login"),
    )
    assert text == (
        "me@example.com (plus)  [acct-1]\n"
        "  no limits reported\n"
        "  credits: unlimited\n"
        "\n"
        "two@example.com (plus)  [acct-2]\n"
        "  cannot read the limits: needs a new login"
    )


def test_reset_times_are_local_by_default() -> None:
    reset = time.time() + 7200
    text = limits.render([usage(Snapshot(primary=Window(1, 300, reset)))], now=time.time())
    local = datetime.fromtimestamp(reset).strftime("%H:%M")
    assert f"resets {local}" in text
    assert "█" in text


# ---------------------------------------------------------------------- the command


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[WhamUpstream]:
    with wham_upstream(tmp_path) as served:
        yield served


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="codex2claudecode")
    limits.add_parser(parser.add_subparsers())
    return parser.parse_args(argv)


def wham_usage(used: float, reset_at: float) -> dict[str, object]:
    window = {"used_percent": used, "limit_window_seconds": 18000, "reset_at": reset_at}
    return {"plan_type": "pro", "rate_limit": {"primary_window": window}}


def test_limits_of_every_account(
    upstream: WhamUpstream, capsys: pytest.CaptureFixture[str]
) -> None:
    upstream.write_accounts("acct-a", "acct-b")
    reset = time.time() + 3600
    upstream.wham.answer("usage", "acct-a", WhamReply(wham_usage(40, reset)))
    upstream.wham.answer("usage", "acct-b", WhamReply(wham_usage(100, reset)))
    args = parse("limits")
    assert args.func is limits.run
    assert limits.run(args, upstream.config()) == 0
    out = capsys.readouterr().out
    a, b = out.strip().split("\n\n")
    assert a.startswith("acct-a@example.com (pro)  [acct-a]  (active)\n  5h limit  ")
    assert " 60% left  resets " in a
    assert b.startswith("acct-b@example.com (pro)  [acct-b]\n  5h limit  ")
    assert "  0% left  resets " in b


def test_an_account_that_cannot_answer_is_shown_and_fails_the_command(
    upstream: WhamUpstream, capsys: pytest.CaptureFixture[str]
) -> None:
    upstream.write_accounts("acct-a", "acct-b")
    upstream.wham.answer("usage", "acct-a", WhamReply(wham_usage(40, time.time() + 60)))
    upstream.wham.answer("usage", "acct-b", WhamReply({"detail": "no"}, status=403))
    assert limits.run(parse("limits"), upstream.config()) == 1
    out = capsys.readouterr().out
    assert "acct-b@example.com (plus)  [acct-b]\n  cannot read the limits: " in out
    assert "HTTP 403" in out


def test_json_output(upstream: WhamUpstream, capsys: pytest.CaptureFixture[str]) -> None:
    upstream.write_accounts("acct-a")
    upstream.wham.answer("usage", "acct-a", WhamReply(wham_usage(12.5, 1_900_000_000)))
    assert limits.run(parse("limits", "--json"), upstream.config()) == 0
    [reading] = json.loads(capsys.readouterr().out)
    assert reading["key"] == "acct-a"
    assert reading["active"] is True
    assert reading["snapshot"]["primary"] == {
        "used_percent": 12.5,
        "window_minutes": 300,
        "resets_at": 1_900_000_000,
    }


def test_no_account(upstream: WhamUpstream, capsys: pytest.CaptureFixture[str]) -> None:
    # Nothing to show is not a failure, as with `accounts list` (issue 9 item 12).
    assert limits.run(parse("limits"), upstream.config()) == 0
    out = capsys.readouterr().out
    assert out.startswith("No Codex accounts yet, so no limits to show. No Codex account found")


def test_times_in_the_output_are_not_utc_unless_the_zone_is() -> None:
    # Guards the `tz` parameter: the same instant renders in the zone given.
    snapshot = Snapshot(primary=Window(1, 300, at(2, 12)))
    utc = limits.render([usage(snapshot)], now=NOW, tz=UTC)
    assert "resets 10:00" in utc
    assert "resets 12:00" in render(usage(snapshot))
