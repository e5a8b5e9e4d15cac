"""Running the command line as users run it: `python -m codex2claudecode` in a subprocess.

The fixtures `cli_env` (a throwaway HOME) and `start` (gateways stopped after the test) live in
tests/conftest.py.
"""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time

STARTUP_TIMEOUT = 10.0
BANNER_END = "Press Ctrl+C to stop."
MESSAGE = {"model": "gpt-5.4", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex2claudecode", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
    )


class Launched:
    """A running `codex2claudecode --headless`; `banner` is what it printed before serving."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "codex2claudecode", "--headless", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self.banner = self._read_banner()
        except BaseException:
            self.stop(signal.SIGKILL)  # never leave the child or its pipes behind
            raise
        match = re.search(r"listening on (http://\S+)", self.banner)
        assert match, self.banner
        self.url = match.group(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _read_banner(self) -> str:
        lines: list[str] = []
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not any(line.startswith(BANNER_END) for line in lines):
            try:
                line = self._lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no banner within {STARTUP_TIMEOUT}s: {lines}") from None
            if line is None:
                self.process.wait(5)
                assert self.process.stderr is not None
                raise AssertionError(
                    f"exited {self.process.returncode}: {self.process.stderr.read()}"
                )
            lines.append(line)
        return "".join(lines)

    def next_line(self, timeout: float = STARTUP_TIMEOUT) -> str | None:
        """The next line the gateway printed after its banner, None if none came in time."""
        return self._next_line(timeout)

    def _next_line(self, timeout: float) -> str | None:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        """Signal the process, wait for it, close its pipes; returns (exit code, stderr)."""
        process = self.process
        if process.poll() is None:
            process.send_signal(sig)
        try:
            code = process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        self._reader.join(5)
        assert process.stdout is not None and process.stderr is not None
        stderr = process.stderr.read()
        process.stdout.close()
        process.stderr.close()
        return code, stderr


def launch(running: list[Launched], env: dict[str, str], *args: str) -> Launched:
    gateway = Launched(env, *args)
    running.append(gateway)
    return gateway
