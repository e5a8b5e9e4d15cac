"""Running the real OpenAI Codex CLI (`codex exec`) against a gateway, for the Codex CLI e2e test.

The CLI comes from `$CODEX2CLAUDECODE_CODEX_BIN` (`scripts/check` installs `@openai/codex`);
`codex_binary` skips the test without it, or when its native binary cannot run here. The CLI gets
a throwaway HOME and CODEX_HOME (outside /tmp, where it refuses to put its helper binaries), a
custom model provider whose base URL is the gateway, update checks, analytics and plugins off,
and a `NetworkTrap` as its HTTP(S)_PROXY: every run asserts nothing tried to leave loopback
(`/work/shared/fixtures/codex-cli/README.md` has the recipe).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.claude_cli import NetworkTrap, Recording
from tests.fakes.server import run_app

CLI_TIMEOUT = 90.0
HOMES = Path(__file__).resolve().parents[2] / ".cache" / "codex-homes"
"""Where the CLI's throwaway homes go: inside the (ignored) cache, since /tmp is refused."""

CONFIG = """\
model = "{model}"
model_provider = "gateway"
check_for_update_on_startup = false
[analytics]
enabled = false
[features]
plugins = false
[model_providers.gateway]
name = "gateway"
base_url = "{base_url}/v1"
wire_api = "responses"
env_key = "GATEWAY_KEY"
"""


@dataclass
class Codex:
    binary: Path
    gateway_url: str
    home: Path
    workdir: Path
    trap: NetworkTrap
    recording: Recording

    def run(self, prompt: str, *args: str) -> subprocess.CompletedProcess[str]:
        """`codex exec <args> <prompt>` with approvals and sandbox off, done within `CLI_TIMEOUT`;
        fails if the CLI reached past loopback."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "CODEX_HOME": str(self.home / ".codex"),
            "GATEWAY_KEY": "x",
            "HTTPS_PROXY": self.trap.url,
            "HTTP_PROXY": self.trap.url,
            "NO_PROXY": "127.0.0.1,localhost",
        }
        argv = [str(self.binary), "exec", "--skip-git-repo-check"]
        argv += ["--dangerously-bypass-approvals-and-sandbox", *args, prompt]
        done = subprocess.run(
            argv,
            env=env,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        assert self.trap.hits == [], f"the CLI tried to reach the network: {self.trap.hits}"
        return done

    @property
    def responses(self) -> list[Any]:
        """The `POST /v1/responses` requests the CLI made, in order."""
        return [e for e in self.recording.exchanges if e.path == "/v1/responses"]


def codex_binary() -> Path:
    """The CLI `$CODEX2CLAUDECODE_CODEX_BIN` names; skips the test when there is none, or when
    its native binary does not run on this machine."""
    configured = os.environ.get("CODEX2CLAUDECODE_CODEX_BIN", "")
    binary = Path(configured) if configured else None
    if binary is None or not os.access(binary, os.X_OK):
        pytest.skip(f"no Codex CLI at CODEX2CLAUDECODE_CODEX_BIN={configured!r}")
    probe = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"the Codex CLI at {binary} does not run here: {probe.stderr.strip()[:300]}")
    return binary


@contextmanager
def running_codex(binary: Path, app: Any, model: str) -> Iterator[Codex]:
    """Serve `app` (recorded) on loopback and give a `Codex` configured to use it as `model`."""
    recording = Recording(app)
    trap = NetworkTrap()
    serving = threading.Thread(target=trap.serve_forever, args=(0.05,), daemon=True)
    serving.start()
    HOMES.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="codex-e2e-", dir=HOMES))
    workdir = home / "work"
    (home / ".codex").mkdir()
    workdir.mkdir()
    try:
        with run_app(recording) as url:
            config = CONFIG.format(model=model, base_url=url)
            (home / ".codex" / "config.toml").write_text(config)
            yield Codex(binary, url, home, workdir, trap, recording)
    finally:
        trap.shutdown()
        trap.server_close()
        serving.join(5)
        shutil.rmtree(home, ignore_errors=True)
