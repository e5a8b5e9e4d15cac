"""OpenAI's wording of request errors (`Missing required parameter: 'input[0].call_id'.`), on
the shared field-path errors of `frontends.fields` with OpenAI's bracket paths.
"""

from __future__ import annotations

from collections.abc import Iterable

from codex2claudecode.frontends import fields
from codex2claudecode.frontends.fields import BracketFieldError as FieldError
from codex2claudecode.frontends.fields import at
from codex2claudecode.frontends.json_value import check_json_value

__all__ = ["FieldError", "at", "checked_json", "invalid_value", "missing", "unsupported"]


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


def checked_json(value: dict[str, object], *keys: str | int) -> dict[str, object]:
    """A free-form JSON object (tool schema, call arguments) every encoder downstream can write.

    Raises:
        FieldError: an integer beyond 64 bits or nesting past the cap, at its path under `keys`.
    """
    try:
        check_json_value(value)
    except fields.FieldError as exc:
        problem = exc.problem  # "Integer outside ..." reads "integer outside ..." mid-sentence
        if problem[1:2].islower():
            problem = problem[0].lower() + problem[1:]
        raise FieldError(f"Invalid '{{path}}': {problem}.", *keys, *exc.keys) from exc
    return value


def session_key(value: str, *keys: str) -> str:
    """A client's conversation id, which goes upstream in a header: printable and short."""
    if not fields.usable_session_id(value):
        raise FieldError(
            f"Invalid '{{path}}': the conversation id must be printable ASCII of at most "
            f"{fields.MAX_SESSION_ID} characters.",
            *keys,
        )
    return value
