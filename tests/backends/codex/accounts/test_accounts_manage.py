"""Managing several accounts in the Codex store: upsert, import, summaries, active, remove."""

from __future__ import annotations

import json
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from codex2claudecode.backends.codex.accounts.account_info import NEEDS_LOGIN
from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials
from codex2claudecode.backends.codex.accounts.summary import AccountSummary
from codex2claudecode.errors import NoAccount
from tests.backends.codex.accounts.conftest import Files
from tests.fakes.oauth import AUTH_CLAIM, PROFILE_CLAIM, make_jwt

NOW = 1_800_000_000.0


def access(account_id: str, *, email: str = "me@x.com", exp: float = NOW + 3600) -> str:
    return make_jwt(
        {
            "exp": int(exp),
            AUTH_CLAIM: {"chatgpt_account_id": account_id, "chatgpt_plan_type": "plus"},
            PROFILE_CLAIM: {"email": email},
        }
    )


def creds(account_id: str = "acct-1", *, email: str = "me@x.com", **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "access_token": access(account_id, email=email),
        "refresh_token": f"rt-{account_id}",
        "id_token": None,
        "expires_at": NOW + 3600,
        "account_id": account_id,
        "email": email,
        "plan": "plus",
        "key": account_id,
    }
    fields.update(overrides)
    return CodexCredentials(**fields)


def cli_document(account_id: str, refresh: str = "cli-rt", **extra: Any) -> dict[str, Any]:
    return {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": make_jwt({"email": "cli@x.com"}),
            "access_token": access(account_id, email="cli@x.com"),
            "refresh_token": refresh,
            "account_id": account_id,
        },
        "last_refresh": "2025-01-01T00:00:00Z",
        **extra,
    }


def private(path: Path) -> bool:
    return sys.platform == "win32" or stat.S_IMODE(path.stat().st_mode) == 0o600


# ---------------------------------------------------------------------- upsert


def test_first_account_creates_an_array_and_becomes_active(files: Files) -> None:
    saved = files.store().upsert(creds("acct-1", id_token=make_jwt({"email": "me@x.com"})))

    assert files.read(files.managed) == [
        {
            "type": "oauth",
            "access": saved.access_token,
            "refresh": "rt-acct-1",
            "expires": int((NOW + 3600) * 1000),
            "accountId": "acct-1",
            "idToken": saved.id_token,
        }
    ]
    assert files.read(files.info)["activeAccount"] == "acct-1"
    assert private(files.managed) and private(files.info)
    assert files.store().load() == saved


def test_same_account_gets_new_tokens_and_keeps_its_settings(files: Files) -> None:
    files.write(
        files.managed,
        {
            "type": "oauth",
            "access": "old",
            "refresh": "old-rt",
            "expires": 1,
            "idToken": "stale-id-token",
            "accountId": "acct-1",
            "name": "work",
            "custom": {"kept": True},
        },
    )

    saved = files.store().upsert(creds("acct-1", expires_at=None))

    document = files.read(files.managed)
    assert isinstance(document, list) and len(document) == 1  # converted to the array shape
    assert document[0] == {
        "type": "oauth",
        "access": saved.access_token,
        "refresh": "rt-acct-1",
        "accountId": "acct-1",
        "name": "work",
        "custom": {"kept": True},
    }


def test_another_account_is_appended_and_becomes_active(files: Files) -> None:
    store = files.store()
    store.upsert(creds("acct-1"))

    store.upsert(creds("acct-2", email="two@x.com"))

    assert [e["accountId"] for e in files.read(files.managed)] == ["acct-1", "acct-2"]
    assert files.read(files.info)["activeAccount"] == "acct-2"
    assert store.load().key == "acct-2"


def test_upserts_from_many_threads_lose_nothing(files: Files) -> None:
    store = files.store()

    def add(worker: int) -> None:
        for i in range(10):
            store.upsert(creds(f"acct-{worker}-{i}"))

    threads = [threading.Thread(target=add, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(files.read(files.managed)) == 40
    assert len(files.read(files.info)["accounts"]) == 40


def test_write_back_updates_the_codex_cli_file_of_the_same_account_only(files: Files) -> None:
    files.write(files.cli, cli_document("acct-1"))
    store = files.store()

    store.upsert(creds("acct-2"), write_back=True)
    assert files.read(files.cli)["tokens"]["refresh_token"] == "cli-rt"

    store.upsert(creds("acct-1"), write_back=True)
    assert files.read(files.cli)["tokens"]["refresh_token"] == "rt-acct-1"


def test_a_new_login_clears_the_needs_login_mark(files: Files) -> None:
    store = files.store()
    first = store.upsert(creds("acct-1"))
    with store.lock():
        store.mark_needs_login_locked(first, "its refresh token was already used")
    assert store.summaries()[0].state(NOW) == "needs login"

    store.upsert(creds("acct-1", refresh_token="rt-new"))

    assert NEEDS_LOGIN not in files.read(files.info)["accounts"]["acct-1"]
    assert store.summaries()[0].state(NOW) == "ok"


# ---------------------------------------------------------------------- import


def test_import_links_the_codex_cli_login_without_network(files: Files) -> None:
    files.write(files.cli, cli_document("acct-cli"))
    before = files.cli.read_bytes()

    saved = files.store().import_codex_cli()

    entry = files.read(files.managed)[0]
    assert entry["sourceAuthFile"] == str(files.cli.absolute())
    assert entry["sourceAccountKey"] == "acct-cli"
    assert (entry["refresh"], saved.email, saved.key) == ("cli-rt", "cli@x.com", "acct-cli")
    assert files.read(files.info)["activeAccount"] == "acct-cli"
    assert files.cli.read_bytes() == before


def test_import_from_another_file(files: Files, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "auth.json"
    files.write(other, cli_document("acct-other"))

    files.store().import_codex_cli(other)

    assert files.read(files.managed)[0]["sourceAuthFile"] == str(other)


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        (None, "no Codex CLI login"),
        ({"auth_mode": "apikey", "OPENAI_API_KEY": "sk"}, "auth_mode 'apikey'"),
        (
            {"tokens": {"access_token": make_jwt({}), "refresh_token": "rt"}},
            "names no ChatGPT account id",
        ),
    ],
)
def test_import_failures(files: Files, document: object, fragment: str) -> None:
    if document is not None:
        files.write(files.cli, document)
    with pytest.raises(NoAccount, match=fragment):
        files.store().import_codex_cli()
    assert not files.managed.exists()


# ---------------------------------------------------------------------- selection


def test_requests_use_the_active_account(files: Files) -> None:
    store = files.store()
    store.upsert(creds("acct-1"))
    store.upsert(creds("acct-2"))
    store.set_active("acct-1")

    assert files.store().load().key == "acct-1"
    assert files.store("acct-2").load().key == "acct-2"  # CODEX_AUTH_ACCOUNT wins


def test_an_unknown_active_account_means_the_first(files: Files) -> None:
    files.store().upsert(creds("acct-1"))
    files.store().upsert(creds("acct-2"))
    info = files.read(files.info)
    files.write(files.info, {**info, "activeAccount": "gone"})

    assert files.store().load().key == "acct-1"


def test_switching_changes_the_fingerprint(files: Files) -> None:
    store = files.store()
    store.upsert(creds("acct-1"))
    store.upsert(creds("acct-2"))
    before = store.fingerprint()

    store.set_active("acct-1")

    assert store.fingerprint() != before


def test_set_active_accepts_email_and_name(files: Files) -> None:
    store = files.store()
    store.upsert(creds("acct-1", email="one@x.com"))
    store.upsert(creds("acct-2"))

    assert store.set_active("one@x.com") == "acct-1"
    assert files.read(files.info)["activeAccount"] == "acct-1"


def test_set_active_unknown_lists_the_keys(files: Files) -> None:
    store = files.store()
    store.upsert(creds("acct-1"))
    with pytest.raises(NoAccount) as info:
        store.set_active("nobody")
    assert "available: acct-1" in info.value.message
    assert "accounts list" in info.value.message


def test_set_active_on_the_codex_cli_login(files: Files) -> None:
    files.write(files.cli, cli_document("acct-cli"))
    store = files.store()

    assert store.set_active("cli@x.com") == "acct-cli"
    assert files.read(files.info)["activeAccount"] == "acct-cli"
    assert not files.managed.exists()
    with pytest.raises(NoAccount, match="available: acct-cli"):
        store.set_active("other")


# ---------------------------------------------------------------------- remove


def test_remove_the_active_account_activates_the_first_left(files: Files) -> None:
    store = files.store()
    store.upsert(creds("acct-1"))
    store.upsert(creds("acct-2"))
    store.upsert(creds("acct-3"))
    store.set_active("acct-2")

    assert store.remove("acct-2") == "acct-2"

    assert [e["accountId"] for e in files.read(files.managed)] == ["acct-1", "acct-3"]
    info = files.read(files.info)
    assert info["activeAccount"] == "acct-1"
    assert list(info["accounts"]) == ["acct-1", "acct-3"]


def test_removing_the_last_account_leaves_an_empty_list(files: Files) -> None:
    files.write(files.managed, {"type": "oauth", "access": access("a"), "refresh": "r"})
    store = files.store()

    store.remove("a")

    assert files.read(files.managed) == []
    assert store.summaries() == []
    with pytest.raises(NoAccount, match="does not contain any accounts"):
        store.load()


def test_the_codex_cli_login_is_never_removed(files: Files) -> None:
    files.write(files.cli, cli_document("acct-cli"))
    before = files.cli.read_bytes()

    with pytest.raises(NoAccount, match="codex logout"):
        files.store().remove("acct-cli")

    assert files.cli.read_bytes() == before
    assert not files.managed.exists()


# ---------------------------------------------------------------------- summaries


def test_summaries_describe_every_account(files: Files, tmp_path: Path) -> None:
    files.write(files.cli, cli_document("acct-2"))
    store = files.store()
    store.upsert(creds("acct-1", email="one@x.com", expires_at=NOW - 5))
    store.import_codex_cli()
    files.write(
        files.managed,
        [*files.read(files.managed), {"type": "oauth", "access": "a", "name": "broken"}],
    )
    store.set_active("acct-1")

    summaries = store.summaries()

    assert summaries[0] == AccountSummary(
        key="acct-1",
        name=None,
        email="one@x.com",
        plan="plus",
        account_id="acct-1",
        expires_at=NOW - 5,
        active=True,
        source=None,
        problem=None,
    )
    assert (summaries[1].key, summaries[1].source, summaries[1].active) == (
        "acct-2",
        files.cli.absolute(),
        False,
    )
    assert summaries[2].key == "broken"
    assert "missing its refresh token" in (summaries[2].problem or "")
    assert [s.state(NOW) for s in summaries] == ["expired", "ok", "needs login"]


def test_the_needs_login_mark_lapses_with_new_tokens(files: Files) -> None:
    store = files.store()
    saved = store.upsert(creds("acct-1"))
    with store.lock():
        store.mark_needs_login_locked(saved, "its refresh token was already used")

    assert store.summaries()[0].problem == "its refresh token was already used"
    mark = files.read(files.info)["accounts"]["acct-1"][NEEDS_LOGIN]
    assert saved.refresh_token not in json.dumps(mark)

    # Another program (the Codex CLI sync, a refresh elsewhere) stores new tokens.
    entry = files.read(files.managed)
    entry[0]["refresh"] = "rt-from-elsewhere"
    files.write(files.managed, entry)
    assert store.summaries()[0].state(NOW) == "ok"


def test_summary_of_the_codex_cli_login(files: Files) -> None:
    files.write(files.cli, cli_document("acct-cli"))

    [summary] = files.store().summaries()

    assert (summary.key, summary.email, summary.active, summary.source) == (
        "acct-cli",
        "cli@x.com",
        True,
        files.cli,
    )
    assert [s.active for s in files.store("someone-else").summaries()] == [False]


def test_no_account_is_active_when_the_selector_matches_none(files: Files) -> None:
    files.store().upsert(creds("acct-1"))
    assert [s.active for s in files.store("nobody").summaries()] == [False]
