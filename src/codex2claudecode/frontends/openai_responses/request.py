"""Parse OpenAI Responses `POST /v1/responses` bodies into `ir.Request`.

The first stop of the pipeline for the Codex CLI and OpenAI SDK clients. Unknown fields are
ignored; fields we cannot honour are refused by name rather than silently dropped when dropping
them would change the answer (`previous_response_id`, `background`). Bad input raises
`errors.InvalidRequest` with OpenAI's path style in `param` (`input[2].content[0].type`).
"""

from __future__ import annotations

from collections.abc import Iterator

from codex2claudecode import errors, ir
from codex2claudecode.frontends.openai import _convert
from codex2claudecode.frontends.openai._decode import decode
from codex2claudecode.frontends.openai._fields import (
    FieldError,
    at,
    checked_json,
    missing,
    session_key,
    unsupported,
)
from codex2claudecode.frontends.openai_responses import _models as wire
from codex2claudecode.frontends.openai_responses._input import to_messages

_NAMESPACE = "namespace"
SESSION_HEADER = "session_id"
"""The Codex CLI names its conversation in this header (also sent as `session-id`)."""


def parse_responses(body: bytes, *, session_header: str | None = None) -> ir.Request:
    """Parse a `POST /v1/responses` body.

    Args:
        body: the raw request body.
        session_header: the client's `session-id` header (the Codex CLI sends one), used as the
            session key when the body has no `prompt_cache_key`.

    Raises:
        errors.InvalidRequest: with `param` naming the offending field path.
    """
    decoded = decode(wire.DECODER, body, wire.CHOICES)
    try:
        return _request(decoded, session_header)
    except FieldError as exc:
        raise errors.InvalidRequest(exc.message, param=exc.path or None) from exc


def _request(body: wire.Request, session_header: str | None) -> ir.Request:
    _refuse_unsupported(body)
    if body.input is None or body.input == [] or body.input == "":
        raise missing("input")
    with at("input"):
        messages = to_messages(body.input)
    system, conversation = _convert.system_and_messages(body.instructions, messages)
    with at("tools"):
        tools = _convert.unique_tools(_tools(body.tools or []))
    web_tools = _web_tools(body.tools or [])
    with at("tool_choice"):
        tool_choice = _tool_choice(body.tool_choice, body.parallel_tool_calls, tools, web_tools)
    reasoning = body.reasoning or wire.Reasoning()
    text = body.text or wire.Text()
    with at("text"):
        output_format = _output_format(text.format)
    session = _session(body.prompt_cache_key, session_header)
    return ir.Request(
        model=body.model,
        messages=conversation,
        system=system,
        tools=tools,
        tool_choice=tool_choice,
        effort=reasoning.effort,
        output_format=output_format,
        max_tokens=body.max_output_tokens,
        stream=bool(body.stream),
        session_key=session,
        metadata=body.metadata or {},
        reasoning_summary=reasoning.summary or reasoning.generate_summary,
        verbosity=text.verbosity,
        include=tuple(body.include or ()),
        on_overflow="trim",
        web_tools=web_tools,
    )


def _session(prompt_cache_key: str | None, session_header: str | None) -> str | None:
    if prompt_cache_key:
        return session_key(prompt_cache_key, "prompt_cache_key")
    header = (session_header or "").strip()
    return session_key(header, SESSION_HEADER) if header else None


def _refuse_unsupported(body: wire.Request) -> None:
    if body.messages is not None:
        raise unsupported("use 'input' with /v1/responses.", "messages")
    if body.response_format is not None:
        raise unsupported("use 'text.format' with /v1/responses.", "response_format")
    if body.previous_response_id is not None:
        raise unsupported(
            "this gateway keeps no responses; send the whole conversation in 'input'.",
            "previous_response_id",
        )
    if body.conversation is not None:
        raise unsupported(
            "this gateway keeps no conversations; send the whole conversation in 'input'.",
            "conversation",
        )
    if body.background:
        raise unsupported(
            "background responses are not available here; use 'stream' or wait for the answer.",
            "background",
        )


def _web_tools(declared: list[wire.Tool]) -> tuple[ir.WebTool, ...]:
    """The hosted `web_search` tool (any spelling), which the provider runs: at most one."""
    for tool in declared:
        if tool.type in _WEB_SEARCH:
            domains = tool.filters.allowed_domains if tool.filters else None
            place = tool.user_location
            location = (
                None
                if place is None
                else ir.UserLocation(place.city, place.region, place.country, place.timezone)
            )
            return (ir.WebTool(WEB_SEARCH, "search", tuple(domains or ()), user_location=location),)
    return ()


def _tools(declared: list[wire.Tool]) -> Iterator[tuple[str | int, ir.Tool]]:
    # Other hosted tool types (`file_search`, `custom`, ...) run on OpenAI's side or need a
    # typed client contract: no provider behind us runs them and ir cannot express them, so they
    # are dropped rather than sent on as schema-less functions (`web_search`: `_web_tools`).
    for index, tool in enumerate(declared):
        with at(index):
            if tool.type == "function":
                yield index, _function(tool)
            elif tool.type == _NAMESPACE:
                # ir has no namespaces: the members become plain functions under their names.
                for member_index, member in enumerate(tool.tools or ()):
                    if member.type == "function":
                        with at("tools"), at(member_index):
                            yield index, _function(member)


def _function(tool: wire.FunctionTool) -> ir.Tool:
    if tool.name is None:
        raise missing("name")
    return _convert.function_tool(tool.name, tool.description, tool.parameters, tool.strict)


def _tool_choice(
    choice: wire.ChoiceMode | wire.ToolChoiceObject | None,
    parallel: bool | None,
    tools: tuple[ir.Tool, ...],
    web_tools: tuple[ir.WebTool, ...],
) -> ir.ToolChoice | None:
    if not (choice is None or isinstance(choice, str)) and choice.type in _WEB_SEARCH and web_tools:
        return ir.ToolChoice("tool", WEB_SEARCH, parallel is not False)
    if choice is None or isinstance(choice, str):
        return _convert.tool_choice(choice, None, parallel, tools)
    match choice.type:
        case "function":
            if choice.name is None:
                raise missing("name")
            return _convert.tool_choice(None, choice.name, parallel, tools)
        case "allowed_tools":
            return _convert.tool_choice(choice.mode or "auto", None, parallel, tools)
        case _:
            # A hosted tool (`web_search_preview`, `file_search`, ...): those are dropped.
            return _convert.tool_choice("auto", None, parallel, tools)


WEB_SEARCH = "web_search"
_WEB_SEARCH = frozenset(
    {"web_search", "web_search_2025_08_26", "web_search_preview", "web_search_preview_2025_03_11"}
)


def _output_format(text_format: wire.TextFormat | None) -> ir.OutputFormat | None:
    if text_format is None:
        return None
    match text_format.type:
        case "text":
            return None
        case "json_object":
            return ir.OutputFormat(_convert.JSON_OBJECT_SCHEMA, None, strict=False)
        case "json_schema":
            with at("format"):
                if text_format.schema is None:
                    raise missing("schema")
                if not text_format.name:
                    raise missing("name")
            strict = text_format.strict is not False
            schema = checked_json(text_format.schema, "format", "schema")
            return ir.OutputFormat(schema, text_format.name, strict)
