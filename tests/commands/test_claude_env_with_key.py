"""`claude-env set --with-key`: a generated local API key, written for Claude Code and required
by the gateway from its next start (issue 10, for shared machines)."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import anthropic
import httpx
import pytest

from codex2claudecode.cli import build_gateway
from codex2claudecode.config import Config
from codex2claudecode.server.local_key import read_local_key
from tests.commands.test_claude_env_command import config, env_of, repo, run  # noqa: F401
from tests.fakes.server import run_app

COUNT = {"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]}


def settings_path(cfg: Config) -> Path:
    return cfg.claude_config_dir / "settings.json"


def test_with_key_generates_one_key_writes_it_and_keeps_it(
    config: Config,  # noqa: F811  (the imported fixture)
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(config, "claude-env", "set", "--with-key") == 0
    key = read_local_key(config.local_key_path)
    assert key is not None and key.startswith("c2cc-") and len(key) > 40
    assert stat.S_IMODE(config.local_key_path.stat().st_mode) == 0o600
    assert env_of(settings_path(config))["ANTHROPIC_AUTH_TOKEN"] == key
    out = capsys.readouterr().out
    assert "restart the gateway" in out
    assert key not in out  # shown masked only

    # Again: the same key, nothing regenerated; a plain `set` keeps writing it too.
    assert run(config, "claude-env", "set", "--with-key") == 0
    assert run(config, "claude-env", "set") == 0
    assert read_local_key(config.local_key_path) == key
    assert env_of(settings_path(config))["ANTHROPIC_AUTH_TOKEN"] == key
    assert "Generated" not in capsys.readouterr().out


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_with_key_makes_settings_others_could_read_private(
    config: Config,  # noqa: F811  (the imported fixture)
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = settings_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"theme": "dark"}\n')
    path.chmod(0o644)

    assert run(config, "claude-env", "set", "--with-key") == 0

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["theme"] == "dark"
    assert "made the file private" in capsys.readouterr().out


def test_a_password_wins_over_the_local_key(tmp_path: Path, repo: Path) -> None:  # noqa: F811
    cfg = Config(
        home=tmp_path / "state", claude_config_dir=tmp_path / "claude", port=8899, password="pw"
    )
    assert run(cfg, "claude-env", "set", "--with-key") == 0
    assert not cfg.local_key_path.exists()
    assert env_of(settings_path(cfg))["ANTHROPIC_AUTH_TOKEN"] == "pw"


def test_the_gateway_requires_the_local_key_and_claude_codes_settings_carry_it(
    config: Config,  # noqa: F811  (the imported fixture)
) -> None:
    assert run(config, "claude-env", "set", "--with-key") == 0
    token = env_of(settings_path(config))["ANTHROPIC_AUTH_TOKEN"]
    loaded = Config.load(
        {"HOME": str(config.home.parent), "CODEX2CLAUDECODE_HOME": str(config.home)}
    )
    with run_app(build_gateway(loaded).app) as url:
        assert httpx.get(url + "/").json()["config"]["password_protected"] is True
        refused = httpx.post(url + "/v1/messages/count_tokens", json=COUNT)
        assert refused.status_code == 401
        with anthropic.Anthropic(base_url=url, auth_token=token, max_retries=0) as client:
            assert client.messages.count_tokens(**COUNT).input_tokens > 0  # type: ignore[arg-type]
        # API_PASSWORD wins: the local key no longer opens the gateway.
    with_password = Config.load(
        {
            "HOME": str(config.home.parent),
            "CODEX2CLAUDECODE_HOME": str(config.home),
            "API_PASSWORD": "pw",
        }
    )
    with run_app(build_gateway(with_password).app) as url:
        r = httpx.post(url + "/v1/messages/count_tokens", json=COUNT, headers={"x-api-key": token})
        assert r.status_code == 401
        ok = httpx.post(url + "/v1/messages/count_tokens", json=COUNT, headers={"x-api-key": "pw"})
        assert ok.status_code == 200
    assert json.loads(settings_path(config).read_text())["env"]["ANTHROPIC_AUTH_TOKEN"] == token
