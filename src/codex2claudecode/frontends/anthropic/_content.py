"""Decoded Anthropic messages and content blocks → `ir.Message`s and parts.

`cache_control` and `citations` are not declared in the wire schema, so they are ignored wherever
they appear. This runs once per block of the whole conversation on every turn, so it stays lean.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

import msgspec

from codex2claudecode import ir
from codex2claudecode.frontends.anthropic import _models as wire
from codex2claudecode.frontends.fields import FieldError, at, one_of

_IMAGE_SOURCES = ("base64", "url")
_DOCUMENT_SOURCES = ("base64", "url", "text", "content", "file")


def to_messages(messages: list[wire.Message]) -> tuple[ir.Message, ...]:
    converted = []
    for index, message in enumerate(messages):
        content = message.content
        if isinstance(content, str):
            converted.append(ir.Message(message.role, (ir.TextPart(content),)))
            continue
        try:
            parts = _parts(content, text_only=message.role == "system")
        except FieldError as exc:
            exc.add_outer("content")
            exc.add_outer(index)
            raise
        converted.append(ir.Message(message.role, parts))
    return tuple(converted)


def texts(content: str | list[wire.Text]) -> list[str]:
    return [content] if isinstance(content, str) else [block.text for block in content]


def _parts(blocks: Sequence[wire.Block], *, text_only: bool) -> tuple[ir.Part, ...]:
    parts: list[ir.Part] = []
    for index, block in enumerate(blocks):
        if isinstance(block, wire.Text):  # most blocks of a long conversation
            parts.append(ir.TextPart(block.text))
            continue
        try:
            if text_only:
                # Claude Code sends mid-conversation `system` messages (beta
                # mid-conversation-system); like the system prompt they may only hold text.
                raise FieldError(_not_text(block), "type")
            _add_part(block, parts)
        except FieldError as exc:
            exc.add_outer(index)
            raise
    return tuple(parts)


def _not_text(block: wire.Block) -> str:
    tag = block.__struct_config__.tag
    return f"Input tag '{tag}' found using 'type' does not match any of the expected tags: 'text'"


def _add_part(block: wire.Block, parts: list[ir.Part]) -> None:
    match block:
        case wire.Text():
            parts.append(ir.TextPart(block.text))
        case wire.ToolUse():
            arguments = "{}" if block.input is None else msgspec.json.encode(block.input).decode()
            parts.append(ir.ToolCallPart(block.id, block.name, arguments))
        case wire.ToolResult():
            _add_tool_result(block, parts)
        case wire.Thinking():
            parts.append(ir.ThinkingPart(block.thinking, block.signature))
        case wire.RedactedThinking():
            parts.append(ir.RedactedThinkingPart(block.data))
        case wire.Image():
            with at("source"):
                parts.append(_image(block.source))
        case wire.Document():
            with at("source"):
                parts.append(_document(block.source, block.title))
        case wire.ToolReference():
            # The tool's definition is among the request's tools already: tell the model so.
            parts.append(ir.TextPart(f"Tool {block.tool_name} is loaded: call it directly."))
        case (
            wire.SearchResult()
            | wire.ServerToolUse()
            | wire.WebSearchToolResult()
            | wire.WebFetchToolResult()
            | wire.ContainerUpload()
            | wire.McpToolUse()
            | wire.McpToolResult()
        ):
            pass  # server-side tool traffic: nothing another provider could use
        case _:
            assert_never(block)


def _add_tool_result(block: wire.ToolResult, parts: list[ir.Part]) -> None:
    content = block.content
    is_error = bool(block.is_error)
    if content is None or isinstance(content, str):
        text = () if content is None else (ir.TextPart(content),)
        parts.append(ir.ToolResultPart(block.tool_use_id, text, is_error))
        return
    with at("content"):
        converted = _parts(content, text_only=False)
    results = tuple(part for part in converted if isinstance(part, ir.TextPart | ir.ImagePart))
    parts.append(ir.ToolResultPart(block.tool_use_id, results, is_error))
    # A tool may return a document (a PDF it read, say). ToolResultPart cannot hold one, so the
    # document follows the result in the same message rather than being lost.
    parts.extend(part for part in converted if isinstance(part, ir.DocumentPart))


def _image(source: wire.ImageSource) -> ir.ImagePart:
    if source.type == "base64":
        return ir.ImagePart(_required(source.media_type, "media_type"), _required(source.data))
    if source.type == "url":
        return ir.ImagePart(None, None, url=_required(source.url, "url"))
    raise FieldError(one_of(_IMAGE_SOURCES), "type")


def _document(source: wire.DocumentSource, title: str | None) -> ir.DocumentPart:
    match source.type:
        case "base64":
            return ir.DocumentPart("base64", title, source.media_type, _required(source.data))
        case "url":
            return ir.DocumentPart("url", title, url=_required(source.url, "url"))
        case "text":
            return ir.DocumentPart("text", title, source.media_type, _required(source.data))
        case "content":
            if source.content is None:
                raise FieldError("Field required", "content")
            text = "\n".join(texts(source.content))
            return ir.DocumentPart("text", title, "text/plain", text)
        case "file":
            return ir.DocumentPart("file", title, file_id=_required(source.file_id, "file_id"))
    raise FieldError(one_of(_DOCUMENT_SOURCES), "type")


def _required(value: str | None, key: str = "data") -> str:
    if value is None:
        raise FieldError("Field required", key)
    return value
