from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codex2claudecode.backends.kiro.accounts.store import KiroAccountStore
from codex2claudecode.errors import NoAccount


def entry(token: str, **fields: Any) -> dict[str, Any]:
    return {
        "accessToken": f"aoa-{token}",
        "refreshToken": f"aor-{token}",
        "expiresAt": "2030-01-01T00:00:00.000Z",
        "region": "us-east-1",
        **fields,
    }


class Files:
    def __init__(self, root: Path) -> None:
        self.managed = root / "state" / "kiro-state.json"
        self.ide = root / "sso" / "kiro-auth-token.json"

    def write(self, path: Path, document: object) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document))

    def read(self, path: Path) -> Any:
        return json.loads(path.read_text())

    def store(self, account: str | None = None) -> KiroAccountStore:
        return KiroAccountStore(self.managed, ide_path=self.ide, account=account)


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)


def test_without_managed_file_the_ide_file_is_read(files: Files) -> None:
    files.write(files.ide, entry("ide", label="mine"))
    assert files.store().load().access_token == "aoa-ide"


def test_the_managed_file_wins_over_the_ide_file(files: Files) -> None:
    files.write(files.ide, entry("ide"))
    files.write(
        files.managed,
        {"activeAccount": "b", "accounts": [entry("a", label="a"), entry("b", label="b")]},
    )
    assert files.store().load().access_token == "aoa-b"


@pytest.mark.parametrize(
    ("selector", "token"),
    [("second@example.com", "2"), ("arn:two", "2"), ("us-east-1:account-1", "1"), ("first", "1")],
)
def test_selection_by_any_alias(files: Files, selector: str, token: str) -> None:
    files.write(
        files.ide,
        [entry("1", label="first"), entry("2", email="second@example.com", profileArn="arn:two")],
    )
    assert files.store(selector).load().access_token == f"aoa-{token}"


def test_an_unknown_selector_is_an_error_but_an_unknown_active_is_not(files: Files) -> None:
    files.write(files.managed, {"activeAccount": "gone", "accounts": [entry("1"), entry("2")]})
    assert files.store().load().access_token == "aoa-1"
    with pytest.raises(NoAccount, match="holds no account 'x'"):
        files.store("x").load()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "The Kiro token file .* is not valid JSON"),
        ("[1]", "does not hold a JSON object per account"),
        ('{"accounts": []}', "holds no login"),
        (json.dumps(entry("1", region="attacker.example/#")), "invalid AWS region"),
    ],
)
def test_unusable_files(files: Files, content: str, message: str) -> None:
    files.ide.parent.mkdir(parents=True)
    files.ide.write_text(content)
    with pytest.raises(NoAccount, match=message):
        files.store().load()


def test_no_file_says_how_to_sign_in(files: Files) -> None:
    with pytest.raises(NoAccount, match="accounts import --provider kiro"):
        files.store().load()


def test_import_links_the_managed_entry_to_the_ide_file(files: Files) -> None:
    files.write(files.ide, entry("ide", label="work", profileArn="arn:work", sourceAuthFile="x"))

    files.store().import_ide()

    document = files.read(files.managed)
    assert document["activeAccount"] == "arn:work"
    [imported] = document["accounts"]
    assert imported["sourceAuthFile"] == str(files.ide)
    assert (imported["sourceAccountIndex"], imported["sourceAccountKey"]) == (0, "arn:work")
    assert imported["label"] == "work"


def test_upsert_use_and_remove(files: Files) -> None:
    store = files.store()
    store.upsert(entry("1", label="first", profileArn="arn:shared"))
    store.upsert(entry("2", label="second", profileArn="arn:shared"))
    store.upsert(entry("3", label="first", profileArn="arn:shared"))  # same label: same account

    document = files.read(files.managed)
    assert [e["accessToken"] for e in document["accounts"]] == ["aoa-3", "aoa-2"]

    assert store.set_active("second") == "arn:shared"
    # Both share the social profile ARN, so the active account is named by its label.
    assert files.read(files.managed)["activeAccount"] == "second"
    assert files.store().load().access_token == "aoa-2"

    store.remove("first")
    assert [e["label"] for e in files.read(files.managed)["accounts"]] == ["second"]
    with pytest.raises(NoAccount, match="holds no Kiro account"):
        store.remove("first")


def test_the_ide_login_is_never_removed(files: Files) -> None:
    files.write(files.ide, entry("ide", label="mine"))
    with pytest.raises(NoAccount, match="never deletes"):
        files.store().remove("mine")
    assert files.ide.exists()


def test_summaries_hold_no_secret(files: Files) -> None:
    files.write(files.managed, {"accounts": [entry("1", label="a"), entry("2", region="bad")]})
    summaries = files.store().summaries()
    assert [s.active for s in summaries] == [True, False]
    assert summaries[1].problem is not None and "invalid AWS region" in summaries[1].problem
    assert "aoa-" not in repr(summaries) and "aor-" not in repr(summaries)
