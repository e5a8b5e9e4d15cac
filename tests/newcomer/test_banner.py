"""Issue 9 items 2 and 6: the banner prints the exact command for this gateway, runnable as
printed; `claude-env set|show` take the gateway flags after the subcommand too."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.cli_harness import STARTUP_TIMEOUT, Launched, launch, run_cli


def _suggested_set(banner: str) -> list[str]:
    [line] = [line for line in banner.splitlines() if " claude-env set" in line]
    return shlex.split(line)


def test_the_banner_command_writes_this_gateways_settings(
    cli_env: dict[str, str], start: list[Launched]
) -> None:
    gateway = launch(start, cli_env, "--port", "0", "--password", "s3cret pw")
    port = gateway.url.rsplit(":", 1)[1]
    words = _suggested_set(gateway.banner)
    assert words[-6:] == ["claude-env", "set", "--port", port, "--password", "s3cret pw"]
    assert words[:-6] == [sys.executable, "-m", "codex2claudecode"]  # how this one was started

    result = subprocess.run(words, env=cli_env, capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr
    settings = json.loads((Path(cli_env["CLAUDE_CONFIG_DIR"]) / "settings.json").read_text())
    assert settings["env"]["ANTHROPIC_BASE_URL"] == gateway.url
    assert settings["env"]["ANTHROPIC_AUTH_TOKEN"] == "s3cret pw"


def test_the_default_gateway_needs_no_flags(cli_env: dict[str, str]) -> None:
    from codex2claudecode.cli import banner
    from codex2claudecode.config import Config

    config = Config.load({"HOME": cli_env["HOME"]})
    assert "  codex2claudecode claude-env set\n" in banner(config, 8787)


def test_gateway_flags_after_the_subcommand(cli_env: dict[str, str]) -> None:
    set_result = run_cli(cli_env, "claude-env", "set", "--port", "9000", "--password", "s3cret")
    assert set_result.returncode == 0, set_result.stderr
    assert "ANTHROPIC_BASE_URL=http://127.0.0.1:9000" in set_result.stdout

    same = run_cli(cli_env, "claude-env", "show", "--port", "9000", "--password", "s3cret")
    assert same.returncode == 0
    assert "Up to date with this gateway." in same.stdout
    other = run_cli(cli_env, "claude-env", "show", "--port", "9001", "--password", "s3cret")
    assert "would change: ANTHROPIC_BASE_URL" in other.stdout
    before = run_cli(cli_env, "--port", "9000", "--password", "s3cret", "claude-env", "show")
    assert "Up to date with this gateway." in before.stdout


def _console_script() -> Path:
    return Path(sys.executable).parent / "codex2claudecode"


def test_suggestions_name_the_venv_script_when_it_is_not_on_path(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    script = _console_script()
    env = {**cli_env, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(script), "accounts", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
        cwd=tmp_path,
    )
    assert f"`{script} login`" in result.stdout, result.stdout


def test_suggestions_use_the_bare_name_when_path_finds_it(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    script = _console_script()
    env = {**cli_env, "PATH": f"{script.parent}{os.pathsep}/usr/bin:/bin"}
    result = subprocess.run(
        [str(script), "accounts", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
        cwd=tmp_path,
    )
    assert "`codex2claudecode login`" in result.stdout, result.stdout
