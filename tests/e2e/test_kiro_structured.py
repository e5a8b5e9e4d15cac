"""Structured output through the gateway in Kiro mode, with the openai SDK as the client:
the schema reaches the model as instructions, the answer is checked, a miss is asked again
once, and a second miss is an error (issue 7 item 3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from codex2claudecode.cli import build_gateway
from codex2claudecode.config import Config
from tests.e2e.conftest import KiroEnv
from tests.fakes.kiro import KiroReply
from tests.fakes.kiro_stream import text_answer, usage
from tests.fakes.server import run_app

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "people": {"type": "integer"}},
    "required": ["city", "people"],
    "additionalProperties": False,
}
RESPONSE_FORMAT: Any = {
    "type": "json_schema",
    "json_schema": {"name": "visit", "schema": SCHEMA, "strict": True},
}
GOOD = '{"city": "Paris", "people": 2}'


@pytest.fixture
def sdk(kiro_env: KiroEnv) -> Iterator[openai.OpenAI]:
    with (
        run_app(build_gateway(Config.load(kiro_env.env())).app) as url,
        openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0) as client,
    ):
        yield client


def ask(sdk: openai.OpenAI, **extra: Any) -> Any:
    return sdk.chat.completions.create(
        model="claude-sonnet-4.5",
        messages=[{"role": "user", "content": "Plan a visit."}],
        response_format=RESPONSE_FORMAT,
        **extra,
    )


def prompt(body: dict[str, Any]) -> str:
    return json.dumps(body["conversationState"])


def test_a_valid_answer_and_the_schema_in_the_instructions(
    kiro_env: KiroEnv, sdk: openai.OpenAI
) -> None:
    kiro_env.kiro.script(KiroReply([text_answer('{"city": ', '"Paris", "people": 2}')]))
    completion = ask(sdk)
    assert json.loads(completion.choices[0].message.content) == {"city": "Paris", "people": 2}
    [body] = kiro_env.generations()
    content = body["conversationState"]["currentMessage"]["userInputMessage"]["content"]
    assert "Structured output requested (visit)" in content
    assert "JSON schema: " + json.dumps(SCHEMA, separators=(",", ":")) in content


def test_a_fenced_answer_arrives_bare_when_streamed(kiro_env: KiroEnv, sdk: openai.OpenAI) -> None:
    kiro_env.kiro.script(KiroReply([text_answer("```json\n", GOOD, "\n```")]))
    chunks = list(ask(sdk, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == GOOD


def test_an_invalid_answer_is_asked_again_with_the_error(
    kiro_env: KiroEnv, sdk: openai.OpenAI
) -> None:
    kiro_env.kiro.script(
        KiroReply([text_answer('{"city": "Paris"}', token_usage=usage(40, 6))]),
        KiroReply([text_answer(GOOD, token_usage=usage(55, 9))]),
    )
    completion = ask(sdk)
    assert completion.choices[0].message.content == GOOD
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (95, 15)
    first, second = kiro_env.generations()
    assert "'people' is a required property" not in prompt(first)
    assert "'people' is a required property" in prompt(second)
    history = second["conversationState"]["history"]
    assert history[-1]["assistantResponseMessage"]["content"] == '{"city": "Paris"}'


def test_two_invalid_answers_are_an_error_never_a_claimed_match(
    kiro_env: KiroEnv, sdk: openai.OpenAI
) -> None:
    kiro_env.kiro.script(
        KiroReply([text_answer("Paris, with two people.")]),
        KiroReply([text_answer('{"city": "Paris", "people": "two"}')]),
    )
    with pytest.raises(openai.APIStatusError) as caught:
        sdk.responses.create(
            model="claude-sonnet-4.5",
            input="Plan a visit.",
            text={"format": {"type": "json_schema", "name": "visit", "schema": SCHEMA}},
        )
    assert caught.value.status_code == 502
    message = str(caught.value)
    assert "does not match the requested JSON schema" in message
    assert "'two' is not of type 'integer'" in message
    assert len(kiro_env.generations()) == 2


def test_an_invalid_schema_is_refused_before_kiro_is_asked(
    kiro_env: KiroEnv, sdk: openai.OpenAI
) -> None:
    bad: Any = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": 12}}}
    with pytest.raises(openai.BadRequestError, match="schema is not valid"):
        sdk.chat.completions.create(
            model="claude-sonnet-4.5",
            messages=[{"role": "user", "content": "hi"}],
            response_format=bad,
        )
    assert kiro_env.generations() == []
