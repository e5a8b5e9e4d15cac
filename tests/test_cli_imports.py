"""What each way of running the program imports: only what it needs (DESIGN §2, start-up is
mostly imports).

Each test runs the real program in a subprocess, as `python -m codex2claudecode` would, and
reads the names in its `sys.modules` when it exits: a heavy module there means a provider the
gateway does not serve, the TUI, the tokenizer, or a command that is not running, was loaded.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.cli_harness import STARTUP_TIMEOUT

KIRO = "codex2claudecode.backends.kiro"
CODEX = "codex2claudecode.backends.codex"
COMMANDS = "codex2claudecode.commands"
PARSER_NEEDS = {KIRO, f"{KIRO}.accounts", f"{KIRO}.accounts.credentials"}
"""Kiro modules the command line itself imports: `accounts add --kind` offers Kiro's login kinds."""
NOT_AT_START = ("jsonschema", "textual", "tiktoken", "codex2claudecode.tui")
"""Imported by a request, a terminal or a count that needs them, never by a headless start."""
COMMAND_MODULES = {
    f"{COMMANDS}.{name}"
    for name in (
        "accounts", "claude_env", "doctor", "fast_mode", "kiro_accounts", "kiro_doctor",
        "limits", "login", "logs",
    )
}  # fmt: skip


RUN_AND_LIST = """
import atexit, runpy, sys
listing = sys.argv.pop(1)
atexit.register(lambda: open(listing, "w").write("\\n".join(sys.modules)))
runpy.run_module("codex2claudecode", run_name="__main__", alter_sys=True)
"""
"""`python -c RUN_AND_LIST FILE ARGS...` runs `python -m codex2claudecode ARGS...` and writes
the names in its `sys.modules` to FILE when it exits."""


def within(modules: set[str], *packages: str) -> set[str]:
    """The `modules` that are one of `packages` or inside one."""
    return {m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)}


def served_imports(env: dict[str, str], tmp_path: Path, *args: str) -> set[str]:
    """Everything a `--headless` gateway imported by the time it had answered `GET /`."""
    listing = tmp_path / "modules.txt"
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_AND_LIST, str(listing), "--headless", "--port", "0", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()  # "codex2claudecode X is listening on URL"
        assert "is listening on " in banner, banner
        url = banner.rsplit(" ", 1)[1].strip()
        assert httpx.get(url + "/", timeout=STARTUP_TIMEOUT).status_code == 200
    finally:
        # Ctrl-C, a clean stop that writes the listing (after SIGTERM, uvicorn ends the
        # process by the signal itself, which runs no atexit handler).
        process.send_signal(signal.SIGINT)
        process.wait(STARTUP_TIMEOUT)
        assert process.stdout is not None
        process.stdout.close()
    return set(listing.read_text().split())


def command_imports(env: dict[str, str], tmp_path: Path, *args: str) -> set[str]:
    """Everything `codex2claudecode ARGS...` imported."""
    listing = tmp_path / "modules.txt"
    result = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, str(listing), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    return set(listing.read_text().split())


def test_a_codex_gateway_starts_without_kiro_the_tui_the_tokenizer_or_the_commands(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    modules = served_imports(cli_env, tmp_path)
    assert f"{CODEX}.backend" in modules  # the active provider's, ready for its first request
    assert within(modules, KIRO) == PARSER_NEEDS
    assert within(modules, *NOT_AT_START) == set()
    assert modules & COMMAND_MODULES == set()


def test_a_kiro_gateway_starts_without_codex_or_jsonschema(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    modules = served_imports(cli_env, tmp_path, "--provider", "kiro")
    assert f"{KIRO}.backend" in modules
    assert within(modules, CODEX) == set()
    assert within(modules, *NOT_AT_START) == set()
    assert modules & COMMAND_MODULES == set()


def test_help_imports_no_command_and_no_server(cli_env: dict[str, str], tmp_path: Path) -> None:
    modules = command_imports(cli_env, tmp_path, "--help")
    assert f"{COMMANDS}.parsers" in modules
    assert modules & COMMAND_MODULES == set()
    assert within(modules, "aiohttp", "uvicorn", "starlette", "asyncio", KIRO) == PARSER_NEEDS


@pytest.mark.parametrize(
    ("args", "own"),
    [
        (["config"], {"fast_mode"}),
        (["logs", "-n", "1"], {"logs"}),
        (["accounts", "list", "--offline"], {"accounts", "kiro_accounts"}),
    ],
)
def test_a_command_imports_its_own_modules_and_no_http_client_it_does_not_use(
    cli_env: dict[str, str], tmp_path: Path, args: list[str], own: set[str]
) -> None:
    modules = command_imports(cli_env, tmp_path, *args)
    assert modules & COMMAND_MODULES == {f"{COMMANDS}.{name}" for name in own}
    assert within(modules, "aiohttp", "uvicorn", "starlette") == set()
