"""Renders an accumulated `Answer` as an Anthropic Messages JSON body (non-streaming clients).

The streaming renderer (`stream.py`) shares `usage_json`, so a streamed answer and a JSON answer
for the same events carry the same numbers.
"""

from __future__ import annotations

from typing import assert_never

import orjson

from codex2claudecode import accumulator, ir


def usage_json(
    usage: ir.Usage | None, input_tokens_estimate: int, server_tools: tuple[int, int] = (0, 0)
) -> dict[str, object]:
    """The final `usage` object: uncached input, cache reads, output (DESIGN §4.6).

    Without upstream numbers (`usage` None, or no input reported) the input is the estimate.
    `server_tools` is (web searches, web fetches) run for the answer; `server_tool_use` is
    there only when one ran, as the real API words it.
    """
    if usage is None or (usage.input_tokens == 0 and usage.cached_tokens == 0):
        numbers: dict[str, object] = {
            "input_tokens": input_tokens_estimate,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 0 if usage is None else usage.output_tokens,
        }
    else:
        cached = max(usage.cached_tokens, 0)
        numbers = {
            "input_tokens": max(usage.input_tokens - cached, 0),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": cached,
            "output_tokens": usage.output_tokens,
        }
    searches, fetches = server_tools
    if searches or fetches:
        numbers["server_tool_use"] = {
            "web_search_requests": searches,
            "web_fetch_requests": fetches,
        }
    return numbers


def server_tool_use_block(call: ir.ServerToolCall) -> dict[str, object]:
    """The `server_tool_use` block of a web tool call, with its input."""
    return {
        "type": "server_tool_use",
        "id": call.id,
        "name": call.name,
        "input": tool_input(call.input_json),
    }


def web_result_block(result: ir.WebResult) -> dict[str, object]:
    """A `web_search_tool_result` or `web_fetch_tool_result` block, sent whole."""
    if result.name == "web_fetch":
        return {
            "type": "web_fetch_tool_result",
            "tool_use_id": result.call_id,
            "content": _fetched(result),
        }
    content: object
    if result.error_code is not None:
        content = {"type": "web_search_tool_result_error", "error_code": result.error_code}
    else:
        content = [
            {
                "type": "web_search_result",
                "url": source.url,
                "title": source.title,
                "encrypted_content": source.snippet,
                "page_age": source.page_age,
            }
            for source in result.sources
        ]
    return {"type": "web_search_tool_result", "tool_use_id": result.call_id, "content": content}


def _fetched(result: ir.WebResult) -> dict[str, object]:
    if result.error_code is not None or not result.sources:
        code = result.error_code or "url_not_accessible"
        return {"type": "web_fetch_tool_result_error", "error_code": code}
    page = result.sources[0]
    document: dict[str, object] = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": page.snippet},
    }
    if page.title:
        document["title"] = page.title
    return {"type": "web_fetch_result", "url": page.url, "content": document}


def citation_json(citation: ir.Citation) -> dict[str, object]:
    """A web citation as Anthropic words it; the index is opaque and not ours to invent."""
    return {
        "type": "web_search_result_location",
        "url": citation.url,
        "title": citation.title or citation.url,
        "encrypted_index": "",
        "cited_text": citation.cited_text,
    }


def tool_input(arguments_json: str) -> dict[str, object]:
    """A call's arguments as the `input` object; `{}` when they are not a JSON object.

    Salvaging a broken or truncated argument text could run a tool on half its input (a `Write`
    with cut-off content); `{}` instead fails the tool's own validation for any required
    parameter, so the model is told and retries. Claude Code falls back the same way when a
    streamed `partial_json` does not parse.
    """
    if not arguments_json:
        return {}
    try:
        value = orjson.loads(arguments_json)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def render_message(
    answer: accumulator.Answer, *, message_id: str, model: str, input_tokens_estimate: int
) -> bytes:
    """The Messages API response body for a finished answer.

    Args:
        answer: the accumulated events.
        message_id: the `msg_…` id the frontend chose.
        model: the model name to report (the client's, not the upstream's).
        input_tokens_estimate: used as `input_tokens` when the upstream reported none.
    """
    stop = answer.stop or ir.Stop("end_turn")
    usage = usage_json(answer.usage, input_tokens_estimate, answer.server_tool_counts())
    return orjson.dumps(
        {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [_block(block) for block in answer.blocks],
            "stop_reason": stop.reason,
            "stop_sequence": stop.stop_sequence,
            "usage": {**usage, "service_tier": "standard"},
        }
    )


def _block(block: accumulator.Block) -> dict[str, object]:
    match block:
        case accumulator.TextBlock(text=text, citations=citations):
            if citations:
                return {
                    "type": "text",
                    "text": text,
                    "citations": list(map(citation_json, citations)),
                }
            return {"type": "text", "text": text}
        case accumulator.ThinkingBlock(text=text, signature=signature):
            return {"type": "thinking", "thinking": text, "signature": signature}
        case accumulator.RedactedThinkingBlock(data=data):
            return {"type": "redacted_thinking", "data": data}
        case accumulator.ToolCallBlock(id=call_id, name=name, arguments_json=arguments):
            return {"type": "tool_use", "id": call_id, "name": name, "input": tool_input(arguments)}
        case ir.ServerToolCall():
            return server_tool_use_block(block)
        case ir.WebResult():
            return web_result_block(block)
        case _:
            assert_never(block)
