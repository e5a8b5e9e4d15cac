"""Web search for Kiro: the client's web server tools answered through Kiro's `/mcp`
`tools/call web_search` (spec original-kiro §1.4, §3.8, §4.8).

Kiro's models have no hosted search, so the gateway searches before the generation: the query
comes from the user's turn, the results go to the client as `server_tool_use` and
`web_search_tool_result` blocks, and to the model as a `<web_search>` block in its instructions.
Pure functions; the backend does the call.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import orjson

from codex2claudecode import errors, ir

_CLAUDE_CODE_PROMPT = "Perform a web search for the query:"
"""How Claude Code's WebSearch tool words its search request."""
_URL = re.compile(r"https?://[^\s<>\"']+")
_HIDDEN = re.compile(
    r"<(system-reminder|project-memory-context|local-command-caveat|command-name|command-message"
    r"|command-args|local-command-stdout)>.*?(?:</\1>|\Z)",
    re.DOTALL,
)
_MAX_QUERY = 500
CONTEXT_INTRO = (
    "The gateway has already executed `web_search` for this turn. Use these results as your "
    "sources and cite the pages you use; do not print this block itself."
)


def search_query(request: ir.Request) -> str | None:
    """What to search for: the last user turn's text, Claude Code's prompt prefix removed;
    the first URL in it if there is one. None when the turn has no text."""
    if not request.messages or request.messages[-1].role != "user":
        return None
    texts = [
        _HIDDEN.sub("", part.text).strip()
        for part in request.messages[-1].parts
        if isinstance(part, ir.TextPart)
    ]
    text = "\n".join(text for text in texts if text)
    text = text.removeprefix(_CLAUDE_CODE_PROMPT).strip()
    if not text:
        return None
    url = _URL.search(text)
    return url[0].rstrip("),.;") if url else text[:_MAX_QUERY]


def mcp_body(query: str, rpc_id: str) -> dict[str, object]:
    """The JSON-RPC `tools/call` body; `rpc_id` is `web_search_tooluse_…` (§1.4)."""
    return {
        "id": rpc_id,
        "jsonrpc": "2.0",
        "method": "tools/call",
        "params": {"name": "web_search", "arguments": {"query": query}},
    }


def parse_results(body: bytes) -> tuple[ir.WebSource, ...]:
    """The search results of an `/mcp` answer.

    Raises:
        errors.UpstreamFailed: Kiro answered with a JSON-RPC error or unreadable results.
    """
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise errors.UpstreamFailed(f"Kiro web search answered with invalid JSON: {exc}") from exc
    if not isinstance(answer, dict):
        raise errors.UpstreamFailed("Kiro web search answered with something other than an object")
    if answer.get("error") is not None:
        detail = orjson.dumps(answer["error"]).decode()
        raise errors.UpstreamFailed(f"Kiro web search failed: {detail}")
    content = (answer.get("result") or {}).get("content") or [{}]
    text = content[0].get("text") if isinstance(content[0], dict) else None
    try:
        inner = orjson.loads(text or "{}")
    except orjson.JSONDecodeError as exc:
        raise errors.UpstreamFailed(
            f"Kiro web search returned malformed result text: {exc}"
        ) from exc
    results = inner.get("results") if isinstance(inner, dict) else None
    return tuple(_source(result) for result in results or () if isinstance(result, dict))


def _source(result: dict[str, object]) -> ir.WebSource:
    published = result.get("publishedDate")
    page_age = _iso_date(published) if isinstance(published, int | float) else None
    return ir.WebSource(
        url=str(result.get("url") or ""),
        title=str(result.get("title") or ""),
        snippet=str(result.get("snippet") or ""),
        page_age=page_age,
    )


def _iso_date(epoch_ms: float) -> str | None:
    try:
        return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):
        return None


def summary(query: str, sources: tuple[ir.WebSource, ...]) -> str:
    """The results as the model reads them: a `<web_search>` element (§4.8)."""
    lines = [f'<web_search>\nSearch results for "{query}":', ""]
    for number, source in enumerate(sources, 1):
        lines.append(f"{number}. {source.title or 'Untitled'}")
        if source.page_age:
            lines.append(f"   Published: {source.page_age}")
        if source.url:
            lines.append(f"   URL: {source.url}")
        if source.snippet:
            lines.append(f"   {source.snippet}")
        lines.append("")
    if not sources:
        lines += ["No results found.", ""]
    return "\n".join(lines) + "</web_search>\n"


def answered(request: ir.Request, query: str, sources: tuple[ir.WebSource, ...]) -> ir.Request:
    """`request` for the generation after the search: the results in its instructions."""
    context = f"{CONTEXT_INTRO}\n\n{summary(query, sources)}"
    system = f"{request.system}\n\n{context}" if request.system else context
    return without_web_tools(dataclasses.replace(request, system=system))


def without_web_tools(request: ir.Request) -> ir.Request:
    """`request` without its web tools (Kiro cannot run them), a choice that forced one
    relaxed to `auto`."""
    choice = request.tool_choice
    if choice is not None and request.web_tool(choice.name) is not None:
        choice = None
    return dataclasses.replace(request, web_tools=(), tool_choice=choice)
