"""`accounts ... --provider kiro` through the real command line (`cli.main`)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from codex2claudecode.cli import main

ENTRY = {
    "accessToken": "aoa-SECRET-ACCESS",
    "refreshToken": "aor-SECRET-REFRESH",
    "expiresAt": "2030-01-01T00:00:00.000Z",
    "region": "us-east-1",
    "authMethod": "social",
    "profileArn": "arn:aws:codewhisperer:us-east-1:1:profile/SOCIAL",
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CODEX2CLAUDECODE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("KIRO_AUTH_FILE", str(tmp_path / "sso" / "kiro-auth-token.json"))
    monkeypatch.setenv("KIRO_PROFILE_FILE", str(tmp_path / "profile.json"))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex"))
    for name in ("UPSTREAM_PROVIDER", "KIRO_AUTH_ACCOUNT", "CODEX_AUTH_ACCOUNT", "CODEX_AUTH_FILE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def write_ide(home: Path, document: object) -> None:
    path = home / "sso" / "kiro-auth-token.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))


def managed(home: Path) -> Any:
    return json.loads((home / "state" / "kiro-state.json").read_text())


def test_import_then_list(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_ide(home, {**ENTRY, "label": "work"})

    assert main(["accounts", "import", "--provider", "kiro"]) == 0
    out = capsys.readouterr().out
    assert "it is now the active Kiro account" in out
    assert "--provider kiro" in out  # the gateway still serves Codex by default

    assert main(["accounts", "list", "--provider", "kiro"]) == 0
    out = capsys.readouterr().out
    assert "social" in out and "us-east-1" in out and "work" in out and "ok" in out
    assert "SECRET" not in out
    [entry] = managed(home)["accounts"]
    assert entry["sourceAuthFile"].endswith("kiro-auth-token.json")


def test_add_reads_both_tokens_from_stdin(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("'aoa-pasted'\n aor-pa sted \n"))

    code = main(
        ["accounts", "add", "--provider", "kiro", "--region", "eu-west-1", "--label", "manual"]
    )

    assert code == 0, capsys.readouterr().err
    document = managed(home)
    [entry] = document["accounts"]
    assert (entry["accessToken"], entry["refreshToken"]) == ("aoa-pasted", "aor-pasted")
    assert entry["expiresAt"] == "1970-01-01T00:00:00.000Z"
    assert entry["authMethod"] == "social" and document["activeAccount"] == "manual"
    assert "refreshed (and so checked) on first use" in capsys.readouterr().out


def test_add_an_idc_account_needs_its_client(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a\nb\n"))
    argv = ["accounts", "add", "--provider", "kiro", "--region", "us-east-1", "--kind", "idc"]

    assert main(argv) == 1
    assert "--client-id and --client-secret" in capsys.readouterr().err


def test_add_rejects_a_bad_region(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["accounts", "add", "--provider", "kiro", "--region", "attacker.example/#"]
    assert main(argv) == 1
    assert "valid AWS region" in capsys.readouterr().err


def test_use_and_remove(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_ide(home, {**ENTRY, "label": "one"})
    main(["accounts", "import", "--provider", "kiro"])
    write_ide(home, {**ENTRY, "label": "two", "accessToken": "aoa-2", "refreshToken": "aor-2"})
    main(["accounts", "import", "--provider", "kiro"])
    capsys.readouterr()

    assert main(["accounts", "use", "one", "--provider", "kiro"]) == 0
    assert managed(home)["activeAccount"] == "one"
    assert "now the active Kiro account" in capsys.readouterr().out

    assert main(["accounts", "remove", "one", "--provider", "kiro"]) == 0
    assert [e["label"] for e in managed(home)["accounts"]] == ["two"]
    assert main(["accounts", "use", "one", "--provider", "kiro"]) == 1
    assert "holds no Kiro account 'one'" in capsys.readouterr().err


def test_accounts_without_provider_follow_the_served_provider(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_ide(home, ENTRY)

    assert main(["accounts", "list", "--offline"]) == 0
    assert "No Codex accounts yet" in capsys.readouterr().out

    monkeypatch.setenv("UPSTREAM_PROVIDER", "kiro")
    assert main(["accounts", "list"]) == 0
    out = capsys.readouterr().out
    assert "Kiro IDE's own login" in out

    monkeypatch.delenv("UPSTREAM_PROVIDER")
    (home / "state").mkdir(exist_ok=True)
    (home / "state" / "provider-config.json").write_text('{"provider": "kiro"}')
    assert main(["accounts", "list"]) == 0
    assert "Kiro IDE's own login" in capsys.readouterr().out
    assert main(["accounts", "list", "--provider", "codex", "--offline"]) == 0
    assert "No Codex accounts yet" in capsys.readouterr().out


def test_kiro_options_are_refused_for_codex(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["accounts", "add", "--region", "us-east-1"]) == 2
    assert "--region only apply to Kiro accounts; add --provider kiro" in capsys.readouterr().err


def test_import_without_ide_login_says_how_to_sign_in(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["accounts", "import", "--provider", "kiro"]) == 1
    err = capsys.readouterr().err
    assert "Sign in with the Kiro IDE" in err and "accounts import --provider kiro" in err


def test_accounts_go_by_short_names_and_still_by_key(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 9: IDE logins have no e-mail, so they are shown and chosen by a short name."""
    google = {**ENTRY, "provider": "Google"}
    state = home / "state" / "kiro-state.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"accounts": [google, {**google, "refreshToken": "aor-2"}]}))

    assert main(["accounts", "list", "--provider", "kiro"]) == 0
    listed = capsys.readouterr().out
    assert "*  kiro-google-us-east-1-social " in listed
    assert "\n   kiro-google-us-east-1-social-2 " in listed
    assert ENTRY["profileArn"] not in listed

    assert main(["accounts", "use", "KIRO-GOOGLE-us-east-1-social-2", "--provider", "kiro"]) == 0
    assert capsys.readouterr().out.startswith(
        "kiro-google-us-east-1-social-2 is now the active Kiro account"
    )
    assert managed(home)["activeAccount"] == "us-east-1:account-2"

    assert main(["accounts", "use", str(ENTRY["profileArn"]), "--provider", "kiro"]) == 0
    assert capsys.readouterr().out.startswith(
        "kiro-google-us-east-1-social is now the active Kiro account"
    )

    assert main(["accounts", "use", "nobody", "--provider", "kiro"]) == 1
    assert "(available: kiro-google-us-east-1-social, kiro-google-us-east-1-social-2)" in (
        capsys.readouterr().err
    )
