from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from codex2claudecode.backends.codex.fast_mode import FastMode
from codex2claudecode.commands import fast_mode
from codex2claudecode.config import Config


def run(config: Config, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="codex2claudecode")
    fast_mode.add_parser(parser.add_subparsers())
    args = parser.parse_args(argv)
    code: int = args.func(args, config)
    return code


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(home=tmp_path / "state")


def test_on_off_and_show(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    gateway = FastMode.from_config(config)

    assert run(config, "config", "fast-mode") == 0
    assert capsys.readouterr().out.startswith("Fast mode is off")

    assert run(config, "config", "fast-mode", "on") == 0
    out = capsys.readouterr().out
    assert out.startswith('Fast mode is on: Codex requests ask for service_tier "priority".')
    assert str(gateway.path) in out
    assert gateway.service_tier() == "priority"

    assert run(config, "config", "fast-mode", "off") == 0
    assert capsys.readouterr().out.startswith("Fast mode is off")
    assert gateway.service_tier() is None
    assert json.loads(gateway.path.read_text()) == {"fastMode": {"enabled": False}}


def test_a_broken_file_is_reported_and_kept(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    path = FastMode.from_config(config).path
    path.parent.mkdir(parents=True)
    path.write_text("{broken")

    assert run(config, "config", "fast-mode", "on") == 1

    assert str(path) in capsys.readouterr().err
    assert path.read_text() == "{broken"


@pytest.mark.parametrize("argv", [["config", "no-such-setting"], ["config", "fast-mode", "maybe"]])
def test_usage_errors(config: Config, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(config, *argv)
    assert exited.value.code == 2
