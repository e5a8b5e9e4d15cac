"""Web search on Codex: server web tools → the Responses `web_search` tool; `web_search_call`
items and `url_citation` annotations → server tool blocks and citations
(spec original-codex §3.6, §3.10, edge cases 14, 15, 19, 52, 54)."""

from __future__ import annotations

from typing import Any

from codex2claudecode import ir
from codex2claudecode.backends.codex.events import ResponsesDecoder, server_tool_id
from codex2claudecode.backends.codex.models import ResolvedModel
from codex2claudecode.backends.codex.payload import WEB_SEARCH_HINT, encode_payload
from codex2claudecode.backends.codex.sse import SSEParser
from tests.fakes.responses_events import (
    Event,
    ResponseScript,
    encode_sse,
    url_citation,
    web_search_answer,
)

GPT = ResolvedModel("gpt-5.4", "medium")
SEARCH = ir.WebTool(
    "web_search",
    "search",
    allowed_domains=("example.com",),
    user_location=ir.UserLocation(city="Hanoi"),
)
FETCH = ir.WebTool("web_fetch", "fetch")
CUSTOM = ir.Tool("custom", None, {"type": "object", "properties": {}})


def encode(**overrides: Any) -> dict[str, Any]:
    request = ir.Request(
        model="gpt-5.4", messages=(ir.Message("user", (ir.TextPart("hi"),)),), **overrides
    )
    return encode_payload(request, model=GPT, prompt_cache_key=None)


def decode(events: list[Event]) -> list[ir.Event]:
    parser, decoder = SSEParser(), ResponsesDecoder(reasoning="off")
    out: list[ir.Event] = []
    for name, data in parser.feed(encode_sse(events)) + parser.flush():
        out += decoder.feed(name, data)
    return out + decoder.finish()


# ---------------------------------------------------------------------- request


def test_web_tools_become_one_web_search_tool_with_domains_and_location() -> None:
    body = encode(tools=(CUSTOM,), web_tools=(SEARCH, FETCH))
    assert body["tools"] == [
        {
            "type": "function",
            "name": "custom",
            "parameters": {"type": "object", "properties": {}},
            "strict": False,
        },
        {
            "type": "web_search",
            "filters": {"allowed_domains": ["example.com"]},
            "user_location": {"type": "approximate", "city": "Hanoi"},
        },
    ]
    assert body["include"] == ["web_search_call.action.sources"]
    assert body["instructions"].endswith("\n\n" + WEB_SEARCH_HINT)


def test_forcing_the_web_tool_forces_the_search() -> None:
    # Claude Code's WebSearch request: the web tool alone, named by tool_choice.
    body = encode(web_tools=(SEARCH,), tool_choice=ir.ToolChoice("tool", "web_search"))
    assert body["tools"] == [{key: value for key, value in body["tools"][0].items()}]
    assert body["tool_choice"] == "required"
    with_functions = encode(
        tools=(CUSTOM,), web_tools=(SEARCH,), tool_choice=ir.ToolChoice("tool", "web_search")
    )
    assert with_functions["tool_choice"] == "auto"


def test_function_tools_named_like_web_tools_stay_functions() -> None:
    web_search = ir.Tool("WebSearch", "Search the web", {"type": "object", "properties": {}})
    body = encode(tools=(web_search,))
    assert [tool["type"] for tool in body["tools"]] == ["function"]
    assert "include" not in body
    assert WEB_SEARCH_HINT not in body["instructions"]


# ---------------------------------------------------------------------- stream


def test_search_then_cited_answer() -> None:
    events = decode(web_search_answer())
    body = [e for e in events if not isinstance(e, ir.Started | ir.Usage)]
    assert body == [
        ir.ServerToolCall("srvtoolu_ws0001", "web_search", '{"query":"latest python release"}'),
        ir.WebResult(
            "srvtoolu_ws0001",
            "web_search",
            (
                ir.WebSource(
                    "https://www.python.org/downloads/", "https://www.python.org/downloads/"
                ),
                ir.WebSource("https://docs.python.org/3/", "https://docs.python.org/3/"),
            ),
        ),
        ir.TextStart(),
        ir.TextDelta("Python 3.14 is the latest release."),
        ir.Citation("https://www.python.org/downloads/", "Download Python", "Python 3.14", 0, 11),
        ir.TextEnd(),
        ir.Stop("end_turn"),
    ]


def test_open_page_is_a_fetch_and_order_follows_the_stream() -> None:
    events = decode(
        ResponseScript()
        .text("Let me look.")
        .open_page("https://example.com/a")
        .text("It says hi.")
        .completed()
    )
    kinds = [type(e).__name__ for e in events if not isinstance(e, ir.Started | ir.Usage)]
    assert kinds == [
        "TextStart",
        "TextDelta",
        "TextEnd",
        "ServerToolCall",
        "WebResult",
        "TextStart",
        "TextDelta",
        "TextEnd",
        "Stop",
    ]
    call = next(e for e in events if isinstance(e, ir.ServerToolCall))
    assert (call.name, call.input_json) == ("web_fetch", '{"url":"https://example.com/a"}')


def test_annotations_only_on_the_finished_item_still_cite() -> None:
    text = "See example docs."
    citation = url_citation(text, "example docs", "https://example.com", "")
    events = decode(ResponseScript().text(text, stream=False, annotations=[citation]).completed())
    assert ir.Citation("https://example.com", "https://example.com", "example docs", 4, 16) in (
        events
    )


def test_streamed_annotations_are_not_repeated_from_the_finished_item() -> None:
    events = decode(web_search_answer())
    assert sum(isinstance(e, ir.Citation) for e in events) == 1


def test_item_ids_and_api_sources() -> None:
    assert server_tool_id("ws_abc-1") == "srvtoolu_wsabc1"
    assert server_tool_id("srvtoolu_x") == "srvtoolu_x"
    events = decode(
        ResponseScript().web_search("finance: BTC", api="oai-finance").text("Up.").completed()
    )
    result = next(e for e in events if isinstance(e, ir.WebResult))
    assert result.sources[0].url == "https://www.google.com/finance/quote/BTC-USD"


def test_a_search_listed_twice_is_sent_once() -> None:
    script = ResponseScript().web_search("q", "https://a.example")
    searched = len(script.events)
    done = script.events[-1]
    rest = script.text("ok").completed()[searched:]
    events = decode([*script.events[:searched], done, *rest])
    assert sum(isinstance(e, ir.ServerToolCall) for e in events) == 1
