"""Structured output on Kiro: the answer checked against the schema, one retry, then an error."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from codex2claudecode import errors, ir
from codex2claudecode.backends.kiro.structured import (
    answer_problem,
    answer_to_schema,
    check_schema,
    retry_request,
    unfenced,
)

SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "people": {"type": "integer", "minimum": 0}},
    "required": ["city", "people"],
    "additionalProperties": False,
}


def make_request(**overrides: Any) -> ir.Request:
    fields: dict[str, Any] = {
        "model": "claude-sonnet-4.5",
        "messages": (ir.Message("user", (ir.TextPart("Paris?"),)),),
        "output_format": ir.OutputFormat(SCHEMA, "city"),
    }
    fields.update(overrides)
    return ir.Request(**fields)


def answer(*texts: str, output_tokens: int = 5) -> list[ir.Event]:
    return [
        ir.Started("msg_1", "claude-sonnet-4.5"),
        ir.TextStart(),
        *(ir.TextDelta(text) for text in texts),
        ir.TextEnd(),
        ir.Usage(input_tokens=10, output_tokens=output_tokens),
        ir.Stop("end_turn"),
    ]


class Model:
    """Plays the upstream: one scripted answer per call, every request kept."""

    def __init__(self, *answers: list[ir.Event]) -> None:
        self.answers = list(answers)
        self.requests: list[ir.Request] = []

    async def __call__(self, request: ir.Request) -> ir.EventBatches:
        self.requests.append(request)
        events = self.answers.pop(0)
        yield events[:2]
        yield events[2:]


def run(model: Model, request: ir.Request | None = None) -> list[ir.Event]:
    async def collect() -> list[ir.Event]:
        batches = answer_to_schema(request or make_request(), model)
        return [event async for batch in batches for event in batch]

    return asyncio.run(collect())


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"city": "Paris", "people": 2}', None),
        ('```json\n{"city": "Paris", "people": 2}\n```', None),
        ('Sure! {"city": "Paris"}', "the answer is not JSON"),
        ('{"city": "Paris"}', "at $: 'people' is a required property"),
        ('{"city": "Paris", "people": -1}', "at $.people: -1 is less than the minimum of 0"),
        ('{"city": 7, "people": 1}', "at $.city: 7 is not of type 'string'"),
    ],
)
def test_answer_problem(text: str, problem: str | None) -> None:
    found = answer_problem(SCHEMA, text)
    assert found == problem if problem is None else found is not None and found.startswith(problem)


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        (" {}\n", "{}"),
        ("```\n[1]\n```", "[1]"),
        ("```json\n{}\n```", "{}"),
        ("```{}```", "```{}```"),
    ],
)
def test_unfenced(text: str, clean: str) -> None:
    assert unfenced(text) == clean


def test_an_invalid_schema_is_the_clients_error() -> None:
    with pytest.raises(errors.InvalidRequest, match="schema is not valid"):
        check_schema({"type": "object", "properties": {"a": {"type": 12}}})


def test_a_matching_answer_goes_out_once() -> None:
    model = Model(answer('{"city": ', '"Paris", "people": 2}'))
    events = run(model)
    assert events == answer('{"city": ', '"Paris", "people": 2}')
    assert len(model.requests) == 1


def test_a_fenced_answer_goes_out_bare() -> None:
    events = run(Model(answer("```json\n", '{"city": "Paris", "people": 2}', "\n```")))
    assert [e.text for e in events if isinstance(e, ir.TextDelta)] == [
        '{"city": "Paris", "people": 2}'
    ]


def test_a_miss_is_asked_again_with_the_error_and_both_turns_are_billed() -> None:
    model = Model(answer('{"city": "Paris"}'), answer('{"city": "Paris", "people": 2}'))
    events = run(model)
    assert [e.text for e in events if isinstance(e, ir.TextDelta)] == [
        '{"city": "Paris", "people": 2}'
    ]
    assert ir.Usage(input_tokens=20, output_tokens=10) in events
    first, second = model.requests
    *kept, wrong, fix = second.messages
    assert tuple(kept) == first.messages
    assert wrong == ir.Message("assistant", (ir.TextPart('{"city": "Paris"}'),))
    assert fix.role == "user"
    assert "'people' is a required property" in fix.parts[0].text  # type: ignore[union-attr]


def test_a_second_miss_is_an_error_quoting_the_answer() -> None:
    model = Model(answer("not json"), answer('{"city": "Paris", "people": "two"}'))
    with pytest.raises(errors.UpstreamFailed) as caught:
        run(model)
    message = caught.value.message
    assert "does not match the requested JSON schema" in message
    assert "at $.people: 'two' is not of type 'integer'" in message
    assert message.endswith('The answer was: {"city": "Paris", "people": "two"}')


def test_a_tool_call_is_not_an_answer_yet() -> None:
    call: Sequence[ir.Event] = [
        ir.Started("msg_1", "claude-sonnet-4.5"),
        ir.ToolCallStart("t1", "lookup"),
        ir.ToolCallDelta('{"q": "Paris"}'),
        ir.ToolCallEnd(),
        ir.Stop("tool_use"),
    ]
    model = Model(list(call))
    assert run(model) == list(call)


def test_retry_request_keeps_everything_else() -> None:
    request = make_request(system="Be exact.", max_tokens=50)
    again = retry_request(request, "", "the answer is not JSON")
    assert (again.system, again.max_tokens, again.output_format) == (
        "Be exact.",
        50,
        request.output_format,
    )
    assert again.messages[-2] == ir.Message("assistant", (ir.TextPart("(empty)"),))
