"""The account files of one throwaway home, for the store tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codex2claudecode.backends.codex.accounts.store import CodexAccountStore

NOW = 1_800_000_000.0


class Files:
    def __init__(self, root: Path) -> None:
        self.managed = root / "state" / "auth-codex.json"
        self.cli = root / "codex-home" / "auth.json"
        self.info = root / "state" / ".account-info.json"

    def write(self, path: Path, document: object) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document))

    def read(self, path: Path) -> Any:
        return json.loads(path.read_text())

    def store(self, account: str | None = None) -> CodexAccountStore:
        return CodexAccountStore(
            self.managed, codex_cli_path=self.cli, account=account, clock=lambda: NOW
        )


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)
