"""Every request captured from the real Claude Code CLI goes through the gateway.

Each fixture is replayed with its own headers and body; the upstream request the fake Codex
backend receives is asserted, and so is `count_tokens` against the input tokens the fake bills.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Env
from tests.fakes.codex import Recorded, Reply, upstream_input_tokens
from tests.fakes.responses_events import ResponseScript, make_usage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "claude-code"
MESSAGE_FIXTURES = sorted(p.name for p in FIXTURES.glob("messages_*.json"))
SESSION_ID = "11111111-2222-4333-8444-555555555555"
FORWARDED = {
    "user-agent",
    "x-claude-code-session-id",
    "anthropic-beta",
    "anthropic-version",
    "x-app",
}


def load(name: str) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((FIXTURES / name).read_text())["request"]
    return request


def replay_headers(request: dict[str, Any]) -> dict[str, str]:
    headers = {k: v for k, v in request["headers"] if k.lower() in FORWARDED}
    headers["X-Claude-Code-Session-Id"] = SESSION_ID
    headers["x-api-key"] = "sk-ant-placeholder"
    return headers


def billing_responder(recorded: Recorded) -> Reply:
    """Answer with usage computed from what was received, as the real backend bills it."""
    usage = make_usage(input_tokens=upstream_input_tokens(recorded.body), output_tokens=3)
    return Reply(events=ResponseScript().text("ok").completed(usage))


def send(env: Env, gateway: str, name: str) -> tuple[httpx.Response, dict[str, Any]]:
    env.fake.responder = billing_responder
    request = load(name)
    response = httpx.post(
        f"{gateway}{request['raw_path']}",
        json=request["body"],
        headers=replay_headers(request),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = env.fake.requests[-1].body
    assert isinstance(body, dict)
    return response, body


@pytest.mark.parametrize("name", MESSAGE_FIXTURES)
def test_fixture_translates(env: Env, gateway: str, name: str) -> None:
    request = load(name)
    sent_body = request["body"]
    _, body = send(env, gateway, name)

    assert body["stream"] is True and body["store"] is False
    assert body["prompt_cache_key"] == SESSION_ID
    assert env.fake.requests[-1].headers["session_id"] == SESSION_ID
    assert "x-anthropic-billing-header" not in body["instructions"]
    assert "You are Claude Code, Anthropic's official CLI" not in body["instructions"]
    for rejected in ("max_output_tokens", "max_tokens", "temperature", "metadata", "top_p"):
        assert rejected not in body
    tool_names = [t["name"] for t in sent_body.get("tools", [])]
    assert [t["name"] for t in body["tools"]] == tool_names
    assert all(t["type"] == "function" for t in body["tools"])
    if sent_body["model"].startswith("claude-opus"):
        assert body["model"] == "gpt-5.5"
    else:
        assert body["model"] == sent_body["model"].split("_")[0]
    effort = (sent_body.get("output_config") or {}).get("effort")
    if sent_body["model"].endswith("_high") or effort == "high":
        assert body["reasoning"]["effort"] == "high"
    # A system message inside `messages` stays where it was, as a developer message.
    roles = [item.get("role") for item in body["input"] if item.get("type") == "message"]
    if any(m["role"] == "system" for m in sent_body["messages"]):
        assert roles[1] == "developer"


def test_main_request_keeps_the_system_prompt(env: Env, gateway: str) -> None:
    _, body = send(env, gateway, "messages_main_stream.json")
    assert body["instructions"].startswith("\nYou are an interactive agent")
    assert "Claude Agent SDK" not in body["instructions"]


def test_tool_result_followup(env: Env, gateway: str) -> None:
    request = load("messages_tool_result_followup.json")
    tool_use = request["body"]["messages"][2]["content"][-1]
    _, body = send(env, gateway, "messages_tool_result_followup.json")
    calls = [i for i in body["input"] if i.get("type") == "function_call"]
    outputs = [i for i in body["input"] if i.get("type") == "function_call_output"]
    assert [c["call_id"] for c in calls] == [tool_use["id"]]
    assert json.loads(calls[0]["arguments"]) == tool_use["input"]
    assert [o["call_id"] for o in outputs] == [tool_use["id"]]
    assert body["input"].index(calls[0]) < body["input"].index(outputs[0])


def test_foreign_thinking_is_not_sent_upstream(env: Env, gateway: str) -> None:
    _, body = send(env, gateway, "messages_thinking_echo.json")
    assert all(item.get("type") != "reasoning" for item in body["input"])
    assert any(item.get("type") == "function_call" for item in body["input"])


def test_session_title_uses_structured_output(env: Env, gateway: str) -> None:
    _, body = send(env, gateway, "messages_session_title_structured.json")
    assert body["text"]["format"]["type"] == "json_schema"
    assert body["text"]["format"]["schema"]["properties"]["title"]["type"] == "string"


def test_model_validation_probe_is_answered_as_json(env: Env, gateway: str) -> None:
    response, body = send(env, gateway, "messages_model_validation_nonstream.json")
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["type"] == "message"
    assert body["model"] == "gpt-5.4"


@pytest.mark.parametrize(
    "name",
    [*MESSAGE_FIXTURES, "count_tokens_minimal.json", "count_tokens_with_tools.json"],
)
def test_count_tokens_within_ten_percent_of_upstream(env: Env, gateway: str, name: str) -> None:
    request = load(name)
    body = dict(request["body"])
    headers = replay_headers(request)
    counted = httpx.post(
        f"{gateway}/v1/messages/count_tokens?beta=true", json=body, headers=headers, timeout=30
    )
    assert counted.status_code == 200, counted.text
    ours = counted.json()["input_tokens"]

    env.fake.responder = billing_responder
    body.update(stream=False, max_tokens=body.get("max_tokens") or 100)
    answered = httpx.post(f"{gateway}/v1/messages", json=body, headers=headers, timeout=30)
    assert answered.status_code == 200, answered.text
    usage = answered.json()["usage"]
    upstream = usage["input_tokens"] + usage["cache_read_input_tokens"]
    assert abs(ours - upstream) <= 0.10 * upstream, (ours, upstream)
