"""Parse Anthropic `/v1/messages` and `/v1/messages/count_tokens` bodies into `ir.Request`.

The first stop of the pipeline for Claude Code. Unknown fields are ignored, never rejected: Claude
Code adds new ones often (`context_management`, `output_config`, ...). Bad input raises
`errors.InvalidRequest` worded like Anthropic's API (`messages.0.content.1.type: ...`).
"""

from __future__ import annotations

import re
from typing import Literal, assert_never

import orjson

from codex2claudecode import errors, ir
from codex2claudecode.frontends.anthropic import _models as wire
from codex2claudecode.frontends.anthropic._content import texts, to_messages
from codex2claudecode.frontends.fields import MAX_SESSION_ID, FieldError, at, usable_session_id
from codex2claudecode.frontends.json_value import check_json_value

# The billing header carries a per-request hash, so keeping it would defeat prompt caching; the
# identity line would make a non-Claude model claim to be Claude Code (spec original-codex §3.2).
_BILLING_HEADER_PREFIX = "x-anthropic-billing-header:"
# Claude's identity lines (interactive and print mode): the model behind us is not Claude.
_IDENTITY_LINES = frozenset(
    {
        "You are Claude Code, Anthropic's official CLI for Claude.",
        "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
    }
)

_EFFORTS: dict[str, ir.Effort] = {
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "xhigh",
    "max": "xhigh",
}
SESSION_HEADER = "X-Claude-Code-Session-Id"
_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_WEB_TOOL_TYPE = re.compile(r"web_(search|fetch)_\d+")
"""Anthropic's web server tools: `web_search_20250305`, `web_fetch_20250910`, and later dates."""
_MAX_FORMAT_NAME = 64  # OpenAI's limit on `text.format.name`


def parse_messages(body: bytes, *, session_header: str | None = None) -> ir.Request:
    """Parse a `POST /v1/messages` body.

    Args:
        body: the raw request body.
        session_header: the `X-Claude-Code-Session-Id` header, if sent.

    Raises:
        errors.InvalidRequest: with `param` naming the offending field path.
    """
    return _parse(body, session_header, for_count=False)


def parse_count_tokens(body: bytes, *, session_header: str | None = None) -> ir.Request:
    """Parse a `POST /v1/messages/count_tokens` body: as `parse_messages`, but `max_tokens` is
    optional and `messages` may be empty."""
    return _parse(body, session_header, for_count=True)


def session_key_from(session_header: str | None, metadata_user_id: str | None) -> str | None:
    """The client's conversation id: the session header, else the one inside `metadata.user_id`.

    Claude Code puts a JSON object with `session_id` in `user_id`; older versions send
    `user_<hash>_account_<uuid>_session_<uuid>`. The id goes upstream in a header and a cache
    key, so it must be printable ASCII and at most `MAX_SESSION_ID` characters.

    Raises:
        FieldError: the id is not (`X-Claude-Code-Session-Id` or `metadata.user_id`).
    """
    if session_header and session_header.strip():
        return _checked_session(session_header.strip(), SESSION_HEADER)
    if not metadata_user_id:
        return None
    session = _session_in(metadata_user_id)
    return None if session is None else _checked_session(session, "metadata", "user_id")


def _checked_session(session: str, *path: str) -> str:
    if not usable_session_id(session):
        raise FieldError(
            f"the session id must be printable ASCII of at most {MAX_SESSION_ID} characters",
            *path,
        )
    return session


def _session_in(metadata_user_id: str) -> str | None:
    if metadata_user_id.startswith("{"):
        try:
            decoded = orjson.loads(metadata_user_id)
        except orjson.JSONDecodeError:
            return None
        session_id = decoded.get("session_id") if isinstance(decoded, dict) else None
        return session_id if isinstance(session_id, str) and session_id else None
    _, marker, session_id = metadata_user_id.rpartition("_session_")
    return session_id if marker and session_id else None


def _parse(body: bytes, session_header: str | None, *, for_count: bool) -> ir.Request:
    try:
        return _request(wire.decode(body), session_header, for_count=for_count)
    except wire.InvalidJson as exc:
        raise errors.InvalidRequest(f"Invalid JSON: {exc}") from exc
    except FieldError as exc:
        raise errors.InvalidRequest(exc.message, param=exc.path or None) from exc


def _request(body: wire.Request, session_header: str | None, *, for_count: bool) -> ir.Request:
    _check_free_form(body)
    if not for_count:
        if body.max_tokens is None:
            raise FieldError("Field required", "max_tokens")
        if not body.messages:
            raise FieldError("List should have at least 1 item after validation, not 0", "messages")
    with at("messages"):
        messages = to_messages(body.messages)
    with at("tools"):
        tools, web_tools = _tools(body.tools or [])
    with at("tool_choice"):
        tool_choice = _tool_choice(body.tool_choice, tools, web_tools)
    config = body.output_config or wire.OutputConfig()
    output_format = config.format or body.output_format
    user_id = body.metadata.user_id if body.metadata else None
    return ir.Request(
        model=body.model,
        messages=messages,
        system=_system(body.system),
        tools=tools,
        tool_choice=tool_choice,
        thinking=_thinking(body.thinking),
        effort=None if config.effort is None else _EFFORTS[config.effort],
        output_format=None if output_format is None else _output_format(output_format),
        max_tokens=body.max_tokens,
        stop_sequences=tuple(body.stop_sequences or ()),
        stream=bool(body.stream),
        session_key=session_key_from(session_header, user_id),
        metadata={} if user_id is None else {"user_id": user_id},
        web_tools=web_tools,
    )


def _check_free_form(body: wire.Request) -> None:
    """The client's JSON schemas must be writable by every encoder. (Past tool inputs need no
    check: they travel on as argument strings, written by msgspec, which has no such limits.)"""
    for index, tool in enumerate(body.tools or ()):
        if tool.input_schema:
            with at("tools"), at(index), at("input_schema"):
                check_json_value(tool.input_schema)
    if body.output_format is not None:
        with at("output_format"), at("schema"):
            check_json_value(body.output_format.schema)
    if body.output_config is not None and body.output_config.format is not None:
        with at("output_config"), at("format"), at("schema"):
            check_json_value(body.output_config.format.schema)


def _system(system: str | list[wire.Text] | None) -> str:
    if system is None:
        return ""
    return "\n\n".join(text for text in texts(system) if _keep_in_system(text))


def _keep_in_system(text: str) -> bool:
    trimmed = text.strip()
    return (
        bool(trimmed)
        and trimmed not in _IDENTITY_LINES
        and not trimmed.startswith(_BILLING_HEADER_PREFIX)
    )


def _tools(declared: list[wire.Tool]) -> tuple[tuple[ir.Tool, ...], tuple[ir.WebTool, ...]]:
    tools: dict[str, ir.Tool] = {}
    web_tools: dict[str, ir.WebTool] = {}
    for index, tool in enumerate(declared):
        web = _WEB_TOOL_TYPE.fullmatch(tool.type or "")
        if tool.type is not None and tool.type != "custom" and web is None:
            # Another Anthropic server tool (`bash_20250124`, `code_execution_*`, `mcp_toolset`,
            # ...): it needs a typed contract no provider behind us offers, so it is dropped
            # rather than sent on as a schema-less function.
            continue
        if not tool.name:
            problem = (
                "Field required" if tool.name is None else "String should have at least 1 character"
            )
            raise FieldError(problem, index, "name")
        if tool.name in tools or tool.name in web_tools:
            raise FieldError(f"Tool names must be unique, '{tool.name}' repeats", index, "name")
        if web is not None:
            web_tools[tool.name] = _web_tool(
                tool, tool.name, "search" if web[1] == "search" else "fetch"
            )
            continue
        schema = tool.input_schema
        tools[tool.name] = ir.Tool(
            name=tool.name,
            description=tool.description,
            input_schema={"type": "object", "properties": {}} if schema is None else schema,
            strict=bool(tool.strict),
        )
    return tuple(tools.values()), tuple(web_tools.values())


def _web_tool(tool: wire.Tool, name: str, kind: Literal["search", "fetch"]) -> ir.WebTool:
    location = tool.user_location
    return ir.WebTool(
        name=name,
        kind=kind,
        allowed_domains=tuple(tool.allowed_domains or ()),
        blocked_domains=tuple(tool.blocked_domains or ()),
        user_location=None
        if location is None
        else ir.UserLocation(location.city, location.region, location.country, location.timezone),
        max_uses=tool.max_uses,
    )


def _tool_choice(
    choice: wire.ToolChoice | None, tools: tuple[ir.Tool, ...], web_tools: tuple[ir.WebTool, ...]
) -> ir.ToolChoice | None:
    if choice is None:
        return None
    parallel = not choice.disable_parallel_tool_use
    match choice:
        case wire.ToolChoiceAuto():
            return ir.ToolChoice("auto", parallel=parallel)
        case wire.ToolChoiceAny():
            return ir.ToolChoice("any", parallel=parallel)
        case wire.ToolChoiceNone():
            return ir.ToolChoice("none", parallel=parallel)
        case wire.ToolChoiceTool(name=name):
            names = {tool.name for tool in tools} | {tool.name for tool in web_tools}
            if name not in names:
                raise FieldError(f"Tool '{name}' is not among the request's tools", "name")
            return ir.ToolChoice("tool", name, parallel)
        case _:
            assert_never(choice)


def _thinking(thinking: wire.ThinkingConfig | None) -> ir.Thinking | None:
    match thinking:
        case None:
            return None
        case wire.ThinkingEnabled(budget_tokens=budget, display=display):
            return ir.Thinking("enabled", budget, _display(display))
        case wire.ThinkingAdaptive(display=display):
            return ir.Thinking("adaptive", display=_display(display))
        case wire.ThinkingDisabled():
            return ir.Thinking("disabled")
        case _:
            assert_never(thinking)


def _display(display: str | None) -> Literal["summarized", "omitted"]:
    # Only `omitted` hides the text; every other value (`summarized`, Claude Code's `updates`,
    # values yet to come) shows it.
    return "omitted" if display == "omitted" else "summarized"


def _output_format(output_format: wire.JsonSchemaFormat) -> ir.OutputFormat:
    name = output_format.name or _name_from_title(output_format.schema.get("title"))
    return ir.OutputFormat(output_format.schema, name)


def _name_from_title(title: object) -> str | None:
    if not isinstance(title, str):
        return None
    return _NOT_IN_A_NAME.sub("_", title.strip()).strip("_")[:_MAX_FORMAT_NAME] or None
