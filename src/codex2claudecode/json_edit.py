"""In-place edits of JSON text: set or delete one member of an object, keep every other byte.

For files other programs own and people read (Claude Code's settings.json): parsing and
re-serialising would reformat numbers, escapes and indentation that nobody asked us to touch.
The text must be valid JSON (callers parse it first); new members follow the file's own style.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]]', re.DOTALL)
_SCALAR = re.compile(r"[^ \t\r\n,\]}]+")
_SPACE = re.compile(r"[ \t\r\n]*")
_INDENT = re.compile(r"[ \t]*")


def put(text: str, parents: Sequence[str], key: str, value: object) -> str:
    """`text` with `key` set to `value` in the object reached from the top through `parents`.

    An existing member keeps its place (the last one, if the key is repeated); a new member is
    appended, indented like its siblings, or like the file's top level when it has none.

    Raises:
        KeyError: a parent is missing or not an object.
    """
    start = _object_at(text, parents)
    members, close = _members(text, start)
    value_json = orjson.dumps(value).decode()
    for member in reversed(members):
        if member.key == key:
            return text[: member.value_start] + value_json + text[member.value_end :]
    key_json = orjson.dumps(key).decode()
    if members:
        last = members[-1]
        entry = _separator(text, members) + key_json + last.colon + value_json
        return text[: last.value_end] + entry + text[last.value_end :]
    newline, unit, colon = _style(text)
    inner = key_json + colon + value_json
    if newline:
        indent = _line_indent(text, start)
        inner = newline + indent + unit + inner + newline + indent
    return text[: start + 1] + inner + text[close:]


def delete(text: str, parents: Sequence[str], key: str) -> str:
    """`text` without any `key` member (nor its comma and line) in the object at `parents`.

    Raises:
        KeyError: a parent is missing or not an object.
    """
    start = _object_at(text, parents)
    while True:
        members, close = _members(text, start)
        found = [n for n, m in enumerate(members) if m.key == key]
        if not found:
            return text
        n = found[-1]
        if len(members) == 1:
            text = text[: start + 1] + text[close:]
        elif n + 1 < len(members):
            text = text[: members[n].start] + text[members[n + 1].start :]
        else:
            text = text[: members[n - 1].value_end] + text[members[n].value_end :]


@dataclass(frozen=True, slots=True)
class _Member:
    key: str
    start: int
    """Where the key's opening quote is."""
    colon: str
    """The text between the key and the value, `": "` when written by Claude Code."""
    value_start: int
    value_end: int


def _object_at(text: str, parents: Sequence[str]) -> int:
    start = _skip_ws(text, 0)
    for name in parents:
        if text[start] != "{":
            raise KeyError(name)
        member = next((m for m in reversed(_members(text, start)[0]) if m.key == name), None)
        if member is None:
            raise KeyError(name)
        start = member.value_start
    if text[start] != "{":
        raise KeyError(parents[-1] if parents else "")
    return start


def _members(text: str, start: int) -> tuple[list[_Member], int]:
    """The members of the object whose `{` is at `start`, and where its `}` is."""
    members = []
    i = _skip_ws(text, start + 1)
    while text[i] != "}":
        key_end = _end(_STRING, text, i)
        value_start = _skip_ws(text, _skip_ws(text, key_end) + 1)
        value_end = _value_end(text, value_start)
        key = orjson.loads(text[i:key_end])
        members.append(_Member(key, i, text[key_end:value_start], value_start, value_end))
        i = _skip_ws(text, value_end)
        if text[i] == ",":
            i = _skip_ws(text, i + 1)
    return members, i


def _separator(text: str, members: list[_Member]) -> str:
    """What goes between the last member and a new one: the comma and whitespace in use."""
    if len(members) > 1:
        return text[members[-2].value_end : members[-1].start]
    first = members[0]
    gap = text[_ws_start(text, first.start) : first.start]
    if "\n" in gap:
        return "," + gap
    return ", " if first.colon.endswith(" ") else ","  # one inline member: guess from its colon


def _style(text: str) -> tuple[str, str, str]:
    """The newline, indent unit and colon of the top level's members; newline "" if inline."""
    members, _ = _members(text, _skip_ws(text, 0))
    if not members:
        return "\n", "  ", ": "  # JSON.stringify(value, null, 2), as Claude Code writes
    first = members[0]
    gap = text[_ws_start(text, first.start) : first.start]
    if "\n" not in gap:
        return "", "", first.colon
    return ("\r\n" if "\r\n" in gap else "\n"), gap.rsplit("\n", 1)[1], first.colon


def _value_end(text: str, i: int) -> int:
    if text[i] == '"':
        return _end(_STRING, text, i)
    if text[i] not in "{[":
        return _end(_SCALAR, text, i)
    depth = 0
    for token in _TOKEN.finditer(text, i):
        if token.group() in ("{", "["):
            depth += 1
        elif token.group() in ("}", "]"):
            depth -= 1
            if depth == 0:
                return token.end()
    raise ValueError(f"unterminated JSON value at offset {i}")


def _end(pattern: re.Pattern[str], text: str, i: int) -> int:
    match = pattern.match(text, i)
    if match is None:
        raise ValueError(f"unexpected JSON text at offset {i}")
    return match.end()


def _skip_ws(text: str, i: int) -> int:
    return _end(_SPACE, text, i)


def _ws_start(text: str, i: int) -> int:
    while i > 0 and text[i - 1] in " \t\r\n":
        i -= 1
    return i


def _line_indent(text: str, i: int) -> str:
    line_start = text.rfind("\n", 0, i) + 1
    return text[line_start : _end(_INDENT, text, line_start)]
