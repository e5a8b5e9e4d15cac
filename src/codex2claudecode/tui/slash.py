"""The slash commands: names, what they do, their keys, and completion as you type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from codex2claudecode.config import Provider


@dataclass(frozen=True, slots=True)
class SlashCommand:
    name: str
    """Without the slash, e.g. `logs`."""
    description: str
    key: str
    """The key that runs it from the dashboard."""
    providers: tuple[Provider, ...] = ("codex", "kiro")
    label: str = ""
    """Its name in the footer, when shorter than `name` ("" : the name)."""
    in_footer: bool = True
    """False for the rarely used: their key still works, the prompt and palette list them."""


COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("logs", "Live request log: filter, details, copy", "l"),
    SlashCommand("limits", "Every account's limits, with reset times", "m"),
    SlashCommand("account", "Switch account (the next request uses it)", "a"),
    SlashCommand("connect", "Add an account: import, browser, device code or tokens", "c"),
    SlashCommand("switch-provider", "Serve from ChatGPT Codex or Kiro", "p", label="provider"),
    SlashCommand(
        "set-claude-env",
        "Point Claude Code at this gateway (settings.json)",
        "e",
        label="claude env",
    ),
    SlashCommand(
        "unset-claude-env",
        "Remove this gateway from Claude Code's settings",
        "u",
        in_footer=False,
    ),
    SlashCommand(
        "codex-fast-mode",
        "Priority service tier for Codex requests",
        "f",
        ("codex",),
        in_footer=False,
    ),
    SlashCommand("quit", "Stop the gateway and leave", "q"),
)


def available(provider: Provider) -> list[SlashCommand]:
    """The commands that make sense while `provider` is active, in menu order."""
    return [command for command in COMMANDS if provider in command.providers]


def matching(text: str, commands: Sequence[SlashCommand]) -> list[SlashCommand]:
    """Commands completing what was typed (`/lo` -> logs): prefix matches, then substrings."""
    query = text.strip().lstrip("/").lower()
    if not query:
        return list(commands)
    prefix = [c for c in commands if c.name.startswith(query)]
    inside = [c for c in commands if query in c.name and c not in prefix]
    return prefix + inside


def named(name: str) -> SlashCommand:
    return next(c for c in COMMANDS if c.name == name)


def resolve(text: str, commands: Sequence[SlashCommand]) -> SlashCommand | None:
    """The command `text` names: exactly, or the only one it completes to."""
    query = text.strip().lstrip("/").lower()
    if not query:
        return None
    exact = next((c for c in commands if c.name == query), None)
    if exact is not None:
        return exact
    found = [c for c in commands if c.name.startswith(query)]
    return found[0] if len(found) == 1 else None
