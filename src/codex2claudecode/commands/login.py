"""`codex2claudecode login [--device]`: sign in to a ChatGPT account and make it active."""

from __future__ import annotations

import argparse
import asyncio
import sys

import aiohttp

from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials
from codex2claudecode.backends.codex.accounts.device_login import (
    complete_device_login,
    request_device_code,
)
from codex2claudecode.backends.codex.accounts.login import (
    DEFAULT_PORTS,
    BrowserLogin,
    open_in_browser,
)
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.commands import parsers
from codex2claudecode.commands.accounts import added_message
from codex2claudecode.commands.state_dir import unwritable
from codex2claudecode.config import Config
from codex2claudecode.errors import GatewayError, NoAccount


def add_parser(subparsers: parsers.Subparsers) -> None:
    """Register `login` (defined in `commands.parsers`) to call this module's `run`."""
    parsers.add_login(subparsers).set_defaults(
        func=run, open_browser=open_in_browser, callback_ports=DEFAULT_PORTS
    )


KIRO_LOGIN = (
    "`login` signs in to ChatGPT (Codex); Kiro accounts are not signed in here. Sign in with "
    "the Kiro IDE, then run `codex2claudecode accounts import --provider kiro` (or add one from "
    "its tokens: `codex2claudecode accounts add --provider kiro --region REGION`). To add a "
    "ChatGPT account: `codex2claudecode login --provider codex`."
)


def run(args: argparse.Namespace, config: Config) -> int:
    if config.provider == "kiro":  # asked for by --provider or UPSTREAM_PROVIDER, not by habit
        print(f"codex2claudecode: {KIRO_LOGIN}", file=sys.stderr)
        return 2
    store = CodexAccountStore.from_config(config)
    problem = unwritable(store)
    if problem is not None:  # said before the user signs in, not after
        print(f"codex2claudecode: {problem}", file=sys.stderr)
        return 1
    try:
        creds = asyncio.run(_device(config) if args.device else _browser(args, config))
        unmanaged = _codex_cli_login(store)
        saved = store.upsert(creds)
    except GatewayError as exc:
        print(f"codex2claudecode: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"codex2claudecode: cannot save the account: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nSign-in cancelled.", file=sys.stderr)
        return 130
    print(added_message(saved, config, how="Signed in to"))
    if unmanaged is not None and unmanaged.key != saved.key:
        print(
            f"The Codex CLI's login ({unmanaged.email or unmanaged.key}) is no longer used by "
            "itself; `codex2claudecode accounts import` adds it next to this one."
        )
    return 0


async def _browser(args: argparse.Namespace, config: Config) -> CodexCredentials:
    # Seams, not options: the command line (`commands.parsers`) leaves them out; `add_parser`
    # sets them, and tests replace them. The ports are the ones registered for the Codex client.
    open_browser = getattr(args, "open_browser", open_in_browser)
    ports = getattr(args, "callback_ports", DEFAULT_PORTS)
    url = config.openai_token_url
    async with (
        aiohttp.ClientSession(trust_env=False) as session,
        BrowserLogin(
            session,
            issuer=config.openai_auth_url,
            token_url=url,
            proxy=config.proxies.for_url(url),
            ports=ports,
        ) as login,
    ):
        opened = not args.no_browser and open_browser(login.url)
        if opened:
            print("Your browser should now show the ChatGPT sign-in page. If it does not, open:")
        else:
            print("Open this URL in a browser on this machine to sign in:")
        print(f"\n  {login.url}\n")
        if not opened:
            print(
                f"The page returns to http://localhost:{login.port}, so the browser must run on "
                f"this machine (over SSH: `ssh -L {login.port}:localhost:{login.port} ...`), or "
                "use `codex2claudecode login --device`."
            )
        print("Waiting for the sign-in... (Ctrl+C to cancel)", flush=True)
        return await login.wait()


async def _device(config: Config) -> CodexCredentials:
    url = config.openai_token_url
    proxy = config.proxies.for_url(url)
    async with aiohttp.ClientSession(trust_env=False) as session:
        device = await request_device_code(session, issuer=config.openai_auth_url, proxy=proxy)
        print(
            "To sign in with ChatGPT from any device:\n"
            f"  1. Open {device.verification_url} and sign in.\n"
            f"  2. Enter this one-time code (valid for 15 minutes):  {device.user_code}\n"
            "Never share this code: whoever enters it gets into your account.\n"
            "Waiting for the sign-in... (Ctrl+C to cancel)",
            flush=True,
        )
        return await complete_device_login(
            session, device, issuer=config.openai_auth_url, token_url=url, proxy=proxy
        )


def _codex_cli_login(store: CodexAccountStore) -> CodexCredentials | None:
    """The Codex CLI login the gateway falls back to today, if there is no managed file."""
    if store.path.exists():
        return None
    try:
        return store.load()
    except NoAccount:
        return None
