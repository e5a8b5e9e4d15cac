from __future__ import annotations

import argparse
import json
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from codex2claudecode.commands import login
from codex2claudecode.config import Config
from tests.fakes.oauth import FakeOAuth, make_jwt


class Browser:
    """Stands in for `webbrowser`: visits the URL from a thread, as a real browser would."""

    def __init__(self, *, opens: bool = True) -> None:
        self.opens = opens
        self.pages: list[httpx.Response] = []
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        def visit() -> None:
            with httpx.Client(follow_redirects=True, trust_env=False, timeout=10) as client:
                self.pages.append(client.get(url))

        thread = threading.Thread(target=visit)
        thread.start()
        self._threads.append(thread)
        return self.opens

    def join(self) -> None:
        for thread in self._threads:
            thread.join(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def parse(*argv: str, browser: Any = None, ports: tuple[int, ...] = ()) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="codex2claudecode")
    login.add_parser(parser.add_subparsers())
    args = parser.parse_args(argv)
    args.open_browser = browser or Browser(opens=False)
    args.callback_ports = ports or (free_port(),)
    return args


def config_for(tmp_path: Path, url: str, **env: str) -> Config:
    return Config.load({"HOME": str(tmp_path), "OPENAI_AUTH_URL": url, **env})


def stored(config: Config) -> Any:
    return json.loads(config.codex_auth_path.read_text())


def test_parser_defaults_to_the_registered_ports() -> None:
    parser = argparse.ArgumentParser()
    login.add_parser(parser.add_subparsers())
    args = parser.parse_args(["login"])
    assert args.func is login.run
    assert args.callback_ports == (1455, 1457)
    assert (args.device, args.no_browser) == (False, False)


def test_browser_login_stores_the_account_and_makes_it_active(
    served: tuple[FakeOAuth, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, url = served
    fake.sign_in_as(account_id="acct-7", email="seven@example.com", plan="pro")
    browser = Browser(opens=True)
    config = config_for(tmp_path, url)

    code = login.run(parse("login", browser=browser), config)
    browser.join()

    out = capsys.readouterr().out
    assert code == 0
    assert browser.pages[0].status_code == 200
    [entry] = stored(config)
    assert entry["accountId"] == "acct-7"
    assert fake.is_live(entry["refresh"])
    info = json.loads((config.state_dir / ".account-info.json").read_text())
    assert info["activeAccount"] == "acct-7"
    assert "Your browser should now show" in out
    assert "Signed in to seven@example.com (account acct-7, plan pro)" in out
    assert "codex2claudecode accounts list" in out
    assert entry["refresh"] not in out and entry["access"] not in out


def test_without_a_browser_the_url_is_printed_with_advice(
    served: tuple[FakeOAuth, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served
    browser = Browser(opens=False)  # webbrowser failed; the user pastes the URL instead
    port = free_port()

    code = login.run(parse("login", browser=browser, ports=(port,)), config_for(tmp_path, url))
    browser.join()

    out = capsys.readouterr().out
    assert code == 0
    assert "Open this URL in a browser on this machine" in out
    assert f"\n  {url}/oauth/authorize?" in out
    assert f"ssh -L {port}:localhost:{port}" in out
    assert "login --device" in out


def test_a_refused_sign_in_stores_nothing(
    served: tuple[FakeOAuth, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, url = served
    fake.deny_next()
    config = config_for(tmp_path, url)
    browser = Browser()

    code = login.run(parse("login", browser=browser), config)
    browser.join()

    assert code == 1
    assert "The sign-in was refused" in capsys.readouterr().err
    assert not config.codex_auth_path.exists()


def test_busy_ports_fail_with_advice(
    served: tuple[FakeOAuth, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = served
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]

        code = login.run(parse("login", ports=(port,)), config_for(tmp_path, url))

    assert code == 1
    assert "login --device" in capsys.readouterr().err


def test_device_login_prints_the_code_and_stores_the_account(
    served: tuple[FakeOAuth, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, url = served
    fake.device_interval = "0"
    fake.sign_in_as(account_id="acct-d", email="d@example.com")
    config = config_for(tmp_path, url)

    code = login.run(parse("login", "--device"), config)

    out = capsys.readouterr().out
    assert code == 0
    assert f"Open {url}/codex/device" in out
    assert "ABCD-" in out
    assert "Never share this code" in out
    assert fake.device_polls == 3
    assert stored(config)[0]["accountId"] == "acct-d"
    assert "Signed in to d@example.com" in out


def test_login_over_the_codex_cli_fallback_suggests_importing_it(
    served: tuple[FakeOAuth, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, url = served
    fake.device_interval = "0"
    cli = fake.login(account_id="acct-cli", email="cli@example.com")
    cli_file = tmp_path / ".codex" / "auth.json"
    cli_file.parent.mkdir()
    cli_file.write_text(
        json.dumps(
            {
                "auth_mode": "chatgpt",
                "tokens": {
                    "id_token": make_jwt({"email": "cli@example.com"}),
                    "access_token": cli.access_token,
                    "refresh_token": cli.refresh_token,
                    "account_id": "acct-cli",
                },
            }
        )
    )

    code = login.run(parse("login", "--device"), config_for(tmp_path, url))

    out = capsys.readouterr().out
    assert code == 0
    assert "The Codex CLI's login (cli@example.com) is no longer used by itself" in out
    assert "accounts import" in out
