"""The command line, run as users run it: `python -m codex2claudecode` in a subprocess.

Every run gets a throwaway HOME and state directories, so no real account or setting is seen.
"""

from __future__ import annotations

import json
import shlex
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from codex2claudecode import __version__, tokens
from codex2claudecode.cli import banner
from codex2claudecode.config import Config
from tests.cli_harness import MESSAGE, Launched, launch, run_cli
from tests.e2e.conftest import ACCOUNT_ID, access_token
from tests.fakes.codex import FakeCodex, Reply
from tests.fakes.oauth import make_jwt
from tests.fakes.responses_events import text_answer
from tests.fakes.server import run_app

# ------------------------------------------------------------------------------ help, version


def test_help(cli_env: dict[str, str]) -> None:
    result = run_cli(cli_env, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: codex2claudecode")
    for option in ("--port", "--host", "--password", "--headless", "--provider", "--version"):
        assert option in result.stdout
    assert "Claude Code" in result.stdout
    assert result.stderr == ""


def test_version(cli_env: dict[str, str]) -> None:
    result = run_cli(cli_env, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"codex2claudecode {__version__}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "http"], "invalid port"),
        (["--port", "65536"], "invalid port"),
        (["--provider", "openai"], "invalid choice"),
        (["--no-such-flag"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_exit_2_with_usage(
    cli_env: dict[str, str], args: list[str], message: str
) -> None:
    result = run_cli(cli_env, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------------------ serving


def test_headless_on_port_0_prints_the_real_port_and_the_exports(
    cli_env: dict[str, str], start: list[Launched]
) -> None:
    gateway = launch(start, cli_env, "--port", "0")
    port = int(gateway.url.rsplit(":", 1)[1])
    assert gateway.url == f"http://127.0.0.1:{port}" and port > 0
    lines = gateway.banner.splitlines()
    assert f"  export ANTHROPIC_BASE_URL=http://127.0.0.1:{port}" in lines
    assert "  export ANTHROPIC_AUTH_TOKEN=codex2claudecode" in lines
    for path in ("/v1/messages", "/v1/messages/count_tokens", "/health"):
        assert f"http://127.0.0.1:{port}{path}" in gateway.banner
    assert str(Path(cli_env["CODEX2CLAUDECODE_HOME"]) / "auth-codex.json") in gateway.banner

    r = httpx.get(gateway.url + "/")
    assert r.status_code == 200 and r.json()["status"] == "running"
    code, stderr = gateway.stop(signal.SIGINT)
    assert code == 0
    assert "Traceback" not in stderr


@pytest.mark.parametrize("how", ["flag", "env"])
def test_the_password_is_in_the_exports_and_enforced(
    cli_env: dict[str, str], start: list[Launched], how: str
) -> None:
    password = "p w$'x"
    if how == "flag":
        gateway = launch(start, cli_env, "--port", "0", f"--password={password}")
    else:
        gateway = launch(start, {**cli_env, "API_PASSWORD": password}, "--port", "0")
    exports = [line for line in gateway.banner.splitlines() if "ANTHROPIC_AUTH_TOKEN" in line]
    assert exports == [f"  export ANTHROPIC_AUTH_TOKEN={shlex.quote(password)}"]
    # What the shell makes of the pasted line is the password itself.
    assert shlex.split(exports[0].split("=", 1)[1]) == [password]

    assert httpx.head(gateway.url + "/").status_code == 200
    assert httpx.post(gateway.url + "/v1/messages", content=b"{").status_code == 401
    with_key = httpx.post(
        gateway.url + "/v1/messages",
        content=b"{",
        headers={"x-api-key": password, "content-type": "application/json"},
    )
    assert with_key.status_code == 400


def test_a_taken_port_is_a_clear_error_and_exit_1(cli_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(cli_env, "--headless", "--port", str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--host", "0.0.0.0"], {}), ([], {"HOST": "0.0.0.0"}), (["--host", "192.168.1.9"], {})],
)
def test_a_public_host_without_password_is_refused_with_exit_2(
    cli_env: dict[str, str], args: list[str], env: dict[str, str]
) -> None:
    result = run_cli({**cli_env, **env}, "--headless", "--port", "0", *args)
    assert result.returncode == 2
    assert "needs a password" in result.stderr
    assert "--password" in result.stderr
    assert "Traceback" not in result.stderr


def test_claude_env_for_a_public_host_without_password_asks_for_it(
    cli_env: dict[str, str],
) -> None:
    # claude-env listens on nothing: the message must not say it refuses to listen.
    result = run_cli(cli_env, "claude-env", "set", "--host", "0.0.0.0")
    assert result.returncode == 2
    assert "a gateway on 0.0.0.0 needs a password" in result.stderr
    assert "listen" not in result.stderr and "Traceback" not in result.stderr


def test_a_bad_environment_value_is_refused_with_exit_2(cli_env: dict[str, str]) -> None:
    result = run_cli({**cli_env, "PORT": "eighty"}, "--headless")
    assert result.returncode == 2
    assert "PORT" in result.stderr and "Traceback" not in result.stderr


def test_without_an_account_it_serves_warns_and_explains_then_picks_up_a_login(
    cli_env: dict[str, str], start: list[Launched]
) -> None:
    fake = FakeCodex()
    with run_app(fake) as fake_url:
        gateway = launch(start, {**cli_env, "CHATGPT_BASE_URL": fake_url}, "--port", "0")
        assert "WARNING: no usable Codex account" in gateway.banner
        assert "codex2claudecode login" in gateway.banner
        assert "Codex account:    none" in gateway.banner

        r = httpx.post(gateway.url + "/v1/messages", json=MESSAGE)
        assert r.status_code == 503
        assert r.headers["x-should-retry"] == "false"
        message = r.json()["error"]["message"]
        assert "No Codex account found" in message
        assert "codex2claudecode login" in message
        assert cli_env["CODEX_HOME"] in message  # says where it looked

        # Signing in with the Codex CLI while the gateway runs is enough.
        codex_home = Path(cli_env["CODEX_HOME"])
        codex_home.mkdir()
        tokens = {"access_token": access_token(), "refresh_token": "rt", "account_id": ACCOUNT_ID}
        (codex_home / "auth.json").write_text(json.dumps({"tokens": tokens}))
        fake.script(Reply(events=text_answer("signed in")))
        r = httpx.post(gateway.url + "/v1/messages", json=MESSAGE)
        assert r.status_code == 200, r.text
        assert r.json()["content"][0]["text"] == "signed in"


def test_the_banner_names_the_account_in_use(
    cli_env: dict[str, str], start: list[Launched]
) -> None:
    codex_home = Path(cli_env["CODEX_HOME"])
    codex_home.mkdir()
    tokens = {"access_token": access_token(), "refresh_token": "rt", "account_id": ACCOUNT_ID}
    (codex_home / "auth.json").write_text(json.dumps({"tokens": tokens}))
    gateway = launch(start, cli_env, "--port", "0")
    assert "Codex account:    e2e@example.com (plus)" in gateway.banner
    assert "WARNING" not in gateway.banner


# ------------------------------------------------------------------------------ start-up cost


def test_startup_answers_quickly(cli_env: dict[str, str], start: list[Launched]) -> None:
    """Measured from exec to the first answer to `GET /` (the target is 0.5 s on a quiet
    machine; the bound here leaves room for a loaded CI runner)."""
    gateway = launch(start, cli_env, "--port", "0")
    assert httpx.get(gateway.url + "/").status_code == 200
    elapsed = time.perf_counter() - gateway.started
    assert elapsed < 2.0, f"start-up took {elapsed:.2f}s"


HEAVY = ("tiktoken", "textual", "anthropic", "openai", "httpx", "pydantic", "websockets", "wsproto")


def test_nothing_heavy_is_imported_before_listening(cli_env: dict[str, str]) -> None:
    """What `serve` does before uvicorn accepts: build the app and load uvicorn's config."""
    script = (
        "import sys\n"
        "from codex2claudecode import cli\n"
        "from codex2claudecode.config import Config\n"
        "from codex2claudecode.server.run import server_for\n"
        "config = Config.load()\n"
        "cli.banner(config, 1, account=cli.account_summary(config)[0])\n"
        "server_for(cli.build_gateway(config).app).config.load()\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=cli_env, capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_help_and_version_do_not_load_the_server_stack(cli_env: dict[str, str]) -> None:
    script = (
        "import sys\n"
        "from codex2claudecode import cli\n"
        "stack = {'aiohttp', 'uvicorn', 'starlette'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & stack))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=cli_env, capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("host", "base"),
    [
        ("127.0.0.1", "http://127.0.0.1:8787"),
        ("localhost", "http://localhost:8787"),
        ("::1", "http://[::1]:8787"),
        ("0.0.0.0", "http://127.0.0.1:8787"),
        ("::", "http://127.0.0.1:8787"),
    ],
)
def test_the_banner_base_url_is_one_a_client_can_use(tmp_path: Path, host: str, base: str) -> None:
    config = Config.load({"HOME": str(tmp_path)}, host=host, password="pw")
    text = banner(config, 8787, account="me@example.com")
    assert f"  export ANTHROPIC_BASE_URL={base}\n" in text
    assert f"is listening on {base}" in text
    assert "Codex account:    me@example.com" in text


# ------------------------------------------------------------------------------ subcommands


def test_every_command_is_reachable_from_the_top_level(cli_env: dict[str, str]) -> None:
    top = run_cli(cli_env, "--help")
    for command in ("login", "accounts", "limits", "config", "claude-env"):
        assert command in top.stdout
        assert run_cli(cli_env, command, "--help").returncode == 0


def test_a_newcomer_path_without_network(cli_env: dict[str, str], tmp_path: Path) -> None:
    """No account yet: `accounts list` says what to run; import, fast mode, Claude settings."""
    empty = run_cli(cli_env, "accounts", "list")
    assert "login" in (empty.stdout + empty.stderr)

    codex_home = tmp_path / "codex"
    codex_home.mkdir()
    access = make_jwt(
        {
            "exp": int(time.time()) + 3600,
            "email": "new@example.com",
            "https://api.openai.com/auth": {
                "chatgpt_account_id": "acct-new",
                "chatgpt_plan_type": "plus",
            },
        }
    )
    (codex_home / "auth.json").write_text(
        json.dumps(
            {
                "auth_mode": "chatgpt",
                "OPENAI_API_KEY": None,
                "tokens": {"access_token": access, "refresh_token": "rt", "account_id": "acct-new"},
            }
        )
    )
    imported = run_cli(cli_env, "accounts", "import")
    assert imported.returncode == 0, imported.stderr
    listed = run_cli(cli_env, "accounts", "list", "--offline")
    assert "new@example.com" in listed.stdout and "acct-new" in listed.stdout
    assert access not in listed.stdout + listed.stderr

    assert run_cli(cli_env, "config", "fast-mode", "on").returncode == 0
    config_file = tmp_path / "state" / ".codex-config.json"
    assert json.loads(config_file.read_text()) == {"fastMode": {"enabled": True}}

    written = run_cli(cli_env, "--port", "9911", "--password", "s3cret", "claude-env", "set")
    assert written.returncode == 0, written.stderr
    settings = json.loads((tmp_path / "claude" / "settings.json").read_text())
    assert settings["env"]["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9911"
    assert settings["env"]["ANTHROPIC_AUTH_TOKEN"] == "s3cret"
    assert "NODE_TLS_REJECT_UNAUTHORIZED" not in settings["env"]
    assert run_cli(cli_env, "claude-env", "unset").returncode == 0
    # `set` created the file, so `unset` removes it: the state before `set` comes back.
    assert not (tmp_path / "claude" / "settings.json").exists()


# ------------------------------------------------------------------------------ count_tokens


def test_first_counts_race_the_vocabulary_load_and_the_next_gateway_uses_its_cache(
    cli_env: dict[str, str], start: list[Launched]
) -> None:
    turns = [
        {"role": "user", "content": f"turn {n}: " + "lorem ipsum dolor " * 200} for n in range(8)
    ]
    body = {"model": "gpt-5.4", "system": "Be brief.", "messages": turns}

    def counts(gateway: Launched) -> set[int]:
        def count(_: int) -> int:
            r = httpx.post(gateway.url + "/v1/messages/count_tokens", json=body, timeout=30)
            assert r.status_code == 200, r.text
            return int(r.json()["input_tokens"])

        with ThreadPoolExecutor(8) as pool:  # all eight arrive before the vocabulary is loaded
            return set(pool.map(count, range(8)))

    # ChatML framing: 3 for the reply primer, 4 per item (the system prompt, each turn).
    expected = (
        3
        + 4
        + tokens.count_text("Be brief.")
        + sum(4 + tokens.count_text(str(t["content"])) for t in turns)
    )
    first = launch(start, cli_env, "--port", "0")
    assert counts(first) == {expected}
    cache = Path(cli_env["CODEX2CLAUDECODE_HOME"]) / "cache"
    assert [p.suffix for p in cache.iterdir()] == [".ranks"]
    first.stop(signal.SIGINT)

    second = launch(start, cli_env, "--port", "0")
    assert counts(second) == {expected}
    code, stderr = second.stop(signal.SIGINT)
    assert code == 0 and "Traceback" not in stderr
