"""`codex2claudecode config fast-mode [on|off]`: the Codex priority service tier."""

from __future__ import annotations

import argparse
import sys

from codex2claudecode.accounts.files import InvalidJSONFile
from codex2claudecode.backends.codex.fast_mode import FastMode
from codex2claudecode.commands import parsers
from codex2claudecode.config import Config


def add_parser(subparsers: parsers.Subparsers) -> None:
    """Register `config` (defined in `commands.parsers`) to call this module's `run`."""
    parsers.add_config(subparsers).set_defaults(func=run)


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
