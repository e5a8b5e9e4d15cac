"""Request errors that know their field path, for every frontend's request parser.

A `FieldError` starts with the key that was wrong; each enclosing level adds its own key while the
error travels up, so the happy path builds no path strings at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType


class FieldError(Exception):
    def __init__(self, problem: str, *keys: str | int) -> None:
        super().__init__(problem)
        self.problem = problem
        self._keys_innermost_first: list[str | int] = list(reversed(keys))

    def add_outer(self, key: str | int) -> None:
        self._keys_innermost_first.append(key)

    @property
    def keys(self) -> tuple[str | int, ...]:
        """The path's keys, outermost first."""
        return tuple(reversed(self._keys_innermost_first))

    @property
    def path(self) -> str:
        return ".".join(str(key) for key in reversed(self._keys_innermost_first))

    @property
    def message(self) -> str:
        """Anthropic's wording: `<path>: <problem>`."""
        return f"{self.path}: {self.problem}" if self._keys_innermost_first else self.problem


class BracketFieldError(FieldError):
    """A `FieldError` worded as OpenAI words it: path `input[2].type`; `problem` may hold
    `{path}`, replaced by the full path once it is known."""

    @property
    def path(self) -> str:
        text = ""
        for key in reversed(self._keys_innermost_first):
            text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
        return text

    @property
    def message(self) -> str:
        return self.problem.replace("{path}", self.path)


class at:  # lower-case like `contextlib.suppress`: it reads as part of the `with` line
    """`with at("source"): ...` adds `source` to the path of a `FieldError` raised inside."""

    __slots__ = ("_key",)

    def __init__(self, key: str | int) -> None:
        self._key = key

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, FieldError):
            exc.add_outer(self._key)


def one_of(choices: Iterable[str]) -> str:
    """`Input should be 'a', 'b' or 'c'`, as Anthropic (pydantic) words a bad literal."""
    quoted = [f"'{choice}'" for choice in choices]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f"Input should be {listed}"


MAX_SESSION_ID = 128
"""The longest session / conversation id passed on: it travels upstream in a header."""


def usable_session_id(value: str) -> bool:
    """Whether a client's session id may go upstream as it is: printable ASCII, short."""
    return len(value) <= MAX_SESSION_ID and value.isascii() and value.isprintable()
