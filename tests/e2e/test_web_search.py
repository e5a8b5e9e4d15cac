"""WebSearch through the real gateway with the anthropic SDK (issue 11.1): on Codex the hosted
`web_search` tool's calls come back as server tool blocks with citations; on Kiro the gateway
searches through `/mcp` first. Streamed and not: strict block order and usage."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import openai
from openai.types.responses.response_output_text import AnnotationURLCitation

from tests.e2e.conftest import Env, KiroEnv
from tests.e2e.grammar import check
from tests.e2e.test_kiro import start  # noqa: F401  (a fixture)
from tests.fakes.codex import Reply
from tests.fakes.kiro import KiroReply
from tests.fakes.kiro_stream import text_answer as kiro_text_answer
from tests.fakes.responses_events import ResponseScript, url_citation, web_search_answer

# What Claude Code's WebSearch tool sends (its own request, apart from the conversation).
WEB_SEARCH: Any = {
    "type": "web_search_20250305",
    "name": "web_search",
    "allowed_domains": ["python.org"],
    "max_uses": 8,
}
REQUEST: Any = {
    "max_tokens": 1000,
    "system": "You run a web search for another Claude model.",
    "messages": [
        {
            "role": "user",
            "content": "Perform a web search for the query: latest python release",
        }
    ],
    "tools": [WEB_SEARCH],
    "tool_choice": {"type": "tool", "name": "web_search"},
}
BLOCKS = ["server_tool_use", "web_search_tool_result", "text"]


def streamed_and_sse(url: str, model: str) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The SDK's streamed message, and the same request's raw SSE checked by the grammar."""
    sdk = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
    with sdk, sdk.messages.stream(model=model, **REQUEST) as stream:
        message = stream.get_final_message().to_dict()
    with httpx.stream(
        "POST", url + "/v1/messages", json={"model": model, "stream": True, **REQUEST}
    ) as response:
        frames = check(response.read())
    return message, frames


# ---------------------------------------------------------------------- Codex


def test_codex_search_not_streamed(env: Env, client: anthropic.Anthropic) -> None:
    env.fake.script(Reply(events=web_search_answer()))
    message = client.messages.create(model="gpt-5.4", **REQUEST).to_dict()
    assert [block["type"] for block in message["content"]] == BLOCKS
    call, result, text = message["content"]
    assert call["id"] == "srvtoolu_ws0001" and call["name"] == "web_search"
    assert call["input"] == {"query": "latest python release"}
    assert result["tool_use_id"] == call["id"]
    assert [source["url"] for source in result["content"]] == [
        "https://www.python.org/downloads/",
        "https://docs.python.org/3/",
    ]
    assert text["citations"] == [
        {
            "type": "web_search_result_location",
            "url": "https://www.python.org/downloads/",
            "title": "Download Python",
            "encrypted_index": "",
            "cited_text": "Python 3.14",
        }
    ]
    assert message["usage"]["server_tool_use"] == {
        "web_search_requests": 1,
        "web_fetch_requests": 0,
    }
    body = env.fake.requests[-1].body
    assert body["tools"] == [{"type": "web_search", "filters": {"allowed_domains": ["python.org"]}}]
    assert body["tool_choice"] == "required"
    assert "web_search_call.action.sources" in body["include"]


def test_codex_search_streamed(env: Env, gateway: str) -> None:
    text = "Python 3.14 is out; see the docs."
    citation = url_citation(text, "the docs", "https://docs.python.org/3/", "Docs")
    answer = (
        ResponseScript()
        .web_search("latest python release", "https://docs.python.org/3/")
        .open_page("https://docs.python.org/3/")
        .text("Python 3.14 ", "is out; see the docs.", annotations=[citation])
        .completed()
    )
    env.fake.script(Reply(events=answer), Reply(events=answer))
    message, frames = streamed_and_sse(gateway, "gpt-5.4")
    assert [block["type"] for block in message["content"]] == [
        "server_tool_use",
        "web_search_tool_result",
        "server_tool_use",
        "web_fetch_tool_result",
        "text",
    ]
    assert message["content"][2]["input"] == {"url": "https://docs.python.org/3/"}
    assert message["content"][4]["text"] == text
    assert message["content"][4]["citations"][0]["cited_text"] == "the docs"
    assert message["usage"]["server_tool_use"] == {
        "web_search_requests": 1,
        "web_fetch_requests": 1,
    }
    final = next(data for name, data in frames if name == "message_delta")
    assert final["usage"]["server_tool_use"]["web_search_requests"] == 1


def test_openai_responses_web_search(env: Env, gateway: str) -> None:
    env.fake.script(Reply(events=web_search_answer()))
    with openai.OpenAI(base_url=gateway + "/v1", api_key="x", max_retries=0) as sdk:
        response = sdk.responses.create(
            model="gpt-5.4", input="latest python release?", tools=[{"type": "web_search"}]
        )
    call, message = response.output
    assert call.type == "web_search_call" and call.action.type == "search"
    assert call.action.query == "latest python release"
    assert message.type == "message"
    annotation = message.content[0].annotations[0]  # type: ignore[union-attr]
    assert isinstance(annotation, AnnotationURLCitation)
    assert annotation.end_index == 11
    assert env.fake.requests[-1].body["tools"] == [{"type": "web_search"}]


# ---------------------------------------------------------------------- Kiro

RESULTS: list[dict[str, Any]] = [
    {
        "title": "Python Release Python 3.14.0",
        "url": "https://www.python.org/downloads/release/python-3140/",
        "snippet": "Python 3.14.0 is the newest major release.",
        "publishedDate": 1_759_363_200_000,
    },
    {"title": "What's new", "url": "https://docs.python.org/3/whatsnew/", "snippet": "Changes"},
]


def test_kiro_search_not_streamed(kiro_env: KiroEnv, start: Any) -> None:  # noqa: F811
    kiro_env.kiro.mcp_results = RESULTS
    kiro_env.kiro.script(KiroReply([kiro_text_answer("Python 3.14 is the newest release.")]))
    with anthropic.Anthropic(base_url=start(), api_key="x", max_retries=0) as sdk:
        message = sdk.messages.create(model="claude-sonnet-4-5", **REQUEST).to_dict()
    assert [block["type"] for block in message["content"]] == BLOCKS
    call, result, text = message["content"]
    assert call["id"].startswith("srvtoolu_") and len(call["id"]) == 41
    assert call["input"] == {"query": "latest python release"}
    assert result["content"][0] == {
        "type": "web_search_result",
        "url": "https://www.python.org/downloads/release/python-3140/",
        "title": "Python Release Python 3.14.0",
        "encrypted_content": "Python 3.14.0 is the newest major release.",
        "page_age": "2025-10-02",
    }
    assert text["text"] == "Python 3.14 is the newest release."
    assert message["usage"]["server_tool_use"]["web_search_requests"] == 1
    mcp = next(r for r in kiro_env.kiro.requests if r.path.endswith("/mcp"))
    assert mcp.body["method"] == "tools/call"
    assert mcp.body["params"] == {
        "name": "web_search",
        "arguments": {"query": "latest python release"},
    }
    assert mcp.headers["x-amzn-codewhisperer-optout"] == "false"
    # The model reads the results in its instructions; Kiro is sent no web tool.
    sent = json.dumps(kiro_env.generations()[-1])
    assert "python-3140" in sent and "toolSpecification" not in sent


def test_kiro_search_streamed(kiro_env: KiroEnv, start: Any) -> None:  # noqa: F811
    kiro_env.kiro.mcp_results = RESULTS
    kiro_env.kiro.script(
        KiroReply([kiro_text_answer("Python ", "3.14.")]),
        KiroReply([kiro_text_answer("Python ", "3.14.")]),
    )
    message, frames = streamed_and_sse(start(), "claude-sonnet-4-5")
    assert [block["type"] for block in message["content"]] == BLOCKS
    assert message["content"][2]["text"] == "Python 3.14."
    assert message["usage"]["server_tool_use"]["web_search_requests"] == 1
    starts = [
        data["content_block"]["type"] for name, data in frames if name == "content_block_start"
    ]
    assert starts == BLOCKS
