"""Issue 9, second pass: the README is true for what landed since the first pass. Its
configuration table names every variable the gateway reads; its curl and OpenAI-SDK examples
work as printed (JSON content type included) against a real gateway; its Kiro commands run."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.cli_harness import Launched, launch, run_cli
from tests.fakes.codex import FakeCodex, Reply
from tests.fakes.responses_events import text_answer
from tests.fakes.server import run_app
from tests.newcomer.test_kiro_newcomer import kiro_env  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
CONFIG = (ROOT / "src" / "codex2claudecode" / "config.py").read_text()
README_URL = "http://127.0.0.1:8787"


def _section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _blocks(language: str, section: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(section), re.DOTALL)


def test_the_configuration_table_names_every_variable_read() -> None:
    read = set(re.findall(r'"([A-Z][A-Z0-9_]{2,})"', CONFIG))
    read |= {f"CODEX_{tier}_MODEL" for tier in ("OPUS", "SONNET", "HAIKU")}
    read -= {"HOME", "USERPROFILE", "APPDATA", "XDG_CONFIG_HOME"}  # where home is, not ours
    table = _section("Configuration")
    missing = sorted(name for name in read if f"`{name}`" not in table)
    assert not missing, f"not in the README's configuration table: {missing}"


def test_the_curl_examples_work_as_printed(cli_env: dict[str, str], start: list[Launched]) -> None:
    [block] = _blocks("sh", "OpenAI SDKs, curl and the request log")
    commands = [c for c in block.replace("\\\n", " ").splitlines() if c.startswith("curl ")]
    assert len(commands) == 2
    for command in commands:
        assert "-H 'content-type: application/json'" in command  # else a 415
    codex = FakeCodex()
    with run_app(codex) as codex_url:
        _codex_account(cli_env)
        gateway = launch(start, {**cli_env, "CHATGPT_BASE_URL": codex_url}, "--port", "0")
        for command in commands:
            codex.script(Reply(events=text_answer("hello curl")))
            out = subprocess.run(
                ["sh", "-c", command.replace(README_URL, gateway.url)],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert out.returncode == 0, out.stderr
            assert "hello curl" in out.stdout, out.stdout


def test_the_openai_sdk_example_works_as_printed(
    cli_env: dict[str, str], start: list[Launched]
) -> None:
    [block] = _blocks("python", "OpenAI SDKs, curl and the request log")
    assert f'base_url="{README_URL}/v1"' in block
    codex = FakeCodex()
    with run_app(codex) as codex_url:
        _codex_account(cli_env)
        gateway = launch(start, {**cli_env, "CHATGPT_BASE_URL": codex_url}, "--port", "0")
        codex.script(Reply(events=text_answer("hello sdk")))
        out = subprocess.run(
            [sys.executable, "-c", block.replace(README_URL, gateway.url)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hello sdk\n"


def test_the_kiro_commands_run(kiro_env: dict[str, str], start: list[Launched]) -> None:  # noqa: F811
    [block] = _blocks("sh", "Kiro instead of ChatGPT")
    commands = [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]
    assert commands[0] == ["codex2claudecode", "accounts", "import", "--provider", "kiro"]
    for words in commands:
        args = words[1:]
        if args == ["--provider", "kiro"]:  # start the gateway and leave it running
            gateway = launch(start, kiro_env, *args, "--port", "0")
            assert "Provider:         Kiro" in gateway.banner
            continue
        if args[0] == "doctor":
            args += ["--port", "0"]  # 8787 may be taken on this machine
        result = run_cli(kiro_env, *args)
        output = result.stdout + result.stderr
        assert "Traceback" not in output, (args, output)
        assert result.returncode == 0, (args, output)
    settings = json.loads((Path(kiro_env["CLAUDE_CONFIG_DIR"]) / "settings.json").read_text())
    assert settings["env"]["ANTHROPIC_MODEL"] == "claude-opus-4.8"


def _codex_account(env: dict[str, str]) -> None:
    """A Codex CLI login (`~/.codex/auth.json`), which the gateway uses when it has no file."""
    from tests.fakes.oauth import FakeOAuth

    tokens = FakeOAuth().login(account_id="acct-readme", email="readme@example.com")
    auth = Path(env["CODEX_HOME"]) / "auth.json"
    auth.parent.mkdir(parents=True, exist_ok=True)
    auth.write_text(
        json.dumps(
            {
                "tokens": {
                    "access_token": tokens.access_token,
                    "refresh_token": tokens.refresh_token,
                    "id_token": tokens.id_token,
                    "account_id": "acct-readme",
                }
            }
        )
    )
