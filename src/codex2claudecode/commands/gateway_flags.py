"""The gateway's own flags (--port, --host, --password, --provider), accepted before or after a
subcommand.

`codex2claudecode --port 9000 claude-env set` and `codex2claudecode claude-env set --port 9000`
mean the same: a subcommand's copy of a flag overrides the top-level one only when it is given.
"""

from __future__ import annotations

import argparse
import shlex

from codex2claudecode.config import DEFAULT_HOST, DEFAULT_PORT, Config
from codex2claudecode.provider_config import chosen_provider, read_provider

PORT_HELP = "the gateway's port (default 8787, env PORT)"
HOST_HELP = "the gateway's address (default 127.0.0.1, env HOST)"
PASSWORD_HELP = "the gateway's API password (env API_PASSWORD); needed for non-loopback hosts"
PROVIDER_HELP = (
    "the gateway's upstream provider (env UPSTREAM_PROVIDER); default: the last one used, "
    "else codex"
)


def port(value: str) -> int:
    """An argparse type: a TCP port number, 0 meaning any free port."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port: {value!r}") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port: {value!r} (must be 0-65535)")
    return number


def add_gateway_flags(
    parser: argparse.ArgumentParser, *, suppress: bool = True, provider: bool = True
) -> None:
    """Add -p/--port, --host (-H, --hostname), --password and --provider to `parser`.

    Args:
        suppress: leave the namespace alone when a flag is not given (for subcommands, so the
            top-level value stands); otherwise default to None.
        provider: add --provider too (commands whose result depends on the provider).
    """
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("-p", "--port", type=port, default=default, help=PORT_HELP)
    parser.add_argument("--host", "-H", "--hostname", dest="host", default=default, help=HOST_HELP)
    parser.add_argument("--password", default=default, help=PASSWORD_HELP)
    if provider:
        parser.add_argument(
            "--provider", choices=["codex", "kiro"], default=default, help=PROVIDER_HELP
        )


def provider_flag(config: Config) -> str:
    """` --provider X` when another command, left to itself, would pick another provider (the
    last one saved) than this gateway serves; else ""."""
    provider = chosen_provider(config)
    if provider != read_provider(config.provider_config_path):
        return f" --provider {provider}"
    return ""


def flags_for(config: Config, port: int | None = None) -> str:
    """The flags (with a leading space) that name this gateway to another command: those that
    differ from the defaults. `port` is the bound one when `config.port` is 0.

    `--provider` is among them when the other command, left to itself, would pick another
    provider (the last one saved), so that `claude-env set` writes this provider's models.
    """
    port = config.port if port is None else port
    flags = provider_flag(config)
    if config.host != DEFAULT_HOST:
        flags += f" --host {shlex.quote(config.host)}"
    if port != DEFAULT_PORT:
        flags += f" --port {port}"
    if config.password:
        flags += f" --password {shlex.quote(config.password)}"
    return flags
