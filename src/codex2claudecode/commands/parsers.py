"""The argparse definitions of every subcommand, cheap to import: building the command line
(for `--help`, or to start the gateway) imports no command's implementation.

Each `add_<command>(subparsers)` registers one subcommand and returns its parser, with
`func` set to a `Command`, which imports `commands.<module>` and calls its `run(args, config)`
only when that subcommand runs. `commands.<module>.add_parser` registers the same parser with
`func` set to that module's `run` itself.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from codex2claudecode.backends.kiro.accounts.credentials import AUTH_KINDS
from codex2claudecode.claude_settings import SCOPES
from codex2claudecode.commands.gateway_flags import add_gateway_flags

if TYPE_CHECKING:
    from codex2claudecode.config import Config

    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

MODEL_FLAGS = {
    "model": "ANTHROPIC_MODEL",
    "opus": "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "sonnet": "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "haiku": "ANTHROPIC_DEFAULT_HAIKU_MODEL",
}
"""`claude-env set`'s model flags and the settings key each one writes."""
_SCOPE_HELP = (
    "user: $CLAUDE_CONFIG_DIR/settings.json (default ~/.claude), for all your projects; "
    "project: ./.claude/settings.json, shared with collaborators; "
    "local: ./.claude/settings.local.json, you only, in this project (default: user)"
)


@dataclass(frozen=True, slots=True)
class Command:
    """A subcommand's `run`: `commands.<module>` is imported when the subcommand runs."""

    module: str

    def __call__(self, args: argparse.Namespace, config: Config) -> int:
        implementation = importlib.import_module(f"codex2claudecode.commands.{self.module}")
        code: int = implementation.run(args, config)
        return code


def add_login(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "login",
        help="sign in to a ChatGPT account",
        description=(
            "Sign in to a ChatGPT account as the Codex CLI does, add it to the Codex accounts "
            "(or renew its tokens) and make it the active one. Kiro has no sign-in here: sign "
            "in with the Kiro IDE, then run `codex2claudecode accounts import --provider kiro`."
        ),
    )
    parser.add_argument(
        "--device",
        action="store_true",
        help="sign in from another device with a one-time code (for machines without a browser)",
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="print the sign-in URL instead of opening a browser",
    )
    parser.add_argument(
        "--provider",
        choices=["codex", "kiro"],
        default=argparse.SUPPRESS,
        help="codex (the default); kiro only says how to add a Kiro account",
    )
    parser.set_defaults(func=Command("login"))
    return parser


def add_accounts(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "accounts",
        help="list, add, switch and remove Codex or Kiro accounts",
        description=(
            "Manage the ChatGPT accounts the gateway uses for Codex (sign in to a new one with "
            "`codex2claudecode login`), or with --provider kiro the Kiro accounts. Without "
            "--provider, the accounts of the provider the gateway serves."
        ),
    )
    actions = parser.add_subparsers(dest="accounts_action", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list",
        help="show every account, the active one marked *",
        description=(
            "Show every Codex account with its plan, token expiry, state and what is left of its "
            "usage limits (asked from ChatGPT; --offline skips that). With --provider kiro, every "
            "Kiro account by its name, login kind, region, token expiry and state (`limits "
            "--provider kiro` shows their credits)."
        ),
    )
    listing.add_argument(
        "--offline",
        action="store_true",
        help="do not ask ChatGPT for the usage limits (Kiro's list never asks)",
    )
    source = actions.add_parser(
        "import",
        help="add the Codex CLI's login (no network)",
        description=(
            "Add the account the Codex CLI is signed in to ($CODEX_HOME/auth.json), or with "
            "--provider kiro the Kiro IDE's login (KIRO_AUTH_FILE, default "
            "~/.aws/sso/cache/kiro-auth-token.json), and make it active. Both programs then share "
            "its tokens: whichever refreshes them, the other picks up the new ones."
        ),
    )
    source.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="FILE",
        help="another Codex CLI auth.json, or Kiro token file with --provider kiro (a directory: "
        "the auth.json or kiro-auth-token.json in it)",
    )
    manual = actions.add_parser(
        "add",
        help="add an account from its tokens",
        description=(
            "Add an account from a refresh token (and optionally its account id and access "
            "token), checked by refreshing it once. That spends the token: the program it was "
            "copied from must sign in again, unless it is the Codex CLI holding the same account "
            "(its auth.json gets the new tokens). Give a token as - (the default for the refresh "
            "token) to type it hidden or pipe it on stdin, so it stays out of your shell history."
        ),
    )
    manual.add_argument(
        "--account-id", help="the ChatGPT account id (read from the tokens if left out)"
    )
    manual.add_argument("--access-token", metavar="TOKEN", help="the access token, or - for stdin")
    manual.add_argument(
        "--refresh-token",
        metavar="TOKEN",
        default="-",
        help="the refresh token (default: -, stdin)",
    )
    use = actions.add_parser(
        "use",
        help="make an account the active one",
        description="Make an account active; a running gateway switches from its next request.",
    )
    use.add_argument("key", help="the account's key, e-mail or name, as `accounts list` shows it")
    remove = actions.add_parser(
        "remove",
        help="forget an account",
        description="Remove an account from the managed file (never from the Codex CLI's).",
    )
    remove.add_argument("key", help="the account's key, e-mail or name (see `accounts list`)")
    _kiro_options({"list": listing, "import": source, "add": manual, "use": use, "remove": remove})
    parser.set_defaults(func=Command("accounts"))
    return parser


def _kiro_options(actions: Mapping[str, argparse.ArgumentParser]) -> None:
    """Give the `accounts` actions `--provider` and the `add` action its Kiro options."""
    for parser in actions.values():
        parser.add_argument(
            "--provider",
            dest="accounts_provider",
            choices=["codex", "kiro"],
            default=argparse.SUPPRESS,
            help="whose accounts (default: the provider the gateway serves)",
        )
    add = actions["add"]
    kiro = add.add_argument_group("Kiro accounts (--provider kiro)")
    kiro.add_argument("--label", help="a name for the account")
    kiro.add_argument("--region", help="the login's AWS region, e.g. us-east-1 (required)")
    kiro.add_argument(
        "--profile-arn", metavar="ARN", help="the account's CodeWhisperer profile ARN"
    )
    kiro.add_argument(
        "--kind",
        choices=[k.replace("_", "-") for k in AUTH_KINDS],
        default=argparse.SUPPRESS,
        help="how the account signs in (default social); the access token is read first, then "
        "the refresh token, when both come from stdin",
    )
    kiro.add_argument("--client-id", help="the OIDC client id (idc, builder-id, external-idp)")
    kiro.add_argument(
        "--client-secret", metavar="SECRET", help="the OIDC client secret (idc, builder-id), or -"
    )
    kiro.add_argument("--token-endpoint", metavar="URL", help="the external IdP's token endpoint")
    kiro.add_argument("--scopes", help="the external IdP's scopes, space separated")


def add_limits(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "limits",
        help="show each account's usage limits",
        description=(
            "Ask the provider for every account's limits and show how much is left and when "
            "each resets (local time): for Codex the usage windows (5 hours and weekly, plus any "
            "per-model limits), for Kiro the month's credits, the overage and the tier."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the readings as JSON")
    parser.add_argument(
        "--provider",
        dest="limits_provider",
        choices=["codex", "kiro"],
        default=argparse.SUPPRESS,
        help="whose accounts (default: the provider the gateway serves)",
    )
    parser.set_defaults(func=Command("limits"))
    return parser


def add_config(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "config",
        help="show or change a gateway setting",
        description="Show or change a gateway setting; without one, show them all.",
    )
    settings = parser.add_subparsers(dest="config_setting", metavar="SETTING")
    fast = settings.add_parser(
        "fast-mode",
        help="ask Codex for the priority service tier",
        description=(
            'Fast mode adds service_tier: "priority" (ChatGPT\'s faster processing tier) to every '
            "Codex request. A running gateway follows the change from its next request."
        ),
    )
    fast.add_argument(
        "fast_mode_state",
        nargs="?",
        type=str.lower,
        choices=("on", "off"),
        metavar="on|off",
        help="on: priority tier; off: the default tier; left out: show the current state",
    )
    parser.set_defaults(func=Command("fast_mode"), fast_mode_state=None)
    return parser


def add_claude_env(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "claude-env",
        help="point Claude Code at this gateway (the env of its settings.json)",
        description=(
            "Write, remove or show the env entries of a Claude Code settings file that make "
            "Claude Code use this gateway. Every other setting is left exactly as it is. Use the "
            "same --host/--port/--password as the gateway."
        ),
    )
    actions = parser.add_subparsers(dest="claude_env_action", required=True, metavar="ACTION")
    set_parser = actions.add_parser(
        "set",
        help="write the gateway's URL, token and models",
        description=(
            "Write ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN (the gateway password, else a "
            "placeholder), the model keys and the extraEnv entries of the draft file "
            "(.claude-env.json in the state directory), and delete the keys its unsetEnv lists."
        ),
    )
    set_parser.add_argument(
        "--with-key",
        action="store_true",
        help="generate a local API key (once; kept in the state directory, mode 0600), write it "
        "as ANTHROPIC_AUTH_TOKEN, and have the gateway require it from its next start; for "
        "shared machines. --password / API_PASSWORD wins over it.",
    )
    for flag, key in MODEL_FLAGS.items():
        set_parser.add_argument(
            f"--{flag}",
            metavar="MODEL",
            help=f'{key}; remembered in the draft file ("" returns to the default)',
        )
    unset_parser = actions.add_parser(
        "unset",
        help="remove the managed entries",
        description="Remove the entries `set` writes; every other key is kept.",
    )
    show_parser = actions.add_parser(
        "show",
        help="show the managed entries of a settings file",
        description=(
            "Show the entries `set` manages in a Claude Code settings file, what each is for, "
            "and whether they point at this gateway (give the gateway's --host/--port/--password). "
            "Reads only; never changes a file."
        ),
    )
    for action in (set_parser, unset_parser, show_parser):
        action.add_argument("--scope", choices=SCOPES, default="user", help=_SCOPE_HELP)
        add_gateway_flags(action)
    parser.set_defaults(func=Command("claude_env"))
    return parser


def add_logs(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "logs",
        help="show the requests the gateway has served",
        description=(
            "Show the request log (requests.db in the state directory): the last requests, "
            "newest last, with status, models, account, timing and tokens. Secrets are "
            "redacted before anything is stored."
        ),
    )
    parser.add_argument(
        "-n", type=_count, default=20, metavar="N", help="how many requests (default 20)"
    )
    parser.add_argument(
        "-f", "--follow", action="store_true", help="keep printing new requests (Ctrl+C ends)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--id", dest="request_id", metavar="ID", help="show one request in full, with its bodies"
    )
    parser.set_defaults(func=Command("logs"))
    return parser


def _count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"N must be a positive whole number, got {value!r}")
    return int(value)


def add_doctor(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "doctor",
        help="check the setup and explain what is wrong",
        description=(
            "Check the state directory and its permissions, every account of the provider the "
            "gateway serves (token, refresh, limits; --provider picks Codex or Kiro), the "
            "upstream (DNS, TLS, proxy), the gateway's port, Claude Code's settings and the "
            "Claude Code / Codex CLI versions. Each line is ok, warning or problem, with the "
            "fix; the exit code is 1 when there is a problem."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    add_gateway_flags(parser)
    parser.set_defaults(func=Command("doctor"))
    return parser


SUBCOMMANDS: tuple[Callable[[Subparsers], argparse.ArgumentParser], ...] = (
    add_login,
    add_accounts,
    add_limits,
    add_config,
    add_claude_env,
    add_logs,
    add_doctor,
)
"""Every subcommand, in the order `--help` lists them."""
