"""The Codex accounts behind the backend follow the accounts file (no network here)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from codex2claudecode import errors
from codex2claudecode.backends.codex.pool import CodexPool
from codex2claudecode.config import Config
from codex2claudecode.http_client import SharedSession
from tests.fakes.oauth import make_jwt

AUTH = "https://api.openai.com/auth"


def entry(account_id: str, **fields: object) -> dict[str, object]:
    access = make_jwt({"exp": int(time.time()) + 3600, AUTH: {"chatgpt_account_id": account_id}})
    return {
        "type": "oauth",
        "access": access,
        "refresh": f"rt-{account_id}",
        "accountId": account_id,
        **fields,
    }


class Files:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.state = home / "state"
        self.state.mkdir()

    def accounts(self, *entries: dict[str, object]) -> None:
        path = self.state / "auth-codex.json"
        path.write_text(json.dumps(list(entries)))

    def config(self, **extra: str) -> Config:
        env = {"HOME": str(self.home), "CODEX2CLAUDECODE_HOME": str(self.state), **extra}
        return Config.load(env)


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)


def pool_of(files: Files, *, recheck_interval: float = 0, **extra: str) -> CodexPool:
    return CodexPool(files.config(**extra), SharedSession(), recheck_interval=recheck_interval)


def keys(pool: CodexPool, session: str | None = None) -> list[str]:
    return [m.key for m in pool.choose(session)]


async def test_each_account_gets_its_own_credentials(files: Files) -> None:
    files.accounts(entry("acct-a"), entry("acct-b"))
    pool = pool_of(files)
    a, b = pool.choose(None)
    assert (await a.handle.auth.credentials()).account_id == "acct-a"
    assert (await b.handle.auth.credentials()).account_id == "acct-b"


def test_accounts_added_and_removed_while_running(files: Files) -> None:
    files.accounts(entry("acct-a"))
    pool = pool_of(files)
    [a] = pool.choose(None)
    files.accounts(entry("acct-a"), entry("acct-b", name="work"))
    assert keys(pool) == ["acct-a", "acct-b"]
    assert pool.choose(None)[0].handle is a.handle  # built once, kept
    files.accounts(entry("acct-b"))
    assert keys(pool) == ["acct-b"]


def test_changes_are_looked_for_at_most_once_per_interval(files: Files) -> None:
    files.accounts(entry("acct-a"))
    pool = pool_of(files, recheck_interval=3600)
    assert keys(pool) == ["acct-a"]
    files.accounts(entry("acct-a"), entry("acct-b"))
    assert keys(pool) == ["acct-a"]


def test_reload_reads_the_accounts_again_at_once(files: Files) -> None:
    files.accounts(entry("acct-a"))
    pool = pool_of(files, recheck_interval=3600)
    assert keys(pool) == ["acct-a"]
    files.accounts(entry("acct-a"), entry("acct-b"))
    pool.reload()
    assert keys(pool) == ["acct-a", "acct-b"]


def test_without_accounts_a_login_is_picked_up_at_once(files: Files) -> None:
    pool = pool_of(files, recheck_interval=3600)
    with pytest.raises(errors.NoAccount, match="No Codex account found"):
        pool.choose(None)
    files.accounts(entry("acct-a"))
    assert keys(pool) == ["acct-a"]


def test_an_empty_accounts_file_says_so(files: Files) -> None:
    files.accounts()
    with pytest.raises(errors.NoAccount, match="does not contain any accounts"):
        pool_of(files).choose(None)


def test_codex_auth_account_picks_the_active_account_by_any_name(files: Files) -> None:
    files.accounts(entry("acct-a"), entry("acct-b", name="work"))
    assert keys(pool_of(files, CODEX_AUTH_ACCOUNT="work")) == ["acct-b", "acct-a"]


def test_an_unknown_codex_auth_account_is_no_account(files: Files) -> None:
    files.accounts(entry("acct-a"))
    with pytest.raises(errors.NoAccount, match="nobody"):
        pool_of(files, CODEX_AUTH_ACCOUNT="nobody").choose(None)


def test_the_account_info_file_names_the_active_account(files: Files) -> None:
    files.accounts(entry("acct-a"), entry("acct-b"))
    info = files.state / ".account-info.json"
    info.write_text(json.dumps({"activeAccount": "acct-b", "accounts": {}}))
    pool = pool_of(files)
    assert keys(pool) == ["acct-b", "acct-a"]
    info.write_text("{not json")
    assert keys(pool) == ["acct-a", "acct-b"]


def test_the_codex_cli_login_alone_is_one_account(files: Files) -> None:
    codex = files.home / ".codex"
    codex.mkdir()
    tokens = {"access_token": entry("acct-cli")["access"], "refresh_token": "rt"}
    (codex / "auth.json").write_text(json.dumps({"tokens": tokens}))
    assert keys(pool_of(files)) == ["acct-cli"]
