from __future__ import annotations

import json
import stat
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.config import Config
from codex2claudecode.errors import NoAccount
from tests.backends.codex.accounts.conftest import Files
from tests.fakes.oauth import AUTH_CLAIM, make_jwt

NOW = 1_800_000_000.0


def token(
    account_id: str | None = "acct-1",
    *,
    email: str = "me@x.com",
    exp: float = NOW + 3600,
    plan: str = "plus",
    serial: int = 0,
) -> str:
    claims: dict[str, Any] = {"exp": int(exp), "email": email, "jti": serial}
    if account_id is not None:
        claims[AUTH_CLAIM] = {"chatgpt_account_id": account_id, "chatgpt_plan_type": plan}
    return make_jwt(claims)


def entry(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "oauth",
        "access": token(),
        "refresh": "rt-1",
        "expires": int((NOW + 3600) * 1000),
        "accountId": "acct-1",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def cli_document(access: str, refresh: str = "cli-rt", **tokens: Any) -> dict[str, Any]:
    return {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {"id_token": None, "access_token": access, "refresh_token": refresh, **tokens},
        "last_refresh": "2025-01-01T00:00:00Z",
        "future_cli_field": {"kept": True},
    }


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------------- loading


def test_from_config_uses_the_configured_paths(tmp_path: Path) -> None:
    config = Config.load({"HOME": str(tmp_path), "CODEX_AUTH_ACCOUNT": "work"})
    store = CodexAccountStore.from_config(config)
    assert store.path == tmp_path / ".codex2claudecode" / "auth-codex.json"
    assert store.codex_cli_path == tmp_path / ".codex" / "auth.json"
    assert store.account == "work"


def test_load_single_object(files: Files) -> None:
    files.write(files.managed, entry(name="work"))

    creds = files.store().load()

    assert creds == CodexCredentials(
        access_token=token(),
        refresh_token="rt-1",
        id_token=None,
        expires_at=NOW + 3600,
        account_id="acct-1",
        email="me@x.com",
        plan="plus",
        key="acct-1",
    )


def test_expiry_falls_back_to_the_access_token(files: Files) -> None:
    files.write(files.managed, entry(expires=None, access=token(exp=NOW + 99)))
    assert files.store().load().expires_at == NOW + 99


def test_tokens_are_cleaned(files: Files) -> None:
    files.write(files.managed, entry(refresh=' "rt-\n1" '))
    assert files.store().load().refresh_token == "rt-1"


ACCOUNTS = [
    entry(accountId="acct-a", name="first", access=token("acct-a")),
    entry(accountId=None, access=token(None), email="b@x.com", label="second-label", name="second"),
    entry(accountId=None, access=token(None), name="third", sourceAccountKey="src-key"),
    entry(accountId=None, access=token("jwt-d")),
]


@pytest.mark.parametrize(
    ("selector", "index", "key"),
    [
        (None, 0, "acct-a"),
        ("acct-a", 0, "acct-a"),
        ("first", 0, "acct-a"),
        ("b@x.com", 1, "b@x.com"),
        ("second-label", 1, "b@x.com"),
        ("second", 1, "b@x.com"),
        ("third", 2, "third"),
        ("src-key", 2, "third"),
        ("jwt-d", 3, "jwt-d"),
    ],
)
def test_selection(files: Files, selector: str | None, index: int, key: str) -> None:
    files.write(files.managed, ACCOUNTS)

    creds = files.store(selector).load()

    assert creds.key == key
    assert creds.access_token == ACCOUNTS[index]["access"]


def test_key_falls_back_to_position(files: Files) -> None:
    files.write(files.managed, [entry(), entry(accountId=None, access=token(None), email=None)])
    assert files.store().keys() == ["acct-1", "account-2"]
    assert files.store("account-2").load().key == "account-2"


def test_unknown_account_lists_the_available_keys(files: Files) -> None:
    files.write(files.managed, ACCOUNTS)

    with pytest.raises(NoAccount) as info:
        files.store("nobody").load()

    message = info.value.message
    assert "'nobody'" in message
    assert "acct-a, b@x.com, third, jwt-d" in message
    assert "CODEX_AUTH_ACCOUNT" in message


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ([], "does not contain any accounts"),
        (entry(type="api"), "not an oauth account"),
        (entry(refresh=None), "missing its refresh token"),
        (entry(access=" "), "missing its access token"),
        ("a string", "must hold an account object"),
        ([entry(), 3], "must hold an account object"),
    ],
)
def test_invalid_managed_file(files: Files, document: object, fragment: str) -> None:
    files.write(files.managed, document)
    with pytest.raises(NoAccount, match=fragment):
        files.store().load()


def test_invalid_json_names_the_file(files: Files) -> None:
    files.managed.parent.mkdir(parents=True)
    files.managed.write_text("{")
    with pytest.raises(NoAccount) as info:
        files.store().load()
    assert str(files.managed) in info.value.message


def test_falls_back_to_the_codex_cli_file(files: Files) -> None:
    id_token = make_jwt({"email": "cli@x.com", AUTH_CLAIM: {"chatgpt_plan_type": "pro"}})
    files.write(files.cli, cli_document(token("acct-cli", exp=NOW + 60), id_token=id_token))

    creds = files.store().load()

    assert (creds.account_id, creds.key, creds.email, creds.plan) == (
        "acct-cli",
        "acct-cli",
        "cli@x.com",
        "pro",
    )
    assert creds.expires_at == NOW + 60
    assert (creds.refresh_token, creds.id_token) == ("cli-rt", id_token)


def test_codex_cli_account_id_field_wins(files: Files) -> None:
    files.write(files.cli, cli_document(token("from-jwt"), account_id="from-field"))
    assert files.store().load().account_id == "from-field"


def test_codex_cli_selection_must_match(files: Files) -> None:
    files.write(files.cli, cli_document(token("acct-cli")))
    assert files.store("me@x.com").load().key == "acct-cli"
    with pytest.raises(NoAccount, match="available: acct-cli"):
        files.store("other").load()


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"auth_mode": "apikey", "OPENAI_API_KEY": "sk-x"}, "auth_mode 'apikey'"),
        ({"auth_mode": "chatgpt", "tokens": {"access_token": "a"}}, "no ChatGPT tokens"),
        ([1], "not a JSON object"),
    ],
)
def test_unusable_codex_cli_file(files: Files, document: object, fragment: str) -> None:
    files.write(files.cli, document)
    with pytest.raises(NoAccount, match=fragment):
        files.store().load()


def test_no_account_anywhere_says_what_to_do(files: Files) -> None:
    with pytest.raises(NoAccount) as info:
        files.store().load()
    assert "codex2claudecode login" in info.value.message
    assert "CODEX_AUTH_FILE" in info.value.message


def test_fingerprint_follows_both_files(files: Files) -> None:
    store = files.store()
    empty = store.fingerprint()
    files.write(files.cli, cli_document(token()))
    with_cli = store.fingerprint()
    files.write(files.managed, entry())
    assert len({empty, with_cli, store.fingerprint()}) == 3


# ---------------------------------------------------------------------- saving


def refreshed(creds: CodexCredentials, serial: int = 1) -> CodexCredentials:
    return replace(
        creds,
        access_token=token(creds.account_id, exp=NOW + 7200, serial=serial),
        refresh_token=f"rt-new-{serial}",
        id_token=make_jwt({"email": "me@x.com"}),
        expires_at=NOW + 7200,
    )


def test_save_replaces_only_the_selected_entry_and_keeps_unknown_keys(files: Files) -> None:
    original = [
        entry(accountId="a", name="one", extra={"keep": 1}),
        entry(accountId="b", access=token("b"), name="two", futureField="kept"),
    ]
    files.write(files.managed, original)
    store = files.store("two")
    creds = store.load()

    saved = store.save(refreshed(creds))

    document = files.read(files.managed)
    assert document[0] == original[0]
    assert document[1] == {
        **original[1],
        "access": saved.access_token,
        "refresh": "rt-new-1",
        "expires": int((NOW + 7200) * 1000),
        "idToken": saved.id_token,
    }
    assert saved.key == "b" and saved.refresh_token == "rt-new-1"
    assert store.load() == saved


def test_save_keeps_the_object_shape_and_pretty_prints(files: Files) -> None:
    files.write(files.managed, entry())
    store = files.store()

    store.save(refreshed(store.load()))

    text = files.managed.read_text()
    document = json.loads(text)
    assert isinstance(document, dict)
    assert text == json.dumps(document, indent=2) + "\n"
    if sys.platform != "win32":
        assert mode_of(files.managed) == 0o600


def test_save_rereads_the_file_first(files: Files) -> None:
    files.write(files.managed, [entry()])
    store = files.store()
    creds = store.load()
    # Another program adds an account and renames ours between our load and our save.
    files.write(files.managed, [entry(accountId="new", access=token("new")), entry(name="renamed")])

    store.save(refreshed(creds))

    document = files.read(files.managed)
    assert [e["accountId"] for e in document] == ["new", "acct-1"]
    assert document[1]["name"] == "renamed"
    assert document[1]["refresh"] == "rt-new-1"
    assert document[0]["refresh"] == "rt-1"


def test_save_writes_back_to_the_codex_cli_file_of_the_same_account(files: Files) -> None:
    files.write(files.managed, entry())
    files.write(files.cli, cli_document(token("acct-1"), "rt-1"))
    store = files.store()

    saved = store.save(refreshed(store.load()))

    document = files.read(files.cli)
    assert document["tokens"] == {
        "id_token": saved.id_token,
        "access_token": saved.access_token,
        "refresh_token": "rt-new-1",
        "account_id": "acct-1",
    }
    assert document["last_refresh"] == "2027-01-15T08:00:00.000000Z"
    assert document["future_cli_field"] == {"kept": True}
    assert document["OPENAI_API_KEY"] is None
    if sys.platform != "win32":
        assert mode_of(files.cli) == 0o600


@pytest.mark.parametrize(
    "document",
    [
        cli_document(token("someone-else")),
        {"auth_mode": "apikey", "OPENAI_API_KEY": "sk-x", "tokens": {"account_id": "acct-1"}},
    ],
)
def test_save_never_touches_another_accounts_codex_cli_file(
    files: Files, document: dict[str, Any]
) -> None:
    files.write(files.managed, entry())
    files.write(files.cli, document)
    before = files.cli.read_bytes()
    store = files.store()

    store.save(refreshed(store.load()))

    assert files.cli.read_bytes() == before


def test_save_writes_back_to_the_linked_source_file(files: Files, tmp_path: Path) -> None:
    linked = tmp_path / "elsewhere" / "auth.json"
    files.write(files.managed, entry(sourceAuthFile=str(linked), sourceAccountKey="acct-1"))
    files.write(linked, cli_document(token("acct-1")))
    files.write(files.cli, cli_document(token("acct-1")))
    default_before = files.cli.read_bytes()
    store = files.store()

    store.save(refreshed(store.load()))

    assert files.read(linked)["tokens"]["refresh_token"] == "rt-new-1"
    assert files.cli.read_bytes() == default_before


def test_save_in_fallback_mode_updates_the_codex_cli_file_only(files: Files) -> None:
    files.write(files.cli, cli_document(token("acct-cli"), "cli-rt"))
    store = files.store()

    saved = store.save(refreshed(store.load()))

    assert not files.managed.exists()
    assert files.read(files.cli)["tokens"]["refresh_token"] == "rt-new-1"
    assert saved.refresh_token == "rt-new-1"
    assert store.load() == saved


def test_account_info_is_kept_up_to_date_without_tokens(files: Files) -> None:
    files.write(
        files.managed,
        [entry(name="one"), entry(accountId="b", access=token("b", email="b@x.com"))],
    )
    files.write(
        files.info,
        {
            "activeAccount": "b",
            "ui": {"kept": True},
            "accounts": {
                "b": {"name": "old", "updatedAt": "2020-01-01T00:00:00.000Z", "limits": 1},
                "gone": {"name": "removed"},
            },
        },
    )
    store = files.store("acct-1")  # not the active account: "b" stays active

    saved = store.save(refreshed(store.load()))

    info = files.read(files.info)
    assert info == {
        "activeAccount": "b",
        "ui": {"kept": True},
        "accounts": {
            "acct-1": {
                "name": "one",
                "email": "me@x.com",
                "plan": "plus",
                "accountId": "acct-1",
                "updatedAt": "2027-01-15T08:00:00.000Z",
            },
            "b": {
                "name": "old",
                "updatedAt": "2020-01-01T00:00:00.000Z",
                "limits": 1,
                "email": "b@x.com",
                "plan": "plus",
                "accountId": "b",
            },
        },
    }
    text = files.info.read_text()
    assert saved.access_token not in text and saved.refresh_token not in text
    if sys.platform != "win32":
        assert mode_of(files.info) == 0o600


def test_legacy_account_info_map_is_migrated(files: Files) -> None:
    files.write(files.managed, entry())
    files.write(files.info, {"gone": {"name": "x"}})
    store = files.store()

    store.save(refreshed(store.load()))

    info = files.read(files.info)
    assert info["activeAccount"] == "acct-1"
    assert list(info["accounts"]) == ["acct-1"]


# ---------------------------------------------------------------------- adopting


def test_adopts_newer_tokens_of_the_same_account_from_the_codex_cli(files: Files) -> None:
    files.write(files.managed, entry(expires=None, access=token(exp=NOW + 10), custom="kept"))
    newer = token("acct-1", exp=NOW + 5000, serial=9)
    files.write(files.cli, cli_document(newer, "cli-rt-9"))
    store = files.store()

    with store.lock():
        adopted = store.adopt_foreign_locked(store.load())

    assert adopted is not None
    assert (adopted.access_token, adopted.refresh_token) == (newer, "cli-rt-9")
    assert adopted.expires_at == NOW + 5000
    document = files.read(files.managed)
    assert (document["access"], document["refresh"], document["custom"]) == (
        newer,
        "cli-rt-9",
        "kept",
    )
    assert store.load() == adopted


@pytest.mark.parametrize(
    "cli",
    [
        cli_document(token("acct-1", exp=NOW + 10), "cli-rt"),  # older than ours
        cli_document(token("other", exp=NOW + 9999), "cli-rt"),  # another account
        cli_document(token(), "rt-1"),  # the very same tokens
        {"auth_mode": "apikey"},  # unusable
    ],
)
def test_does_not_adopt(files: Files, cli: dict[str, Any]) -> None:
    files.write(files.managed, entry())
    files.write(files.cli, cli)
    store = files.store()
    before = files.managed.read_bytes()

    with store.lock():
        assert store.adopt_foreign_locked(store.load()) is None

    assert files.managed.read_bytes() == before


def test_lock_is_on_the_managed_file(files: Files) -> None:
    store = files.store()
    with store.lock():
        assert (files.managed.parent / "auth-codex.json.lock").exists()


# ---------------------------------------------------------------------- start-up care


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_the_codex_cli_file_gets_start_up_care_without_being_changed(
    files: Files, caplog: pytest.LogCaptureFixture
) -> None:
    """We write refreshed tokens back to the Codex CLI's file: a killed write of ours leaves a
    temp file (holding a refresh token) beside it, which goes once stale; the file itself is
    the CLI's, so a loose mode is said, with the fix, and left as it is."""
    import os
    import tempfile

    files.write(files.cli, cli_document(token()))
    files.cli.chmod(0o644)
    made = []
    for age in (3600, 0):
        fd, name = tempfile.mkstemp(prefix=".auth.json.", suffix=".tmp", dir=files.cli.parent)
        os.close(fd)
        os.utime(name, (NOW - age, NOW - age))
        made.append(Path(name))
    other = files.cli.parent / ".auth.json.before-upgrade.tmp"  # not a name of ours
    other.write_text("{}")
    os.utime(other, (NOW - 3600, NOW - 3600))

    with caplog.at_level("WARNING"):
        files.store().load()
        files.store().load()  # a second store in the process: said once

    stale, fresh = made
    assert not stale.exists() and fresh.exists() and other.exists()
    assert mode_of(files.cli) == 0o644
    warnings = [r.getMessage() for r in caplog.records if "open to other users" in r.getMessage()]
    assert warnings == [
        f"{files.cli} holds the Codex CLI's login tokens and is open to other users (mode 644). "
        f"It is the Codex CLI's file, so it is left as it is; to close it, run: chmod 600 "
        f"{files.cli}"
    ]
