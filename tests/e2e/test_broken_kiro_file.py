"""Issue 9 (third pass): a broken Kiro IDE token file is skipped with one warning that names it
and says what to do, as a broken Codex CLI auth.json is; our own Kiro accounts keep working
through every command and the server. Kiro logins are shown by a short name, not their ARN."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import pytest

from tests.cli_harness import Launched, launch
from tests.e2e.conftest import KiroEnv
from tests.fakes.kiro import KiroReply
from tests.fakes.kiro_oauth import SOCIAL_ARN
from tests.fakes.kiro_stream import text_answer

NAME = "kiro-google-us-east-1-social"
"""The short name of the fake's social login (provider Google, region, end of its ARN)."""
MESSAGE = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "hi"}],
}
FIX = "Sign in again with the Kiro IDE (it rewrites the file), then run `"


def _cli(kiro_env: KiroEnv, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex2claudecode", *args],
        env={**kiro_env.env(), "PATH": "/usr/bin:/bin", "CODEX_HOME": str(kiro_env.root / "cx")},
        capture_output=True,
        text=True,
        timeout=20,
    )


def _not_json(path: Path) -> str:
    path.write_text("{not json")
    return "is not valid JSON"


def _a_string(path: Path) -> str:
    path.write_text('"token"')
    return "does not hold a JSON object."


def _no_objects(path: Path) -> str:
    path.write_text("[1, 2]")
    return "does not hold a JSON object per account."


def _missing_fields(path: Path) -> str:
    path.write_text('{"accessToken": "aoa-x", "authMethod": "social", "provider": "Google"}')
    return "holds an unusable account unknown:account-1 (missing string field refreshToken)."


def _directory(path: Path) -> str:
    path.unlink()
    path.mkdir()
    return "cannot be read (Is a directory)."


def _unreadable(path: Path) -> str:
    if os.geteuid() == 0:
        pytest.skip("root reads any file, whatever its mode")
    path.chmod(0)
    return "cannot be read (Permission denied)."


BREAKS: list[Callable[[Path], str]] = [
    _not_json,
    _a_string,
    _no_objects,
    _missing_fields,
    _directory,
    _unreadable,
]


def _warning(stderr: str, kiro_env: KiroEnv, reason: str) -> None:
    """Exactly one line on stderr: the warning that names the file, the reason and the fix."""
    [line] = stderr.splitlines()
    assert line.startswith(
        f"warning: skipped the Kiro IDE's login. The Kiro token file {kiro_env.ide} "
    )
    assert reason in line
    assert FIX in line and "accounts import --provider kiro`" in line
    assert line.count(str(kiro_env.ide)) == 1
    assert "Traceback" not in stderr


@pytest.fixture
def restore(kiro_env: KiroEnv) -> object:
    yield None
    if kiro_env.ide.is_dir():
        shutil.rmtree(kiro_env.ide)
    elif kiro_env.ide.exists():
        kiro_env.ide.chmod(0o600)


@pytest.mark.parametrize("damage", BREAKS, ids=lambda f: f.__name__.strip("_"))
def test_our_kiro_accounts_keep_working(
    kiro_env: KiroEnv, start: list[Launched], restore: object, damage: Callable[[Path], str]
) -> None:
    imported = _cli(kiro_env, "accounts", "import", "--provider", "kiro")
    assert imported.returncode == 0, imported.stderr
    assert f"Kiro account {NAME}, social, us-east-1;" in imported.stdout
    reason = damage(kiro_env.ide)

    listed = _cli(kiro_env, "accounts", "list", "--provider", "kiro")
    assert listed.returncode == 0, listed.stderr
    _warning(listed.stderr, kiro_env, reason)
    assert f"* {NAME}" in listed.stdout.replace("  ", " ")
    assert SOCIAL_ARN not in listed.stdout

    used = _cli(kiro_env, "accounts", "use", NAME, "--provider", "kiro")
    assert used.returncode == 0, used.stderr
    assert used.stdout.startswith(f"{NAME} is now the active Kiro account")
    _warning(used.stderr, kiro_env, reason)

    limits = _cli(kiro_env, "limits", "--provider", "kiro")
    assert limits.returncode == 0, limits.stdout + limits.stderr
    assert limits.stdout.startswith(f"kiro@example.com (KIRO PRO)  [{NAME}]  (active)\n")
    _warning(limits.stderr, kiro_env, reason)

    doctor = _cli(kiro_env, "doctor", "--provider", "kiro")
    assert (
        f"warning  accounts: skipped the Kiro IDE's login: The Kiro token file {kiro_env.ide}"
        in doctor.stdout
    )
    assert f"ok       accounts: {NAME}: token valid" in doctor.stdout
    assert "Traceback" not in doctor.stdout + doctor.stderr

    gateway = launch(start, {**kiro_env.env(), "PATH": "/usr/bin:/bin"}, "--port", "0")
    assert f"Kiro account:     {NAME} (social)" in gateway.banner
    assert (
        f"WARNING: skipped the Kiro IDE's login. The Kiro token file {kiro_env.ide}"
        in gateway.banner
    )
    kiro_env.kiro.script(KiroReply([text_answer("still works")]))
    answer = httpx.post(gateway.url + "/v1/messages", json=MESSAGE, timeout=20)
    assert answer.status_code == 200, answer.text
    assert answer.json()["content"][0]["text"] == "still works"
    line = gateway.next_line()
    assert line is not None and f" account={NAME} " in line, line
    assert gateway.stop(signal.SIGINT)[0] == 0  # Ctrl+C: the request log is flushed
    logged = _cli(kiro_env, "logs", "--json")
    assert orjson.loads(logged.stdout.splitlines()[-1])["account"] == NAME


@pytest.mark.parametrize("damage", [_not_json, _directory], ids=["not_json", "directory"])
def test_without_our_own_file_it_says_what_to_do(
    kiro_env: KiroEnv, start: list[Launched], restore: object, damage: Callable[[Path], str]
) -> None:
    reason = damage(kiro_env.ide)

    listed = _cli(kiro_env, "accounts", "list", "--provider", "kiro")
    assert listed.returncode == 0
    assert listed.stdout.startswith("No Kiro accounts yet (looked for ")
    assert "accounts import" not in listed.stdout  # the warning says it once
    _warning(listed.stderr, kiro_env, reason)

    limits = _cli(kiro_env, "limits", "--provider", "kiro")
    assert (limits.returncode, limits.stdout) == (
        0,
        "No Kiro accounts yet, so no limits to show.\n",
    )
    _warning(limits.stderr, kiro_env, reason)

    used = _cli(kiro_env, "accounts", "use", "x", "--provider", "kiro")
    assert used.returncode == 1
    assert used.stderr.splitlines()[1] == (
        "codex2claudecode: There is no Kiro account 'x': the Kiro IDE's login is skipped (see the "
        "warning) and this tool has none of its own yet."
    )

    imported = _cli(kiro_env, "accounts", "import", "--provider", "kiro")
    assert imported.returncode == 1
    assert imported.stderr.startswith(f"codex2claudecode: The Kiro token file {kiro_env.ide} ")
    assert reason in imported.stderr and FIX in imported.stderr

    gateway = launch(start, {**kiro_env.env(), "PATH": "/usr/bin:/bin"}, "--port", "0")
    assert "Kiro account:     none" in gateway.banner
    assert f"No usable Kiro account: The Kiro token file {kiro_env.ide}" in gateway.banner
    answer = httpx.post(gateway.url + "/v1/messages", json=MESSAGE, timeout=20)
    assert answer.status_code == 503
    message = answer.json()["error"]["message"]
    assert str(kiro_env.ide) in message and FIX in message
