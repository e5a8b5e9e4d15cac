"""Issue 9 items 11 and 12: limits explained, and the smaller gaps of the command line."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from tests.cli_harness import run_cli
from tests.fakes.oauth import make_jwt


def _closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _codex_cli_login(cli_env: dict[str, str]) -> None:
    access = make_jwt(
        {
            "exp": int(time.time()) + 3600,
            "email": "new@example.com",
            "https://api.openai.com/auth": {
                "chatgpt_account_id": "acct-new",
                "chatgpt_plan_type": "plus",
            },
        }
    )
    home = Path(cli_env["CODEX_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    tokens = {"access_token": access, "refresh_token": "rt", "account_id": "acct-new"}
    (home / "auth.json").write_text(json.dumps({"tokens": tokens}))


def test_limits_offline_are_explained(cli_env: dict[str, str]) -> None:
    _codex_cli_login(cli_env)
    env = {**cli_env, "CHATGPT_BASE_URL": _closed_url()}
    listed = run_cli(env, "accounts", "list")
    assert listed.returncode == 0
    assert "LIMITS: what is left of the 5-hour and the weekly window." in listed.stdout
    assert "? = the limits could not be read: cannot reach the ChatGPT backend at 127.0.0.1" in (
        listed.stdout
    )
    offline = run_cli(env, "accounts", "list", "--offline")
    assert "LIMITS: not asked (--offline)" in offline.stdout

    limits = run_cli(env, "limits", "--json")
    [usage] = json.loads(limits.stdout)
    assert usage["email"] == "new@example.com" and usage["plan"] == "plus"
    assert usage["problem"].startswith("cannot reach the ChatGPT backend")


def test_without_an_account_limits_and_accounts_list_agree(cli_env: dict[str, str]) -> None:
    for args in (["accounts", "list"], ["limits"]):
        result = run_cli(cli_env, *args)
        assert result.returncode == 0, args
        assert "No Codex accounts yet" in result.stdout
    assert run_cli(cli_env, "limits", "--json").stdout == "[]\n"


def test_help_of_every_action_has_a_description(cli_env: dict[str, str]) -> None:
    show = run_cli(cli_env, "claude-env", "show", "--help")
    assert "Reads only; never changes a file." in show.stdout
    fast = run_cli(cli_env, "config", "fast-mode", "--help")
    assert "on: priority tier; off: the default tier" in fast.stdout


def test_config_alone_lists_the_settings_and_values_ignore_case(cli_env: dict[str, str]) -> None:
    listed = run_cli(cli_env, "config")
    assert listed.returncode == 0
    assert "fast-mode (on|off):" in listed.stdout
    assert "Fast mode is off" in listed.stdout
    on = run_cli(cli_env, "config", "fast-mode", "ON")
    assert on.returncode == 0 and "Fast mode is on" in on.stdout


def test_a_stray_argument_shows_the_commands_own_usage(cli_env: dict[str, str]) -> None:
    result = run_cli(cli_env, "login", "--bogus")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "usage: codex2claudecode login [-h] [--device] [--no-browser]",
        "                              [--provider {codex,kiro}]",
        "codex2claudecode login: error: unrecognized arguments: --bogus",
    ]


def test_show_on_invalid_json_does_not_claim_to_have_left_it(cli_env: dict[str, str]) -> None:
    settings = Path(cli_env["CLAUDE_CONFIG_DIR"]) / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{oops")
    show = run_cli(cli_env, "claude-env", "show")
    assert show.returncode == 1
    assert "left unchanged" not in show.stderr and "nothing was changed" not in show.stderr
    assert f"{settings}: it is not valid JSON" in show.stderr
    set_ = run_cli(cli_env, "claude-env", "set")
    assert set_.returncode == 1 and set_.stderr.rstrip().endswith("; nothing was changed")
    assert settings.read_text() == "{oops"


def test_device_login_offline_names_the_host_and_the_proxy(cli_env: dict[str, str]) -> None:
    url = _closed_url()
    result = run_cli({**cli_env, "OPENAI_AUTH_URL": url}, "login", "--device")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "codex2claudecode: cannot reach the OpenAI sign-in server (to start a device sign-in) "
        "at 127.0.0.1: the connection failed ("
    )
    assert "behind a proxy, set HTTPS_PROXY (and NO_PROXY)." in result.stderr
