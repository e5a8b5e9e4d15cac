"""The command line, and the composition root: every long-lived object is built here."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import logging
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codex2claudecode import __version__, errors
from codex2claudecode.claude_settings import PLACEHOLDER_TOKEN, gateway_base_url
from codex2claudecode.commands.gateway_flags import add_gateway_flags, flags_for, provider_flag
from codex2claudecode.commands.invocation import NAME, Localized, command_prefix
from codex2claudecode.commands.parsers import SUBCOMMANDS
from codex2claudecode.config import Config, ConfigError, Provider

if TYPE_CHECKING:  # aiohttp is imported only when serving: `--help` and `--version` stay fast
    from codex2claudecode.backends.base import Backend, BackendFactory
    from codex2claudecode.http_client import SharedSession
    from codex2claudecode.router import Router


@dataclass
class Gateway:
    """The assembled service: the ASGI app plus what must be closed at exit."""

    app: object
    http: SharedSession
    router: Router


def build_gateway(config: Config) -> Gateway:
    """Wire config → providers → router → frontends → app."""
    import asyncio

    from codex2claudecode import tokens
    from codex2claudecode.backends.base import Providers
    from codex2claudecode.frontends.anthropic.routes import AnthropicRoutes
    from codex2claudecode.frontends.models import model_routes
    from codex2claudecode.frontends.openai_chat.routes import ChatRoutes
    from codex2claudecode.frontends.openai_responses.routes import ResponsesRoutes
    from codex2claudecode.http_client import SharedSession
    from codex2claudecode.provider_config import chosen_provider
    from codex2claudecode.requestlog.writer import RequestLog
    from codex2claudecode.router import Router
    from codex2claudecode.server.app import create_app
    from codex2claudecode.server.usage_routes import usage_routes

    tokens.use_cache_dir(config.state_dir / "cache")
    http = SharedSession()
    active = chosen_provider(config)
    # The active provider's modules now, so its first request does not wait for them; the
    # other's only if the gateway is switched to it (`provider_factories`).
    importlib.import_module(f"codex2claudecode.backends.{active}.factory")
    providers = Providers(provider_factories(config, http), active=active)
    router = Router(providers)
    anthropic = AnthropicRoutes(
        router.generate,
        count_tokens=router.count_tokens,
        estimate_tokens=tokens.estimate_request_tokens,
        ping_interval=config.ping_interval,
    )

    estimate, ping = tokens.estimate_request_tokens, config.ping_interval
    responses = ResponsesRoutes(
        router.generate,
        estimate_tokens=estimate,
        ping_interval=ping,
        passthrough=router.passthrough_responses,
    )
    chat = ChatRoutes(router.generate, estimate_tokens=estimate, ping_interval=ping)

    def health() -> dict[str, object]:
        if providers.active_name == "kiro":
            from codex2claudecode.backends.kiro.health import kiro_health

            return kiro_health(config, now=time.time())
        from codex2claudecode.backends.codex.health import codex_health

        return codex_health(config, now=time.time())

    request_log = RequestLog.from_config(config)

    async def close_log() -> None:
        await asyncio.to_thread(request_log.close)

    app = create_app(
        config,
        [anthropic.dialect(), responses.dialect(), chat.dialect()],
        extra_routes=[*usage_routes(router, request_log.path), *model_routes(router.models)],
        on_shutdown=[providers.close, http.close, close_log],
        health=health,
        request_log=request_log,
        provider=lambda: providers.active_name,
    )
    return Gateway(app=app, http=http, router=router)


def provider_factories(config: Config, http: SharedSession) -> dict[Provider, BackendFactory]:
    """Each provider's backend factory; a provider's modules are imported when its backend is
    first built, so a Codex gateway never loads Kiro's (nor a Kiro one Codex's) unless switched."""

    def codex() -> Backend:
        from codex2claudecode.backends.codex.factory import build_codex_backend

        return build_codex_backend(config, http)

    def kiro() -> Backend:
        from codex2claudecode.backends.kiro.factory import build_kiro_backend

        return build_kiro_backend(config, http)

    return {"codex": codex, "kiro": kiro}


def _parser(prefix: str = NAME) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=NAME,
        description=DESCRIPTION,
        epilog=_epilog(prefix),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--headless", action="store_true", help=HEADLESS_HELP)
    add_gateway_flags(parser, suppress=False)
    parser.set_defaults(func=None)
    commands = parser.add_subparsers(
        title="commands", metavar="COMMAND", help="without one, the gateway starts"
    )
    for add_subcommand in SUBCOMMANDS:
        add_subcommand(commands)
    _remember_parsers(parser)
    return parser


def _remember_parsers(parser: argparse.ArgumentParser) -> None:
    """Record in each (sub)command's defaults its own parser, so a stray argument is reported
    with the usage of the command it was given to (`login --bogus`), not the top level's."""
    parser.set_defaults(usage_parser=parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _remember_parsers(sub)


# What --help promises. Each line says what exists today; when the TUI, the Kiro provider or
# the OpenAI routes land, change the one line that describes them.
DESCRIPTION = (
    "A local gateway that lets Claude Code and OpenAI-SDK clients run on your ChatGPT/Codex\n"
    "subscription or an Amazon Kiro account: it answers the Anthropic Messages API\n"
    "(/v1/messages) and the OpenAI Responses and Chat Completions APIs (/v1/responses,\n"
    "/v1/chat/completions)."
)
HEADLESS_HELP = (
    "server only, logging to stdout, no terminal UI (env CODEX_NO_UI=1; also when stdout is "
    "not a terminal)"
)
FIRST_STEPS = (
    ("", "start the gateway, with its terminal UI in a terminal (leave it running)"),
    ("login", "sign in with ChatGPT (--device without a browser)"),
    ("accounts import --provider kiro", "or use the Kiro IDE's login (then --provider kiro)"),
    ("claude-env set", "point Claude Code at the gateway"),
    ("doctor", "check the setup and explain what is wrong"),
)


def _epilog(prefix: str) -> str:
    commands = [f"{prefix} {words}".rstrip() for words, _ in FIRST_STEPS]
    width = max(map(len, commands)) + 3
    rows = [f"  {c:<{width}}{what}" for c, (_, what) in zip(commands, FIRST_STEPS, strict=True)]
    return "first steps:\n" + "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    prefix = NAME
    if argv is None:  # the real command line, not a call from Python
        prefix = command_prefix(sys.argv[0], executable=sys.executable, cwd=Path.cwd())
    if prefix != NAME:
        # Suggestions must work as printed, e.g. after ./scripts/serve only the venv has us.
        sys.stdout = Localized(sys.stdout, prefix)
        sys.stderr = Localized(sys.stderr, prefix)
    args, stray = _parser(prefix).parse_known_args(argv)
    if stray:
        args.usage_parser.error(f"unrecognized arguments: {' '.join(stray)}")
    try:
        config = Config.load(
            port=args.port,
            host=args.host,
            password=args.password,
            headless=args.headless,
            provider=args.provider,
        )
    except ConfigError as exc:
        print(f"codex2claudecode: {exc}", file=sys.stderr)
        return 2
    if args.func is not None:
        code: int = args.func(args, config)
        return code
    return serve(config, prefix=prefix)


def serve(config: Config, *, prefix: str = NAME) -> int:
    """Run the gateway in the foreground until interrupted."""
    from codex2claudecode.server.local_key import gateway_key
    from codex2claudecode.server.run import BindError, bind, bound_port, server_for

    # The TUI when a person is at a terminal; headless when asked, or piped, or in a service.
    tui = not config.headless and sys.stdout.isatty() and sys.stdin.isatty()
    if not tui:
        logging.basicConfig(
            level=logging.INFO,
            format="%(asctime)s %(message)s",
            datefmt="%H:%M:%S",
            stream=sys.stdout,
        )
    try:
        sock = bind(config.host, config.port)
    except BindError as exc:
        print(f"codex2claudecode: {exc}", file=sys.stderr)
        return 1
    try:
        local_key = gateway_key(None, config.local_key_path)
    except OSError as exc:
        sock.close()
        print(
            f"codex2claudecode: cannot read the local API key {config.local_key_path} "
            f"({exc.strerror or exc}); delete it to run without one, or make a new one with "
            f"`{prefix} claude-env set --with-key`",
            file=sys.stderr,
        )
        return 1
    port = bound_port(sock)
    gateway = build_gateway(config)
    # What start-up made lives as long as the process: out of the collector's sight, a full
    # collection under load walks only what requests made (~15 ms less, each time one runs).
    # No collection first: it would cost ~11 ms of start-up to free a handful of objects.
    gc.freeze()
    if tui:
        return _run_tui(config, gateway, sock)
    account, problem = account_summary(config)
    key_file = config.local_key_path if local_key and not config.password else None
    text = banner(
        config,
        port,
        account=account,
        problem=problem,
        prefix=prefix,
        key_file=key_file,
        warning=None if problem else foreign_warning(config),
    )
    print(text, flush=True)
    server = server_for(gateway.app, max_connections=config.max_connections)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    return 0


def _run_tui(config: Config, gateway: Gateway, sock: Any) -> int:
    from codex2claudecode.commands.claude_env import tier_models
    from codex2claudecode.tui import run_tui

    return run_tui(config, gateway.app, gateway.router, sock, tier_models)


def account_summary(config: Config) -> tuple[str, str | None]:
    """Who requests will run as, and what is wrong if nobody: `(who, None)` or `("none", why)`."""
    from codex2claudecode.provider_config import chosen_provider

    if chosen_provider(config) == "kiro":
        from codex2claudecode.backends.kiro.health import kiro_account_line

        return kiro_account_line(config)
    from codex2claudecode.backends.codex.accounts.store import CodexAccountStore

    try:
        creds = CodexAccountStore.from_config(config).load()
    except errors.NoAccount as exc:
        return "none", exc.message
    except OSError as exc:
        return "none", f"Cannot read the Codex accounts: {exc}"
    who = creds.email or creds.key
    return (f"{who} ({creds.plan})" if creds.plan else who), None


def foreign_warning(config: Config) -> str | None:
    """`skipped the Kiro IDE's login. <why and the fix>` when the served provider's foreign
    login file (the Codex CLI's, the Kiro IDE's) exists but holds no usable login."""
    from codex2claudecode.provider_config import chosen_provider

    if chosen_provider(config) == "kiro":
        from codex2claudecode.backends.kiro.accounts.store import KiroAccountStore

        problem = KiroAccountStore.from_config(config).foreign_problem()
        return None if problem is None else f"skipped the Kiro IDE's login. {problem}"
    from codex2claudecode.backends.codex.accounts.store import CodexAccountStore

    problem = CodexAccountStore.from_config(config).foreign_problem()
    return None if problem is None else f"skipped the Codex CLI's login. {problem}"


def banner(
    config: Config,
    port: int,
    *,
    account: str = "",
    problem: str | None = None,
    prefix: str = NAME,
    key_file: Path | None = None,
    warning: str | None = None,
) -> str:
    """The start-up text: endpoints, how to point Claude Code here, and account trouble.

    Args:
        port: the bound port (the real one when `config.port` is 0).
        prefix: how the user runs this program (see `commands.invocation`).
        key_file: the local API key the gateway requires (no password given), if any; the
            banner names the file and never prints the key.
        warning: trouble that leaves the gateway working (see `foreign_warning`).
    """
    from codex2claudecode.provider_config import chosen_provider

    base = gateway_base_url(config.host, port)
    if key_file is not None:
        token = f'"$(cat {shlex.quote(str(key_file))})"'
        access = f"required: the local key in {key_file}"
    else:
        token = shlex.quote(config.password or PLACEHOLDER_TOKEN)
        access = (
            "required (--password / API_PASSWORD)" if config.password else "none (loopback only)"
        )
    kiro = chosen_provider(config) == "kiro"
    name = "Kiro" if kiro else "Codex"
    managed_kiro = config.home / "kiro-state.json"
    kiro_file = managed_kiro if managed_kiro.exists() else config.kiro_auth_file
    accounts_file = kiro_file if kiro else config.codex_auth_path
    lines = [
        f"codex2claudecode {__version__} is listening on {base}",
        "",
        f"  Claude messages:  {base}/v1/messages",
        f"  Token counting:   {base}/v1/messages/count_tokens",
        f"  OpenAI SDKs:      {base}/v1 (responses, chat/completions, models)",
        f"  Health:           {base}/health",
        f"  Provider:         {'Kiro' if kiro else 'ChatGPT Codex'}",
        f"  Accounts file:    {accounts_file}",
        *([f"  {name + ' account:':<18}{account}"] if account else []),
        f"  API key:          {access}",
        "",
        "Point Claude Code at it for good (writes the env of its settings.json):",
        "",
        f"  {prefix} claude-env set{flags_for(config, port)}",
        "",
        "or for this shell only, paste:",
        "",
        f"  export ANTHROPIC_BASE_URL={base}",
        f"  export ANTHROPIC_AUTH_TOKEN={token}",
        "",
        *(
            [
                "Claude's model names map to Kiro's Claude models (claude-opus-4-8 ->",
                "claude-opus-4.8); `GET /v1/models` lists what your account offers.",
            ]
            if kiro
            else [
                "Claude's model names map to GPT models (opus, sonnet, haiku tiers); "
                "to pick one yourself:",
                "  export ANTHROPIC_MODEL=gpt-5.4_high",
            ]
        ),
    ]
    if problem:
        lines += [
            "",
            f"WARNING: no usable {name} account; every request will fail until you add one.",
            f"  {problem}",
            "  The gateway picks up a new login as soon as it is written; no restart needed.",
            f"  Several accounts, limits: `{prefix} accounts list{provider_flag(config)}`, "
            f"`{prefix} limits{provider_flag(config)}`",
        ]
    if warning:
        lines += ["", f"WARNING: {warning}"]
    lines += ["", "Press Ctrl+C to stop."]
    return "\n".join(lines)
