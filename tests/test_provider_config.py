"""`provider-config.json`: the last provider chosen, used when nothing else chooses."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from codex2claudecode.config import Config
from codex2claudecode.provider_config import chosen_provider, read_provider, save_provider


def test_missing_file_means_codex(tmp_path: Path) -> None:
    assert read_provider(tmp_path / "provider-config.json") == "codex"


def test_flag_or_environment_beats_the_file(tmp_path: Path) -> None:
    save_provider(tmp_path / "provider-config.json", "kiro")
    assert chosen_provider(Config(home=tmp_path)) == "kiro"
    assert chosen_provider(Config(home=tmp_path, provider="codex")) == "codex"


def test_saving_keeps_other_keys_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "provider-config.json"
    path.write_text(json.dumps({"provider": "codex", "theme": "dark"}))
    save_provider(path, "kiro")
    assert json.loads(path.read_text()) == {"provider": "kiro", "theme": "dark"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_provider(path) == "kiro"


@pytest.mark.parametrize(
    ("content", "warning"),
    [
        ("{not json", "invalid JSON in provider config"),
        ('{"provider": "bedrock"}', 'unrecognized provider "bedrock"'),
        ("[1, 2]", "unrecognized provider"),
    ],
)
def test_a_broken_file_warns_and_means_codex(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str, warning: str
) -> None:
    path = tmp_path / "provider-config.json"
    path.write_text(content)
    with caplog.at_level(logging.WARNING):
        assert read_provider(path) == "codex"
    assert warning in caplog.text
    save_provider(path, "kiro")  # a broken file is replaced by a good one
    assert read_provider(path) == "kiro"
