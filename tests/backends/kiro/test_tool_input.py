from __future__ import annotations

import pytest

from codex2claudecode.backends.kiro.tool_input import PendingToolCall


def pending(*inputs: object) -> PendingToolCall:
    call = PendingToolCall("t1", "Write")
    for value in inputs:
        call.add(value)
    return call


@pytest.mark.parametrize(
    ("inputs", "stopped", "arguments"),
    [
        (['{"a"', ": 1}"], True, '{"a": 1}'),
        (['{"a"', ": 1}"], False, '{"a": 1}'),  # complete even without stop
        ([], True, "{}"),  # no parameters
        ([None, ""], True, "{}"),
        ([], False, None),  # cut right after the name
        (['{"a": "unterminated'], True, None),
        (['{"a": "unterminated'], False, None),
        (["[1]"], True, None),  # not an object
        (["null"], True, None),
        ([{"a": 1}, {"b": 2}], True, '{"a":1,"b":2}'),
        ([{}], False, None),
    ],
)
def test_arguments(inputs: list[object], stopped: bool, arguments: str | None) -> None:
    assert pending(*inputs).arguments(stopped=stopped) == arguments


def test_raw_keeps_a_broken_input_for_the_output_count() -> None:
    assert pending('{"content": "pri', "nt(").raw() == '{"content": "print('
