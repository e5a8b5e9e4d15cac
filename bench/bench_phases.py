"""Where a small non-streaming request spends the gateway's CPU, phase by phase (issue 10).

Starts `bench/realistic_fake.py` and a gateway as `bench_gateway.py` does, but the gateway runs
under this script (`--serve`), which wraps a few functions with `perf_counter_ns` checkpoints:

  entry     `Gateway.__call__` begins
  route     `AnthropicRoutes.messages` begins
  generate  `CodexBackend.generate` begins
  encoded   `CodexBackend.encode` returns
  post      aiohttp's `ClientSession._request` begins (the upstream request)
  answered  the last upstream read returns (`StreamReader.readany`; the whole small answer
            often comes in one read, so the decoding of its events follows this)
  accumulated  `pipeline.accumulate` returns (decoded and accumulated)
  sent      the last response body message reaches the server's `send`
  exit      `Gateway.__call__` returns

Then it sends N sequential 'hello' requests (non-streaming) and prints the median of every
phase, the gateway's CPU per request (`/proc/<pid>/task/*/schedstat`) and the p50 added latency
against direct requests interleaved with them. Measurement only: the wrappers cost a little
themselves (~1 µs per checkpoint), the same before and after a change.

Usage: .venv/bin/python bench/bench_phases.py [--n 2000] [--log-off]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS = (
    "entry",
    "route",
    "generate",
    "encoded",
    "post",
    "answered",
    "accumulated",
    "sent",
    "exit",
)
PHASES_PATH = "/__phases"


def _serve(argv: list[str], log_off: bool) -> int:
    """Run the gateway with checkpoint wrappers; `GET /__phases` answers the timings so far."""
    import logging

    import aiohttp
    from aiohttp.streams import StreamReader

    from codex2claudecode import cli
    from codex2claudecode.backends.codex.backend import CodexBackend
    from codex2claudecode.frontends import pipeline
    from codex2claudecode.frontends.anthropic.routes import AnthropicRoutes
    from codex2claudecode.server import middleware

    now = time.perf_counter_ns
    rows: list[dict[str, int]] = []
    current: dict[str, int] = {}

    init = middleware.Gateway.__init__

    def gateway_init(self: Any, app: Any, **kwargs: Any) -> None:
        if log_off:
            kwargs["request_log"] = None
        init(self, app, **kwargs)

    call = middleware.Gateway.__call__

    async def gateway_call(self: Any, scope: Any, receive: Any, send: Any) -> None:
        nonlocal current
        if scope["type"] == "http" and scope["path"] == PHASES_PATH:
            body = orjson.dumps(rows)
            rows.clear()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        current = {"entry": now()}
        mine = current

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                mine["sent"] = now()
            await send(message)

        await call(self, scope, receive, timed_send)
        mine["exit"] = now()
        if scope["path"] == "/v1/messages":
            rows.append(mine)

    messages = AnthropicRoutes.messages

    async def routes_messages(self: Any, http: Any) -> Any:
        current["route"] = now()
        return await messages(self, http)

    generate = CodexBackend.generate

    def backend_generate(self: Any, request: Any) -> Any:
        current["generate"] = now()
        return generate(self, request)

    encode = CodexBackend.encode

    def backend_encode(self: Any, request: Any) -> bytes:
        body = encode(self, request)
        current["encoded"] = now()
        return body

    accumulate = pipeline.accumulate

    async def pipeline_accumulate(*args: Any, **kwargs: Any) -> Any:
        answer = await accumulate(*args, **kwargs)
        current["accumulated"] = now()
        return answer

    request = aiohttp.ClientSession._request

    async def session_request(self: Any, *args: Any, **kwargs: Any) -> Any:
        current["post"] = now()
        return await request(self, *args, **kwargs)

    readany = StreamReader.readany

    async def reader_readany(self: Any) -> bytes:
        chunk = await readany(self)
        current["answered"] = now()
        return chunk

    middleware.Gateway.__init__ = gateway_init  # type: ignore[method-assign]
    middleware.Gateway.__call__ = gateway_call  # type: ignore[method-assign]
    AnthropicRoutes.messages = routes_messages  # type: ignore[method-assign]
    CodexBackend.generate = backend_generate  # type: ignore[method-assign]
    CodexBackend.encode = backend_encode  # type: ignore[method-assign]
    pipeline.accumulate = pipeline_accumulate
    aiohttp.ClientSession._request = session_request  # type: ignore[method-assign]
    StreamReader.readany = reader_readany  # type: ignore[method-assign]
    if log_off:
        logging.getLogger("codex2claudecode.http").disabled = True
    return cli.main(argv)


async def _drive(direct: str, through: str, phases_url: str, n: int, pid: int) -> None:
    import aiohttp

    from bench_gateway import _anthropic_body, _codex_body, _one
    from bench_setup import cpu_ns

    small, direct_body = _anthropic_body("hello", False), _codex_body("hello")
    async with aiohttp.ClientSession() as session:
        for _ in range(50):
            await _one(session, through, small)
            await _one(session, direct, direct_body)
        async with session.get(phases_url) as r:
            await r.read()  # forget the warm-up
        cpu_before = cpu_ns(pid)
        for _ in range(n):
            await _one(session, through, small)
        cpu = (cpu_ns(pid) - cpu_before) / n / 1000
        async with session.get(phases_url) as r:
            rows = orjson.loads(await r.read())
        d, g = [], []
        for _ in range(n // 2):
            d.append((await _one(session, direct, direct_body))[0])
            g.append((await _one(session, through, small))[0])
    print(f"{'requests':28} {len(rows):10d}")
    for a, b in itertools.pairwise(CHECKPOINTS):
        if a == "post":
            continue  # the upstream's own time
        spans = [row[b] - row[a] for row in rows if a in row and b in row]
        print(f"{a + ' -> ' + b + ' µs':28} {statistics.median(spans) / 1000:10.1f}")
    before = [row["post"] - row["entry"] for row in rows]
    after = [row["exit"] - row["answered"] for row in rows]
    print(f"{'entry -> post µs':28} {statistics.median(before) / 1000:10.1f}")
    print(f"{'answered -> exit µs':28} {statistics.median(after) / 1000:10.1f}")
    print(f"{'gateway CPU µs/request':28} {cpu:10.1f}")
    added = (statistics.median(g) - statistics.median(d)) * 1000
    print(f"{'added p50 ms':28} {added:10.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--log-off", action="store_true")
    parser.add_argument("--serve", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.serve is not None:
        sys.exit(_serve(args.serve, args.log_off))

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_gateway import _wait_up
    from bench_setup import bench_home, free_port

    fake_port, port = free_port(), free_port()
    env = bench_home(fake_port)
    if args.log_off:
        env["LOG_BODY"] = "0"
    # PHASES_SERVER: another script wrapping `_serve` (one that profiles it, say).
    server = os.environ.get("PHASES_SERVER", __file__)
    argv = [sys.executable, server, *(["--log-off"] if args.log_off else [])]
    procs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "realistic_fake.py"), str(fake_port)], env=env
        )
    ]
    try:
        asyncio.run(_wait_up(f"http://127.0.0.1:{fake_port}/wham/usage"))
        gateway = subprocess.Popen(
            [*argv, "--serve", "--headless", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(gateway)
        asyncio.run(_wait_up(f"http://127.0.0.1:{port}/"))
        asyncio.run(
            _drive(
                f"http://127.0.0.1:{fake_port}/codex/responses",
                f"http://127.0.0.1:{port}/v1/messages",
                f"http://127.0.0.1:{port}{PHASES_PATH}",
                args.n,
                gateway.pid,
            )
        )
        print(f"{'load average':28} {os.getloadavg()[0]:10.2f}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(5)


if __name__ == "__main__":
    main()
