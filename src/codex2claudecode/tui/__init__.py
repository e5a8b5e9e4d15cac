"""The terminal UI: the gateway runs inside it, every daily task is a keystroke away.

`run_tui` is the entry point `codex2claudecode` uses when stdout is a terminal; Textual is
imported only then, so `--help` and `--headless` stay fast.
"""

from codex2claudecode.tui.run import run_tui

__all__ = ["run_tui"]
