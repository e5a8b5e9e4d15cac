"""`ir.Request` -> the body of a Codex `POST /codex/responses`, shaped like the Codex CLI's own.

Only fields the backend accepts are sent: it rejects `max_output_tokens`, `temperature`,
`top_p`, `metadata` and the like by name (protocols §5c).
"""

from __future__ import annotations

import re
from typing import Literal, assert_never

from codex2claudecode import ir
from codex2claudecode.backends.codex.models import ResolvedModel
from codex2claudecode.backends.codex.signature import unpack_reasoning

DEFAULT_INSTRUCTIONS = "You are a helpful assistant."
"""The backend refuses a request without instructions (protocols §5c)."""

DEFAULT_FORMAT_NAME = "structured_output"
DEFAULT_DOCUMENT_NAME = "document.pdf"

_FORMAT_NAME_INVALID = re.compile(r"[^A-Za-z0-9_-]")

WEB_SEARCH_HINT = (
    "When web search is available and the user asks for current or recent information, use web "
    "search internally and answer directly with the found information. Do not respond that you "
    "are going to search."
)
"""Appended to the instructions when the client gave a web tool (spec original-codex §3.2)."""
WEB_SOURCES = "web_search_call.action.sources"
"""The `include` value that makes search calls list what they found."""

Item = dict[str, object]
ReasoningShown = Literal["summarized", "omitted", "off"]


def encode_payload(
    request: ir.Request,
    *,
    model: ResolvedModel,
    prompt_cache_key: str | None,
    service_tier: str | None = None,
) -> dict[str, object]:
    """The upstream body; keys in the Codex CLI's order. It always asks for a stream."""
    instructions = request.system or DEFAULT_INSTRUCTIONS
    tools = [_tool(tool) for tool in request.tools]
    if request.web_tools:
        instructions += "\n\n" + WEB_SEARCH_HINT
        tools.append(web_search_tool(request.web_tools))
    body: dict[str, object] = {
        "model": model.upstream,
        "instructions": instructions,
        "input": _encode_input(request.messages),
        "tools": tools,
        "tool_choice": _tool_choice(request) if tools else "auto",
        "parallel_tool_calls": request.tool_choice.parallel if request.tool_choice else True,
    }
    thinking = reasoning_shown(request)
    if model.effort is not None:
        reasoning: Item = {"effort": model.effort}
        if thinking == "summarized":
            reasoning["summary"] = "auto"
        body["reasoning"] = reasoning
    body["store"] = False
    body["stream"] = True
    include = []
    if model.effort is not None and thinking != "off":
        # Without it no reasoning item can be echoed next turn (`store` is false); models
        # without reasoning reject it.
        include.append("reasoning.encrypted_content")
    if request.web_tools:
        include.append(WEB_SOURCES)
    if include:
        body["include"] = include
    if prompt_cache_key:
        body["prompt_cache_key"] = prompt_cache_key
    if request.output_format is not None:
        body["text"] = {"format": _text_format(request.output_format)}
    if service_tier:
        body["service_tier"] = service_tier
    return body


def reasoning_shown(request: ir.Request) -> ReasoningShown:
    """How the client gets the model's reasoning: as summaries, as empty signed blocks
    (`display: omitted`), or not at all (thinking absent or disabled, as the real API).

    An OpenAI client asks with `reasoning.summary` instead of `thinking`.
    """
    thinking = request.thinking
    if thinking is None:
        return "off" if request.reasoning_summary is None else "summarized"
    return thinking.display if thinking.on else "off"


def _encode_input(messages: tuple[ir.Message, ...]) -> list[Item]:
    """The `input` items, in the order of the messages and of the parts within each."""
    items: list[Item] = []
    for message in messages:
        _encode_message(message, items)
    return items


def _encode_message(message: ir.Message, items: list[Item]) -> None:
    role = "developer" if message.role == "system" else message.role
    content: list[Item] = []

    def flush() -> None:
        if content:
            items.append({"type": "message", "role": role, "content": content.copy()})
            content.clear()

    for part in message.parts:
        match part:
            case ir.TextPart() | ir.ImagePart() | ir.DocumentPart():
                encoded = _assistant_content(part) if role == "assistant" else _user_content(part)
                if encoded is not None:
                    content.append(encoded)
            case ir.ToolCallPart(id=call_id, name=name, arguments_json=arguments):
                flush()
                items.append(
                    {
                        "type": "function_call",
                        "call_id": call_id,
                        "name": name,
                        "arguments": arguments or "{}",
                    }
                )
            case ir.ToolResultPart():
                flush()
                items.append(_tool_result(part))
            case ir.ThinkingPart(text=text, signature=signature):
                reasoning = _reasoning(signature, text)
                if reasoning is not None:
                    flush()
                    items.append(reasoning)
            case ir.RedactedThinkingPart(data=data):
                reasoning = _reasoning(data, "")
                if reasoning is not None:
                    flush()
                    items.append(reasoning)
            case _:
                assert_never(part)
    flush()


def _user_content(part: ir.TextPart | ir.ImagePart | ir.DocumentPart) -> Item | None:
    match part:
        case ir.TextPart(text=text):
            return {"type": "input_text", "text": text}
        case ir.ImagePart():
            url = _image_url(part)
            return {"type": "input_image", "image_url": url} if url else None
        case ir.DocumentPart():
            return _document(part)
        case _:
            assert_never(part)


def _assistant_content(part: ir.TextPart | ir.ImagePart | ir.DocumentPart) -> Item | None:
    # Assistant messages carry only text upstream; the backend rejects empty text parts.
    if isinstance(part, ir.TextPart) and part.text:
        return {"type": "output_text", "text": part.text}
    return None


def _image_url(image: ir.ImagePart) -> str | None:
    if image.data is not None:
        return f"data:{image.media_type or 'image/png'};base64,{image.data}"
    return image.url


def _document(doc: ir.DocumentPart) -> Item | None:
    title = doc.title or DEFAULT_DOCUMENT_NAME
    match doc.source:
        case "base64":
            if not doc.data:
                return None
            data = doc.data
            if not data.startswith("data:"):
                data = f"data:{doc.media_type or 'application/pdf'};base64,{data}"
            return {"type": "input_file", "filename": title, "file_data": data}
        case "url":
            return {"type": "input_file", "file_url": doc.url} if doc.url else None
        case "file":
            return {"type": "input_file", "file_id": doc.file_id} if doc.file_id else None
        case "text":
            return {"type": "input_text", "text": f"Document: {title}\n\n{doc.data or ''}"}
        case _:
            assert_never(doc.source)


def _tool_result(result: ir.ToolResultPart) -> Item:
    output: str | list[Item]
    if all(isinstance(part, ir.TextPart) for part in result.content):
        output = "\n".join(part.text for part in result.content if isinstance(part, ir.TextPart))
        if result.is_error and output:
            output = "Error: " + output
    else:
        # Images must reach the model, not be flattened into text (pitfall #23).
        output = [item for part in result.content if (item := _user_content(part)) is not None]
        if result.is_error:
            first = output[0] if output else None
            if first is not None and first["type"] == "input_text":
                output[0] = {"type": "input_text", "text": f"Error: {first['text']}"}
            else:
                output.insert(0, {"type": "input_text", "text": "Error:"})
    return {"type": "function_call_output", "call_id": result.call_id, "output": output}


def _reasoning(signature: str | None, text: str) -> Item | None:
    state = unpack_reasoning(signature) if signature else None
    if state is None or not state[1]:
        # Someone else's signature, or no encrypted content: with `store` false the backend
        # cannot look the item up by id, so sending it would fail the request.
        return None
    item_id, encrypted_content = state
    return {
        "type": "reasoning",
        "id": item_id,
        "summary": [{"type": "summary_text", "text": text}] if text else [],
        "encrypted_content": encrypted_content,
    }


def _tool(tool: ir.Tool) -> Item:
    encoded: Item = {"type": "function", "name": tool.name}
    if tool.description is not None:
        encoded["description"] = tool.description
    encoded["parameters"] = tool.input_schema or {"type": "object", "properties": {}}
    encoded["strict"] = tool.strict
    return encoded


def web_search_tool(web_tools: tuple[ir.WebTool, ...]) -> Item:
    """The one Responses `web_search` tool that serves every web tool of the client (search
    and fetch alike: the upstream's search also opens pages)."""
    tool: Item = {"type": "web_search"}
    domains = [domain for web in web_tools for domain in web.allowed_domains]
    if domains:
        tool["filters"] = {"allowed_domains": list(dict.fromkeys(domains))}
    location = next((web.user_location for web in web_tools if web.user_location), None)
    if location is not None:
        fields = {
            "city": location.city,
            "region": location.region,
            "country": location.country,
            "timezone": location.timezone,
        }
        tool["user_location"] = {
            "type": "approximate",
            **{key: value for key, value in fields.items() if value},
        }
    return tool


def _tool_choice(request: ir.Request) -> str | Item:
    choice = request.tool_choice
    if choice is None:
        return "auto"
    if choice.mode == "tool" and request.web_tool(choice.name) is not None:
        # The Responses API names no hosted `web_search` choice; with no function tool to
        # pick instead, `required` forces the search (Claude Code's WebSearch request).
        return "auto" if request.tools else "required"
    match choice.mode:
        case "auto":
            return "auto"
        case "any":
            return "required"
        case "none":
            return "none"
        case "tool":
            return {"type": "function", "name": choice.name} if choice.name else "auto"
        case _:
            assert_never(choice.mode)


def _text_format(output_format: ir.OutputFormat) -> Item:
    # The backend accepts only [A-Za-z0-9_-]{1,64} as a format name.
    name = _FORMAT_NAME_INVALID.sub("_", output_format.name or "")[:64] or DEFAULT_FORMAT_NAME
    return {
        "type": "json_schema",
        "name": name,
        "schema": output_format.schema,
        "strict": output_format.strict,
    }
