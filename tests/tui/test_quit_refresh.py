"""Quitting the TUI while a token refresh is on its way (issue 10, "Losing a login"): /quit and
Ctrl+C run the same shutdown as `--headless`, so the app waits for the grant (longer than the
3 s graceful shutdown: the test holds its answer until then), saves the rotated token, and
the waiting client is told in words."""

from __future__ import annotations

import asyncio
import json
import stat
import threading
import time
from typing import Any

import httpx
import pytest

from tests.tui.conftest import Harness
from tests.tui.test_commands import BODY


def expire(harness: Harness, key: str) -> dict[str, Any]:
    """Make `key`'s access token expired in the accounts file; returns its entry as it was."""
    path = harness.config.state_dir / "auth-codex.json"
    entries = json.loads(path.read_text())
    entry = next(e for e in entries if e["accountId"] == key)
    before = dict(entry)
    entry["expires"] = int((time.time() - 60) * 1000)
    path.write_text(json.dumps(entries))
    return before


def saved(harness: Harness, key: str) -> dict[str, Any]:
    path = harness.config.state_dir / "auth-codex.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entries: list[dict[str, Any]] = json.loads(path.read_text())
    return next(e for e in entries if e["accountId"] == key)


@pytest.mark.parametrize("keys", [("slash", *"quit", "enter"), ("ctrl+c",)], ids=["/quit", "^C"])
async def test_quit_waits_for_a_slow_grant_and_saves_the_rotated_token(
    harness: Harness, keys: tuple[str, ...]
) -> None:
    oauth = harness.up.oauth
    before = expire(harness, "acct-a")
    oauth.hold = hold = threading.Event()
    app = harness.app()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            while app.state.listener != "listening":
                await pilot.pause(0.05)
            async with httpx.AsyncClient(base_url=app.session.base_url, timeout=None) as client:
                request = asyncio.ensure_future(
                    client.post("/v1/messages", json=BODY, headers={"x-api-key": "k"})
                )
                while not oauth.forms:  # the grant is spent; its answer is held
                    await pilot.pause(0.01)
                # Pilot returns from a press once the app is idle: here, once it has quit.
                pressing = asyncio.ensure_future(pilot.press(*keys))
                reply = await request  # the graceful shutdown has run out
            waiting = app.is_running
            assert waiting  # for the grant
            hold.set()
            await pressing
            while app.is_running:
                await pilot.pause(0.05)
    finally:
        hold.set()
    assert app.return_code == 0

    assert oauth.grants == 1
    entry = saved(harness, "acct-a")
    assert entry["refresh"] != before["refresh"]
    assert oauth.is_live(entry["refresh"])
    assert reply.status_code == 503
    assert "shutting down" in reply.json()["error"]["message"]
