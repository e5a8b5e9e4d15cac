"""`limits --provider kiro` through the real command line (`cli.main`), against the fake Kiro
upstream: credits used and left, reset time, overage and tier, per account."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from codex2claudecode.backends.kiro.accounts.credentials import format_expiry
from codex2claudecode.cli import main
from tests.fakes.kiro import FakeKiro
from tests.fakes.server import run_app

RESET = datetime(2030, 1, 1, 9, 30, tzinfo=UTC).timestamp()


@pytest.fixture
def kiro(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKiro]:
    fake = FakeKiro()
    with run_app(fake) as url:
        ide = tmp_path / "sso" / "kiro-auth-token.json"
        ide.parent.mkdir()
        ide.write_text(
            json.dumps(
                {
                    "accessToken": "aoa-SECRET-ACCESS",
                    "refreshToken": "aor-SECRET-REFRESH",
                    "expiresAt": format_expiry(time.time() + 3600),
                    "region": "us-east-1",
                    "authMethod": "social",
                    "profileArn": "arn:aws:codewhisperer:us-east-1:1:profile/SOCIAL",
                }
            )
        )
        env = {
            "HOME": str(tmp_path),
            "CODEX2CLAUDECODE_HOME": str(tmp_path / "state"),
            "KIRO_AUTH_FILE": str(ide),
            "KIRO_PROFILE_FILE": str(tmp_path / "profile.json"),
            "KIRO_BASE_URL": url,
            "CODEX_HOME": str(tmp_path / "codex"),
            "TZ": "UTC",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        for name in ("UPSTREAM_PROVIDER", "KIRO_AUTH_ACCOUNT", "HTTPS_PROXY", "HTTP_PROXY"):
            monkeypatch.delenv(name, raising=False)
        time.tzset()
        yield fake
    monkeypatch.undo()
    time.tzset()


def usage(**row: Any) -> dict[str, Any]:
    credit = {
        "resourceType": "CREDIT",
        "displayName": "Credit",
        "displayNamePlural": "Credits",
        "currentUsageWithPrecision": 1234.5,
        "usageLimitWithPrecision": 2000,
        "currentOverages": 0,
        "overageRate": 0.04,
        "nextDateReset": RESET,
        **row,
    }
    return {
        "subscriptionInfo": {"subscriptionTitle": "KIRO PRO+", "type": "Q_DEVELOPER_STANDALONE"},
        "usageBreakdownList": [credit],
        "userInfo": {"email": "kiro@example.com", "userId": "user-1"},
    }


def test_credits_reset_overage_and_tier(kiro: FakeKiro, capsys: pytest.CaptureFixture[str]) -> None:
    kiro.usage = usage()
    assert main(["limits", "--provider", "kiro"]) == 0
    out = capsys.readouterr().out
    title, credits, amounts, overage = out.strip().splitlines()
    assert title.startswith("kiro@example.com (KIRO PRO+)") and title.endswith("(active)")
    assert credits.startswith("  Credits  ")
    assert " 38% left  resets Tue 01 Jan 09:30 (in " in credits
    assert amounts == "  1,234.5 of 2,000 used, 765.5 left"
    assert overage == "  overage: off (requests stop when the credits are spent)"
    [asked] = [r for r in kiro.requests if r.path.startswith("/getUsageLimits")]
    assert asked.headers["authorization"] == "Bearer aoa-SECRET-ACCESS"
    assert "SECRET" not in out


def test_overage_spent_past_the_limit(kiro: FakeKiro, capsys: pytest.CaptureFixture[str]) -> None:
    kiro.usage = {
        **usage(currentUsageWithPrecision=2000, currentOverages=37.25),
        "overageConfiguration": {"overageStatus": "ENABLED"},
    }
    assert main(["limits", "--provider", "kiro"]) == 0
    out = capsys.readouterr().out
    assert "  0% left" in out
    assert "  2,000 of 2,000 used, 0 left\n" in out
    assert "  overage: 37.25 credits past the limit at $0.04/credit\n" in out


def test_json_output(kiro: FakeKiro, capsys: pytest.CaptureFixture[str]) -> None:
    kiro.usage = usage()
    assert main(["limits", "--provider", "kiro", "--json"]) == 0
    [reading] = json.loads(capsys.readouterr().out)
    assert reading["plan"] == "KIRO PRO+" and reading["email"] == "kiro@example.com"
    credits = reading["snapshot"]["credits"]
    assert (credits["used"], credits["limit"], credits["overage"]) == (1234.5, 2000, False)
    assert reading["snapshot"]["primary"]["resets_at"] == RESET


def test_a_refusal_is_shown_and_fails_the_command(
    kiro: FakeKiro, capsys: pytest.CaptureFixture[str]
) -> None:
    kiro.usage, kiro.usage_status = {"message": "Improperly formed request."}, 400
    assert main(["limits", "--provider", "kiro"]) == 1
    out = capsys.readouterr().out
    assert "cannot read the limits: " in out


def test_the_served_provider_is_the_default(
    kiro: FakeKiro, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "provider-config.json").write_text('{"provider": "kiro"}')
    kiro.usage = usage()
    assert main(["limits"]) == 0
    assert "(KIRO PRO+)" in capsys.readouterr().out


def test_no_kiro_account(
    kiro: FakeKiro, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sso" / "kiro-auth-token.json").unlink()
    assert main(["limits", "--provider", "kiro"]) == 0  # nothing to show is not a failure
    out = capsys.readouterr().out
    assert out.startswith("No Kiro accounts yet, so no limits to show. ")
    assert "accounts import --provider kiro" in out
