"""Issue 9, third newcomer pass: what a fresh HOME still met, through the real command line
and a real gateway."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from codex2claudecode.backends.kiro.accounts.credentials import format_expiry
from tests.cli_harness import Launched, launch, run_cli

MESSAGE = {
    "model": "claude-sonnet-4.5",
    "max_tokens": 5,
    "messages": [{"role": "user", "content": "hi"}],
}


def test_kiro_import_from_a_directory_reads_its_token_file(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """As `accounts import --from DIR` reads DIR/auth.json for Codex."""
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "kiro-auth-token.json").write_text(
        json.dumps(
            {
                "accessToken": "aoa-1",
                "refreshToken": "aor-1",
                "expiresAt": format_expiry(time.time() + 3600),
                "region": "us-east-1",
                "authMethod": "social",
                "provider": "Github",
                "profileArn": "arn:aws:codewhisperer:us-east-1:1:profile/ABCDEF123",
            }
        )
    )
    result = run_cli(cli_env, "accounts", "import", "--provider", "kiro", "--from", str(folder))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"Imported from {folder}: Kiro account kiro-github-us-east-1-def123, social, us-east-1;"
    )

    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli(cli_env, "accounts", "import", "--provider", "kiro", "--from", str(empty))
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"codex2claudecode: There is no Kiro IDE login in {empty}/kiro-auth-token.json."
    )
    assert "Errno" not in result.stderr and "Is a directory" not in result.stderr


def test_kiro_without_an_account_says_where_it_looked_as_codex_does(
    cli_env: dict[str, str], start: list[Launched], tmp_path: Path
) -> None:
    gateway = launch(start, cli_env, "--provider", "kiro", "--port", "0")
    for route, body in (
        ("/v1/messages", MESSAGE),
        ("/v1/chat/completions", MESSAGE),
        ("/v1/responses", {"model": "claude-sonnet-4.5", "input": "hi"}),
    ):
        r = httpx.post(gateway.url + route, json=body, timeout=20)
        assert r.status_code == 503, (route, r.text)
        message = r.json()["error"]["message"]
        assert message == (
            f"No Kiro account found (looked for {tmp_path}/state/kiro-state.json and {tmp_path}"
            "/.aws/sso/cache/kiro-auth-token.json). Sign in with the Kiro IDE, then run "
            "`codex2claudecode accounts import --provider kiro`; or add one from its tokens with "
            "`codex2claudecode accounts add --provider kiro --region REGION`."
        ), route


def test_limits_with_our_own_accounts_file_broken_fails_in_words(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """It was a traceback for Codex, and "no accounts yet" (exit 0) for Kiro."""
    state = tmp_path / "state"
    state.mkdir()
    for name, provider, text in (
        ("auth-codex.json", "codex", "Codex accounts file {path} is not valid JSON"),
        ("kiro-state.json", "kiro", "The Kiro token file {path} is not valid JSON"),
    ):
        path = state / name
        path.write_text("{broken")
        for json_flag in ((), ("--json",)):
            result = run_cli(cli_env, "limits", "--provider", provider, *json_flag)
            assert result.returncode == 1, result.stdout
            assert result.stdout == ""
            [line] = result.stderr.splitlines()
            assert line.startswith("codex2claudecode: " + text.format(path=path))
