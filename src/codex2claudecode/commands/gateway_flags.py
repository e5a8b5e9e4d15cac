"""The gateway's own flags (--port, --host, --password), accepted before or after a subcommand.

`codex2claudecode --port 9000 claude-env set` and `codex2claudecode claude-env set --port 9000`
mean the same: a subcommand's copy of a flag overrides the top-level one only when it is given.
"""

from __future__ import annotations

import argparse
import shlex

from codex2claudecode.config import DEFAULT_HOST, DEFAULT_PORT, Config

PORT_HELP = "the gateway's port (default 8787, env PORT)"
HOST_HELP = "the gateway's address (default 127.0.0.1, env HOST)"
PASSWORD_HELP = "the gateway's API password (env API_PASSWORD); needed for non-loopback hosts"


def port(value: str) -> int:
    """An argparse type: a TCP port number, 0 meaning any free port."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port: {value!r}") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port: {value!r} (must be 0-65535)")
    return number


def add_gateway_flags(parser: argparse.ArgumentParser, *, suppress: bool = True) -> None:
    """Add -p/--port, --host (-H, --hostname) and --password to `parser`.

    Args:
        suppress: leave the namespace alone when a flag is not given (for subcommands, so the
            top-level value stands); otherwise default to None.
    """
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("-p", "--port", type=port, default=default, help=PORT_HELP)
    parser.add_argument("--host", "-H", "--hostname", dest="host", default=default, help=HOST_HELP)
    parser.add_argument("--password", default=default, help=PASSWORD_HELP)


def flags_for(config: Config, port: int | None = None) -> str:
    """The flags (with a leading space) that name this gateway to another command: those that
    differ from the defaults. `port` is the bound one when `config.port` is 0."""
    port = config.port if port is None else port
    flags = ""
    if config.host != DEFAULT_HOST:
        flags += f" --host {shlex.quote(config.host)}"
    if port != DEFAULT_PORT:
        flags += f" --port {port}"
    if config.password:
        flags += f" --password {shlex.quote(config.password)}"
    return flags
