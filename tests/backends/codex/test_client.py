from __future__ import annotations

import uuid

from codex2claudecode.backends.codex.client import new_session_id


def test_a_session_id_is_a_canonical_version_4_uuid() -> None:
    for _ in range(200):
        text = new_session_id()
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text


def test_session_ids_differ() -> None:
    assert len({new_session_id() for _ in range(1000)}) == 1000
