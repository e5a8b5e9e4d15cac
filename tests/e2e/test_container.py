"""The container image (Dockerfile): built and asked for a request where a container engine
runs; its settings checked everywhere by running the gateway with the image's environment."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.cli_harness import run_cli

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _image_env() -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", DOCKERFILE.split("ENV ", 1)[1].split("VOLUME", 1)[0]))


def test_the_image_runs_headless_non_root_with_its_state_in_a_volume() -> None:
    env = _image_env()
    assert env["HOST"] == "0.0.0.0" and env["CODEX_NO_UI"] == "1"
    assert env["CODEX2CLAUDECODE_HOME"] == "/data"
    assert 'VOLUME ["/data"]' in DOCKERFILE
    assert re.search(r"^USER gateway$", DOCKERFILE, re.MULTILINE)
    assert "/health" in DOCKERFILE.split("HEALTHCHECK", 1)[1]


def test_the_images_settings_refuse_to_start_without_api_password(
    cli_env: dict[str, str],
) -> None:
    env = {k: v for k, v in _image_env().items() if k in ("HOST", "CODEX_NO_UI")}
    result = run_cli({**cli_env, **env, "PORT": "0"})
    assert result.returncode == 2
    assert "a gateway on 0.0.0.0 needs a password" in result.stderr


def _engine() -> str:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker client on this machine: the image cannot be built here")
    info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=30)
    if info.returncode != 0:
        pytest.skip(f"docker client but no running engine ({info.stderr.strip()[:120]})")
    return docker


@pytest.mark.timeout(900)
def test_the_image_builds_and_answers() -> None:
    docker = _engine()
    tag = f"codex2claudecode-test:{uuid.uuid4().hex[:8]}"
    subprocess.run([docker, "build", "-q", "-t", tag, str(ROOT)], check=True, timeout=800)
    name = f"c2c-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(
            [
                docker,
                "run",
                "-d",
                "--name",
                name,
                "-p",
                "127.0.0.1::8787",
                "-e",
                "API_PASSWORD=pw",
                tag,
            ],
            check=True,
            timeout=60,
        )
        port = (
            subprocess.run(
                [docker, "port", name, "8787"], capture_output=True, text=True, check=True
            )
            .stdout.strip()
            .rsplit(":", 1)[1]
        )
        url = f"http://127.0.0.1:{port}"
        assert _wait_for(url + "/health").json()["ready"] is False  # a fresh volume: no account
        r = httpx.post(url + "/v1/messages", json={}, headers={"x-api-key": "pw"})
        assert r.status_code == 400
        assert httpx.post(url + "/v1/messages", json={}).status_code == 401
    finally:
        subprocess.run([docker, "rm", "-f", name], capture_output=True, timeout=60)
        subprocess.run([docker, "rmi", "-f", tag], capture_output=True, timeout=60)


def _wait_for(url: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
