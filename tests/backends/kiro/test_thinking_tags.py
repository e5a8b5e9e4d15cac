from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode.backends.kiro.thinking_tags import TagSplitter


def split(*chunks: str) -> tuple[str, str]:
    """(thinking, text) after feeding `chunks`; checks thinking never follows text."""
    splitter = TagSplitter()
    pieces = [p for chunk in chunks for p in splitter.feed(chunk)] + splitter.flush()
    kinds = [thinking for thinking, _ in pieces]
    assert kinds == sorted(kinds, reverse=True)
    assert all(text for _, text in pieces)
    thinking = "".join(text for is_thinking, text in pieces if is_thinking)
    return thinking, "".join(text for is_thinking, text in pieces if not is_thinking)


# Texts built from tag fragments, so that tags and near-tags are common.
texts = st.lists(
    st.sampled_from(["<thinking>", "</thinking>", "<think>", "</think>", "<", "</", "a", "\n"]),
    max_size=8,
).map("".join)


@given(texts, st.lists(st.integers(0, 60), max_size=6))
def test_any_split_gives_the_same_result(text: str, cuts: list[int]) -> None:
    points = [0, *sorted(c for c in cuts if c <= len(text)), len(text)]
    assert split(*(text[a:b] for a, b in itertools.pairwise(points))) == split(text)


@given(texts)
def test_nothing_is_lost_but_the_tags(text: str) -> None:
    thinking, rest = split(text)
    for open_tag, close_tag in (("<thinking>", "</thinking>"), ("<think>", "</think>")):
        if text.startswith(open_tag):
            body = text[len(open_tag) :]
            if close_tag in body:
                assert (thinking, rest) == tuple(body.split(close_tag, 1))
            else:
                assert (thinking, rest) == (body, "")
            return
    assert (thinking, rest) == ("", text)


def test_a_close_tag_split_over_three_chunks() -> None:
    assert split("<thinking>x<", "/think", "ing>y") == ("x", "y")
