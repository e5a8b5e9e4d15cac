from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from codex2claudecode.commands import claude_env
from codex2claudecode.config import Config

USER_SETTINGS = {"model": "opus", "env": {"MY_VAR": "1"}, "permissions": {"allow": []}}


def run(config: Config, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="codex2claudecode")
    claude_env.add_parser(parser.add_subparsers())
    args = parser.parse_args(argv)
    code: int = args.func(args, config)
    return code


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory the command runs in (project and local scopes live there)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)
    return repo


@pytest.fixture
def config(tmp_path: Path, repo: Path) -> Config:
    return Config(home=tmp_path / "state", claude_config_dir=tmp_path / "claude", port=8899)


@pytest.fixture
def user_settings(config: Config) -> Path:
    path = config.claude_config_dir / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(USER_SETTINGS, indent=2))
    return path


def env_of(path: Path) -> dict[str, str]:
    env: dict[str, str] = json.loads(path.read_text())["env"]
    return env


def test_set_writes_the_user_settings_and_reports_without_the_secret(
    tmp_path: Path, user_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Config(
        home=tmp_path / "state",
        claude_config_dir=tmp_path / "claude",
        host="0.0.0.0",
        port=9100,
        password="correct-horse-battery",
    )

    assert run(config, "claude-env", "set") == 0

    env = env_of(user_settings)
    assert env["MY_VAR"] == "1"
    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9100"
    assert env["ANTHROPIC_AUTH_TOKEN"] == "correct-horse-battery"
    assert env["ANTHROPIC_MODEL"] == "gpt-5.5"
    out = capsys.readouterr().out
    assert f"(user scope): {user_settings}" in out
    assert "ANTHROPIC_AUTH_TOKEN=****tery" in out
    assert "correct-horse-battery" not in out
    assert "ANTHROPIC_DEFAULT_HAIKU_MODEL=gpt-5.4-mini" in out
    assert "Saved." in out


def test_without_a_password_the_placeholder_token_is_written(
    config: Config, user_settings: Path
) -> None:
    assert run(config, "claude-env", "set") == 0
    assert env_of(user_settings)["ANTHROPIC_AUTH_TOKEN"] == "codex2claudecode"


def test_set_twice_says_it_is_up_to_date(
    config: Config, user_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(config, "claude-env", "set")
    capsys.readouterr()

    assert run(config, "claude-env", "set") == 0

    assert "Already up to date." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("scope", "relative"),
    [("project", ".claude/settings.json"), ("local", ".claude/settings.local.json")],
)
def test_project_and_local_scopes_write_under_the_working_directory(
    config: Config, repo: Path, scope: str, relative: str
) -> None:
    assert run(config, "claude-env", "set", "--scope", scope) == 0

    assert env_of(repo / relative)["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:8899"
    assert not (config.claude_config_dir / "settings.json").exists()


def test_model_flags_are_remembered_and_blank_returns_to_the_default(
    config: Config, user_settings: Path
) -> None:
    assert run(config, "claude-env", "set", "--model", "gpt-5.4_high", "--haiku", "h") == 0
    assert env_of(user_settings)["ANTHROPIC_MODEL"] == "gpt-5.4_high"
    assert env_of(user_settings)["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "h"

    assert run(config, "claude-env", "set", "--opus", "o") == 0  # the earlier choices stay
    env = env_of(user_settings)
    assert (env["ANTHROPIC_MODEL"], env["ANTHROPIC_DEFAULT_OPUS_MODEL"]) == ("gpt-5.4_high", "o")

    assert run(config, "claude-env", "set", "--model", "") == 0
    assert env_of(user_settings)["ANTHROPIC_MODEL"] == "gpt-5.5"
    draft = json.loads((config.state_dir / ".claude-env.json").read_text())
    draft.pop("originalEnv")  # what the settings held before the first set (none here)
    assert draft == {"ANTHROPIC_DEFAULT_HAIKU_MODEL": "h", "ANTHROPIC_DEFAULT_OPUS_MODEL": "o"}


def test_unset_restores_the_file(
    config: Config, user_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = user_settings.read_bytes()
    run(config, "claude-env", "set")
    capsys.readouterr()

    assert run(config, "claude-env", "unset") == 0

    assert user_settings.read_bytes() == before
    out = capsys.readouterr().out
    assert "removed ANTHROPIC_BASE_URL" in out
    assert "Saved." in out


def test_unset_with_nothing_to_remove(
    config: Config, user_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config, "claude-env", "unset", "--scope", "local") == 0
    assert "Nothing to remove." in capsys.readouterr().out


def test_show_masks_the_token_and_says_what_set_would_change(
    config: Config, user_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(config, "claude-env", "set")
    capsys.readouterr()

    assert run(config, "claude-env", "show") == 0
    out = capsys.readouterr().out
    assert "ANTHROPIC_AUTH_TOKEN=****code" in out
    assert "ANTHROPIC_BASE_URL=http://127.0.0.1:8899" in out
    assert "Up to date with this gateway." in out

    moved = Config(home=config.home, claude_config_dir=config.claude_config_dir, port=9000)
    assert run(moved, "claude-env", "show") == 0
    assert "would change: ANTHROPIC_BASE_URL" in capsys.readouterr().out


def test_show_of_a_missing_file(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "claude-env", "show", "--scope", "project") == 0
    out = capsys.readouterr().out
    assert "(no such file)" in out
    assert "ANTHROPIC_BASE_URL (not set)" in out


def test_a_foreign_api_key_is_kept_with_a_note(
    config: Config, user_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user_settings.write_text(json.dumps({"env": {"ANTHROPIC_API_KEY": "sk-ant-real-key"}}))

    assert run(config, "claude-env", "set") == 0

    assert env_of(user_settings)["ANTHROPIC_API_KEY"] == "sk-ant-real-key"
    out = capsys.readouterr().out
    assert "Note: env also holds ANTHROPIC_API_KEY" in out
    assert "sk-ant-real-key" not in out


@pytest.mark.parametrize("action", ["set", "unset", "show"])
def test_invalid_settings_fail_clearly_and_stay_untouched(
    config: Config, user_settings: Path, capsys: pytest.CaptureFixture[str], action: str
) -> None:
    user_settings.write_text('{"env": {')

    assert run(config, "claude-env", action) == 1

    err = capsys.readouterr().err
    assert str(user_settings) in err
    assert "not valid JSON" in err
    assert user_settings.read_text() == '{"env": {'


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"port": 0}, "fixed port")],
)
def test_refusals(
    config: Config,
    user_settings: Path,
    capsys: pytest.CaptureFixture[str],
    changes: dict[str, object],
    message: str,
) -> None:
    before = user_settings.read_text()

    assert run(config.with_(**changes), "claude-env", "set") == 1

    assert message in capsys.readouterr().err
    assert user_settings.read_text() == before


def test_kiro_writes_kiro_models(config: Config, user_settings: Path) -> None:
    assert run(config.with_(provider="kiro"), "claude-env", "set") == 0
    env = json.loads(user_settings.read_text())["env"]
    assert env["ANTHROPIC_DEFAULT_SONNET_MODEL"] == "claude-sonnet-4.6"


@pytest.mark.parametrize("argv", [["claude-env"], ["claude-env", "set", "--scope", "global"]])
def test_usage_errors(config: Config, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(config, *argv)
    assert exited.value.code == 2
