"""Issue 10: inputs that used to be 500s are 400s naming the field (parse-time limits)."""

from __future__ import annotations

import orjson
import pytest

from codex2claudecode import errors
from codex2claudecode.frontends.anthropic.request import parse_count_tokens, parse_messages
from codex2claudecode.frontends.json_value import MAX_DEPTH


def body(**fields: object) -> bytes:
    base: dict[str, object] = {
        "model": "gpt-5.4",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "hi"}],
    }
    return orjson.dumps({**base, **fields}, option=orjson.OPT_PASSTHROUGH_SUBCLASS)


def raw(text: str) -> bytes:
    return text.encode()


def deep(depth: int) -> str:
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


MSG = '"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]'
BAD = [
    (
        raw(
            "{"
            + MSG
            + ',"tools":[{"name":"t","input_schema":{"type":"integer",'
            + '"maximum":18446744073709551616}}]}'
        ),
        "tools.0.input_schema.maximum",
    ),
    (
        raw("{" + MSG + ',"tools":[{"name":"t","input_schema":' + deep(MAX_DEPTH + 1) + "}]}"),
        "tools.0.input_schema" + ".a" * MAX_DEPTH,
    ),
    (
        raw("{" + MSG + ',"tools":[{"name":"t","input_schema":' + deep(300) + "}]}"),
        "tools.0.input_schema" + ".a" * MAX_DEPTH,
    ),
    (
        raw(
            "{" + MSG + ',"output_config":{"format":{"type":"json_schema","schema":{"const":'
            "1" + "0" * 30 + "}}}}"
        ),
        "output_config.format.schema.const",
    ),
    (
        raw(
            "{"
            + MSG
            + ',"output_format":{"type":"json_schema","schema":{"x":['
            + "[" * 80
            + "]" * 80
            + "]}}}"
        ),
        "output_format.schema.x" + ".0" * (MAX_DEPTH - 1),
    ),
    (raw("{" + MSG + ',"metadata":{"user_id":"u_session_a\\r\\nX-Evil: 1"}}'), "metadata.user_id"),
    (
        raw(
            "{" + MSG + ',"metadata":{"user_id":"{\\"session_id\\":\\"' + "s" * 100_000 + '\\"}"}}'
        ),
        "metadata.user_id",
    ),
]


@pytest.mark.parametrize("parse", [parse_messages, parse_count_tokens])
@pytest.mark.parametrize(("data", "path"), BAD, ids=[path for _, path in BAD])
def test_unwritable_input_is_a_400_naming_the_field(parse: object, data: bytes, path: str) -> None:
    with pytest.raises(errors.InvalidRequest) as caught:
        parse(data)  # type: ignore[operator]
    assert caught.value.param == path
    assert caught.value.message.startswith(path + ": ")


@pytest.mark.parametrize("header", ["a\r\nX-Evil: 1", "s" * 100_000, "café", "a\tb"])
def test_a_bad_session_header_is_a_400_naming_the_header(header: str) -> None:
    data = raw("{" + MSG + "}")
    with pytest.raises(errors.InvalidRequest) as caught:
        parse_messages(data, session_header=header)
    assert caught.value.param == "X-Claude-Code-Session-Id"
    assert "printable ASCII" in caught.value.message


def test_a_uuid_session_is_kept() -> None:
    session = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert parse_messages(raw("{" + MSG + "}"), session_header=session).session_key == session
