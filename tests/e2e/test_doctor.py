"""`codex2claudecode doctor`: each check through the real command, against local fakes only."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from tests.e2e.conftest import Env, GatewayFactory


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _doctor(env: Env, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex2claudecode", "doctor", *args],
        env={**env.env(**extra), "PATH": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=_workdir(env),
    )


def _workdir(env: Env) -> str:
    """A project directory apart from HOME (whose .claude is the user scope)."""
    path = env.home / "project"
    path.mkdir(exist_ok=True)
    return str(path)


def _findings(result: subprocess.CompletedProcess[str]) -> dict[str, list[dict[str, str]]]:
    by_check: dict[str, list[dict[str, str]]] = {}
    for finding in json.loads(result.stdout):
        by_check.setdefault(finding["check"], []).append(finding)
    return by_check


def test_a_working_setup_has_no_problem(env: Env) -> None:
    port = str(_free_port())
    setup = subprocess.run(
        [sys.executable, "-m", "codex2claudecode", "claude-env", "set", "--port", port],
        env=env.env(),
        capture_output=True,
        text=True,
        timeout=30,
        cwd=_workdir(env),
    )
    assert setup.returncode == 0, setup.stderr
    result = _doctor(env, "--json", "--port", port)
    assert result.returncode == 0, result.stdout
    found = _findings(result)
    assert [f["status"] for f in found["accounts"]] == ["ok"]
    assert found["accounts"][0]["message"].startswith("e2e@example.com: token valid")
    assert found["upstream"] == [
        {
            "check": "upstream",
            "status": "ok",
            "message": "127.0.0.1 answers (HTTP connection works)",
            "fix": None,
        }
    ]
    assert found["port"][0]["message"] == (
        f"127.0.0.1:{port} is free; start the gateway with `codex2claudecode --port {port}`"
    )
    assert found["claude"][0]["message"] == (
        f"the user settings point Claude Code at http://127.0.0.1:{port}"
    )
    assert found["programs"][0]["status"] == "warning"  # no claude on this PATH
    assert "Traceback" not in result.stderr


def test_no_account_and_no_upstream_are_problems_with_fixes(env: Env) -> None:
    (env.state / "auth-codex.json").unlink()
    closed = f"http://127.0.0.1:{_free_port()}/backend-api"
    result = _doctor(env, CHATGPT_BASE_URL=closed)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "problem  accounts: no Codex account: every request fails" in lines
    assert any(line.startswith("         fix: `") and "login`" in line for line in lines)
    [upstream] = [line for line in lines if line.startswith("problem  upstream:")]
    assert "cannot reach the ChatGPT backend at 127.0.0.1: the connection failed" in upstream
    assert "HTTPS_PROXY" in upstream
    assert "warning  claude: Claude Code's settings do not point at a gateway" in result.stdout


def test_a_running_gateway_on_the_port_is_fine(env: Env, start_gateway: GatewayFactory) -> None:
    url = start_gateway()
    port = url.rsplit(":", 1)[1]
    found = _findings(_doctor(env, "--json", "--port", port))
    assert found["port"][0] == {
        "check": "port",
        "status": "ok",
        "message": f"a codex2claudecode gateway is running on 127.0.0.1:{port}",
        "fix": None,
    }
