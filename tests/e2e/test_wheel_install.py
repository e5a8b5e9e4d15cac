"""Issue 9 item 6: the built wheel installs into a fresh venv (as `pipx install` / `uv tool
install` do) and the installed command works: `--version`, then a real request.

Installing the dependencies takes about 20 s and needs the package index, so this runs when
CODEX2CLAUDECODE_WHEEL_TEST=1 (./scripts/check sets it)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest

from codex2claudecode import __version__
from tests.cli_harness import BANNER_END

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    os.environ.get("CODEX2CLAUDECODE_WHEEL_TEST") != "1",
    reason="installs from the package index; ./scripts/check runs it "
    "(CODEX2CLAUDECODE_WHEEL_TEST=1)",
)


@pytest.mark.timeout(600)
def test_the_wheel_installs_and_serves(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        timeout=300,
    )
    [wheel] = (tmp_path / "dist").glob("codex2claudecode-*.whl")
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    python = target / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True,
        timeout=500,
    )
    command = target / "bin" / "codex2claudecode"
    home = tmp_path / "home"
    env = {"PATH": f"{command.parent}{os.pathsep}/usr/bin:/bin", "HOME": str(home)}

    version = subprocess.run(
        [str(command), "--version"], env=env, capture_output=True, text=True, timeout=30
    )
    assert version.stdout.strip() == f"codex2claudecode {__version__}"

    process = subprocess.Popen(
        [str(command), "--headless", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        banner = []
        for line in process.stdout:
            banner.append(line)
            if line.startswith(BANNER_END):
                break
        url = banner[0].split("listening on ")[1].strip()
        assert "  codex2claudecode claude-env set --port " in "".join(banner)  # on PATH: bare
        r = httpx.post(
            url + "/v1/messages",
            json={
                "model": "gpt-5.4",
                "max_tokens": 8,
                "messages": [{"role": "user", "content": "hi"}],
            },
        )
        assert r.status_code == 503
        assert "`codex2claudecode login`" in r.json()["error"]["message"]
        assert httpx.get(url + "/health").json()["ready"] is False
    finally:
        process.terminate()
        process.wait(10)
        assert process.stdout is not None and process.stderr is not None
        assert "Traceback" not in process.stderr.read()
        process.stdout.close()
        process.stderr.close()
