"""Kiro web search helpers: the query from the user's turn, the `/mcp` body and answer, and the
results as the model reads them (spec original-kiro §1.4, §3.8, §4.8)."""

from __future__ import annotations

import json

import pytest

from codex2claudecode import errors, ir
from codex2claudecode.backends.kiro.web_search import (
    answered,
    mcp_body,
    parse_results,
    search_query,
    summary,
)

WEB = ir.WebTool("web_search", "search")


def request(*texts: str, role: ir.Role = "user") -> ir.Request:
    parts = tuple(ir.TextPart(text) for text in texts)
    return ir.Request(
        model="m",
        messages=(ir.Message(role, parts),),
        web_tools=(WEB,),
        tool_choice=ir.ToolChoice("tool", "web_search"),
    )


@pytest.mark.parametrize(
    ("texts", "query"),
    [
        (("Perform a web search for the query: kiro news",), "kiro news"),
        (
            ("<system-reminder>ignore</system-reminder>", "read https://a.example/x)."),
            "https://a.example/x",
        ),
        (("<system-reminder>unclosed",), None),
        (("x" * 600,), "x" * 500),
    ],
)
def test_search_query(texts: tuple[str, ...], query: str | None) -> None:
    assert search_query(request(*texts)) == query


def test_no_query_after_an_assistant_turn() -> None:
    assert search_query(request("hi", role="assistant")) is None


def mcp_answer(results: object) -> bytes:
    text = json.dumps({"results": results, "totalResults": 1})
    return json.dumps(
        {"result": {"content": [{"type": "text", "text": text}], "isError": False}}
    ).encode()


def test_results_are_parsed() -> None:
    sources = parse_results(
        mcp_answer(
            [
                {"title": "T", "url": "https://t.example", "snippet": "S", "publishedDate": 0},
                "not an object",
                {},
            ]
        )
    )
    assert sources == (
        ir.WebSource("https://t.example", "T", "S", "1970-01-01"),
        ir.WebSource("", "", ""),
    )


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (b'{"error":{"code":-32000,"message":"boom"}}', "Kiro web search failed: "),
        (b'{"result":{"content":[{"type":"text","text":"not json"}]}}', "malformed result text"),
        (b"nope", "invalid JSON"),
    ],
)
def test_failures_say_what_happened(answer: bytes, said: str) -> None:
    with pytest.raises(errors.UpstreamFailed, match=said):
        parse_results(answer)


def test_mcp_body() -> None:
    assert mcp_body("q", "web_search_tooluse_x") == {
        "id": "web_search_tooluse_x",
        "jsonrpc": "2.0",
        "method": "tools/call",
        "params": {"name": "web_search", "arguments": {"query": "q"}},
    }


def test_summary_and_the_answered_request() -> None:
    sources = (ir.WebSource("https://t.example", "", "Snippet", "2025-01-01"),)
    assert summary("q", sources) == (
        '<web_search>\nSearch results for "q":\n\n1. Untitled\n   Published: 2025-01-01\n'
        "   URL: https://t.example\n   Snippet\n</web_search>\n"
    )
    assert "No results found." in summary("q", ())
    after = answered(request("Perform a web search for the query: q"), "q", sources)
    assert after.web_tools == () and after.tool_choice is None
    assert after.system.endswith(summary("q", sources))
