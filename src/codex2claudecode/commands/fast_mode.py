"""`codex2claudecode config fast-mode [on|off]`: the Codex priority service tier."""

from __future__ import annotations

import argparse
import sys

from codex2claudecode.accounts.files import InvalidJSONFile
from codex2claudecode.backends.codex.fast_mode import FastMode
from codex2claudecode.config import Config


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "config", help="change a gateway setting", description="Change a gateway setting."
    )
    settings = parser.add_subparsers(dest="config_setting", required=True, metavar="SETTING")
    fast = settings.add_parser(
        "fast-mode",
        help="ask Codex for the priority service tier",
        description=(
            'Fast mode adds service_tier: "priority" to every Codex request. A running gateway '
            "follows the change from its next request. Without on/off, show the current state."
        ),
    )
    fast.add_argument("fast_mode_state", nargs="?", choices=("on", "off"), metavar="on|off")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    fast_mode = FastMode.from_config(config)
    if args.fast_mode_state is not None:
        try:
            fast_mode.set_enabled(args.fast_mode_state == "on")
        except (InvalidJSONFile, OSError) as exc:
            print(f"codex2claudecode: cannot change fast mode: {exc}", file=sys.stderr)
            return 1
    if fast_mode.enabled():
        print('Fast mode is on: Codex requests ask for service_tier "priority".')
    else:
        print("Fast mode is off: Codex requests use the default service tier.")
    print(f"  Setting file: {fast_mode.path}")
    return 0
