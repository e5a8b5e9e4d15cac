"""Parse OpenAI Chat Completions `POST /v1/chat/completions` bodies into `ir.Request`.

Leading system/developer messages become the system prompt; later ones stay in place. Consecutive
`tool` messages become one user turn of tool results, as the Anthropic-shaped ir expects. Bad input
raises `errors.InvalidRequest` with OpenAI's path style in `param` (`messages[1].content[0].type`).
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from codex2claudecode import errors, ir
from codex2claudecode.frontends.openai import _convert
from codex2claudecode.frontends.openai._decode import decode
from codex2claudecode.frontends.openai._fields import (
    FieldError,
    at,
    checked_json,
    invalid_value,
    missing,
    session_key,
    unsupported,
)
from codex2claudecode.frontends.openai_chat import _models as wire

_USER_PARTS = ("text", "image_url", "file")
_TEXT_PARTS = ("text",)
_MAX_STOP_SEQUENCES = 4  # OpenAI's limit on `stop`


def parse_chat(body: bytes) -> ir.Request:
    """Parse a `POST /v1/chat/completions` body.

    Raises:
        errors.InvalidRequest: with `param` naming the offending field path.
    """
    decoded = decode(wire.DECODER, body, wire.CHOICES)
    try:
        return _request(decoded)
    except FieldError as exc:
        raise errors.InvalidRequest(exc.message, param=exc.path or None) from exc


def _request(body: wire.Request) -> ir.Request:
    if body.input is not None:
        raise unsupported("use 'messages' with /v1/chat/completions.", "input")
    if body.text is not None:
        raise unsupported("use 'response_format' with /v1/chat/completions.", "text")
    if body.n is not None and body.n != 1:
        raise FieldError(
            f"Invalid value for '{{path}}': {body.n}. This gateway returns one choice per "
            "request; send n=1 (or leave it out) and repeat the request for more.",
            "n",
        )
    if not body.messages:
        raise FieldError(
            "Invalid 'messages': empty array. Expected at least one message.", "messages"
        )
    with at("messages"):
        messages = _messages(body.messages)
    system, conversation = _convert.system_and_messages(None, messages)
    with at("tools"):
        tools = _convert.unique_tools(_tools(body.tools or []))
    with at("tool_choice"):
        tool_choice = _tool_choice(body.tool_choice, body.parallel_tool_calls, tools)
    with at("response_format"):
        output_format = _output_format(body.response_format)
    with at("stop"):
        stop = _stop(body.stop)
    options = body.stream_options or wire.StreamOptions()
    return ir.Request(
        model=body.model,
        messages=conversation,
        system=system,
        tools=tools,
        tool_choice=tool_choice,
        effort=body.reasoning_effort,
        output_format=output_format,
        max_tokens=body.max_completion_tokens or body.max_tokens,
        stop_sequences=stop,
        stream=bool(body.stream),
        session_key=session_key(body.prompt_cache_key, "prompt_cache_key")
        if body.prompt_cache_key
        else None,
        metadata=body.metadata or {},
        verbosity=body.verbosity,
        stream_usage=bool(body.stream and options.include_usage),
        on_overflow="trim",
    )


def _messages(declared: list[wire.Message]) -> list[ir.Message]:
    messages: list[ir.Message] = []
    results: list[ir.Part] = []  # consecutive tool messages, one user turn
    for index, message in enumerate(declared):
        with at(index):
            if message.role == "tool":
                results.extend(_tool_result(message))
                continue
            if results:
                messages.append(ir.Message("user", tuple(results)))
                results = []
            messages.append(_message(message))
    if results:
        messages.append(ir.Message("user", tuple(results)))
    return messages


def _message(message: wire.Message) -> ir.Message:
    match message.role:
        case "system" | "developer":
            return ir.Message("system", _content(message.content, _TEXT_PARTS, required=True))
        case "user":
            return ir.Message("user", _content(message.content, _USER_PARTS, required=True))
        case "assistant":
            parts = list(_content(message.content, ("text", "refusal"), required=False))
            with at("tool_calls"):
                parts.extend(_tool_call(call, i) for i, call in enumerate(message.tool_calls or ()))
            if not parts:
                raise missing("content")
            return ir.Message("assistant", tuple(parts))
        case "function":
            raise FieldError(
                "Invalid value: 'function'. The 'function' role is deprecated and not supported "
                "here; send tool results as 'tool' messages with a 'tool_call_id'.",
                "role",
            )
        case "tool":
            raise AssertionError("tool messages are grouped by the caller")


def _content(
    content: str | list[wire.ContentPart] | None, allowed: tuple[str, ...], *, required: bool
) -> tuple[ir.Part, ...]:
    if content is None:
        if required:
            raise missing("content")
        return ()
    if isinstance(content, str):
        return (ir.TextPart(content),) if content or required else ()
    parts: list[ir.Part] = []
    with at("content"):
        for index, part in enumerate(content):
            with at(index):
                if part.type not in allowed:
                    raise invalid_value(part.type, allowed, "type")
                parts.append(_part(part))
    return tuple(parts)


def _part(part: wire.ContentPart) -> ir.Part:
    match part.type:
        case "text":
            return ir.TextPart(_required(part.text, "text"))
        case "refusal":
            return ir.TextPart(_required(part.refusal, "refusal"))
        case "image_url":
            image = part.image_url
            if image is None:
                raise missing("image_url")
            with at("image_url"):
                return _convert.image(image if isinstance(image, str) else image.url)
        case _:  # "file", the only other allowed type
            file = part.file
            if file is None:
                raise missing("file")
            if file.file_data is not None:
                return _convert.file_data(file.file_data, file.filename)
            if file.file_id is not None:
                return ir.DocumentPart("file", file.filename, file_id=file.file_id)
            raise missing("file", "file_data")


def _tool_call(call: wire.ToolCall, index: int) -> ir.ToolCallPart:
    arguments = call.function.arguments
    if arguments is None or isinstance(arguments, str):
        text = arguments or "{}"
    else:
        text = orjson.dumps(checked_json(arguments, index, "function", "arguments")).decode()
    if call.type != "function":
        raise invalid_value(call.type, ("function",), index, "type")
    return ir.ToolCallPart(call.id, call.function.name, text)


def _tool_result(message: wire.Message) -> list[ir.Part]:
    call_id = _required(message.tool_call_id, "tool_call_id")
    content = _content(message.content, _TEXT_PARTS, required=True)
    texts = tuple(part for part in content if isinstance(part, ir.TextPart))
    return [ir.ToolResultPart(call_id, texts)]


def _tools(declared: list[wire.Tool]) -> Iterator[tuple[str | int, ir.Tool]]:
    for index, tool in enumerate(declared):
        # Only function tools can be expressed in ir; `custom` (free-form) tools are dropped.
        if tool.type != "function":
            continue
        with at(index):
            if tool.function is None:
                raise missing("function")
            function = tool.function
            with at("function"):
                yield (
                    index,
                    _convert.function_tool(
                        function.name, function.description, function.parameters, function.strict
                    ),
                )


def _tool_choice(
    choice: wire.ChoiceMode | wire.ToolChoiceObject | None,
    parallel: bool | None,
    tools: tuple[ir.Tool, ...],
) -> ir.ToolChoice | None:
    if choice is None or isinstance(choice, str):
        return _convert.tool_choice(choice, None, parallel, tools)
    if choice.type == "function":
        if choice.function is None:
            raise missing("function")
        with at("function"), at("name"):
            return _convert.tool_choice(None, choice.function.name, parallel, tools)
    # `allowed_tools` and `custom` choices name tools ir cannot restrict to: let the model pick.
    return _convert.tool_choice("auto", None, parallel, tools)


def _output_format(response_format: wire.ResponseFormat | None) -> ir.OutputFormat | None:
    if response_format is None:
        return None
    match response_format.type:
        case "text":
            return None
        case "json_object":
            return ir.OutputFormat(_convert.JSON_OBJECT_SCHEMA, None, strict=False)
        case "json_schema":
            spec = response_format.json_schema
            if spec is None:
                raise missing("json_schema")
            schema: dict[str, object] = (
                _convert.JSON_OBJECT_SCHEMA
                if spec.schema is None
                else checked_json(spec.schema, "json_schema", "schema")
            )
            return ir.OutputFormat(schema, spec.name, strict=bool(spec.strict))


def _stop(stop: str | list[str] | None) -> tuple[str, ...]:
    if stop is None:
        return ()
    sequences = (stop,) if isinstance(stop, str) else tuple(stop)
    if len(sequences) > _MAX_STOP_SEQUENCES:
        raise FieldError(
            f"Invalid '{{path}}': array too long. Expected at most {_MAX_STOP_SEQUENCES} "
            f"stop sequences, but got {len(sequences)}."
        )
    return tuple(sequence for sequence in sequences if sequence)


def _required(value: str | None, key: str) -> str:
    if value is None:
        raise missing(key)
    return value
