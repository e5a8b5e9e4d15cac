"""Issue 9 item 3: `claude-env set` remembers the user's own values and `unset` puts them
back; every key it writes is explained; extraEnv / unsetEnv of .claude-env.json work."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli_harness import run_cli


def _settings(cli_env: dict[str, str]) -> Path:
    return Path(cli_env["CLAUDE_CONFIG_DIR"]) / "settings.json"


def test_the_users_model_is_warned_about_kept_and_restored(cli_env: dict[str, str]) -> None:
    path = _settings(cli_env)
    path.parent.mkdir(parents=True)
    original = '{\n  "env": {\n    "ANTHROPIC_MODEL": "my-model",\n    "MINE": "1"\n  }\n}\n'
    path.write_text(original)

    first = run_cli(cli_env, "claude-env", "set")
    assert first.returncode == 0
    assert first.stderr.startswith(
        "warning: ANTHROPIC_MODEL held your own value my-model; it is replaced now and kept in "
    )
    assert first.stderr.rstrip().endswith("codex2claudecode claude-env unset` puts it back.")
    assert json.loads(path.read_text())["env"]["ANTHROPIC_MODEL"] == "gpt-5.5"

    again = run_cli(cli_env, "claude-env", "set", "--model", "gpt-5.4")
    assert again.stderr == ""  # our own earlier value is not the user's

    unset = run_cli(cli_env, "claude-env", "unset")
    assert unset.returncode == 0
    assert "  restored your ANTHROPIC_MODEL=my-model" in unset.stdout
    assert path.read_text() == original
    draft = json.loads((Path(cli_env["CODEX2CLAUDECODE_HOME"]) / ".claude-env.json").read_text())
    assert "originalEnv" not in draft


def test_unset_removes_a_project_file_set_created(cli_env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()

    def cli(*args: str) -> None:
        import subprocess
        import sys

        result = subprocess.run(
            [sys.executable, "-m", "codex2claudecode", *args],
            env=cli_env,
            cwd=project,
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert result.returncode == 0, result.stderr

    cli("claude-env", "set", "--scope", "project")
    assert (project / ".claude" / "settings.json").exists()
    cli("claude-env", "unset", "--scope", "project")
    assert os.listdir(project) == []


def test_extra_env_and_unset_env_of_the_draft(cli_env: dict[str, str]) -> None:
    state = Path(cli_env["CODEX2CLAUDECODE_HOME"])
    state.mkdir(parents=True)
    draft = {"extraEnv": {"DISABLE_TELEMETRY": "1"}, "unsetEnv": ["OLD_PROXY"]}
    (state / ".claude-env.json").write_text(json.dumps(draft))
    path = _settings(cli_env)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"env": {"OLD_PROXY": "x"}}))

    assert run_cli(cli_env, "claude-env", "set").returncode == 0
    env = json.loads(path.read_text())["env"]
    assert env["DISABLE_TELEMETRY"] == "1" and "OLD_PROXY" not in env

    shown = run_cli(cli_env, "claude-env", "show").stdout
    assert f"      extraEnv of {state / '.claude-env.json'}" in shown
    assert "  set deletes (unsetEnv): OLD_PROXY" in shown

    assert run_cli(cli_env, "claude-env", "unset").returncode == 0
    assert json.loads(path.read_text()) == {"env": {"OLD_PROXY": "x"}}


def test_show_explains_every_key_set_writes(cli_env: dict[str, str]) -> None:
    run_cli(cli_env, "claude-env", "set")
    lines = run_cli(cli_env, "claude-env", "show").stdout.splitlines()
    written = [
        line.split("=")[0].strip() for line in lines if line.startswith("  ") and "=" in line
    ]
    assert len(written) == 8
    for key in written:
        explanation = lines[
            lines.index(next(line for line in lines if line.strip().startswith(key + "="))) + 1
        ]
        assert explanation.startswith("      ") and len(explanation.strip()) > 20, key
