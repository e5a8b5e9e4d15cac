"""Memory is handed back once a burst of requests is over, never while one runs."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
from uvicorn.server import ServerState

from codex2claudecode.server.run import QUIET_SECONDS, QuietTrim, bind, server_for
from codex2claudecode.tasks import spawn
from tests.fakes.server import run_server


async def test_a_trim_follows_each_burst_once_and_never_a_running_request() -> None:
    state = ServerState()
    trims: list[int] = []
    trim = QuietTrim(state, release=lambda: trims.append(state.total_requests))

    await trim()
    assert trims == []  # nothing served since start

    state.total_requests = 5
    running = spawn(asyncio.sleep(10), name="a request")
    state.tasks.add(running)
    await trim()
    assert trims == []  # a request is running

    state.tasks.clear()
    running.cancel()
    await trim()
    assert trims == [5]
    await trim()
    assert trims == [5]  # idle since: nothing new to hand back

    state.total_requests = 6
    await trim()
    assert trims == [5, 6]


async def ok(scope: dict[str, object], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_the_server_trims_after_its_requests_on_a_thread_of_its_own() -> None:
    quiet: list[str] = []
    server = server_for(ok, on_quiet=lambda: quiet.append(threading.current_thread().name))
    with run_server(server, bind("127.0.0.1", 0)) as url:
        for _ in range(3):
            assert httpx.get(url).text == "ok"
        deadline = time.monotonic() + 3 * QUIET_SECONDS + 5
        while not quiet and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(quiet) == 1
        assert quiet[0] != "test-asgi-server"  # not on the event loop's thread
