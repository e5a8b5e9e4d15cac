"""Issue 9: a newcomer follows the README on a fresh HOME. Every `codex2claudecode` command of
its shell blocks runs, in the README's order, against local fakes of ChatGPT and its sign-in
server; none may print a traceback, and each does what the README says it does."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx

from tests.cli_harness import MESSAGE, STARTUP_TIMEOUT, Launched, launch
from tests.fakes.codex import FakeCodex, Reply
from tests.fakes.oauth import FakeOAuth
from tests.fakes.responses_events import text_answer
from tests.fakes.server import run_app

README = Path(__file__).resolve().parents[2] / "README.md"
ACCOUNT = "acct-readme"


def readme_commands() -> list[list[str]]:
    """The `codex2claudecode ...` lines of the README's ```bash blocks, comments dropped."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), re.DOTALL)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "codex2claudecode":
                commands.append(words[1:])
    return commands


def _cli(env: dict[str, str], args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex2claudecode", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT * 3,
    )


def _browser_login(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`login`: this machine has no browser, so it prints the URL; we "open" it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "codex2claudecode", "login"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip().startswith("http"):
            httpx.get(line.strip(), follow_redirects=True, timeout=10)
            break
    out, err = process.communicate(timeout=30)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_the_readme_walk(cli_env: dict[str, str], start: list[Launched]) -> None:
    commands = readme_commands()
    assert ["login"] in commands and ["claude-env", "set"] in commands
    fake, oauth = FakeCodex(), FakeOAuth()
    oauth.sign_in_as(account_id=ACCOUNT, email="newcomer@example.com")
    oauth.device_interval = "0"
    with run_app(fake) as fake_url, run_app(oauth.app) as oauth_url:
        env = {
            **cli_env,
            "CHATGPT_BASE_URL": fake_url,
            "OPENAI_AUTH_URL": oauth_url,
            "BROWSER": "/nonexistent",  # no browser here: login prints its URL
            "DISPLAY": "",
        }
        gateway: Launched | None = None
        for args in commands:
            if args == []:  # start the gateway and leave it running
                if gateway is None:
                    gateway = launch(start, env, "--port", "0")
                    assert "WARNING: no usable Codex account" in gateway.banner
                continue
            if args == ["login"]:
                result = _browser_login(env)
            elif args[:2] == ["accounts", "add"]:
                # As the README says: both tokens on stdin, the access token first.
                tokens = oauth.login(account_id=ACCOUNT, email="newcomer@example.com")
                args = [ACCOUNT if word == "ID" else word for word in args]
                stdin = f"{tokens.access_token}\n{tokens.refresh_token}\n"
                result = _cli(env, args, stdin=stdin)
            else:
                result = _cli(env, [ACCOUNT if word == "KEY" else word for word in args])
            output = result.stdout + result.stderr
            assert "Traceback" not in output, (args, output)
            assert result.returncode == 0, (args, output)

        # The README's promise: the running gateway picked the login up, no restart.
        assert gateway is not None
        port = gateway.url.rsplit(":", 1)[1]
        settings = json.loads((Path(cli_env["CLAUDE_CONFIG_DIR"]) / "settings.json").read_text())
        assert settings["env"]["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:8787"  # README's default
        fake.script(Reply(events=text_answer("hello newcomer")))
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1/messages",
            json=MESSAGE,
            headers={"authorization": f"Bearer {settings['env']['ANTHROPIC_AUTH_TOKEN']}"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["content"][0]["text"] == "hello newcomer"


def test_every_help_text_is_there_and_clean(cli_env: dict[str, str]) -> None:
    paths = [
        [],
        ["login"],
        ["accounts"],
        *[["accounts", a] for a in ("list", "import", "add", "use", "remove")],
        ["limits"],
        ["config"],
        ["config", "fast-mode"],
        ["claude-env"],
        *[["claude-env", a] for a in ("set", "unset", "show")],
        ["doctor"],
        ["logs"],
    ]
    for path in paths:
        result = _cli(cli_env, [*path, "--help"])
        assert result.returncode == 0 and result.stderr == "", path
        usage, _, rest = result.stdout.partition("\n\n")
        assert usage.startswith("usage: codex2claudecode"), path
        description = rest.split("\n\n")[0]
        assert not description.startswith(("positional", "options")), f"{path}: no description"
    top = _cli(cli_env, ["--help"]).stdout
    assert "not available yet" not in top and "(no TUI)" not in top
    assert "/v1/chat/completions" in top  # the OpenAI routes this version serves
    assert "has no terminal UI" not in top  # it has one (issue 9, second pass)
    assert "no terminal UI (env CODEX_NO_UI=1" in " ".join(top.split())
    login = " ".join(_cli(cli_env, ["login", "--help"]).stdout.split())
    assert "Kiro has no sign-in here: sign in with the Kiro IDE, then run" in login
    for path in (["doctor"], *[["claude-env", a] for a in ("set", "unset", "show")]):
        assert "--provider {codex,kiro}" in _cli(cli_env, [*path, "--help"]).stdout, path
