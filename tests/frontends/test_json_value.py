"""Free-form JSON limits: 64-bit integers and bounded nesting, with the path to the culprit."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode.frontends.fields import FieldError
from codex2claudecode.frontends.json_value import MAX_DEPTH, check_json_value


def nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"n": 2**64}, "n"),
        ({"n": -(2**63) - 1}, "n"),
        ({"properties": {"x": {"maximum": 10**30}}}, "properties.x.maximum"),
        ({"enum": [1, 2, 2**70]}, "enum.2"),
        (nested(MAX_DEPTH + 1), ".".join(["a"] * MAX_DEPTH)),
    ],
)
def test_a_violation_names_its_path(value: dict[str, object], path: str) -> None:
    with pytest.raises(FieldError) as caught:
        check_json_value(value)
    assert caught.value.path == path


@pytest.mark.parametrize(
    "value", [{"n": 2**64 - 1}, {"n": -(2**63)}, {"big": 1e308}, nested(MAX_DEPTH), {}]
)
def test_values_inside_the_limits_pass(value: dict[str, object]) -> None:
    check_json_value(value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(st.dictionaries(st.text(max_size=4), json_values, max_size=4))
def test_what_passes_is_what_orjson_can_write(value: dict[str, object]) -> None:
    try:
        check_json_value(value)
    except FieldError:
        with pytest.raises(orjson.JSONEncodeError):
            orjson.dumps(value)
    else:
        orjson.dumps(value)
