"""Issue 9, second pass: with a generated local API key (`claude-env set --with-key`) in force,
the banner says so and its export line works; an unreadable key file is one line, exit 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.cli_harness import MESSAGE, Launched, launch, run_cli


def _export_token(banner: str) -> str:
    [line] = [line for line in banner.splitlines() if "export ANTHROPIC_AUTH_TOKEN=" in line]
    return line.strip().removeprefix("export ")


def test_the_banner_tells_the_truth_about_a_local_key(
    cli_env: dict[str, str], start: list[Launched]
) -> None:
    made = run_cli(cli_env, "claude-env", "set", "--with-key")
    assert made.returncode == 0, made.stderr
    key_file = Path(cli_env["CODEX2CLAUDECODE_HOME"]) / "local-api-key"
    key = key_file.read_text().strip()

    gateway = launch(start, cli_env, "--port", "0")
    assert f"  API key:          required: the local key in {key_file}\n" in gateway.banner
    assert "none (loopback only)" not in gateway.banner
    assert key not in gateway.banner  # the banner names the file, never the key

    # The banner's export line, run by a shell, gives the key the gateway requires.
    shell = subprocess.run(
        ["sh", "-c", f'{_export_token(gateway.banner)}; printf %s "$ANTHROPIC_AUTH_TOKEN"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shell.stdout == key
    url = f"{gateway.url}/v1/messages"
    refused = httpx.post(url, json=MESSAGE, headers={"x-api-key": "codex2claudecode"})
    assert refused.status_code == 401
    accepted = httpx.post(url, json=MESSAGE, headers={"x-api-key": shell.stdout})
    assert accepted.status_code != 401  # past the key check (no account here: a 503)


def test_a_password_wins_over_the_local_key_in_the_banner(
    cli_env: dict[str, str], start: list[Launched]
) -> None:
    assert run_cli(cli_env, "claude-env", "set", "--with-key").returncode == 0
    gateway = launch(start, cli_env, "--port", "0", "--password", "s3cret")
    assert "  API key:          required (--password / API_PASSWORD)\n" in gateway.banner
    assert _export_token(gateway.banner) == "ANTHROPIC_AUTH_TOKEN=s3cret"


def test_no_key_no_password(cli_env: dict[str, str], start: list[Launched]) -> None:
    gateway = launch(start, cli_env, "--port", "0")
    assert "  API key:          none (loopback only)\n" in gateway.banner
    assert _export_token(gateway.banner) == "ANTHROPIC_AUTH_TOKEN=codex2claudecode"


def test_an_unreadable_key_file_is_one_line(cli_env: dict[str, str]) -> None:
    key_file = Path(cli_env["CODEX2CLAUDECODE_HOME"]) / "local-api-key"
    key_file.mkdir(parents=True)  # unreadable as a file, even for root
    result = run_cli(cli_env, "--headless", "--port", "0")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"codex2claudecode: cannot read the local API key {key_file} (Is a directory); delete "
        f"it to run without one, or make a new one with `{sys.executable} -m codex2claudecode "
        "claude-env set --with-key`"  # as this process was started, so that it runs as printed
    ]
