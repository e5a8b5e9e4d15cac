"""Structured output on Kiro, which has none natively: the schema goes into the instructions
(`payload.instructions_text`) and the answer is checked against it here.

The whole turn is held back (a streamed answer cannot be taken back), its text validated with
`jsonschema`; a text that does not match is asked for once more, with the validation error; a
second miss is an error carrying the answer, never an answer passed off as matching. A turn
that calls tools is not an answer yet and goes out as it came.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from codex2claudecode import errors, ir

ATTEMPTS = 2
"""The first answer and one retry told what was wrong."""
SHOWN_ANSWER = 2000
"""Characters of a non-matching answer quoted in the error."""


def check_schema(schema: dict[str, object]) -> None:
    """Raises `errors.InvalidRequest` when `schema` is not a valid JSON Schema."""
    # jsonschema is imported by the first request asking for structured output, not at start-up.
    from jsonschema import exceptions as schema_errors
    from jsonschema import validators

    try:
        validators.validator_for(schema).check_schema(schema)
    except schema_errors.SchemaError as exc:
        raise errors.InvalidRequest(
            f"The structured-output JSON schema is not valid: {exc.message}; fix the schema "
            "(its path: " + _path(exc.absolute_path) + ")"
        ) from None


def answer_problem(schema: dict[str, object], text: str) -> str | None:
    """Why `text` is not a JSON document matching `schema`, or None when it is."""
    from jsonschema import exceptions as schema_errors
    from jsonschema import validators

    try:
        document = orjson.loads(unfenced(text))
    except orjson.JSONDecodeError as exc:
        return f"the answer is not JSON ({exc})"
    validator = validators.validator_for(schema)(schema)
    error = schema_errors.best_match(validator.iter_errors(document))
    if error is None:
        return None
    return f"at {_path(error.absolute_path)}: {error.message}"


def unfenced(text: str) -> str:
    """`text` without surrounding whitespace and one Markdown code fence, which models add
    even when told not to."""
    body = text.strip()
    if body.startswith("```") and body.endswith("```") and "\n" in body:
        body = body[body.index("\n") + 1 : -3].strip()
    return body


def retry_request(request: ir.Request, answer: str, problem: str) -> ir.Request:
    """`request` continued by the rejected answer and the request to fix it."""
    fix = (
        f"Your answer does not match the required JSON schema: {problem}. Answer again with "
        "only the corrected JSON document, nothing before or after it."
    )
    return dataclasses.replace(
        request,
        messages=(
            *request.messages,
            ir.Message("assistant", (ir.TextPart(answer or "(empty)"),)),
            ir.Message("user", (ir.TextPart(fix),)),
        ),
    )


async def answer_to_schema(
    request: ir.Request, run: Callable[[ir.Request], ir.EventBatches]
) -> ir.EventBatches:
    """The events of `run(request)`, once their text matches `request.output_format`.

    Raises:
        errors.InvalidRequest: the schema is not a valid JSON Schema.
        errors.UpstreamFailed: the answer still does not match after the retry; the message
            quotes the validation error and the answer.
    """
    assert request.output_format is not None
    schema = request.output_format.schema
    check_schema(schema)
    attempt, spent = request, None
    text, problem = "", None
    for _ in range(ATTEMPTS):
        events = [event async for batch in run(attempt) for event in batch]
        spent = _add_usage(spent, events)
        if any(isinstance(e, ir.ToolCallStart) for e in events):
            yield _with_usage(events, spent)
            return
        text = "".join(e.text for e in events if isinstance(e, ir.TextDelta))
        problem = answer_problem(schema, text)
        if problem is None:
            yield _with_usage(_clean_text(events, text), spent)
            return
        attempt = retry_request(request, text, problem)
    shown = text if len(text) <= SHOWN_ANSWER else text[:SHOWN_ANSWER] + "…"
    raise errors.UpstreamFailed(
        f"Kiro's answer does not match the requested JSON schema, even when asked again "
        f"({problem}); Kiro has no native structured output, so the gateway could only ask for "
        f"it. Simplify the schema or retry. The answer was: {shown}"
    )


def _clean_text(events: Sequence[ir.Event], text: str) -> list[ir.Event]:
    """`events` with the text as the bare JSON document, when a fence or blank lines were cut
    from the one text block."""
    clean = unfenced(text)
    if clean == text or sum(isinstance(e, ir.TextStart) for e in events) != 1:
        return list(events)
    out: list[ir.Event] = []
    for event in events:
        if isinstance(event, ir.TextDelta):
            if clean:
                out.append(ir.TextDelta(clean))
                clean = ""
        else:
            out.append(event)
    return out


def _add_usage(spent: ir.Usage | None, events: Sequence[ir.Event]) -> ir.Usage | None:
    # Both attempts were billed: the client is told the sum.
    for event in events:
        if isinstance(event, ir.Usage):
            if spent is None:
                spent = event
            else:
                spent = ir.Usage(
                    input_tokens=spent.input_tokens + event.input_tokens,
                    cached_tokens=spent.cached_tokens + event.cached_tokens,
                    output_tokens=spent.output_tokens + event.output_tokens,
                    reasoning_tokens=spent.reasoning_tokens + event.reasoning_tokens,
                )
    return spent


def _with_usage(events: Sequence[ir.Event], spent: ir.Usage | None) -> list[ir.Event]:
    return [spent if isinstance(e, ir.Usage) and spent is not None else e for e in events]


def _path(path: Sequence[Any]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
