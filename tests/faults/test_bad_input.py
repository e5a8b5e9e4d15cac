"""Issue 10: inputs that were answered with a 500 are 400s naming the field, end to end."""

from __future__ import annotations

import httpx
import orjson
import pytest

from codex2claudecode.frontends.json_value import MAX_DEPTH
from tests.e2e.conftest import Env

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("survives")]


def deep(levels: int) -> bytes:
    """A schema of `levels` nested `properties` (two JSON levels each)."""
    return b'{"properties":{"a":' * levels + b"{}" + b"}}" * levels


BASE = {"model": "gpt-5.4", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
BIG_INT = b'"maximum":18446744073709551616'
CASES = [
    (
        "integer beyond 64 bits in a tool schema",
        orjson.dumps({**BASE, "tools": [{"name": "t", "input_schema": {"x": 0}}]}).replace(
            b'"x":0', BIG_INT
        ),
        "tools.0.input_schema.maximum",
    ),
    (
        "schema nested deeper than the encoder allows",
        orjson.dumps({**BASE, "tools": [{"name": "t", "input_schema": {"x": 0}}]}).replace(
            b'{"x":0}', deep(200)
        ),
        "tools.0.input_schema.properties.a",
    ),
    (
        "CR/LF in the session id",
        orjson.dumps({**BASE, "metadata": {"user_id": "user_x_session_a\r\nX-Evil: 1"}}),
        "metadata.user_id",
    ),
    (
        "100 KB session id",
        orjson.dumps({**BASE, "metadata": {"user_id": '{"session_id":"' + "s" * 100_000 + '"}'}}),
        "metadata.user_id",
    ),
]


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
@pytest.mark.parametrize(("body", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_unwritable_input_is_a_400_naming_the_field(
    env: Env, gateway: str, path: str, body: bytes, field: str
) -> None:
    r = httpx.post(gateway + path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(field)
    assert env.fake.requests == []


def test_the_depth_cap_is_far_inside_the_encoder_limit() -> None:
    assert MAX_DEPTH + 10 < 254  # orjson's nesting limit, with room for any dialect's wrapping
