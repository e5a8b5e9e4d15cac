"""OpenAI clients through the real gateway to the fake Codex backend, with the official SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.e2e.conftest import Env
from tests.fakes.codex import Reply
from tests.fakes.responses_events import (
    ResponseScript,
    make_usage,
    reasoning_answer,
    text_answer,
    tool_calls_answer,
)

WEATHER: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}

CHAT_WEATHER: Any = {k: v for k, v in WEATHER.items() if k != "type"}


@pytest.fixture
def sdk(gateway: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=gateway + "/v1", api_key="anything", max_retries=0) as client:
        yield client


def upstream(env: Env, n: int = -1) -> dict[str, Any]:
    body = env.fake.requests[n].body
    assert isinstance(body, dict)
    return body


# ------------------------------------------------------------------------------ responses


def test_responses_plain_text(env: Env, sdk: openai.OpenAI) -> None:
    usage = make_usage(input_tokens=30, cached_tokens=10, output_tokens=5)
    env.fake.script(Reply(events=ResponseScript().text("Hel", "lo!").completed(usage)))
    response = sdk.responses.create(model="gpt-5.4", input="hi", instructions="Be brief.")
    assert response.output_text == "Hello!"
    assert response.status == "completed"
    assert response.usage is not None
    assert response.usage.input_tokens == 30
    assert response.usage.input_tokens_details.cached_tokens == 10
    body = upstream(env)
    assert body["model"] == "gpt-5.4" and body["instructions"] == "Be brief."


def test_responses_stream_and_tool_loop(env: Env, sdk: openai.OpenAI) -> None:
    env.fake.script(
        Reply(
            events=tool_calls_answer(
                ("get_weather", {"city": "Oslo"}), ("get_weather", {"city": "Rome"})
            )
        ),
        Reply(events=text_answer("Cold in Oslo, warm in Rome.")),
    )
    with sdk.responses.stream(model="gpt-5.4", input="weather?", tools=[WEATHER]) as stream:
        kinds = [event.type for event in stream]
        first = stream.get_final_response()
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    calls = [item for item in first.output if item.type == "function_call"]
    assert [json.loads(c.arguments)["city"] for c in calls] == ["Oslo", "Rome"]
    history: list[Any] = [
        {"role": "user", "content": "weather?"},
        *[
            {
                "type": "function_call",
                "call_id": c.call_id,
                "name": c.name,
                "arguments": c.arguments,
            }
            for c in calls
        ],
        *[{"type": "function_call_output", "call_id": c.call_id, "output": "ok"} for c in calls],
    ]
    second = sdk.responses.create(model="gpt-5.4", tools=[WEATHER], input=history)
    assert second.output_text == "Cold in Oslo, warm in Rome."
    items = upstream(env)["input"]
    assert [i["type"] for i in items[1:]] == ["function_call"] * 2 + ["function_call_output"] * 2


def test_responses_reasoning_summary_stream(env: Env, sdk: openai.OpenAI) -> None:
    env.fake.script(Reply(events=reasoning_answer("Thinking it over.", "42")))
    with sdk.responses.stream(
        model="gpt-5.4", input="answer?", reasoning={"effort": "high", "summary": "auto"}
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "response.reasoning_summary_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "Thinking it over."
    assert final.output_text == "42"
    assert upstream(env)["reasoning"]["effort"] == "high"


# ------------------------------------------------------------------------------ chat


def test_chat_plain_and_stream_with_usage(env: Env, sdk: openai.OpenAI) -> None:
    env.fake.script(
        Reply(events=text_answer("Hi there")), Reply(events=text_answer("Hi", " again"))
    )
    completion = sdk.chat.completions.create(
        model="gpt-5.4",
        messages=[{"role": "system", "content": "Be nice."}, {"role": "user", "content": "hi"}],
    )
    assert completion.choices[0].message.content == "Hi there"
    assert completion.choices[0].finish_reason == "stop"
    chunks = list(
        sdk.chat.completions.create(
            model="gpt-5.4",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hi again"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


def test_chat_parallel_tool_calls(env: Env, sdk: openai.OpenAI) -> None:
    env.fake.script(
        Reply(
            events=tool_calls_answer(
                ("get_weather", {"city": "Oslo"}), ("get_weather", {"city": "Rome"})
            )
        )
    )
    completion = sdk.chat.completions.create(
        model="gpt-5.4",
        messages=[{"role": "user", "content": "weather?"}],
        tools=[{"type": "function", "function": CHAT_WEATHER}],
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    calls: list[Any] = choice.message.tool_calls
    assert [json.loads(c.function.arguments)["city"] for c in calls] == [
        "Oslo",
        "Rome",
    ]


def test_chat_n_above_one_is_a_clear_400(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(
            model="gpt-5.4", messages=[{"role": "user", "content": "hi"}], n=2
        )
    assert "n" in str(caught.value)


# ------------------------------------------------------------------------------ errors


def test_errors_take_openai_shape(env: Env, sdk: openai.OpenAI, gateway: str) -> None:
    env.fake.script(
        Reply(
            status=429,
            body={
                "error": {
                    "type": "usage_limit_reached",
                    "message": "limit",
                    "resets_in_seconds": 60,
                }
            },
        )
    )
    with pytest.raises(openai.RateLimitError) as caught:
        sdk.chat.completions.create(model="gpt-5.4", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.response.headers["retry-after"] == "60"
    missing = httpx.post(gateway + "/v1/embeddings", json={})
    assert missing.status_code == 404
    assert set(missing.json()["error"]) >= {"message", "type", "param", "code"}


def test_mid_stream_failure_ends_responses_stream_with_failed(env: Env, sdk: openai.OpenAI) -> None:
    script = ResponseScript().text("partial")
    env.fake.script(
        Reply(events=[*script.events, *script.failed("server_error", "boom")], delay=0.05)
    )
    with sdk.responses.stream(model="gpt-5.4", input="hi") as stream:
        kinds = [event.type for event in stream]
    assert kinds[-1] == "response.failed"


def test_password_refusal_is_openai_shaped(start_gateway: Any) -> None:
    url = start_gateway(API_PASSWORD="pw")
    r = httpx.post(url + "/v1/chat/completions", json={}, headers={"authorization": "Bearer wrong"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_api_key"


# ------------------------------------------------------------------------------ models


def test_models_in_both_shapes(gateway: str, sdk: openai.OpenAI) -> None:
    ids = [m.id for m in sdk.models.list()]
    assert "gpt-5.5" in ids and "gpt-5.4_high" in ids
    assert sdk.models.retrieve("gpt-5.4").id == "gpt-5.4"
    page = httpx.get(
        gateway + "/v1/models?limit=2", headers={"anthropic-version": "2023-06-01"}
    ).json()
    assert [m["type"] for m in page["data"]] == ["model", "model"]
    assert page["has_more"] is True and page["first_id"] == "gpt-5.5"
    after = httpx.get(
        gateway + f"/v1/models?limit=2&after_id={page['last_id']}",
        headers={"anthropic-version": "2023-06-01"},
    ).json()
    assert after["first_id"] != page["first_id"]
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve("no-such-model")


LONG = ("Hello", " there, this answer", " is much longer than one token.")


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens", "max_output_tokens"])
def test_output_limits_cut_the_answer(env: Env, sdk: openai.OpenAI, field: str) -> None:
    """Issue 11.4: the Codex backend takes no output limit; the gateway stops the answer."""
    env.fake.script(Reply(events=text_answer(*LONG), delay=0.01))
    if field == "max_output_tokens":
        response = sdk.responses.create(model="gpt-5.4", input="hi", max_output_tokens=1)
        assert response.output_text == "Hello"
        assert response.status == "incomplete"
        assert response.incomplete_details is not None
        assert response.incomplete_details.reason == "max_output_tokens"
    else:
        limit: dict[str, Any] = {field: 1}
        chat = sdk.chat.completions.create(
            model="gpt-5.4",
            messages=[{"role": "user", "content": "hi"}],
            **limit,
        )
        assert chat.choices[0].message.content == "Hello"
        assert chat.choices[0].finish_reason == "length"
    assert "max_output_tokens" not in upstream(env)


def test_responses_go_upstream_nearly_as_sent(env: Env, sdk: openai.OpenAI) -> None:
    """Issue 7: in Codex mode the client's own Responses body goes upstream: accepted fields
    kept (namespace tools, include, text.verbosity, prompt_cache_key), rejected ones dropped,
    stream and store forced, the model suffix applied; the answer is still the gateway's."""
    namespace: Any = {
        "type": "namespace",
        "name": "mcp__files",
        "description": "File tools",
        "tools": [{**WEATHER, "name": "read"}],
    }
    env.fake.script(Reply(events=text_answer("Hello", " there")))
    response = sdk.responses.create(
        model="gpt-5.4_high",
        input=[{"role": "user", "content": "hi"}],
        instructions="Be brief.",
        tools=[WEATHER, namespace],
        include=["reasoning.encrypted_content"],
        text={"verbosity": "low"},
        prompt_cache_key="cache-key-1",
        temperature=0.2,
        max_output_tokens=1,
        store=True,
        stream=False,
        extra_body={"client_metadata": {"turn_id": "t1"}, "top_k": 3},
    )
    assert response.output_text == "Hello"  # the gateway still enforces max_output_tokens
    assert response.status == "incomplete"
    body = upstream(env)
    assert body["model"] == "gpt-5.4" and body["reasoning"]["effort"] == "high"
    assert body["prompt_cache_key"] == "cache-key-1"
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["text"] == {"verbosity": "low"}
    assert body["tools"] == [WEATHER, namespace]
    assert body["client_metadata"] == {"turn_id": "t1"}
    assert body["instructions"] == "Be brief."
    assert (body["stream"], body["store"]) == (True, False)
    for dropped in ("temperature", "max_output_tokens", "top_k"):
        assert dropped not in body
