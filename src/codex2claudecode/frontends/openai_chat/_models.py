"""The Chat Completions request as msgspec Structs: the wire schema, decoded in C.

Only the fields we use are declared; msgspec ignores the rest (sampling settings such as
`temperature` and `top_p` are accepted and ignored: the providers behind us fix them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

import msgspec

from codex2claudecode import ir
from codex2claudecode.frontends.openai._decode import TokenCount

Role = Literal["system", "developer", "user", "assistant", "tool", "function"]
ChoiceMode = Literal["none", "auto", "required"]
FormatType = Literal["text", "json_schema", "json_object"]
Verbosity = Literal["low", "medium", "high"]


class ImageUrl(msgspec.Struct):
    url: str
    detail: str | None = None


class File(msgspec.Struct):
    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


class ContentPart(msgspec.Struct):
    type: str
    text: str | None = None
    refusal: str | None = None
    image_url: ImageUrl | str | None = None
    file: File | None = None


class Function(msgspec.Struct):
    name: str
    arguments: str | dict[str, Any] | None = None


class ToolCall(msgspec.Struct):
    id: str
    function: Function
    type: str = "function"


class Message(msgspec.Struct):
    role: Role
    content: str | list[ContentPart] | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None


class FunctionDefinition(msgspec.Struct):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(msgspec.Struct):
    type: str
    function: FunctionDefinition | None = None


class NamedFunction(msgspec.Struct):
    name: str


class ToolChoiceObject(msgspec.Struct):
    type: str
    function: NamedFunction | None = None


class JsonSchema(msgspec.Struct):
    name: str
    schema: dict[str, Any] | None = None
    strict: bool | None = None


class ResponseFormat(msgspec.Struct):
    type: FormatType
    json_schema: JsonSchema | None = None


class StreamOptions(msgspec.Struct):
    include_usage: bool | None = None


class Request(msgspec.Struct):
    model: Annotated[str, msgspec.Meta(min_length=1)]
    messages: list[Message]
    tools: list[Tool] | None = None
    tool_choice: ChoiceMode | ToolChoiceObject | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: ir.Effort | None = None
    verbosity: Verbosity | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    max_tokens: TokenCount | None = None
    max_completion_tokens: TokenCount | None = None
    stop: str | list[str] | None = None
    n: int | None = None
    prompt_cache_key: str | None = None
    metadata: dict[str, str] | None = None
    input: Any | None = None
    text: Any | None = None


DECODER = msgspec.json.Decoder(Request)
CHOICES: dict[str, tuple[str, ...]] = {
    "messages.*.role": get_args(Role),
    "tool_choice": get_args(ChoiceMode),
    "response_format.type": get_args(FormatType),
    "reasoning_effort": get_args(ir.Effort),
    "verbosity": get_args(Verbosity),
}
