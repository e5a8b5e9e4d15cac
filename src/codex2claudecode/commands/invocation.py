"""How the user can run this program again, so every suggested command works as printed.

After `./scripts/serve` only `.venv/bin/codex2claudecode` exists; after `pipx install` it is on
PATH. Suggestions say `codex2claudecode login`; `Localized` rewrites them to the command that
started this process when the bare name would not find it.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path
from typing import TextIO

NAME = "codex2claudecode"


def command_prefix(argv0: str, *, executable: str, cwd: Path) -> str:
    """The shell words that run this program: its bare name when PATH finds this very program,
    else the path it was started by (relative to `cwd` when inside it), or `python -m`."""
    if Path(argv0).name == "__main__.py":
        return f"{shlex.quote(executable)} -m {NAME}"
    found = shutil.which(NAME)
    started = Path(argv0)
    if found is not None and _same_file(Path(found), started):
        return NAME
    if not started.is_absolute() and "/" not in argv0 and os.sep not in argv0:
        return NAME  # started by bare name: PATH found it
    absolute = started.absolute()
    try:
        shown = str(absolute.relative_to(cwd))
        if "/" not in shown and os.sep not in shown:
            shown = os.path.join(".", shown)
    except ValueError:
        shown = str(absolute)
    return shlex.quote(shown)


def localize(text: str, prefix: str) -> str:
    """`text` with each suggested `codex2claudecode ...` command run through `prefix`."""
    if prefix == NAME:
        return text
    return text.replace(f"`{NAME} ", f"`{prefix} ").replace(f"`{NAME}`", f"`{prefix}`")


class Localized:
    """A text stream that localizes every suggested command written to it."""

    def __init__(self, stream: TextIO, prefix: str) -> None:
        self._stream = stream
        self._prefix = prefix

    def write(self, text: str) -> int:
        self._stream.write(localize(text, self._prefix))
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False
