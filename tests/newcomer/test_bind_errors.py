"""Issue 9 item 1: every bind failure is one line on stderr and exit 1, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.cli_harness import STARTUP_TIMEOUT, run_cli


def _assert_one_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [expected]


def test_an_address_of_another_machine(cli_env: dict[str, str]) -> None:
    result = run_cli(cli_env, "--headless", "--host", "10.255.255.1", "--password", "x")
    _assert_one_line(
        result,
        "codex2claudecode: cannot listen on 10.255.255.1 port 8787: 10.255.255.1 is not an "
        "address of this machine. Use one of its own addresses with --host: 127.0.0.1 (this "
        "machine only) or 0.0.0.0 (every network interface).",
    )


def test_a_host_name_that_does_not_resolve(cli_env: dict[str, str]) -> None:
    result = run_cli(cli_env, "--headless", "--host", "nosuchhost.invalid", "--password", "x")
    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "codex2claudecode: cannot listen on nosuchhost.invalid port 8787: the host name "
        "'nosuchhost.invalid' does not resolve ("
    )
    assert line.endswith("Give --host an IP address of this machine, e.g. 127.0.0.1.")


def test_a_privileged_port_without_the_right_to_bind_it(cli_env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "codex2claudecode", "--headless", "--port", "80"]
    if os.geteuid() == 0:
        # root may bind port 80: run as nobody, who may not.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv is missing: cannot drop the right to bind")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    result = subprocess.run(
        command, env=cli_env, capture_output=True, text=True, timeout=STARTUP_TIMEOUT
    )
    _assert_one_line(
        result,
        "codex2claudecode: cannot listen on 127.0.0.1 port 80: permission denied (ports below "
        "1024 need administrator rights). Pick a port from 1024 up with --port, e.g. --port 8787.",
    )
