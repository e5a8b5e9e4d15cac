"""Conversions both OpenAI request parsers make: data URLs, the system prompt, tools, tool
choice, structured output and effort."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from codex2claudecode import ir
from codex2claudecode.frontends.openai._fields import FieldError, checked_json

JSON_OBJECT_SCHEMA: dict[str, object] = {"type": "object"}
"""`json_object` mode as a schema: any JSON object (ir has no schema-less JSON mode)."""


def split_data_url(url: str) -> tuple[str, str] | None:
    """`(media_type, base64 payload)` of a base64 `data:` URL, else None."""
    if not url.startswith("data:"):
        return None
    header, comma, payload = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    if not comma or encoding != "base64":
        return None
    return media_type or "application/octet-stream", payload


def image(url: str) -> ir.ImagePart:
    """An image given by URL; a base64 data URL becomes inline data."""
    inline = split_data_url(url)
    if inline is None:
        if url.startswith("data:"):
            raise FieldError(
                "Invalid '{path}': a data URL must be base64-encoded "
                "(data:<media type>;base64,<data>)."
            )
        return ir.ImagePart(None, None, url=url)
    return ir.ImagePart(inline[0], inline[1])


def file_data(data: str, filename: str | None) -> ir.DocumentPart:
    """An inline file: a data URL, or bare base64 (taken as a PDF, the usual case)."""
    inline = split_data_url(data)
    if inline is None:
        return ir.DocumentPart("base64", filename, "application/pdf", data)
    return ir.DocumentPart("base64", filename, inline[0], inline[1])


def system_and_messages(
    instructions: str | None, messages: list[ir.Message]
) -> tuple[str, tuple[ir.Message, ...]]:
    """The system prompt and the conversation.

    Without `instructions`, the system/developer messages that open the conversation become the
    system prompt (joined by a blank line); later ones stay where they are, as system messages.
    """
    if instructions is not None:
        return instructions, tuple(messages)
    lead = 0
    while lead < len(messages) and messages[lead].role == "system":
        lead += 1
    texts = [
        part.text for m in messages[:lead] for part in m.parts if isinstance(part, ir.TextPart)
    ]
    return "\n\n".join(text for text in texts if text), tuple(messages[lead:])


def unique_tools(tools: Iterable[tuple[str | int, ir.Tool]]) -> tuple[ir.Tool, ...]:
    """The tools, keyed for error paths; a repeated name is an error at its second place."""
    seen: dict[str, ir.Tool] = {}
    for key, tool in tools:
        if tool.name in seen:
            raise FieldError(
                f"Invalid '{{path}}': duplicate tool name '{tool.name}'; tool names must be "
                "unique.",
                key,
            )
        seen[tool.name] = tool
    return tuple(seen.values())


ChoiceMode = Literal["none", "auto", "required"]


def tool_choice(
    mode: ChoiceMode | None,
    forced: str | None,
    parallel: bool | None,
    tools: tuple[ir.Tool, ...],
) -> ir.ToolChoice | None:
    """The ir tool choice from a mode string or a forced function name, and the
    `parallel_tool_calls` flag. Raises `FieldError` (at the choice) for a name not in `tools`."""
    parallel_ok = parallel is not False
    if forced is not None:
        if all(tool.name != forced for tool in tools):
            raise FieldError(
                f"Invalid value for '{{path}}': tool '{forced}' is not among the request's tools."
            )
        return ir.ToolChoice("tool", forced, parallel_ok)
    if mode is None:
        return None if parallel is None else ir.ToolChoice("auto", parallel=parallel_ok)
    ir_mode: Literal["auto", "any", "none"] = "any" if mode == "required" else mode
    return ir.ToolChoice(ir_mode, parallel=parallel_ok)


def function_tool(
    name: str, description: str | None, parameters: dict[str, object] | None, strict: bool | None
) -> ir.Tool:
    if not name:
        raise FieldError("Invalid '{path}': empty string. Expected a tool name.", "name")
    if parameters is not None:
        checked_json(parameters, "parameters")
    schema: dict[str, object] = parameters or {"type": "object", "properties": {}}
    return ir.Tool(name, description, schema, strict=bool(strict))
