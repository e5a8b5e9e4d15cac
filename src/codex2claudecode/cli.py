"""The command line, and the composition root: every long-lived object is built here."""

from __future__ import annotations

import argparse
import contextlib
import logging
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codex2claudecode import __version__, errors
from codex2claudecode.claude_settings import PLACEHOLDER_TOKEN
from codex2claudecode.config import Config, ConfigError, Provider

if TYPE_CHECKING:  # aiohttp is imported only when serving: `--help` and `--version` stay fast
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
    from codex2claudecode import tokens
    from codex2claudecode.backends.base import Backend, Providers
    from codex2claudecode.backends.codex.factory import build_codex_backend
    from codex2claudecode.backends.kiro.factory import build_kiro_backend
    from codex2claudecode.frontends.anthropic.routes import AnthropicRoutes
    from codex2claudecode.frontends.models import model_routes
    from codex2claudecode.frontends.openai_chat.routes import ChatRoutes
    from codex2claudecode.frontends.openai_responses.routes import ResponsesRoutes
    from codex2claudecode.http_client import SharedSession
    from codex2claudecode.provider_config import chosen_provider
    from codex2claudecode.router import Router
    from codex2claudecode.server.app import create_app
    from codex2claudecode.server.usage_routes import usage_routes

    http = SharedSession()

    def codex() -> Backend:
        return build_codex_backend(config, http)

    def kiro() -> Backend:
        return build_kiro_backend(config, http)

    factories: dict[Provider, Callable[[], Backend]] = {"codex": codex, "kiro": kiro}
    providers = Providers(factories, active=chosen_provider(config))
    router = Router(providers)
    anthropic = AnthropicRoutes(
        router.generate,
        count_tokens=router.count_tokens,
        estimate_tokens=tokens.estimate_request_tokens,
        ping_interval=config.ping_interval,
    )

    estimate, ping = tokens.estimate_request_tokens, config.ping_interval
    responses = ResponsesRoutes(router.generate, estimate_tokens=estimate, ping_interval=ping)
    chat = ChatRoutes(router.generate, estimate_tokens=estimate, ping_interval=ping)
    app = create_app(
        config,
        [anthropic.dialect(), responses.dialect(), chat.dialect()],
        extra_routes=[*usage_routes(router), *model_routes(router.models)],
        on_shutdown=[providers.close, http.close],
    )
    return Gateway(app=app, http=http, router=router)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codex2claudecode",
        description=(
            "A local gateway that lets Claude Code (and OpenAI-SDK clients) run on your "
            "ChatGPT/Codex subscription."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--headless", action="store_true", help="run the server only, logging to stdout (no TUI)"
    )
    parser.add_argument(
        "-p", "--port", type=_port, help="port to listen on (default 8787, env PORT)"
    )
    parser.add_argument(
        "--host",
        "-H",
        "--hostname",
        dest="host",
        help="address to bind (default 127.0.0.1, env HOST)",
    )
    parser.add_argument(
        "--password",
        help="require this API key from clients (env API_PASSWORD); needed for non-loopback hosts",
    )
    parser.add_argument(
        "--provider", choices=["codex", "kiro"], help="upstream provider (env UPSTREAM_PROVIDER)"
    )
    parser.set_defaults(func=None)
    commands = parser.add_subparsers(
        title="commands", metavar="COMMAND", help="without one, the gateway is started"
    )
    for module in _command_modules():
        module.add_parser(commands)
    return parser


def _command_modules() -> list[Any]:
    from codex2claudecode.commands import accounts, claude_env, fast_mode, limits, login, logs

    return [login, accounts, limits, fast_mode, claude_env, logs]


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port: {value!r} (must be 0-65535)")
    return port


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    return serve(config)


def serve(config: Config) -> int:
    """Run the gateway in the foreground until interrupted."""
    from codex2claudecode.server.run import PortInUse, bind, bound_port, server_for

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
    except PortInUse as exc:
        print(f"codex2claudecode: {exc}", file=sys.stderr)
        return 1
    port = bound_port(sock)
    gateway = build_gateway(config)
    if tui:
        return _run_tui(config, gateway, sock)
    account, problem = account_summary(config)
    print(banner(config, port, account=account, problem=problem), flush=True)
    server = server_for(gateway.app)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    return 0


def _run_tui(config: Config, gateway: Gateway, sock: Any) -> int:
    from codex2claudecode.commands.claude_env import tier_models
    from codex2claudecode.tui import run_tui

    return run_tui(config, gateway.app, gateway.router, sock, tier_models)


def account_summary(config: Config) -> tuple[str, str | None]:
    """Who requests will run as, and what is wrong if nobody: `(who, None)` or `("none", why)`."""
    from codex2claudecode.backends.codex.accounts.store import CodexAccountStore

    try:
        creds = CodexAccountStore.from_config(config).load()
    except errors.NoAccount as exc:
        return "none", exc.message
    except OSError as exc:
        return "none", f"Cannot read the Codex accounts: {exc}"
    who = creds.email or creds.key
    return (f"{who} ({creds.plan})" if creds.plan else who), None


def banner(config: Config, port: int, *, account: str = "", problem: str | None = None) -> str:
    """The start-up text: endpoints, the exact exports for Claude Code, and account trouble."""
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::", "") else config.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    base = f"http://{host}:{port}"
    token = shlex.quote(config.password or PLACEHOLDER_TOKEN)
    lines = [
        f"codex2claudecode {__version__} is listening on {base}",
        "",
        f"  Claude messages:  {base}/v1/messages",
        f"  Token counting:   {base}/v1/messages/count_tokens",
        f"  Health:           {base}/health",
        f"  Accounts file:    {config.codex_auth_path}",
        *([f"  Codex account:    {account}"] if account else []),
        f"  API password:     {'required' if config.password else 'none (loopback only)'}",
        "",
        "Point Claude Code at it (paste into your shell):",
        "",
        f"  export ANTHROPIC_BASE_URL={base}",
        f"  export ANTHROPIC_AUTH_TOKEN={token}",
        "",
        "or once for good (its settings.json): codex2claudecode claude-env set",
        "",
        "Claude's model names map to GPT models (opus, sonnet, haiku tiers); to pick one yourself:",
        "  export ANTHROPIC_MODEL=gpt-5.4_high",
    ]
    if problem:
        lines += [
            "",
            "WARNING: no usable Codex account; every request will fail until you add one.",
            f"  {problem}",
            "  The gateway picks up a new login as soon as it is written; no restart needed.",
            "  Several accounts, limits: codex2claudecode accounts list; codex2claudecode limits",
        ]
    return "\n".join(lines)
