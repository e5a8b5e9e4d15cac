"""SVG snapshots of the dashboard at 80x24 and 160x48, with a fixed clock, data and port
(update with `pytest --snapshot-update` after checking the pictures)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from codex2claudecode.server.run import PortInUse
from codex2claudecode.tui.app import GatewayApp
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
