"""OpenAI's wording of request errors (`Missing required parameter: 'input[0].call_id'.`), on
the shared field-path errors of `frontends.fields` with OpenAI's bracket paths.
"""

from __future__ import annotations

from collections.abc import Iterable

from codex2claudecode.frontends.fields import BracketFieldError as FieldError
from codex2claudecode.frontends.fields import at

__all__ = ["FieldError", "at", "invalid_value", "missing", "unsupported"]


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
