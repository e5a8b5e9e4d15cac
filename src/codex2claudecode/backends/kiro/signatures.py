"""The reasoning signatures Kiro issued, remembered so later turns can replay them (R51).

Kiro accepts a `reasoningText.signature` (or `redactedContent`) in history only if it issued
it itself, for the same account and model; anything else is dropped from the history rather
than refused. One bounded LRU over (account, model, signature): the oldest are forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from codex2claudecode import ir

MAX_SIGNATURES = 2048
"""Signatures kept in all; a few per thinking turn, so hundreds of turns' worth."""


class SignatureMemory:
    """Which signatures Kiro issued to which account and model."""

    def __init__(self, limit: int = MAX_SIGNATURES) -> None:
        self._limit = limit
        self._seen: OrderedDict[tuple[str, str, str], None] = OrderedDict()

    def issued(self, account: str, model: str) -> IssuedTo:
        """The signatures issued to `account` on `model`, as a container (`in` only)."""
        return IssuedTo(self, account, model)

    def record(self, account: str, model: str, batch: Iterable[ir.Event]) -> None:
        """Remember the signatures among `batch`'s events (signed and redacted thinking)."""
        for event in batch:
            if isinstance(event, ir.ThinkingEnd) and event.signature:
                self._remember((account, model, event.signature))
            elif isinstance(event, ir.RedactedThinking) and event.data:
                self._remember((account, model, event.data))

    def knows(self, key: tuple[str, str, str]) -> bool:
        if key not in self._seen:
            return False
        self._seen.move_to_end(key)  # replayed: still part of a live conversation
        return True

    def _remember(self, key: tuple[str, str, str]) -> None:
        self._seen[key] = None
        self._seen.move_to_end(key)
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)


class IssuedTo:
    """The signatures one account and model were issued (`signature in issued`)."""

    __slots__ = ("_account", "_memory", "_model")

    def __init__(self, memory: SignatureMemory, account: str, model: str) -> None:
        self._memory = memory
        self._account = account
        self._model = model

    def __contains__(self, signature: object) -> bool:
        if not isinstance(signature, str):
            return False
        return self._memory.knows((self._account, self._model, signature))
