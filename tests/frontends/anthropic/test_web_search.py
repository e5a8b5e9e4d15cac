"""Anthropic web server tools: parsed into `ir.WebTool`s, and web search events rendered as
`server_tool_use` / `web_search_tool_result` blocks, citations and `server_tool_use` usage,
streamed and not, checked against the official SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest

from codex2claudecode import errors, ir
from codex2claudecode.frontends.anthropic.request import parse_messages
from tests.frontends.anthropic.test_stream import (
    START,
    block_start,
    block_stop,
    both_renderings,
    delta,
    make_renderer,
    sdk_created,
    sdk_streamed,
)

WEB_SEARCH_TOOL = {
    "type": "web_search_20250305",
    "name": "web_search",
    "allowed_domains": ["example.com"],
    "user_location": {"type": "approximate", "city": "Hanoi", "ignored": "x"},
    "max_uses": 8,
}
CALL = ir.ServerToolCall("srvtoolu_ws1", "web_search", '{"query":"python release"}')
SOURCE = ir.WebSource("https://python.org", "Python", "Page text", "2 days ago")
RESULT = ir.WebResult("srvtoolu_ws1", "web_search", (SOURCE,))
CITATION = ir.Citation("https://python.org", "Python", "Python 3.14", 0, 11)
EVENTS: list[ir.Event] = [
    ir.Started("resp_1", "gpt-5.4"),
    CALL,
    RESULT,
    ir.TextStart(),
    ir.TextDelta("Python 3.14 is out."),
    CITATION,
    ir.TextEnd(),
    ir.Usage(input_tokens=20, output_tokens=5),
    ir.Stop("end_turn"),
]


def body(**fields: Any) -> bytes:
    return json.dumps(
        {
            "model": "gpt-5.4",
            "max_tokens": 100,
            "messages": [{"role": "user", "content": "Search the web"}],
            **fields,
        }
    ).encode()


# ---------------------------------------------------------------------- request


def test_web_tools_are_parsed_and_function_tools_stay_functions() -> None:
    request = parse_messages(
        body(
            tools=[
                WEB_SEARCH_TOOL,
                {"type": "web_fetch_20250910", "name": "web_fetch", "max_uses": 2},
                {"name": "WebSearch", "input_schema": {"type": "object"}},
                {"type": "bash_20250124", "name": "bash"},
            ],
            tool_choice={"type": "tool", "name": "web_search"},
        )
    )
    assert request.web_tools == (
        ir.WebTool(
            "web_search",
            "search",
            allowed_domains=("example.com",),
            user_location=ir.UserLocation(city="Hanoi"),
            max_uses=8,
        ),
        ir.WebTool("web_fetch", "fetch", max_uses=2),
    )
    assert [tool.name for tool in request.tools] == ["WebSearch"]
    assert request.tool_choice == ir.ToolChoice("tool", "web_search")
    assert request.web_tool("web_search") is request.web_tools[0]


def test_a_web_tool_needs_a_name() -> None:
    with pytest.raises(errors.InvalidRequest) as caught:
        parse_messages(body(tools=[{"type": "web_search_20250305"}]))
    assert caught.value.param == "tools.0.name"


# ---------------------------------------------------------------------- rendering


def test_stream_transcript() -> None:
    renderer = make_renderer()
    sse = b"".join(map(renderer.render, EVENTS)).decode()
    source = (
        '{"type":"web_search_result","url":"https://python.org","title":"Python",'
        '"encrypted_content":"Page text","page_age":"2 days ago"}'
    )
    citation = (
        '{"type":"citations_delta","citation":{"type":"web_search_result_location",'
        '"url":"https://python.org","title":"Python","encrypted_index":"",'
        '"cited_text":"Python 3.14"}}'
    )
    assert sse == (
        START
        + block_start(
            0, '{"type":"server_tool_use","id":"srvtoolu_ws1","name":"web_search","input":{}}'
        )
        + delta(
            0, '{"type":"input_json_delta","partial_json":"{\\"query\\":\\"python release\\"}"}'
        )
        + block_stop(0)
        + block_start(
            1,
            '{"type":"web_search_tool_result","tool_use_id":"srvtoolu_ws1","content":['
            + source
            + "]}",
        )
        + block_stop(1)
        + block_start(2, '{"type":"text","text":""}')
        + delta(2, '{"type":"text_delta","text":"Python 3.14 is out."}')
        + delta(2, citation)
        + block_stop(2)
        + 'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn",'
        '"stop_sequence":null},"usage":{"input_tokens":20,"cache_creation_input_tokens":0,'
        '"cache_read_input_tokens":0,"output_tokens":5,"server_tool_use":'
        '{"web_search_requests":1,"web_fetch_requests":0}}}\n\n'
        'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )


def test_sdk_reads_the_same_message_streamed_and_not() -> None:
    sse, json_body = both_renderings(EVENTS, 10)
    streamed, created = sdk_streamed(sse), sdk_created(json_body)
    assert streamed == json.loads(json_body) == created
    assert [block["type"] for block in created["content"]] == [
        "server_tool_use",
        "web_search_tool_result",
        "text",
    ]
    assert created["content"][0]["input"] == {"query": "python release"}
    assert created["content"][2]["citations"][0]["cited_text"] == "Python 3.14"
    assert created["usage"]["server_tool_use"] == {
        "web_search_requests": 1,
        "web_fetch_requests": 0,
    }


def test_errors_and_fetches_render_as_their_result_blocks() -> None:
    fetch = ir.ServerToolCall("srvtoolu_f", "web_fetch", '{"url":"https://a.example"}')
    events: list[ir.Event] = [
        ir.Started("r", "m"),
        ir.ServerToolCall("srvtoolu_s", "web_search", '{"query":"q"}'),
        ir.WebResult("srvtoolu_s", "web_search", error_code="unavailable"),
        fetch,
        ir.WebResult("srvtoolu_f", "web_fetch", (ir.WebSource("https://a.example", "A", "hi"),)),
        ir.Stop("end_turn"),
    ]
    sse, json_body = both_renderings(events, 10)
    created = sdk_created(json_body)
    assert sdk_streamed(sse) == created
    assert created["content"][1]["content"] == {
        "type": "web_search_tool_result_error",
        "error_code": "unavailable",
    }
    assert created["content"][3]["content"]["type"] == "web_fetch_result"
    assert created["content"][3]["content"]["content"]["source"]["data"] == "hi"
    assert created["usage"]["server_tool_use"] == {
        "web_search_requests": 1,
        "web_fetch_requests": 1,
    }
