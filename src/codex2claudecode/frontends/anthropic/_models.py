"""The Anthropic Messages request as msgspec Structs: the wire schema, decoded in C.

Only the fields we use are declared; msgspec ignores the rest, so new Claude Code fields never
break us. Every optional field also accepts `null`. Rules that need more than a type are checked
while converting to ir (`_content.py`, `request.py`). `decode` turns msgspec's errors into
`FieldError`s worded as Anthropic's API words them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

import msgspec

from codex2claudecode.frontends.fields import FieldError, one_of

# --------------------------------------------------------------------------- content blocks


class _Block(msgspec.Struct, tag_field="type"):
    pass


class Text(_Block, tag="text"):
    text: str


class ImageSource(msgspec.Struct):
    type: str
    media_type: str | None = None
    data: str | None = None
    url: str | None = None


class Image(_Block, tag="image"):
    source: ImageSource


class DocumentSource(msgspec.Struct):
    type: str
    media_type: str | None = None
    data: str | None = None
    url: str | None = None
    file_id: str | None = None
    content: str | list[Text] | None = None


class Document(_Block, tag="document"):
    source: DocumentSource
    title: str | None = None


class ToolUse(_Block, tag="tool_use"):
    id: str
    name: str
    input: dict[str, Any] | None = None


class Thinking(_Block, tag="thinking"):
    thinking: str
    signature: str | None = None


class RedactedThinking(_Block, tag="redacted_thinking"):
    data: str


# Valid Anthropic blocks that mean nothing to another provider (server-side tool traffic): their
# fields are not declared because they are dropped.
class SearchResult(_Block, tag="search_result"):
    pass


class ServerToolUse(_Block, tag="server_tool_use"):
    pass


class WebSearchToolResult(_Block, tag="web_search_tool_result"):
    pass


class WebFetchToolResult(_Block, tag="web_fetch_tool_result"):
    pass


class ContainerUpload(_Block, tag="container_upload"):
    pass


class McpToolUse(_Block, tag="mcp_tool_use"):
    pass


class McpToolResult(_Block, tag="mcp_tool_result"):
    pass


class ToolReference(_Block, tag="tool_reference"):
    """A tool made available by Claude Code's tool search (inside a `tool_result`)."""

    tool_name: str


ResultBlock = Text | Image | Document | SearchResult | ToolReference


class ToolResult(_Block, tag="tool_result"):
    tool_use_id: str
    content: str | list[ResultBlock] | None = None
    is_error: bool | None = None


Block = (
    Text
    | Image
    | Document
    | ToolUse
    | ToolResult
    | Thinking
    | RedactedThinking
    | SearchResult
    | ServerToolUse
    | WebSearchToolResult
    | WebFetchToolResult
    | ContainerUpload
    | McpToolUse
    | McpToolResult
    | ToolReference
)

Role = Literal["user", "assistant", "system"]


class Message(msgspec.Struct):
    role: Role
    content: str | list[Block]


# --------------------------------------------------------------------------- the rest


class UserLocation(msgspec.Struct):
    city: str | None = None
    region: str | None = None
    country: str | None = None
    timezone: str | None = None


class Tool(msgspec.Struct):
    type: str | None = None
    name: str | None = None
    description: str | None = None
    input_schema: dict[str, Any] | None = None
    strict: bool | None = None
    # The web server tools' options (`web_search_20250305`, `web_fetch_20250910`, ...).
    allowed_domains: list[str] | None = None
    blocked_domains: list[str] | None = None
    user_location: UserLocation | None = None
    max_uses: Annotated[int, msgspec.Meta(ge=1)] | None = None


class _ToolChoice(msgspec.Struct, tag_field="type", kw_only=True):
    disable_parallel_tool_use: bool | None = None


class ToolChoiceAuto(_ToolChoice, tag="auto"):
    pass


class ToolChoiceAny(_ToolChoice, tag="any"):
    pass


class ToolChoiceNone(_ToolChoice, tag="none"):
    pass


class ToolChoiceTool(_ToolChoice, tag="tool"):
    name: str


ToolChoice = ToolChoiceAuto | ToolChoiceAny | ToolChoiceNone | ToolChoiceTool


class _Thinking(msgspec.Struct, tag_field="type"):
    pass


class ThinkingEnabled(_Thinking, tag="enabled"):
    budget_tokens: Annotated[int, msgspec.Meta(ge=1)]
    display: str | None = None
    """`summarized`, `omitted`, or newer values (Claude Code sends `updates`): not a closed set."""


class ThinkingAdaptive(_Thinking, tag="adaptive"):
    display: str | None = None


class ThinkingDisabled(_Thinking, tag="disabled"):
    pass


ThinkingConfig = ThinkingEnabled | ThinkingAdaptive | ThinkingDisabled


class JsonSchemaFormat(msgspec.Struct, tag_field="type", tag="json_schema"):
    schema: dict[str, Any]
    name: str | None = None


Effort = Literal["low", "medium", "high", "xhigh", "max"]


class OutputConfig(msgspec.Struct):
    effort: Effort | None = None
    format: JsonSchemaFormat | None = None


class Metadata(msgspec.Struct):
    user_id: str | None = None


class Request(msgspec.Struct):
    model: Annotated[str, msgspec.Meta(min_length=1)]
    messages: list[Message]
    max_tokens: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """Required by `/v1/messages`, not by `count_tokens`: checked by the caller."""
    system: str | list[Text] | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    thinking: ThinkingConfig | None = None
    output_config: OutputConfig | None = None
    output_format: JsonSchemaFormat | None = None
    """The pre-`output_config` spelling of `output_config.format`."""
    stop_sequences: list[str] | None = None
    stream: bool | None = None
    metadata: Metadata | None = None


# --------------------------------------------------------------------------- decoding

_decoder = msgspec.json.Decoder(Request)


class InvalidJson(Exception):
    pass


def decode(body: bytes) -> Request:
    """Decode and type-check a request body.

    Raises:
        InvalidJson: the body is not JSON (the message is the parser's).
        FieldError: the JSON does not fit the schema.
    """
    try:
        return _decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise _field_error(str(exc)) from exc
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise InvalidJson(str(exc)) from exc
    except RecursionError as exc:
        raise InvalidJson("nested too deeply") from exc


def tags(union: object) -> tuple[str, ...]:
    """The `type` tags of a union of tagged Structs, in declaration order."""
    return tuple(str(member.__struct_config__.tag) for member in get_args(union))


# Where msgspec reports a bad tag or literal, the path tells which choices were allowed.
_TAG_CHOICES: dict[str, tuple[str, ...]] = {
    "messages.*.content.*.type": tags(Block),
    "messages.*.content.*.content.*.type": tags(ResultBlock),
    "messages.*.content.*.source.content.*.type": ("text",),
    "messages.*.content.*.content.*.source.content.*.type": ("text",),
    "system.*.type": ("text",),
    "tool_choice.type": tags(ToolChoice),
    "thinking.type": tags(ThinkingConfig),
    "output_config.format.type": ("json_schema",),
    "output_format.type": ("json_schema",),
}
_LITERAL_CHOICES: dict[str, tuple[str, ...]] = {
    "messages.*.role": get_args(Role),
    "output_config.effort": get_args(Effort),
}
_EXPECTED = {
    "str": "Input should be a valid string",
    "int": "Input should be a valid integer",
    "bool": "Input should be a valid boolean",
    "object": "Input should be a valid dictionary",
    "array": "Input should be a valid list",
    "str | array": "Input should be a valid string or a list of content blocks",
}
_MESSAGE = re.compile(r"(?P<problem>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.DOTALL)
_PATH_KEY = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_MISSING_FIELD = re.compile(r"Object missing required field `(?P<key>[^`]+)`")
_BAD_CHOICE = re.compile(r"Invalid (?:enum )?value (?P<value>.*)")
_EXPECTED_TYPE = re.compile(r"Expected `(?P<type>[^`]+?)(?: \| null)?`(?P<rest>.*)")


def _field_error(text: str) -> FieldError:
    """msgspec's `Expected `str`, got `int` - at `$.messages[0].role`` → Anthropic's wording."""
    match = _MESSAGE.fullmatch(text)
    problem, path = (match["problem"], match["path"] or "") if match else (text, "")
    keys: list[str | int] = [
        name if name else int(index) for name, index in _PATH_KEY.findall(path)
    ]
    if not keys and problem.startswith("Expected `object`, got "):
        return FieldError(f"The request body must be a JSON object, not {problem[23:].strip('`')}")
    if missing := _MISSING_FIELD.fullmatch(problem):
        return FieldError("Field required", *keys, missing["key"])
    pattern = ".".join("*" if isinstance(key, int) else key for key in keys)
    if (bad := _BAD_CHOICE.fullmatch(problem)) and pattern in _TAG_CHOICES:
        expected = ", ".join(f"'{tag}'" for tag in _TAG_CHOICES[pattern])
        return FieldError(
            f"Input tag {bad['value']} found using 'type' does not match any of the expected "
            f"tags: {expected}",
            *keys,
        )
    if bad and pattern in _LITERAL_CHOICES:
        return FieldError(one_of(_LITERAL_CHOICES[pattern]), *keys)
    if expected_type := _EXPECTED_TYPE.fullmatch(problem):
        return FieldError(_expected(expected_type["type"], expected_type["rest"]), *keys)
    return FieldError(problem, *keys)


def _expected(kind: str, rest: str) -> str:
    if rest.startswith(" >= "):
        return f"Input should be greater than or equal to {rest[4:]}"
    if rest.startswith(" of length >= "):
        return f"String should have at least {rest[14:]} character"
    return _EXPECTED.get(kind, f"Input should be of type {kind}")
