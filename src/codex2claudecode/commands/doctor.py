"""`codex2claudecode doctor`: check the setup and explain each finding with its fix.

Every check yields `Finding`s: ok, warning or problem. The exit code is 1 when any problem was
found, so scripts can use it; `--json` prints the findings as a list.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import orjson

from codex2claudecode.accounts.limits import Snapshot
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.backends.connection import PROXY_AUTH_REQUIRED, proxy_refused, unreachable
from codex2claudecode.claude_settings import (
    BASE_URL,
    SCOPES,
    ClaudeSettings,
    ClaudeSettingsError,
    Scope,
    default_models,
    gateway_base_url,
)
from codex2claudecode.commands import parsers
from codex2claudecode.commands.accounts import limit_state
from codex2claudecode.commands.claude_env import tier_models
from codex2claudecode.commands.findings import Finding, Status
from codex2claudecode.commands.gateway_flags import flags_for
from codex2claudecode.commands.kiro_doctor import kiro_accounts
from codex2claudecode.commands.limits import fetch_usage
from codex2claudecode.config import Config, Provider
from codex2claudecode.errors import GatewayError, NoAccount
from codex2claudecode.provider_config import chosen_provider

_NAMES: dict[Provider, str] = {"codex": "ChatGPT Codex", "kiro": "Kiro"}
CLAUDE_INSTALL = "npm install -g @anthropic-ai/claude-code"
NETWORK_TIMEOUT = 8.0
"""Seconds each network check may take."""


def add_parser(subparsers: parsers.Subparsers) -> None:
    """Register `doctor` (defined in `commands.parsers`) to call this module's `run`."""
    parsers.add_doctor(subparsers).set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    provider = chosen_provider(config)
    findings = [
        _provider(config, provider),
        *_state_dir(config),
        *(kiro_accounts(config, timeout=NETWORK_TIMEOUT) if provider == "kiro" else []),
        *(_accounts(config) if provider == "codex" else []),
        *_upstream(config, provider),
        *_port(config),
        *_claude_settings(config),
        *_programs(),
    ]
    if args.json:
        sys.stdout.buffer.write(orjson.dumps([asdict(f) for f in findings]) + b"\n")
        sys.stdout.flush()
    else:
        for finding in findings:
            print(f"{finding.status:<8} {finding.check}: {finding.message}")
            if finding.fix:
                print(f"{'':<9}fix: {finding.fix}")
    return 1 if any(f.status == "problem" for f in findings) else 0


def _provider(config: Config, provider: Provider) -> Finding:
    why = (
        "chosen by --provider or UPSTREAM_PROVIDER"
        if config.provider is not None
        else f"the last one used ({config.provider_config_path})"
        if config.provider_config_path.exists()
        else "the default"
    )
    name = _NAMES[provider]
    other = "codex" if provider == "kiro" else "kiro"
    return Finding(
        "provider", "ok", f"{name}, {why}; check the other with `doctor --provider {other}`"
    )


def _state_dir(config: Config) -> Iterator[Finding]:
    home = config.state_dir
    if not home.exists():
        yield Finding("state", "ok", f"{home} does not exist yet; the first login creates it")
        return
    mode = stat.S_IMODE(home.stat().st_mode)
    if mode & 0o002:
        yield Finding(
            "state", "problem", f"{home} is writable by everyone", fix=f"chmod 700 {home}"
        )
    else:
        yield Finding("state", "ok", f"{home}")
    token_files = (
        config.codex_auth_path,
        config.codex_cli_auth_path,
        config.home / "kiro-state.json",
        config.kiro_auth_file,
    )
    for path in token_files:
        if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            yield Finding(
                "state",
                "warning",
                f"{path} holds tokens and is readable by other users",
                fix=f"chmod 600 {path}",
            )


def _accounts(config: Config) -> Iterator[Finding]:
    store = CodexAccountStore.from_config(config)
    problem = store.foreign_problem()
    if problem is not None:
        yield Finding("accounts", "warning", f"skipped the Codex CLI's login: {problem}")
    try:
        summaries = store.summaries()
    except NoAccount as exc:
        yield Finding("accounts", "problem", exc.message)
        return
    if not summaries:
        yield Finding(
            "accounts",
            "problem",
            "no Codex account: every request fails",
            fix="`codex2claudecode login` (`login --device` without a browser)",
        )
        return
    now = time.time()
    usages = _limits(config)
    for summary in summaries:
        who = summary.email or summary.key
        state = summary.state(now)
        if state == "needs login":
            yield Finding(
                "accounts",
                "problem",
                f"{who}: its refresh token was refused ({summary.problem})",
                fix="`codex2claudecode login` again with that account",
            )
            continue
        text = (
            f"{who}: access token expired; refreshed on the next request"
            if state == "expired"
            else f"{who}: token valid"
        )
        usage = usages.get(summary.key)
        if usage is None:
            yield Finding("accounts", "ok", text + "; limits not read")
        elif isinstance(usage, str):
            yield Finding("accounts", "warning", f"{text}; limits unreadable: {usage}")
        else:
            left = limit_state(usage, now)
            status: Status = "warning" if left.startswith("limited") else "ok"
            yield Finding("accounts", status, f"{text}; limits: {left}")


def _limits(config: Config) -> dict[str, Snapshot | str | None]:
    """Each account's limits by key, or why they could not be read."""
    try:
        readings = asyncio.run(fetch_usage(config, timeout=NETWORK_TIMEOUT))
    except GatewayError as exc:
        return _all(config, exc.message)
    except TimeoutError:
        return _all(config, f"ChatGPT did not answer within {NETWORK_TIMEOUT:.0f} s")
    return {u.key: u.snapshot if u.snapshot is not None else u.problem for u in readings}


def _all(config: Config, why: str) -> dict[str, Snapshot | str | None]:
    """`why` for every account: nothing was read for any of them."""
    return {summary.key: why for summary in CodexAccountStore.from_config(config).summaries()}


def _upstream(config: Config, provider: Provider) -> Iterator[Finding]:
    url = config.kiro_api_url if provider == "kiro" else config.chatgpt_base_url
    name = "the Kiro API" if provider == "kiro" else "the ChatGPT backend"
    proxy = config.proxies.for_url(url)
    host = urlsplit(url).hostname or url
    if proxy is not None:
        yield Finding("upstream", "ok", f"proxy for {host} (from HTTPS_PROXY): {_address(proxy)}")
    else:
        try:
            socket.getaddrinfo(host, None)
        except socket.gaierror as exc:
            yield Finding(
                "upstream",
                "problem",
                f"the name {host} does not resolve ({exc.strerror})",
                fix="check the network or DNS; behind a proxy, set HTTPS_PROXY",
            )
            return
    error = asyncio.run(_reach(url, proxy, name))
    if error is None:
        scheme = "TLS" if url.startswith("https") else "HTTP"
        yield Finding("upstream", "ok", f"{host} answers ({scheme} connection works)")
    else:
        yield Finding("upstream", "problem", error.message)


async def _reach(url: str, proxy: str | None, name: str) -> GatewayError | None:
    timeout = aiohttp.ClientTimeout(total=NETWORK_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(trust_env=False, timeout=timeout) as session,
            session.get(url, proxy=proxy, allow_redirects=False) as response,
        ):
            await response.read()  # any other status: the connection and TLS worked
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        return unreachable(name, url, exc, proxy=proxy)  # a proxy's 407 said as such
    if status == PROXY_AUTH_REQUIRED and proxy is not None:  # a plain-http proxy's own answer
        return proxy_refused(proxy)
    return None


def _port(config: Config) -> Iterator[Finding]:
    from codex2claudecode.server.run import BindError, PortInUse, bind

    where = f"{config.host}:{config.port}"
    try:
        bind(config.host, config.port).close()
    except PortInUse:
        base = gateway_base_url(config.host, config.port)
        if _is_gateway(base):
            yield Finding("port", "ok", f"a codex2claudecode gateway is running on {where}")
        else:
            yield Finding(
                "port",
                "problem",
                f"{where} is taken by another program",
                fix="start the gateway with another --port (and give claude-env set the same)",
            )
    except BindError as exc:
        yield Finding("port", "problem", str(exc))
    else:
        command = f"`codex2claudecode{flags_for(config)}`"
        yield Finding("port", "ok", f"{where} is free; start the gateway with {command}")


def _is_gateway(base: str) -> bool:
    async def probe() -> bool:
        timeout = aiohttp.ClientTimeout(total=3)
        try:
            async with (
                aiohttp.ClientSession(trust_env=False, timeout=timeout) as session,
                session.get(base + "/") as response,
            ):
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError):
            return False
        return b'"codex2claudecode"' in body

    return asyncio.run(probe())


def _claude_settings(config: Config) -> Iterator[Finding]:
    settings = ClaudeSettings.from_config(config, cwd=Path.cwd())
    ours = gateway_base_url(config.host, config.port)
    pointing = []
    # Claude Code gives local over project over user: the first scope holding the key wins.
    for scope in reversed(SCOPES):
        try:
            env = settings.read_env(scope)
        except ClaudeSettingsError as exc:
            yield Finding("claude", "problem", str(exc), fix="fix the JSON of that file")
            continue
        if env and BASE_URL in env:
            pointing.append((scope, env[BASE_URL]))
    if not pointing:
        yield Finding(
            "claude",
            "warning",
            "Claude Code's settings do not point at a gateway (unless you export "
            "ANTHROPIC_BASE_URL in your shell)",
            fix=f"`codex2claudecode claude-env set{flags_for(config)}`",
        )
        return
    scope, value = pointing[0]
    if value == ours:
        stale = _stale_models(settings, scope, config)
        if stale:
            key, found, expected = stale
            yield Finding(
                "claude",
                "warning",
                f"the {scope} settings point Claude Code at {ours}, but {key} is {found}, not "
                f"{expected}, the model of the {_NAMES[chosen_provider(config)]} gateway",
                fix=f"`codex2claudecode claude-env set --scope {scope}{flags_for(config)}`",
            )
        else:
            yield Finding("claude", "ok", f"the {scope} settings point Claude Code at {ours}")
    else:
        yield Finding(
            "claude",
            "warning",
            f"the {scope} settings point Claude Code at {value}, not at {ours}",
            fix=f"`codex2claudecode claude-env set --scope {scope}{flags_for(config)}`",
        )


def _stale_models(
    settings: ClaudeSettings, scope: Scope, config: Config
) -> tuple[str, str, str] | None:
    """A model key of `scope`'s settings that is not the one `claude-env set` would write for
    this provider (e.g. GPT models while the gateway serves Kiro): (key, found, expected)."""
    try:
        draft = settings.load_draft(default_models(tier_models(config)))
        env = settings.read_env(scope) or {}
    except ClaudeSettingsError:
        return None  # reported by the scope check above
    for key, expected in draft.models.items():
        found = env.get(key)
        if isinstance(found, str) and found != expected:
            return key, found, expected
    return None


def _programs() -> Iterator[Finding]:
    for name, label, why in (
        ("claude", "Claude Code", f"the gateway's client; install it: {CLAUDE_INSTALL}"),
        ("codex", "Codex CLI", None),
    ):
        path = shutil.which(name)
        if path is None:
            if why:
                yield Finding("programs", "warning", f"{label} ({name}) is not on PATH", fix=why)
            else:
                yield Finding("programs", "ok", f"{label} ({name}) not found; not needed here")
            continue
        try:
            out = subprocess.run(
                [path, "--version"], capture_output=True, text=True, timeout=NETWORK_TIMEOUT
            )
            version = (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, subprocess.TimeoutExpired, IndexError):
            version = "version unknown"
        yield Finding("programs", "ok", f"{label}: {version} ({path})")


def _address(proxy: str) -> str:
    parts = urlsplit(proxy)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
