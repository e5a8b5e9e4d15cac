"""`ir.Message`s -> Kiro turns, before any structural repair (original-kiro §3.4 step 1).

One message becomes one turn of its role (`system` -> user, JWG#64). Thinking is replayed
natively only with a signature Kiro itself issued (R47, R51); otherwise it is dropped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Container, Mapping
from typing import Literal, assert_never

import orjson

from codex2claudecode import ir
from codex2claudecode.backends.kiro.media import DOCUMENT_FORMATS, document_name, image_format
from codex2claudecode.backends.kiro.normalize import narrate_result, narrate_use
from codex2claudecode.backends.kiro.schema import rename_input
from codex2claudecode.backends.kiro.turns import Document, Image, Json, ToolResult, ToolUse, Turn

TOOL_IMAGE_STUB = "[Tool returned an image; attached to this message]"
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")
_DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


def to_turns(
    messages: tuple[ir.Message, ...],
    *,
    tool_names: Mapping[str, str],
    property_keys: Mapping[str, Mapping[str, str]],
    native_thinking: bool,
    signatures: Container[str],
) -> tuple[Turn, ...]:
    """Args:
    tool_names: client tool name -> Kiro name.
    property_keys: Kiro tool name -> {renamed key: client key}.
    native_thinking: whether thinking may be replayed as `reasoningContent`.
    signatures: reasoning signatures Kiro issued for this account and model.
    """
    forward = {
        name: {old: new for new, old in keys.items()} for name, keys in property_keys.items()
    }
    return tuple(
        _turn(m, tool_names, forward, signatures if native_thinking else ()) for m in messages
    )


def _turn(
    message: ir.Message,
    tool_names: Mapping[str, str],
    forward: Mapping[str, dict[str, str]],
    signatures: Container[str],
) -> Turn:
    role: Literal["user", "assistant"] = "assistant" if message.role == "assistant" else "user"
    texts: list[str] = []
    uses: list[ToolUse] = []
    results: list[ToolResult] = []
    images: list[Image] = []
    documents: list[Document] = []
    reasoning: Json | None = None
    for part in message.parts:
        match part:
            case ir.TextPart(text=text):
                texts.append(text)
            case ir.ImagePart():
                _image(part, texts, images)
            case ir.DocumentPart():
                _document(part, texts, images, documents)
            case ir.ToolCallPart():
                use = _tool_use(part, tool_names, forward)
                if role == "assistant":
                    uses.append(use)
                else:
                    texts.append(narrate_use(use))
            case ir.ToolResultPart():
                result = _tool_result(part, images)
                if role == "user":
                    results.append(result)
                else:
                    texts.append(narrate_result(result))
            case ir.ThinkingPart(text=text, signature=signature):
                if role == "assistant" and signature and signature in signatures:
                    reasoning = {"reasoningText": {"text": text, "signature": signature}}
            case ir.RedactedThinkingPart(data=data):
                if role == "assistant" and data in signatures:
                    reasoning = {"redactedContent": data}
            case _:
                assert_never(part)
    return Turn(
        role=role,
        text="\n".join(t for t in texts if t),
        tool_uses=tuple(uses),
        tool_results=tuple(results),
        images=tuple(images) if role == "user" else (),
        documents=tuple(documents) if role == "user" else (),
        reasoning=reasoning,
    )


def _tool_use(
    part: ir.ToolCallPart, tool_names: Mapping[str, str], forward: Mapping[str, dict[str, str]]
) -> ToolUse:
    name = tool_names.get(part.name, part.name)
    try:
        parsed = orjson.loads(part.arguments_json or "{}")
    except orjson.JSONDecodeError:
        parsed = None
    arguments: Json = parsed if isinstance(parsed, dict) else {}  # R20
    return ToolUse(part.id, name, rename_input(arguments, forward.get(name, {})))


def _tool_result(part: ir.ToolResultPart, images: list[Image]) -> ToolResult:
    items: list[Json] = []
    for item in part.content:
        if isinstance(item, ir.TextPart):
            items.append({"text": item.text})
        else:
            stub: list[str] = []
            _image(item, stub, images)  # R24: images ride on the user turn
            items.append({"text": stub[0] if stub else TOOL_IMAGE_STUB})
    return ToolResult(part.call_id, tuple(items), "error" if part.is_error else "success")


def _image(part: ir.ImagePart, texts: list[str], images: list[Image]) -> None:
    if part.data:
        images.append(Image(image_format(part.media_type), part.data))
    else:
        texts.append("[Unsupported: URL-based image skipped; Kiro takes only inline images]")


def _document(
    part: ir.DocumentPart, texts: list[str], images: list[Image], documents: list[Document]
) -> None:
    title = part.title or "document"
    media = (part.media_type or "application/pdf").lower()
    match part.source:
        case "text":
            texts.append(f"Document: {title}\n\n{part.data or ''}")
        case "url" | "file":
            texts.append(f'[Unsupported: {part.source} document "{title}" skipped]')
        case "base64":
            data = part.data or ""
            if media.startswith("text/") or media in _TEXT_TYPES:
                texts.append(f"Document: {title}\n\n{_decode(data, title)}")
            elif media.startswith("image/"):
                images.append(Image(image_format(media), data))
            elif (fmt := _DOCUMENT_TYPES.get(media)) in DOCUMENT_FORMATS and fmt:
                documents.append(Document(fmt, document_name(part.title), data))
            else:
                texts.append(f'[Unsupported: document "{title}" ({media}) skipped]')
        case _:
            assert_never(part.source)


def _decode(data: str, title: str) -> str:
    try:
        return base64.b64decode(data, validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return f"[document {title} could not be decoded]"
