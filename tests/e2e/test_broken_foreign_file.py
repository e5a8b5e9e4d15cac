"""Issue 9 item 10: a broken Codex CLI auth.json is skipped with a warning that names it and
offers this tool's login; our own accounts keep working."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.e2e.conftest import Env, GatewayFactory
from tests.fakes.codex import Reply
from tests.fakes.responses_events import text_answer

MESSAGE = {"model": "gpt-5.4", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def _break_codex_cli_file(env: Env) -> str:
    codex_home = env.home / ".codex"
    codex_home.mkdir(exist_ok=True)
    (codex_home / "auth.json").write_text("{not json")
    return str(codex_home / "auth.json")


def _cli(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex2claudecode", *args],
        env={**env.env(), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=20,
    )


def test_our_accounts_keep_working(env: Env, start_gateway: GatewayFactory) -> None:
    path = _break_codex_cli_file(env)
    listed = _cli(env, "accounts", "list", "--offline")
    assert listed.returncode == 0, listed.stderr
    assert "acct-e2e-1" in listed.stdout
    [warning] = listed.stderr.splitlines()
    assert warning.startswith(
        f"warning: skipped the Codex CLI's login. The Codex CLI auth file {path} is not valid JSON"
    )
    assert warning.endswith("codex2claudecode login` (this tool does not need the Codex CLI).")
    assert "Traceback" not in listed.stderr

    env.fake.script(Reply(events=text_answer("still works")))
    r = httpx.post(start_gateway() + "/v1/messages", json=MESSAGE)
    assert r.status_code == 200, r.text


def test_without_our_own_file_it_says_what_to_do(env: Env, start_gateway: GatewayFactory) -> None:
    (env.state / "auth-codex.json").unlink()
    path = _break_codex_cli_file(env)
    listed = _cli(env, "accounts", "list")
    assert listed.returncode == 0
    assert listed.stdout.startswith("No Codex accounts yet. Sign in with `")
    assert "accounts import" not in listed.stdout
    assert path in listed.stderr

    r = httpx.post(start_gateway() + "/v1/messages", json=MESSAGE)
    assert r.status_code == 503
    message = r.json()["error"]["message"]
    assert path in message and "`codex2claudecode login`" in message
    assert "`codex login`" not in message


def test_import_from_a_directory_reads_its_auth_json(env: Env) -> None:
    empty = env.home / "empty"
    empty.mkdir()
    result = _cli(env, "accounts", "import", "--from", str(empty))
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"codex2claudecode: There is no Codex CLI login in {empty}/auth.json."
    )
    assert "Errno" not in result.stderr
