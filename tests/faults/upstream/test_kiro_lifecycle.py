"""Kiro's login files at start (issue 10, "Losing a login"): what a killed write left beside the
Kiro IDE's token file is removed, and a token file open to other users is closed (ours) or
warned about (the IDE's), when the gateway or a command first reads the Kiro accounts.

The IDE's directory (`~/.aws/sso/cache`) is shared with the IDE and the AWS tools: only the temp
files our own atomic writes make there are ever removed, and only once they are stale.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from codex2claudecode.cli import build_gateway
from codex2claudecode.config import Config
from tests.e2e.conftest import KiroEnv
from tests.fakes.server import run_app

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")

BODY = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}
AN_HOUR_AGO = time.time() - 3600


@pytest.fixture
def gateways(kiro_env: KiroEnv) -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def start(kiro_env: KiroEnv, stack: ExitStack) -> str:
    """A gateway on Kiro, as `codex2claudecode` builds it; returns its URL."""
    return stack.enter_context(run_app(build_gateway(Config.load(kiro_env.env())).app))


def ask(url: str) -> None:
    with httpx.Client(timeout=30) as client:
        response = client.post(f"{url}/v1/messages", json=BODY)
    assert response.status_code == 200, response.text


def cli(kiro_env: KiroEnv, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**kiro_env.env(), "PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    done = subprocess.run(
        [sys.executable, "-m", "codex2claudecode", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done


def killed_write(token_file: Path, *, stale: bool) -> Path:
    """What `atomic_write(token_file, ...)` leaves when it is killed between its temp file and
    the rename (`tempfile.mkstemp`, as it names them), holding a refresh token."""
    fd, name = tempfile.mkstemp(prefix=f".{token_file.name}.", suffix=".tmp", dir=token_file.parent)
    with os.fdopen(fd, "w") as tmp:
        tmp.write('{"refreshToken": "leaked-by-a-kill"}')
    if stale:
        os.utime(name, (AN_HOUR_AGO, AN_HOUR_AGO))
    return Path(name)


def not_ours(directory: Path) -> list[Path]:
    """Old files a shared directory may hold that our writes never make, leftovers or not."""
    paths = [
        directory / "kiro-auth-token.json.tmp",
        directory / ".kiro-auth-token.json.before.update.tmp",
        directory / ".kiro-auth-token.json.bak",
        directory / ".write-probe.abcd1234.tmp",  # our probes go to our state directory only
        directory / "0123456789abcdef0123456789abcdef01234567.json",
    ]
    for path in paths:
        path.write_text("{}")
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    return paths


def chmod_warnings(caplog: pytest.LogCaptureFixture, path: Path) -> list[str]:
    return [r.getMessage() for r in caplog.records if f"chmod 600 {path}" in r.getMessage()]


# ---------------------------------------------------------------------- leftovers


def test_a_killed_write_to_the_ide_file_is_cleaned_up_when_the_gateway_starts(
    kiro_env: KiroEnv, gateways: ExitStack
) -> None:
    # No kiro-state.json: the gateway serves the IDE's login and writes its file in place.
    stale = killed_write(kiro_env.ide, stale=True)
    fresh = killed_write(kiro_env.ide, stale=False)  # another process writing right now
    theirs = not_ours(kiro_env.ide.parent)
    before = kiro_env.ide.read_bytes()

    ask(start(kiro_env, gateways))

    assert not stale.exists()
    assert fresh.exists()
    assert all(path.exists() for path in theirs)
    assert kiro_env.ide.read_bytes() == before


def test_a_killed_write_back_is_cleaned_up_when_a_command_reads_the_accounts(
    kiro_env: KiroEnv,
) -> None:
    # An account imported from an IDE file elsewhere: refreshes are written back there.
    source = kiro_env.root / "other-ide" / "kiro-auth-token.json"
    source.parent.mkdir()
    source.write_bytes(kiro_env.ide.read_bytes())
    cli(kiro_env, "accounts", "import", "--provider", "kiro", "--from", str(source))
    stale = killed_write(source, stale=True)
    fresh = killed_write(source, stale=False)
    theirs = not_ours(source.parent)

    cli(kiro_env, "accounts", "list", "--provider", "kiro")

    assert not stale.exists()
    assert fresh.exists()
    assert all(path.exists() for path in theirs)


# ---------------------------------------------------------------------- modes


@posix_only
def test_the_ide_file_open_to_others_is_warned_about_once_and_left_as_it_is(
    kiro_env: KiroEnv, gateways: ExitStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    kiro_env.ide.chmod(0o644)
    kiro_env.ide.parent.chmod(0o755)  # as the AWS tools leave ~/.aws/sso/cache

    url = start(kiro_env, gateways)
    ask(url)
    ask(url)
    ask(start(kiro_env, gateways))  # a second gateway in the same process: still once

    [warning] = chmod_warnings(caplog, kiro_env.ide)
    assert "open to other users (mode 644)" in warning and "Kiro IDE" in warning
    assert "leaked" not in warning and kiro_env.login.refresh_token not in caplog.text
    assert stat.S_IMODE(kiro_env.ide.stat().st_mode) == 0o644  # the IDE's file, not ours
    assert stat.S_IMODE(kiro_env.ide.parent.stat().st_mode) == 0o755


@posix_only
def test_a_command_says_how_to_close_the_ide_file(kiro_env: KiroEnv) -> None:
    kiro_env.ide.chmod(0o640)

    ran = cli(kiro_env, "accounts", "list", "--provider", "kiro")

    assert ran.stderr.count(f"chmod 600 {kiro_env.ide}") == 1, ran.stderr
    assert stat.S_IMODE(kiro_env.ide.stat().st_mode) == 0o640


@posix_only
def test_our_own_files_open_to_others_are_closed(
    kiro_env: KiroEnv, gateways: ExitStack, caplog: pytest.LogCaptureFixture
) -> None:
    cli(kiro_env, "accounts", "import", "--provider", "kiro")
    state = kiro_env.root / "state"
    managed = state / "kiro-state.json"
    managed.chmod(0o644)
    state.chmod(0o755)

    cli(kiro_env, "accounts", "list", "--provider", "kiro")

    assert stat.S_IMODE(managed.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o700

    managed.chmod(0o604)
    ask(start(kiro_env, gateways))

    assert stat.S_IMODE(managed.stat().st_mode) == 0o600
    assert f"{managed} was readable by others" in caplog.text
    assert json.loads(managed.read_text())["accounts"]
