"""Issue 10: load held. Three hundred Claude Code-shaped streams at once through the real
server, each answered with its own text, while some clients walk away mid-stream.

Every stream that stays must be complete and well formed and carry its own answer (no
cross-talk between concurrent requests); every stream that leaves must cancel its upstream
request; the `survives` fixture then checks that nothing was logged as an error, no upstream
request is left running and the account file is intact.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from codex2claudecode.server.protocol import ConnectionLimits
from tests.e2e.conftest import Env
from tests.fakes.codex import Recorded, Reply
from tests.fakes.responses_events import text_answer
from tests.faults.conftest import Start, wait_until

pytestmark = [pytest.mark.timeout(120), pytest.mark.usefixtures("survives")]

STREAMS = 300
LEAVERS = 30
"""Of the streams, how many leave after their first text delta."""

GRAMMAR = [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
]


def echo(recorded: Recorded) -> Reply:
    """Answer each request with the number it was sent, in two deltas."""
    said = recorded.body["input"][-1]["content"][0]["text"]
    # The leavers' answers stall after their first delta, so they are still open when they leave.
    stall = 5 if said.startswith("leave") else None
    return Reply(events=text_answer("you said ", said), stall_after=stall)


async def stream(session: aiohttp.ClientSession, url: str, said: str) -> tuple[list[str], str]:
    """The event names of one streamed answer and its text; a leaver returns after one delta."""
    body = {
        "model": "gpt-5.4",
        "max_tokens": 64,
        "stream": True,
        "messages": [{"role": "user", "content": said}],
    }
    names: list[str] = []
    text = ""
    async with session.post(f"{url}/v1/messages", json=body) as response:
        assert response.status == 200, await response.text()
        name = ""
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
                names.append(name)
            elif line.startswith("data: ") and name == "content_block_delta":
                text += json.loads(line.removeprefix("data: "))["delta"]["text"]
                if said.startswith("leave"):
                    return names, text
    return names, text


async def load(url: str) -> list[tuple[list[str], str]]:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        said = [f"leave {n}" if n < LEAVERS else f"stay {n}" for n in range(STREAMS)]
        return await asyncio.gather(*(stream(session, url, s) for s in said))


def test_three_hundred_concurrent_streams_each_get_their_own_whole_answer(
    env: Env, gateways: Start
) -> None:
    url = gateways(ConnectionLimits(max_connections=STREAMS + 50, head_timeout=30.0))
    env.fake.responder = echo
    try:
        answers = asyncio.run(load(url))
    finally:
        env.fake.responder = None

    for n, (names, text) in enumerate(answers):
        if n < LEAVERS:
            assert text == "you said ", (n, text)
        else:
            assert names == GRAMMAR, (n, names)
            assert text == f"you said stay {n}", (n, text)
    assert len(env.fake.requests) == STREAMS
    wait_until(lambda: env.fake.cancelled == LEAVERS and env.fake.active == 0)
