"""Subcommands of `codex2claudecode`, one module each.

`parsers` defines every subcommand's arguments, cheap to import; `cli.py` builds the command
line from it, and a subcommand's module is imported only when that subcommand runs. Each module
has `run(args, config)`, which returns the exit code, and `add_parser(subparsers)`, which
registers its subcommand with `set_defaults(func=run)`.
"""
