"""Responses `input` items -> `ir.Message`s.

Each message item is its own message, except that assistant output (message, reasoning and
function_call items) in a row forms one assistant turn and function_call_output items in a row
form one user turn, as the Anthropic-shaped ir expects. Reasoning items carry their
`encrypted_content` as the ir signature: it is the opaque state our stream renderer handed out,
echoed back verbatim.
"""

from __future__ import annotations

import orjson

from codex2claudecode import ir
from codex2claudecode.frontends.openai import _convert
from codex2claudecode.frontends.openai._fields import (
    FieldError,
    at,
    checked_json,
    invalid_value,
    missing,
)
from codex2claudecode.frontends.openai_responses import _models as wire

_CONTENT_TYPES = ("input_text", "output_text", "refusal", "input_image", "input_file")
_ITEM_TYPES = ("message", "function_call", "function_call_output", "reasoning")
# Output items of OpenAI-hosted tools: this gateway never produces them, and no provider behind
# it could use them, so a client replaying an old conversation loses nothing by their omission.
_HOSTED_ITEMS = frozenset(
    {
        "web_search_call",
        "file_search_call",
        "code_interpreter_call",
        "image_generation_call",
        "mcp_list_tools",
        "mcp_approval_request",
        "mcp_approval_response",
        "mcp_call",
    }
)


def to_messages(items: str | list[wire.Item]) -> list[ir.Message]:
    if isinstance(items, str):
        return [ir.Message("user", (ir.TextPart(items),))]
    messages: list[ir.Message] = []
    # The turn being built: assistant output, or tool results; None after a plain message.
    role: ir.Role | None = None
    parts: list[ir.Part] = []

    def flush() -> None:
        nonlocal role
        if role is not None and parts:
            messages.append(ir.Message(role, tuple(parts)))
        role = None
        parts.clear()

    for index, item in enumerate(items):
        with at(index):
            if item.type == "message":
                message = _message(item)
                flush()
                if message.role == "assistant":
                    role = "assistant"
                    parts.extend(message.parts)
                else:
                    messages.append(message)
                continue
            converted = _item(item)
        if converted is None:
            continue
        turn, new_parts = converted
        if role != turn:
            flush()
            role = turn
        parts.extend(new_parts)
    flush()
    return messages


def _item(item: wire.Item) -> tuple[ir.Role, list[ir.Part]] | None:
    """A non-message item as the turn it belongs to and its parts; None to drop it."""
    match item.type:
        case "function_call":
            return "assistant", [_function_call(item)]
        case "function_call_output":
            return "user", _function_call_output(item)
        case "reasoning":
            reasoning = _reasoning(item)
            return None if reasoning is None else ("assistant", [reasoning])
        case "item_reference":
            raise FieldError(
                "Invalid value for '{path}': this gateway stores no items, so 'item_reference' "
                "cannot be resolved; send the item itself.",
                "type",
            )
        case hosted if hosted in _HOSTED_ITEMS:
            return None
        case other:
            raise invalid_value(other, _ITEM_TYPES, "type")


def _message(item: wire.Item) -> ir.Message:
    if item.role is None:
        raise missing("role")
    if item.content is None:
        raise missing("content")
    role: ir.Role = "system" if item.role == "developer" else item.role
    if isinstance(item.content, str):
        return ir.Message(role, (ir.TextPart(item.content),))
    with at("content"):
        parts = _content(item.content, text_only=role == "system")
    return ir.Message(role, tuple(parts))


def _content(content: list[wire.ContentPart], *, text_only: bool) -> list[ir.Part]:
    parts: list[ir.Part] = []
    for index, part in enumerate(content):
        with at(index):
            if text_only and part.type not in ("input_text", "output_text"):
                raise invalid_value(part.type, ("input_text",), "type")
            converted = _part(part)
        if converted is not None:
            parts.append(converted)
    return parts


def _part(part: wire.ContentPart) -> ir.TextPart | ir.ImagePart | ir.DocumentPart | None:
    match part.type:
        case "input_text" | "output_text":
            return ir.TextPart(_required(part.text, "text"))
        case "refusal":
            return ir.TextPart(_required(part.refusal, "refusal"))
        case "input_image":
            if part.image_url is None:
                if part.file_id is not None:
                    raise FieldError(
                        "Unsupported parameter: '{path}': images by file id cannot be fetched "
                        "through this gateway; send 'image_url' (a URL or a data URL).",
                        "file_id",
                    )
                raise missing("image_url")
            with at("image_url"):
                return _convert.image(part.image_url)
        case "input_file":
            if part.file_data is not None:
                return _convert.file_data(part.file_data, part.filename)
            if part.file_url is not None:
                return ir.DocumentPart("url", part.filename, url=part.file_url)
            if part.file_id is not None:
                return ir.DocumentPart("file", part.filename, file_id=part.file_id)
            raise missing("file_data")
        case other:
            raise invalid_value(other, _CONTENT_TYPES, "type")


def _function_call(item: wire.Item) -> ir.ToolCallPart:
    call_id = _required(item.call_id, "call_id")
    name = _required(item.name, "name")
    arguments = item.arguments
    if arguments is None:
        raise missing("arguments")
    if isinstance(arguments, str):
        return ir.ToolCallPart(call_id, name, arguments)
    return ir.ToolCallPart(
        call_id, name, orjson.dumps(checked_json(arguments, "arguments")).decode()
    )


def _function_call_output(item: wire.Item) -> list[ir.Part]:
    call_id = _required(item.call_id, "call_id")
    output = item.output
    if output is None:
        raise missing("output")
    if isinstance(output, str):
        return [ir.ToolResultPart(call_id, (ir.TextPart(output),))]
    with at("output"):
        converted = _content(output, text_only=False)
    results = tuple(part for part in converted if isinstance(part, ir.TextPart | ir.ImagePart))
    # ToolResultPart cannot hold a file; it follows the result rather than being lost.
    files = [part for part in converted if isinstance(part, ir.DocumentPart)]
    return [ir.ToolResultPart(call_id, results), *files]


def _reasoning(item: wire.Item) -> ir.ThinkingPart | ir.RedactedThinkingPart | None:
    text = "\n\n".join(part.text for part in item.summary or () if part.text)
    state = item.encrypted_content
    if not state:
        # Nothing a provider could restore; a summary alone is only a record of what was shown.
        return ir.ThinkingPart(text, None) if text else None
    return ir.ThinkingPart(text, state) if text else ir.RedactedThinkingPart(state)


def _required(value: str | None, key: str) -> str:
    if value is None:
        raise missing(key)
    return value
