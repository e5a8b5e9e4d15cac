from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode.backends.codex.signature import PREFIX, pack_reasoning, unpack_reasoning


@given(item_id=st.text(), encrypted_content=st.text())
def test_round_trip(item_id: str, encrypted_content: str) -> None:
    signature = pack_reasoning(item_id, encrypted_content)
    assert unpack_reasoning(signature) == (item_id, encrypted_content)


@given(item_id=st.text(), encrypted_content=st.text())
def test_uses_only_base64url_characters(item_id: str, encrypted_content: str) -> None:
    signature = pack_reasoning(item_id, encrypted_content)
    assert signature.startswith(PREFIX)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", signature)


def test_real_shape() -> None:
    encrypted = "gAAAAABo" + "x" * 2000 + "=="
    assert unpack_reasoning(pack_reasoning("rs_68a1b2", encrypted)) == ("rs_68a1b2", encrypted)


@pytest.mark.parametrize(
    "foreign",
    [
        "",
        "fakesig_cf3a388b428940a8a909e55d2825b2de",
        "sig_0123456789abcdef0123456789abcdef",
        # What a real Anthropic signature looks like: standard base64, no prefix of ours.
        "EqQBCkgIAxABGAIiQLtV3zW6Z3p0W9vB1yX2kYb8cQ2bH5E7jVd9pP0sJm4Z",
        PREFIX,
        PREFIX + "!!!not base64!!!",
        PREFIX + "bm90IGpzb24",  # "not json"
        PREFIX + "WyJvbmx5LW9uZSJd",  # ["only-one"]
        PREFIX + "WzEsMl0",  # [1,2]
        PREFIX + "eyJhIjoxfQ",  # {"a":1}
        PREFIX + "é",
    ],
)
def test_foreign_signatures_are_not_ours(foreign: str) -> None:
    assert unpack_reasoning(foreign) is None


@given(st.text())
def test_never_raises(signature: str) -> None:
    unpack_reasoning(signature)
    unpack_reasoning(PREFIX + signature)
