from __future__ import annotations

import argparse
import io
import json
import time
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.backends.codex.accounts.summary import AccountSummary
from codex2claudecode.commands import accounts
from codex2claudecode.config import Config
from tests.fakes.codex import FakeCodex
from tests.fakes.oauth import FakeOAuth, TokenSet, make_jwt
from tests.fakes.server import run_app
from tests.fakes.wham import FakeWham, WhamReply


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="codex2claudecode")
    accounts.add_parser(parser.add_subparsers())
    return parser.parse_args(["accounts", *argv])


def config_for(tmp_path: Path, url: str = "http://127.0.0.1:9", **env: str) -> Config:
    # Both upstreams default to a closed loopback port: a test never reaches the internet.
    base = {"HOME": str(tmp_path), "OPENAI_AUTH_URL": url, "CHATGPT_BASE_URL": url}
    return Config.load({**base, **env})


def run(config: Config, *argv: str) -> int:
    args = parse(*argv)
    assert args.func is accounts.run
    code: int = args.func(args, config)
    return code


def write_cli(config: Config, tokens: TokenSet, email: str = "cli@example.com") -> None:
    path = config.codex_cli_auth_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "auth_mode": "chatgpt",
                "tokens": {
                    "id_token": make_jwt({"email": email}),
                    "access_token": tokens.access_token,
                    "refresh_token": tokens.refresh_token,
                    "account_id": tokens.account_id,
                },
            }
        )
    )


def managed(config: Config) -> Any:
    return json.loads(config.codex_auth_path.read_text())


def active(config: Config) -> Any:
    return json.loads((config.state_dir / ".account-info.json").read_text())["activeAccount"]


def add_accounts(config: Config, fake: FakeOAuth, *ids: str) -> list[TokenSet]:
    store = CodexAccountStore.from_config(config)
    issued = []
    for account_id in ids:
        tokens = fake.login(account_id=account_id, email=f"{account_id}@example.com")
        write_cli(config, tokens, email=f"{account_id}@example.com")
        store.import_codex_cli()
        issued.append(tokens)
    config.codex_cli_auth_path.unlink()
    return issued


# ---------------------------------------------------------------------- list


def test_render_table() -> None:
    def summary(key: str, **overrides: Any) -> AccountSummary:
        fields: dict[str, Any] = {
            "key": key,
            "name": None,
            "email": f"{key}@x.com",
            "plan": "plus",
            "account_id": key,
            "expires_at": 1_800_000_000.0,
            "active": False,
            "source": None,
            "problem": None,
        }
        fields.update(overrides)
        return AccountSummary(**fields)

    table = accounts.render_table(
        [
            summary("a", active=True),
            summary("bb", email=None, plan=None, expires_at=None, problem="refused"),
            summary("c", expires_at=1_000.0),
        ],
        now=1_700_000_000.0,
        tz=UTC,
        limits=lambda s: "5h 42% left" if s.key == "a" else "-",
    )

    assert table.splitlines() == [
        "   KEY  EMAIL    PLAN  TOKEN EXPIRES     STATE        LIMITS",
        "*  a    a@x.com  plus  2027-01-15 08:00  ok           5h 42% left",
        "   bb   -        -     -                 needs login  -",
        "   c    c@x.com  plus  1970-01-01 00:16  expired      -",
    ]


def test_list_without_accounts_says_how_to_add_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_for(tmp_path), "list") == 0
    out = capsys.readouterr().out
    assert "No Codex accounts yet" in out
    assert "codex2claudecode login" in out
    assert "accounts import" in out


def test_list_shows_every_account_and_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeOAuth()
    config = config_for(tmp_path)
    first, _ = add_accounts(config, fake, "acct-1", "acct-2")
    store = CodexAccountStore.from_config(config.with_(codex_auth_account="acct-1"))
    with store.lock():
        store.mark_needs_login_locked(store.load(), "its refresh token was already used")

    assert run(config, "list", "--offline") == 0

    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["KEY", "EMAIL", "PLAN", "TOKEN", "EXPIRES", "STATE", "LIMITS"]
    assert lines[1].split()[0] == "acct-1" and lines[1].split()[-2:] == ["login", "-"]
    assert lines[2].split()[:2] == ["*", "acct-2"] and lines[2].split()[-2:] == ["ok", "-"]
    assert "acct-1 needs a new login: its refresh token was already used" in out
    assert "accounts use KEY" in out
    assert first.refresh_token not in out and first.access_token not in out


def test_list_shows_each_accounts_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeOAuth()
    wham = FakeWham(FakeCodex())
    reset = time.time() + 2 * 3600 + 600
    for account_id, used in (("acct-1", 42), ("acct-2", 100)):
        window = {"used_percent": used, "limit_window_seconds": 18000, "reset_at": reset}
        weekly = {"used_percent": 9, "limit_window_seconds": 604800, "reset_at": reset + 86400}
        limits = {"primary_window": window, "secondary_window": weekly}
        wham.answer("usage", account_id, WhamReply({"plan_type": "plus", "rate_limit": limits}))
    with run_app(wham) as url:
        config = config_for(tmp_path, CHATGPT_BASE_URL=url)
        add_accounts(config, fake, "acct-1", "acct-2")
        assert run(config, "list") == 0
    table = capsys.readouterr().out.splitlines()[1:3]
    first = next(line for line in table if "acct-1 " in line)
    second = next(line for line in table if "acct-2 " in line)
    assert first.rstrip().endswith("5h 58% · week 91%")
    assert "limited, back in 2h" in second


def test_list_shows_a_login_found_dead_while_reading_limits(
    served: tuple[FakeOAuth, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, url = served
    config = config_for(tmp_path, url)
    tokens = fake.login(account_id="acct-1", email="one@example.com", expires_in=-10)
    write_cli(config, tokens, email="one@example.com")
    CodexAccountStore.from_config(config).import_codex_cli()
    config.codex_cli_auth_path.unlink()
    fake.refresh_elsewhere(tokens)  # its refresh token was spent by another program

    assert run(config, "list") == 0

    out = capsys.readouterr().out
    row = out.splitlines()[1]
    assert row.split()[:2] == ["*", "acct-1"] and "needs login" in row, out
    assert "acct-1 needs a new login" in out


def test_list_reports_a_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = config_for(tmp_path)
    config.codex_auth_path.parent.mkdir(parents=True)
    config.codex_auth_path.write_text("{")

    assert run(config, "list") == 1
    assert str(config.codex_auth_path) in capsys.readouterr().err


def test_list_names_the_codex_cli_fallback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path)
    write_cli(config, FakeOAuth().login(account_id="acct-cli"))

    assert run(config, "list") == 0

    out = capsys.readouterr().out
    assert "*  acct-cli" in out
    assert "This is the Codex CLI's own login" in out


# ---------------------------------------------------------------------- import


def test_import_links_the_codex_cli_login(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path)
    write_cli(config, FakeOAuth().login(account_id="acct-cli", plan="pro"))

    assert run(config, "import") == 0

    [entry] = managed(config)
    assert entry["sourceAuthFile"] == str(config.codex_cli_auth_path)
    assert active(config) == "acct-cli"
    out = capsys.readouterr().out
    assert "Imported cli@example.com (account acct-cli, plan pro)" in out
    assert "stay in sync with the Codex CLI" in out


def test_import_without_a_codex_cli_login(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config_for(tmp_path), "import") == 1
    assert "codex login" in capsys.readouterr().err


# ---------------------------------------------------------------------- add


def test_add_checks_the_refresh_token_read_from_stdin(
    served: tuple[FakeOAuth, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, url = served
    pasted = fake.login(account_id="acct-5", email="five@example.com")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"  '{pasted.refresh_token}'\n"))
    config = config_for(tmp_path, url)

    assert run(config, "add") == 0

    [entry] = managed(config)
    assert fake.grants == 1
    assert not fake.is_live(pasted.refresh_token)  # spent by the check
    assert fake.is_live(entry["refresh"])
    assert entry["accountId"] == "acct-5"
    assert active(config) == "acct-5"
    out, err = capsys.readouterr()
    assert "Added five@example.com (account acct-5, plan plus)" in out
    assert pasted.refresh_token not in out + err
    assert entry["refresh"] not in out + err


def test_add_with_an_explicit_account_id_and_tokens_on_the_command_line(
    served: tuple[FakeOAuth, str], tmp_path: Path
) -> None:
    fake, url = served
    pasted = fake.login(account_id="acct-jwt")
    config = config_for(tmp_path, url)

    code = run(
        config,
        "add",
        "--account-id",
        " acct-chosen ",
        "--access-token",
        pasted.access_token,
        "--refresh-token",
        pasted.refresh_token,
    )

    assert code == 0
    assert managed(config)[0]["accountId"] == "acct-chosen"
    assert active(config) == "acct-chosen"


def test_add_keeps_the_codex_cli_working_when_it_shares_the_token(
    served: tuple[FakeOAuth, str], tmp_path: Path
) -> None:
    fake, url = served
    shared = fake.login(account_id="acct-1")
    config = config_for(tmp_path, url)
    write_cli(config, shared)

    assert run(config, "add", "--refresh-token", shared.refresh_token) == 0

    cli_tokens = json.loads(config.codex_cli_auth_path.read_text())["tokens"]
    assert cli_tokens["refresh_token"] == managed(config)[0]["refresh"]
    assert fake.is_live(cli_tokens["refresh_token"])


def test_add_into_a_state_directory_taking_no_files_spends_nothing(
    served: tuple[FakeOAuth, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.faults.upstream.test_kiro_faults import taking_no_files

    fake, url = served
    pasted = fake.login(account_id="acct-7")
    config = config_for(tmp_path, url)
    state = config.codex_auth_path.parent
    state.mkdir(parents=True, mode=0o700)

    with taking_no_files(state):
        assert run(config, "add", "--refresh-token", pasted.refresh_token) == 1

    err = capsys.readouterr().err
    assert f"cannot add the account: {state} does not take new files" in err
    assert "`codex2claudecode accounts add` again" in err
    assert fake.grants == 0 and fake.is_live(pasted.refresh_token)  # still the user's to use
    assert list(state.iterdir()) == []


def test_add_whose_save_fails_after_the_grant_keeps_the_login_in_a_rescue_file(
    served: tuple[FakeOAuth, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, url = served
    pasted = fake.login(account_id="acct-8")
    config = config_for(tmp_path, url)
    config.codex_auth_path.mkdir(parents=True)  # the directory takes files, this path does not

    assert run(config, "add", "--refresh-token", pasted.refresh_token) == 1

    [rescue] = config.codex_auth_path.parent.glob("auth-codex.json.rescue-*.json")
    assert rescue.stat().st_mode & 0o777 == 0o600
    saved = json.loads(rescue.read_text())
    assert fake.grants == 1 and fake.is_live(saved["refresh_token"])  # the new login, kept
    err = capsys.readouterr().err
    assert "could NOT be saved" in err and str(rescue) in err
    assert saved["refresh_token"] not in err and pasted.refresh_token not in err


def test_add_with_a_refused_token_stores_nothing_and_hides_it(
    served: tuple[FakeOAuth, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, url = served
    config = config_for(tmp_path, url)

    assert run(config, "add", "--refresh-token", "rt-nobody-knows") == 1

    err = capsys.readouterr().err
    assert "The refresh token check failed: HTTP 400 (Invalid refresh token)" in err
    assert "rt-nobody-knows" not in err
    assert not config.codex_auth_path.exists()


def test_add_with_an_empty_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert run(config_for(tmp_path), "add") == 1
    assert "Refresh token is empty" in capsys.readouterr().err


# ---------------------------------------------------------------------- use and remove


def test_use_switches_the_active_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path)
    add_accounts(config, FakeOAuth(), "acct-1", "acct-2")

    assert run(config, "use", "acct-1@example.com") == 0

    assert active(config) == "acct-1"
    out = capsys.readouterr().out
    assert "acct-1 is now the active Codex account" in out
    assert "CODEX_AUTH_ACCOUNT" not in out


def test_use_warns_when_the_environment_overrides_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path, CODEX_AUTH_ACCOUNT="acct-2")
    add_accounts(config, FakeOAuth(), "acct-1", "acct-2")

    assert run(config, "use", "acct-1") == 0

    assert "CODEX_AUTH_ACCOUNT=acct-2 is set and takes precedence" in capsys.readouterr().out


def test_use_an_unknown_account(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = config_for(tmp_path)
    add_accounts(config, FakeOAuth(), "acct-1")

    assert run(config, "use", "nobody") == 1

    err = capsys.readouterr().err
    assert "'nobody'" in err and "available: acct-1" in err


def test_remove_accounts_until_none_is_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(tmp_path)
    add_accounts(config, FakeOAuth(), "acct-1", "acct-2")

    assert run(config, "remove", "acct-2") == 0
    assert "Removed acct-2.\nActive account: acct-1." in capsys.readouterr().out

    assert run(config, "remove", "acct-1") == 0
    assert "No accounts left; sign in with `codex2claudecode login`" in capsys.readouterr().out
    assert managed(config) == []
