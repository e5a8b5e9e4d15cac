"""`getUsageLimits` answers -> snapshots: credits, reset, overage, tier (spec §10, update §6)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from codex2claudecode.accounts.limits import Credits, Snapshot, Window
from codex2claudecode.backends.kiro.limits import snapshot_from_usage
from tests.fakes.kiro import default_usage

RESET = 1_893_456_000


def answer(**changes: Any) -> dict[str, Any]:
    body = default_usage()
    row = body["usageBreakdownList"][0]
    for name, value in changes.items():
        (row if name in row or name in ("bonuses", "freeTrialInfo") else body)[name] = value
    return body


def read(body: object) -> Snapshot | None:
    return snapshot_from_usage(orjson.dumps(body))


def test_the_credit_row_with_its_amounts_and_the_tier() -> None:
    assert read(answer()) == Snapshot(
        primary=Window(120.5 / 1000 * 100, None, RESET),
        credits=Credits(
            has_credits=True,
            unlimited=False,
            balance="879.5",
            used=120.5,
            limit=1000.0,
            overage=False,
            overages=0.0,
            overage_rate=0.04,
        ),
        plan="KIRO PRO",
    )


@pytest.mark.parametrize(
    "wrap",
    [
        lambda body: {"Output": body},
        lambda body: {"Output": {"message": orjson.dumps(body).decode()}},
    ],
)
def test_wrapped_answers(wrap: Any) -> None:
    assert read(wrap(answer())) == read(answer())


def test_trial_and_active_bonuses_raise_the_limit() -> None:
    snapshot = read(
        answer(
            freeTrialInfo={"freeTrialStatus": "ACTIVE", "usageLimitWithPrecision": 500},
            bonuses=[
                {"status": "ACTIVE", "usageLimit": 250},
                {"status": "EXPIRED", "usageLimit": 9999},
            ],
        )
    )
    assert snapshot is not None and snapshot.credits is not None
    assert snapshot.credits.limit == 1750.0


@pytest.mark.parametrize(
    "overage",
    [{"overageConfiguration": {"overageStatus": "ENABLED"}}, {"overageEnabled": True}],
)
def test_overage_either_way_keeps_a_spent_account_usable(overage: dict[str, Any]) -> None:
    spent = answer(currentUsageWithPrecision=1000, currentOverages=12, **overage)
    snapshot = read(spent)
    assert snapshot is not None and snapshot.credits is not None
    assert snapshot.credits.overage and snapshot.credits.overages == 12.0
    assert snapshot.credits.has_credits and not snapshot.limit_reached
    without = read(answer(currentUsageWithPrecision=1000))
    assert without is not None and without.limit_reached


def test_an_iso_reset_time() -> None:
    row_reset = datetime(2030, 1, 1, tzinfo=UTC)
    snapshot = read(answer(nextDateReset=row_reset.isoformat().replace("+00:00", "Z")))
    assert snapshot is not None and snapshot.primary is not None
    assert snapshot.primary.resets_at == row_reset.timestamp()


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"usageBreakdownList": []}'])
def test_odd_answers_give_none(body: bytes) -> None:
    assert snapshot_from_usage(body) is None
