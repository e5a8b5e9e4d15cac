from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode import json_edit

# ---------------------------------------------------------------------------- exact splices

PUT_CASES = [
    # (name, before, parents, key, value, after)
    (
        "two-space, appended after the last member",
        '{\n  "a": 1,\n  "env": {\n    "X": "1"\n  }\n}\n',
        ("env",),
        "Y",
        "2",
        '{\n  "a": 1,\n  "env": {\n    "X": "1",\n    "Y": "2"\n  }\n}\n',
    ),
    (
        "existing member replaced in place",
        '{\n  "env": {\n    "Y": "old",\n    "X": "1"\n  }\n}',
        ("env",),
        "Y",
        "new",
        '{\n  "env": {\n    "Y": "new",\n    "X": "1"\n  }\n}',
    ),
    (
        "empty nested object takes the top level's indent unit",
        '{\n    "a": 1,\n    "env": {}\n}',
        ("env",),
        "K",
        "v",
        '{\n    "a": 1,\n    "env": {\n        "K": "v"\n    }\n}',
    ),
    (
        "tabs",
        '{\n\t"env": {}\n}',
        ("env",),
        "K",
        "v",
        '{\n\t"env": {\n\t\t"K": "v"\n\t}\n}',
    ),
    (
        "CRLF line ends",
        '{\r\n  "env": {}\r\n}\r\n',
        ("env",),
        "K",
        "v",
        '{\r\n  "env": {\r\n    "K": "v"\r\n  }\r\n}\r\n',
    ),
    (
        "inline file stays inline, with its own colon",
        '{"a":1,"env":{}}',
        ("env",),
        "K",
        "v",
        '{"a":1,"env":{"K":"v"}}',
    ),
    (
        "inline with spaces",
        '{"a": 1}',
        (),
        "env",
        {},
        '{"a": 1, "env": {}}',
    ),
    (
        "empty top level gets Claude Code's two spaces",
        "{}\n",
        (),
        "env",
        {},
        '{\n  "env": {}\n}\n',
    ),
    (
        "non-ASCII written as is, like JSON.stringify",
        '{\n  "env": {}\n}',
        ("env",),
        "K",
        "café/ü",
        '{\n  "env": {\n    "K": "café/ü"\n  }\n}',
    ),
    (
        "the last of duplicate keys is the one replaced",
        '{"env": {"K": "1", "K": "2"}}',
        ("env",),
        "K",
        "3",
        '{"env": {"K": "1", "K": "3"}}',
    ),
    (
        "strings holding braces and escaped quotes are skipped whole",
        '{"x": "}{\\"[", "env": {"a": [1, {"b": "]"}]}}',
        ("env",),
        "K",
        "v",
        '{"x": "}{\\"[", "env": {"a": [1, {"b": "]"}], "K": "v"}}',
    ),
]


@pytest.mark.parametrize(
    ("before", "parents", "key", "value", "after"),
    [c[1:] for c in PUT_CASES],
    ids=[c[0] for c in PUT_CASES],
)
def test_put(before: str, parents: tuple[str, ...], key: str, value: object, after: str) -> None:
    assert json_edit.put(before, parents, key, value) == after


DELETE_CASES = [
    ('{\n  "a": 1,\n  "b": 2,\n  "c": 3\n}', "a", '{\n  "b": 2,\n  "c": 3\n}'),
    ('{\n  "a": 1,\n  "b": 2,\n  "c": 3\n}', "b", '{\n  "a": 1,\n  "c": 3\n}'),
    ('{\n  "a": 1,\n  "b": 2,\n  "c": 3\n}', "c", '{\n  "a": 1,\n  "b": 2\n}'),
    ('{\n  "a": 1\n}\n', "a", "{}\n"),
    ('{"a":1,"b":{"c":[1,2]}}', "b", '{"a":1}'),
    ('{"a": 1, "a": 2, "b": 3}', "a", '{"b": 3}'),
    ('{"a": 1}', "missing", '{"a": 1}'),
]


@pytest.mark.parametrize(("before", "key", "after"), DELETE_CASES)
def test_delete(before: str, key: str, after: str) -> None:
    assert json_edit.delete(before, (), key) == after


@pytest.mark.parametrize("text", ['{"env": "text"}', '{"other": {}}', '{"env": [1]}'])
def test_a_parent_that_is_not_an_object_is_a_key_error(text: str) -> None:
    with pytest.raises(KeyError):
        json_edit.put(text, ("env",), "K", "v")
    with pytest.raises(KeyError):
        json_edit.delete(text, ("env",), "K")


# ---------------------------------------------------------------------------- properties

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_docs = st.dictionaries(st.text(max_size=6), _values, max_size=5)
_styles = st.sampled_from(
    [
        {"indent": 2},
        {"indent": 4},
        {"indent": "\t"},
        {"indent": None},
        {"indent": None, "separators": (",", ":")},
    ]
)


def _dump(doc: object, style: dict[str, object], ascii_only: bool) -> str:
    return json.dumps(doc, ensure_ascii=ascii_only, **style)  # type: ignore[arg-type]


@given(
    doc=_docs,
    env=st.dictionaries(st.text(max_size=6), _values, max_size=4),
    style=_styles,
    ascii_only=st.booleans(),
    ops=st.lists(
        st.tuples(st.booleans(), st.sampled_from(["A", "B", "é", 'x"y']), st.text(max_size=6)),
        max_size=6,
    ),
)
def test_edits_give_the_intended_content_in_order(
    doc: dict[str, object],
    env: dict[str, object],
    style: dict[str, object],
    ascii_only: bool,
    ops: list[tuple[bool, str, str]],
) -> None:
    doc = {k: v for k, v in doc.items() if k != "env"} | {"env": env}
    text = _dump(doc, style, ascii_only)
    for is_put, key, value in ops:
        if is_put:
            text = json_edit.put(text, ("env",), key, value)
            env[key] = value
        else:
            text = json_edit.delete(text, ("env",), key)
            env.pop(key, None)
        parsed = json.loads(text)
        assert parsed == doc
        assert list(parsed["env"]) == list(env)
        assert list(parsed) == list(doc)


@given(doc=_docs, style=_styles, ascii_only=st.booleans(), value=_values)
def test_adding_then_deleting_a_new_member_restores_every_byte(
    doc: dict[str, object], style: dict[str, object], ascii_only: bool, value: object
) -> None:
    doc.pop("new key", None)
    text = _dump(doc, style, ascii_only)

    added = json_edit.put(text, (), "new key", value)

    assert json.loads(added) == {**doc, "new key": value}
    assert json_edit.delete(added, (), "new key") == text


@given(
    doc=_docs,
    env=st.dictionaries(st.text(max_size=6), _values, max_size=4),
    style=_styles,
    key=st.text(max_size=6),
    value=st.text(max_size=6),
)
def test_a_new_member_is_written_as_the_file_writes_its_own(
    doc: dict[str, object],
    env: dict[str, object],
    style: dict[str, object],
    key: str,
    value: str,
) -> None:
    doc = {k: v for k, v in doc.items() if k != "env"} | {"env": env}
    env.pop(key, None)

    text = json_edit.put(_dump(doc, style, False), ("env",), key, value)

    assert text == _dump(doc | {"env": env | {key: value}}, style, False)
