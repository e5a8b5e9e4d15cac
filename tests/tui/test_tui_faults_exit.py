"""Ctrl+C while a panel waits for a lock another program holds (issue 10's sibling hunt): the
process ends at once, not after the 30 s lock wait (blocking calls used to run in threads
that the event loop's exit joins). The real app in a subprocess, driven by its auto-pilot;
a hang fails through this test's timeout, shorter than the lock wait."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.tui.conftest import Harness
from tests.tui.test_tui_faults import lock_held

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fcntl")

SCRIPT = """
import sys
from pathlib import Path

import orjson

from codex2claudecode.config import Config
from codex2claudecode.tui.screens.account import AccountScreen
from tests.tui.conftest import Harness
from tests.tui.test_commands import opened

env, home = orjson.loads(sys.argv[1]), Path(sys.argv[2])


async def switch_then_quit(pilot):
    app = pilot.app
    await pilot.press("slash", *"acc", "tab", "enter")
    await opened(pilot, app, AccountScreen)
    while app.screen.query_one("#accounts").row_count < 2:
        await pilot.pause(0.05)
    await pilot.press("down", "enter")
    while not str(app.screen.query_one("#panel-note").render()).startswith("Switching"):
        await pilot.pause(0.05)
    print("waiting for the lock", flush=True)
    await pilot.press("ctrl+c")


app = Harness(None, Config.load(env), home).app()
print("exit", app.run(headless=True, size=(100, 40), auto_pilot=switch_then_quit), flush=True)
"""


@pytest.mark.timeout(25)
def test_ctrl_c_while_waiting_for_a_held_lock_leaves_at_once(harness: Harness) -> None:
    path = harness.config.state_dir / "auth-codex.json"
    before = path.read_bytes()
    env = {
        "HOME": str(harness.home),
        "CODEX2CLAUDECODE_HOME": str(harness.config.state_dir),
        "CHATGPT_BASE_URL": harness.up.url,
        "OPENAI_AUTH_URL": harness.up.oauth_url,
        "CLAUDE_CONFIG_DIR": str(harness.home / ".claude"),
        "CODEX_HOME": str(harness.home / ".codex"),
    }
    with lock_held(path):
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, orjson.dumps(env).decode(), str(harness.home)],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parents[2],
            check=False,
        )
    assert done.stdout.splitlines() == ["waiting for the lock", "exit 0"], done.stderr
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == before
