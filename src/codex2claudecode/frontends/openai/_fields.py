"""Request errors that know their field path, written the way OpenAI writes it: `input[2].type`.

A `FieldError` starts with the key that was wrong; each enclosing level adds its own key while the
error travels up, so the happy path builds no path strings at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType


class FieldError(Exception):
    """`problem` may hold `{path}`, replaced by the full path once it is known."""

    def __init__(self, problem: str, *keys: str | int) -> None:
        super().__init__(problem)
        self.problem = problem
        self._keys_innermost_first: list[str | int] = list(reversed(keys))

    def add_outer(self, key: str | int) -> None:
        self._keys_innermost_first.append(key)

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
    """`with at("input"): ...` adds `input` to the path of a `FieldError` raised inside."""

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


def missing(*keys: str | int) -> FieldError:
    return FieldError("Missing required parameter: '{path}'.", *keys)


def invalid_value(value: object, choices: Iterable[str], *keys: str | int) -> FieldError:
    """OpenAI's wording for a value outside a closed set."""
    quoted = [f"'{choice}'" for choice in choices]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])}, and {quoted[-1]}"
    return FieldError(f"Invalid value: '{value}'. Supported values are: {listed}.", *keys)


def unsupported(what: str, *keys: str | int) -> FieldError:
    """A valid OpenAI parameter this gateway cannot honour; `what` says why and what to do."""
    return FieldError(f"Unsupported parameter: '{{path}}': {what}", *keys)
