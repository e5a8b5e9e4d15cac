"""The scope choice both Claude env commands start with, and the env diff they preview."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from textual.widgets import OptionList
from textual.widgets.option_list import Option

from codex2claudecode.claude_settings import (
    AUTH_TOKEN,
    SCOPES,
    ClaudeSettings,
    EnvChange,
    mask_secret,
)

SCOPE_TEXT = {
    "user": "you, in every project",
    "project": "everyone working in this project (committed)",
    "local": "you, in this project only",
}


def scope_list(settings: ClaudeSettings) -> OptionList:
    return OptionList(
        *(
            Option(f"{scope:<8} {settings.path(scope)}  — {SCOPE_TEXT[scope]}", id=scope)
            for scope in SCOPES
        ),
        id="scopes",
    )


def diff_lines(env: Mapping[str, object], change: EnvChange) -> list[str]:
    """`+ KEY=value` added, `~ KEY: old -> new` changed, `- KEY` removed; tokens masked."""
    lines = []
    for key, value in change.written.items():
        shown = _shown(key, value)
        if key not in env:
            lines.append(f"+ {key}={shown}")
        elif env[key] != value:
            lines.append(f"~ {key}: {_shown(key, env[key])} -> {shown}")
    lines += [f"- {key}" for key in change.removed]
    return lines


def _shown(key: str, value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return mask_secret(text) if key == AUTH_TOKEN else text


def cannot_write(path: Path, exc: OSError) -> str:
    """Why the settings file `path` was not written, and what to do (the error itself names
    a temp file beside it, or the gateway's own draft of the models)."""
    why = exc.strerror or str(exc)
    where = Path(exc.filename).parent if isinstance(exc.filename, str) else path.parent
    if where != path.parent:
        return f"cannot write in {where} ({why}); make it writable."
    return f"cannot write {path} ({why}); make {where} writable, or choose another settings file."
