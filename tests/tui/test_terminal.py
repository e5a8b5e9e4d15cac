"""The real binary in a real pseudo-terminal: it starts, shows the dashboard, runs a typed
/logs, and quits on Ctrl+C with the terminal restored (the alternate screen left)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pexpect = pytest.importorskip("pexpect")

BINARY = Path(sys.executable).parent / "codex2claudecode"
LEAVE_ALT_SCREEN = "\x1b[?1049l"


def spawn(home: Path) -> Any:
    env = {
        **os.environ,
        "HOME": str(home),
        "CODEX2CLAUDECODE_HOME": str(home / "state"),
        "CODEX_HOME": str(home / ".codex"),
        "CLAUDE_CONFIG_DIR": str(home / ".claude"),
        "CHATGPT_BASE_URL": "http://127.0.0.1:9",  # nothing listens: limits fail, in words
        "TERM": "xterm-256color",
    }
    try:
        return pexpect.spawn(
            str(BINARY), ["--port", "0"], env=env, dimensions=(24, 80), encoding="utf-8",
            timeout=20,
        )  # fmt: skip
    except (OSError, pexpect.ExceptionPexpect) as exc:
        pytest.skip(f"cannot allocate a pseudo-terminal: {exc}")


def test_starts_runs_logs_and_quits_cleanly(tmp_path: Path) -> None:
    started = time.monotonic()
    child = spawn(tmp_path)
    child.expect("listening")
    launch = time.monotonic() - started
    print(f"launch to dashboard: {launch:.2f}s")
    child.send("/logs")
    child.send("\r")
    child.expect("Request log")
    child.send("\x1b")  # Esc back
    child.send("\x03")  # Ctrl+C
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert LEAVE_ALT_SCREEN in (child.before or "")
