from __future__ import annotations

from codex2claudecode import ir
from codex2claudecode.backends.kiro.signatures import SignatureMemory


def test_signatures_are_known_per_account_and_model() -> None:
    memory = SignatureMemory()
    memory.record("a", "opus", [ir.ThinkingEnd("sig-1"), ir.RedactedThinking("red-1")])
    memory.record("a", "opus", [ir.ThinkingEnd("")])  # tag thinking: nothing to replay
    assert "sig-1" in memory.issued("a", "opus")
    assert "red-1" in memory.issued("a", "opus")
    assert "" not in memory.issued("a", "opus")
    assert "sig-1" not in memory.issued("b", "opus")
    assert "sig-1" not in memory.issued("a", "sonnet")


def test_the_least_recently_used_are_forgotten_first() -> None:
    memory = SignatureMemory(limit=2)
    memory.record("a", "m", [ir.ThinkingEnd("one"), ir.ThinkingEnd("two")])
    assert "one" in memory.issued("a", "m")  # replayed: now the most recent
    memory.record("a", "m", [ir.ThinkingEnd("three")])
    issued = memory.issued("a", "m")
    assert ("one" in issued, "two" in issued, "three" in issued) == (True, False, True)
