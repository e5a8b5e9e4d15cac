"""Decode a JSON body into a msgspec Struct, turning msgspec's errors into OpenAI-worded
`FieldError`s (`Invalid type for 'input[0].role': expected a string, but got an integer instead.`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, TypeVar

import msgspec

from codex2claudecode import errors
from codex2claudecode.frontends.openai._fields import FieldError, invalid_value

T = TypeVar("T")

TokenCount = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
"""A token limit: positive, and within the 64 bits every encoder downstream can write."""

_MESSAGE = re.compile(r"(?P<problem>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.DOTALL)
_PATH_KEY = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_MISSING_FIELD = re.compile(r"Object missing required field `(?P<key>[^`]+)`")
_BAD_CHOICE = re.compile(r"Invalid enum value (?P<value>.*)")
_EXPECTED_TYPE = re.compile(
    r"Expected `(?P<type>[^`]+?)(?: \| null)?`(?P<rest>.*?)(?:, got `(?P<got>[^`]+)`)?"
)
_NAMES = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def decode(
    decoder: msgspec.json.Decoder[T],
    body: bytes,
    choices: Mapping[str, tuple[str, ...]] | None = None,
) -> T:
    """Decode and type-check a request body.

    `choices` lists the allowed values of closed-set fields by path pattern (`input.*.role`), so
    a bad value is answered with what would have been accepted.

    Raises:
        errors.InvalidRequest: the body is not JSON, or does not fit the schema (`param` names
            the field).
    """
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        error = field_error(str(exc), choices or {})
        raise errors.InvalidRequest(error.message, param=error.path or None) from exc
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise errors.InvalidRequest(
            f"We could not parse the JSON body of your request ({exc}). The OpenAI API expects "
            "a JSON payload."
        ) from exc
    except RecursionError as exc:
        raise errors.InvalidRequest("The JSON body of your request is nested too deeply.") from exc


def field_error(text: str, choices: Mapping[str, tuple[str, ...]]) -> FieldError:
    """One msgspec validation message as a `FieldError` worded like OpenAI's API."""
    match = _MESSAGE.fullmatch(text)
    problem, path = (match["problem"], match["path"] or "") if match else (text, "")
    # A dict value's path ends in `[...]` (msgspec does not name the key): stop at the dict.
    keys: list[str | int] = [
        name if name else int(index) for name, index in _PATH_KEY.findall(path.replace("[...]", ""))
    ]
    if missing := _MISSING_FIELD.fullmatch(problem):
        return FieldError("Missing required parameter: '{path}'.", *keys, missing["key"])
    if bad := _BAD_CHOICE.fullmatch(problem):
        pattern = ".".join("*" if isinstance(key, int) else key for key in keys)
        if pattern in choices:
            return invalid_value(bad["value"].strip("'\""), choices[pattern], *keys)
        return FieldError(f"Invalid value for '{{path}}': {bad['value']}.", *keys)
    if not keys and problem.startswith("Expected `object`"):
        return FieldError("The request body must be a JSON object.")
    if expected := _EXPECTED_TYPE.fullmatch(problem):
        return FieldError(_expected(expected["type"], expected["rest"], expected["got"]), *keys)
    return FieldError(f"Invalid '{{path}}': {problem}.", *keys)


def _expected(kind: str, rest: str, got: str | None) -> str:
    for bound in (" >= ", " <= "):
        if rest.startswith(bound):
            return f"Invalid '{{path}}': expected a value{bound}{rest[4:]}."
    if rest.startswith(" of length >= "):
        return f"Invalid '{{path}}': string too short. Expected a minimum length of {rest[14:]}."
    expected = " or ".join(_NAMES.get(name, name) for name in kind.split(" | "))
    got_text = f", but got {_NAMES.get(got, got)} instead" if got else ""
    return f"Invalid type for '{{path}}': expected {expected}{got_text}."
