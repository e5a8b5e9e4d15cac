"""Subcommands of `codex2claudecode`, one module each.

Each module has `add_parser(subparsers)`, which registers its subcommand with
`set_defaults(func=run)`; `run(args, config)` returns the exit code. `cli.py` wires them in.
"""
