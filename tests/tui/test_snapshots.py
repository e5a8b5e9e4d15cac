"""SVG snapshots of the dashboard at 80x24, 120x36 and 160x48 (with requests in the log),
with a fixed clock, data and port, and of the /logs, request detail and /account screens
(update with `pytest --snapshot-update` after checking the pictures)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from codex2claudecode.requestlog import RequestLog
from codex2claudecode.server.run import PortInUse
from codex2claudecode.tui.app import GatewayApp
from codex2claudecode.tui.screens.account import AccountScreen
from codex2claudecode.tui.screens.log_detail import LogDetailScreen
from codex2claudecode.tui.screens.logs import LogsScreen
from codex2claudecode.tui.screens.panel import Panel
from tests.requestlog.records import make_exchange, make_record
from tests.tui.conftest import NOW, Harness

PORT = 38787
"""Fixed, since the dashboard shows it."""

SnapCompare = Callable[..., bool]


def fixed_app(harness: Harness) -> GatewayApp:
    try:
        return harness.app(port=PORT, clock=NOW)
    except PortInUse:
        pytest.skip(f"port {PORT}, which the snapshot shows, is taken")


async def ready(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, GatewayApp)
    while app.status_reads == 0 or app.limits_reads == 0 or app.state.listener != "listening":
        await pilot.pause(0.05)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_dashboard(harness: Harness, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(fixed_app(harness), terminal_size=size, run_before=ready)


def test_dashboard_at_120_columns(harness: Harness, snap_compare: SnapCompare) -> None:
    """Issue 8: every panel readable at 120 columns, nothing cut mid-word."""
    logged(harness)
    assert snap_compare(fixed_app(harness), terminal_size=(120, 36), run_before=ready)


def logged(harness: Harness) -> None:
    """Three requests in the log, at fixed times and with fixed timings."""
    log = RequestLog(harness.config.request_log_path, clock=lambda: NOW)
    facts: list[dict[str, object]] = [
        {"duration_ms": 1834.0, "ttfb_ms": 412.0},
        {"path": "/v1/chat/completions", "dialect": "openai_chat", "duration_ms": 902.5},
        {
            "status": 429,
            "upstream_status": 429,
            "error": "the usage limit has been reached; it resets in 2h10m",
            "stop_reason": None,
            "output_tokens": None,
            "duration_ms": 95.0,
        },
    ]
    for n, fields in enumerate(facts):
        fields = {"ttfb_ms": 300.0, **fields}
        log.submit(make_record(log, id=f"req_snap_{n}", started_at=NOW - 300 + 60 * n, **fields))
    log.close()


def opened_with(
    key: str, kind: type[Panel], ready_when: Callable[[Panel], bool]
) -> Callable[[Pilot[int]], Awaitable[None]]:
    async def run_before(pilot: Pilot[int]) -> None:
        await ready(pilot)
        await pilot.press(key)
        while not isinstance(pilot.app.screen, kind) or not ready_when(pilot.app.screen):
            await pilot.pause(0.05)
        await pilot.pause()

    return run_before


def test_logs(harness: Harness, snap_compare: SnapCompare) -> None:
    logged(harness)
    run_before = opened_with(
        "l", LogsScreen, lambda screen: screen.query_one("#requests", DataTable).row_count == 3
    )
    assert snap_compare(fixed_app(harness), terminal_size=(120, 30), run_before=run_before)


def test_log_detail(harness: Harness, snap_compare: SnapCompare) -> None:
    log = RequestLog(harness.config.request_log_path, clock=lambda: NOW)
    record = make_record(log, id="req_snap_detail", started_at=NOW - 60, ttfb_ms=300.0)
    record.duration_ms = 1834.0
    record.set_upstream(make_exchange())
    log.submit(record)
    log.close()

    async def run_before(pilot: Pilot[int]) -> None:
        await ready(pilot)
        await pilot.press("l")
        while not isinstance(pilot.app.screen, LogsScreen):
            await pilot.pause(0.05)
        while not pilot.app.screen.query_one("#requests", DataTable).row_count:
            await pilot.pause(0.05)
        await pilot.press("enter")
        while not isinstance(pilot.app.screen, LogDetailScreen) or not pilot.app.screen.text:
            await pilot.pause(0.05)
        await pilot.press("pagedown")  # down to the upstream exchange
        await pilot.pause()

    assert snap_compare(fixed_app(harness), terminal_size=(120, 36), run_before=run_before)


def test_account(harness: Harness, snap_compare: SnapCompare) -> None:
    run_before = opened_with(
        "a",
        AccountScreen,
        lambda screen: "accounts;" in str(screen.query_one("#panel-note", Static).render()),
    )
    assert snap_compare(fixed_app(harness), terminal_size=(100, 30), run_before=run_before)
