"""`codex2claudecode config fast-mode [on|off]`: the Codex priority service tier."""

from __future__ import annotations

import argparse
import sys

from codex2claudecode.accounts.files import InvalidJSONFile
from codex2claudecode.backends.codex.fast_mode import FastMode
from codex2claudecode.config import Config


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    parser.set_defaults(func=run, fast_mode_state=None)


def run(args: argparse.Namespace, config: Config) -> int:
    fast_mode = FastMode.from_config(config)
    if args.config_setting is None:
        print("Gateway settings (change one with `codex2claudecode config SETTING VALUE`):")
        print("fast-mode (on|off):")
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
