"""Renders a Responses `response` object: whole for non-streaming clients (`render_response`),
and as the snapshot the stream's lifecycle events carry (`response_object`).

Item ids are derived from the response id and the item's output index, so they are stable and
need no randomness: `msg_<base>_<n>`, `fc_<base>_<n>`, `rs_<base>_<n>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, assert_never

import orjson

from codex2claudecode import accumulator, ir
from codex2claudecode.frontends.openai._convert import JSON_OBJECT_SCHEMA

Status = Literal["in_progress", "completed", "incomplete", "failed"]
Json = dict[str, object]

ENCRYPTED_REASONING = "reasoning.encrypted_content"
"""The `include` value that asks for reasoning state in reasoning items."""


def item_id(prefix: str, response_id: str, output_index: int) -> str:
    return f"{prefix}_{response_id.removeprefix('resp_')}_{output_index}"


def usage_json(usage: ir.Usage | None, input_tokens_estimate: int) -> Json:
    """Responses usage: input counts cached tokens too (`input_tokens_details.cached_tokens`)."""
    if usage is None or (usage.input_tokens == 0 and usage.cached_tokens == 0):
        input_tokens, cached = input_tokens_estimate, 0
    else:
        input_tokens, cached = max(usage.input_tokens, 0), max(usage.cached_tokens, 0)
    output = 0 if usage is None else usage.output_tokens
    reasoning = 0 if usage is None else usage.reasoning_tokens
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output,
    }


def terminal_status(stop: ir.Stop | None) -> tuple[Status, Json | None]:
    """`(status, incomplete_details)` for how the answer ended."""
    match None if stop is None else stop.reason:
        case "max_tokens" | "model_context_window_exceeded":
            # The Responses API has no context-window reason; the answer is cut all the same.
            return "incomplete", {"reason": "max_output_tokens"}
        case "refusal":
            return "incomplete", {"reason": "content_filter"}
        case _:
            return "completed", None


def response_object(
    request: ir.Request,
    *,
    response_id: str,
    created_at: int,
    status: Status,
    output: list[Json],
    usage: Json | None,
    incomplete_details: Json | None = None,
    error: Json | None = None,
    completed_at: int | None = None,
) -> Json:
    """The `response` object, echoing the request's settings as OpenAI does."""
    choice = request.tool_choice
    reasoning: Json = {"effort": request.effort, "summary": request.reasoning_summary}
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": False,
        "completed_at": completed_at,
        "error": error,
        "incomplete_details": incomplete_details,
        "instructions": request.system or None,
        "max_output_tokens": request.max_tokens,
        "model": request.model,
        "output": output,
        "parallel_tool_calls": True if choice is None else choice.parallel,
        "previous_response_id": None,
        "prompt_cache_key": request.session_key,
        "reasoning": reasoning,
        "store": False,
        "temperature": 1.0,
        "text": {"format": _format(request.output_format), "verbosity": request.verbosity},
        "tool_choice": _tool_choice(choice),
        "tools": [_tool(tool) for tool in request.tools],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": request.metadata,
    }


def render_response(
    answer: accumulator.Answer,
    request: ir.Request,
    *,
    response_id: str,
    created_at: int,
    completed_at: int,
    input_tokens_estimate: int,
) -> bytes:
    """The `POST /v1/responses` body for a finished answer (non-streaming clients).

    Args:
        answer: the accumulated events.
        request: the parsed request, whose settings the response echoes.
        response_id: the `resp_…` id the frontend chose.
        created_at: when the request arrived, in Unix seconds.
        completed_at: when the answer finished, in Unix seconds.
        input_tokens_estimate: used as `input_tokens` when the upstream reported none.
    """
    include_state = ENCRYPTED_REASONING in request.include
    output: list[Json] = []
    for index, block in enumerate(answer.blocks):
        if isinstance(block, ir.WebResult):
            # Its call's item, already out, carries what it found (one Responses item).
            calls = [item for item in output if item.get("id") == web_item_id(block.call_id)]
            if calls:
                calls[-1]["action"] = web_action(calls[-1]["action"], block)
            continue
        output.append(_item(block, item_id_for(block, response_id, index), include_state))
    status, incomplete = terminal_status(answer.stop)
    body = response_object(
        request,
        response_id=response_id,
        created_at=created_at,
        status=status,
        output=output,
        usage=usage_json(answer.usage, input_tokens_estimate),
        incomplete_details=incomplete,
        completed_at=completed_at if status == "completed" else None,
    )
    return orjson.dumps(body)


def item_id_for(block: accumulator.Block, response_id: str, output_index: int) -> str:
    match block:
        case accumulator.TextBlock():
            prefix = "msg"
        case accumulator.ToolCallBlock():
            prefix = "fc"
        case accumulator.ThinkingBlock() | accumulator.RedactedThinkingBlock():
            prefix = "rs"
        case ir.ServerToolCall(id=call_id) | ir.WebResult(call_id=call_id):
            return web_item_id(call_id)
        case _:
            assert_never(block)
    return item_id(prefix, response_id, output_index)


def message_item(
    item_id: str, text: str | None, status: Status, citations: Sequence[ir.Citation] = ()
) -> Json:
    content = [] if text is None else [output_text(text, citations)]
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def output_text(text: str, citations: Sequence[ir.Citation] = ()) -> Json:
    annotations = [url_citation(citation) for citation in citations]
    return {"type": "output_text", "text": text, "annotations": annotations, "logprobs": []}


def url_citation(citation: ir.Citation) -> Json:
    return {
        "type": "url_citation",
        "start_index": citation.start_index,
        "end_index": citation.end_index,
        "url": citation.url,
        "title": citation.title,
    }


def web_item_id(call_id: str) -> str:
    """The `web_search_call` item id for a server tool call id (`srvtoolu_x` → `ws_x`)."""
    return "ws_" + call_id.removeprefix("srvtoolu_")


def web_search_item(call: ir.ServerToolCall, status: Status) -> Json:
    """A `web_search_call` item: `search {query}` or, for a fetch, `open_page {url}`."""
    try:
        arguments = orjson.loads(call.input_json)
    except orjson.JSONDecodeError:
        arguments = {}
    if not isinstance(arguments, dict):
        arguments = {}
    action: Json
    if call.name == "web_fetch":
        action = {"type": "open_page", "url": str(arguments.get("url") or "")}
    else:
        action = {"type": "search", "query": str(arguments.get("query") or "")}
    return {
        "id": web_item_id(call.id),
        "type": "web_search_call",
        "status": status,
        "action": action,
    }


def web_action(action: object, result: ir.WebResult) -> Json:
    """A call's action with what its result found (`sources`, asked for by `include`)."""
    updated: Json = dict(action) if isinstance(action, dict) else {"type": "search"}
    if updated.get("type") == "search":
        updated["sources"] = [{"type": "url", "url": source.url} for source in result.sources]
    return updated


def function_call_item(
    item_id: str, call_id: str, name: str, arguments: str, status: Status
) -> Json:
    return {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "arguments": arguments,
        "call_id": call_id,
        "name": name,
    }


def reasoning_item(item_id: str, summary: str, state: str | None) -> Json:
    """A reasoning item; `state` (the ir signature) goes out as `encrypted_content`, which the
    client echoes back verbatim in its next request."""
    item: Json = {
        "id": item_id,
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": summary}] if summary else [],
    }
    if state is not None:
        item["encrypted_content"] = state
    return item


def _item(block: accumulator.Block, item_id: str, include_state: bool) -> Json:
    match block:
        case accumulator.TextBlock(text=text, citations=citations):
            return message_item(item_id, text, "completed", citations)
        case accumulator.ToolCallBlock(id=call_id, name=name, arguments_json=arguments):
            return function_call_item(item_id, call_id, name, arguments or "{}", "completed")
        case accumulator.ThinkingBlock(text=text, signature=signature):
            return reasoning_item(item_id, text, (signature or None) if include_state else None)
        case accumulator.RedactedThinkingBlock(data=data):
            return reasoning_item(item_id, "", data if include_state else None)
        case ir.ServerToolCall():
            return web_search_item(block, "completed")
        case ir.WebResult():
            return {"id": item_id, "type": "web_search_call", "status": "completed"}
        case _:
            assert_never(block)


def _format(output_format: ir.OutputFormat | None) -> Json:
    if output_format is None:
        return {"type": "text"}
    if output_format.schema is JSON_OBJECT_SCHEMA:
        return {"type": "json_object"}
    return {
        "type": "json_schema",
        "name": output_format.name,
        "schema": output_format.schema,
        "strict": output_format.strict,
    }


def _tool_choice(choice: ir.ToolChoice | None) -> str | Json:
    match None if choice is None else choice.mode:
        case None | "auto":
            return "auto"
        case "any":
            return "required"
        case "none":
            return "none"
        case "tool":
            assert choice is not None
            return {"type": "function", "name": choice.name}
        case _:
            raise AssertionError(choice)


def _tool(tool: ir.Tool) -> Json:
    return {
        "type": "function",
        "name": tool.name,
        "description": tool.description,
        "parameters": tool.input_schema,
        "strict": tool.strict,
    }
