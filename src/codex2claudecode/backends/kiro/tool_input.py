"""A Kiro tool call's input, assembled from its `toolUseEvent` fragments.

Kiro streams the input as JSON text fragments (older versions: whole objects) and ends the call
with `stop`; a long input may be cut short with no `stop` at all (kiro-2026-update §4).
"""

from __future__ import annotations

from typing import Any

import orjson


class PendingToolCall:
    """One call whose input is still arriving."""

    __slots__ = ("fragments", "id", "merged", "name")

    def __init__(self, call_id: str, name: str) -> None:
        self.id, self.name = call_id, name
        self.fragments: list[str] = []
        self.merged: dict[str, Any] = {}
        """Input sent as objects rather than text fragments, shallow-merged (original-kiro §4.2)."""

    def add(self, value: object) -> None:
        """Append one event's `input`: a text fragment, an object, or nothing."""
        if isinstance(value, str):
            self.fragments.append(value)
        elif isinstance(value, dict):
            self.merged.update(value)

    def raw(self) -> str:
        """The input as received so far."""
        if self.fragments:
            return "".join(self.fragments)
        return orjson.dumps(self.merged).decode() if self.merged else ""

    def arguments(self, *, stopped: bool) -> str | None:
        """The input as a JSON object text, or None if it is not one (cut short or broken).

        An empty input is a call without parameters only when Kiro said `stop`; without it,
        the call was cut right after its name.
        """
        raw = self.raw()
        if not raw and stopped:
            return "{}"
        try:
            return raw if isinstance(orjson.loads(raw), dict) else None
        except orjson.JSONDecodeError:
            return None
