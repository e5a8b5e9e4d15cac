"""The floor under the gateway's added latency: a relay doing only the forwarding.

Raw ASGI on uvicorn (uvloop, httptools, no access log) with one shared aiohttp session, as the
gateway: it reads the client's body, posts a fixed Codex body upstream, reads the whole answer
and returns a small Anthropic-shaped JSON. No translation, accounts, log or checks, so the
difference between it and the gateway is what the gateway's own work costs.

Usage: python bench/bare_relay.py PORT UPSTREAM_RESPONSES_URL
"""

from __future__ import annotations

import sys
from typing import Any

import aiohttp
import orjson
import uvicorn

Scope = dict[str, Any]

UPSTREAM = sys.argv[2] if len(sys.argv) > 2 else ""
BODY = orjson.dumps(
    {
        "model": "gpt-5.4",
        "instructions": "You are a helpful coding assistant.",
        "input": [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "hello"}],
            }
        ],
        "stream": True,
        "store": False,
    }
)
HEADERS = {"authorization": "Bearer bench", "content-type": "application/json"}
_session: list[aiohttp.ClientSession] = []


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] == "lifespan.startup":
            _session.append(aiohttp.ClientSession())
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    while (await receive()).get("more_body"):
        pass
    if scope["path"] == "/":
        await _answer(send, b"ok")
        return
    async with _session[0].post(UPSTREAM, data=BODY, headers=HEADERS) as response:
        answer = await response.read()
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": "Hello! How can I help?"}],
        "usage": {"input_tokens": len(answer)},
    }
    await _answer(send, orjson.dumps(message))


async def _answer(send: Any, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
        proxy_headers=False,
        server_header=False,
    )
