"""Limits on the free-form JSON a client may send (tool schemas, tool inputs, output schemas).

Checked once, at parse time, so that every encoder downstream (orjson for the upstream body and
for token counting, msgspec for tool arguments) can write what we accepted: integers within 64
bits, and nesting well inside orjson's 254 levels whatever a dialect wraps around the value.
A violation is a `FieldError` naming the path inside the value.
"""

from __future__ import annotations

from codex2claudecode.frontends.fields import FieldError

MAX_DEPTH = 64
"""Levels of objects and arrays inside one free-form value."""
_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1


def check_json_value(value: dict[str, object] | list[object]) -> None:
    """Check a decoded free-form JSON object or array against the limits.

    Raises:
        FieldError: an integer outside the signed/unsigned 64-bit range, or nesting deeper than
            `MAX_DEPTH`; the path leads to it.
    """
    _check(value, 1)


def _check(value: dict[str, object] | list[object], depth: int) -> None:
    items = value.items() if type(value) is dict else enumerate(value)
    for key, item in items:
        kind = type(item)
        if kind is dict or kind is list:
            if depth >= MAX_DEPTH:
                raise FieldError(f"JSON nested more than {MAX_DEPTH} levels deep", key)
            try:
                _check(item, depth + 1)  # type: ignore[arg-type]  # dict or list, checked above
            except FieldError as exc:
                exc.add_outer(key)
                raise
        elif kind is int and not _INT_MIN <= item <= _INT_MAX:  # type: ignore[operator]
            raise FieldError("Integer outside the 64-bit range", key)
