"""Gateway overhead against the fake Codex backend: direct vs through the gateway, one run.

Starts the fake backend and the real gateway (`codex2claudecode --headless`) as processes on
loopback, then measures:
  * added latency of small non-streaming requests (median and p99 of N sequential requests);
  * streaming throughput with 32 concurrent streams (text deltas per second, ratio to direct);
  * the gateway's peak RSS under that load;
  * time from exec to the first answer of `GET /`.

Usage: .venv/bin/python bench/bench_gateway.py [--small 300] [--deltas 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
FAKE = """
import sys, uvicorn
sys.path.insert(0, {root!r})
from tests.fakes.codex import FakeCodex, Reply
from tests.fakes.responses_events import text_answer

def responder(recorded):
    n = int(recorded.headers.get("x-bench-deltas") or 1)
    if recorded.body and isinstance(recorded.body, dict):
        for item in recorded.body.get("input", []):
            for part in item.get("content") or []:
                text = part.get("text", "") if isinstance(part, dict) else ""
                if text.startswith("deltas:"):
                    n = int(text.split(":")[1])
    return Reply(events=text_answer(*(["tok "] * n)), chunk_events=16)

uvicorn.run(FakeCodex(responder), host="127.0.0.1", port={port}, log_level="warning",
            loop="uvloop", http="httptools", access_log=False)
"""


def _jwt(claims: dict[str, object]) -> str:
    def enc(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'none'})}.{enc(claims)}.sig"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_up(url: str, timeout: float = 15.0) -> float:
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - start < timeout:
            try:
                async with session.get(url) as r:
                    await r.read()
                    return time.perf_counter() - start
            except aiohttp.ClientError:
                await asyncio.sleep(0.005)
    raise RuntimeError(f"{url} did not come up")


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _anthropic_body(deltas: int, stream: bool) -> bytes:
    return json.dumps(
        {
            "model": "gpt-5.4",
            "max_tokens": 1024,
            "stream": stream,
            "messages": [{"role": "user", "content": f"deltas:{deltas}"}],
        }
    ).encode()


def _codex_body(deltas: int) -> bytes:
    return json.dumps(
        {
            "model": "gpt-5.4",
            "instructions": "You are a helpful assistant.",
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": f"deltas:{deltas}"}],
                }
            ],
            "stream": True,
            "store": False,
        }
    ).encode()


async def _one(session: aiohttp.ClientSession, url: str, body: bytes) -> tuple[float, int]:
    start = time.perf_counter()
    events = 0
    async with session.post(
        url,
        data=body,
        headers={"content-type": "application/json", "authorization": "Bearer bench"},
    ) as r:
        if r.status != 200:
            raise RuntimeError(f"{url}: HTTP {r.status}: {await r.text()}")
        async for chunk in r.content.iter_any():
            events += chunk.count(b'"delta":')
    return time.perf_counter() - start, events


async def small_latency(direct: str, gateway: str, n: int) -> dict[str, float]:
    async with aiohttp.ClientSession() as session:
        d, g = [], []
        for _ in range(20):  # warm up both paths
            await _one(session, direct, _codex_body(1))
            await _one(session, gateway, _anthropic_body(1, False))
        for _ in range(n):  # interleaved so drift hits both alike
            d.append((await _one(session, direct, _codex_body(1)))[0])
            g.append((await _one(session, gateway, _anthropic_body(1, False)))[0])
    d.sort()
    g.sort()
    return {
        "direct_p50_ms": statistics.median(d) * 1000,
        "gateway_p50_ms": statistics.median(g) * 1000,
        "added_p50_ms": (statistics.median(g) - statistics.median(d)) * 1000,
        "added_p99_ms": (g[int(n * 0.99) - 1] - d[int(n * 0.99) - 1]) * 1000,
    }


async def concurrent_streams(url: str, body: bytes, streams: int, rounds: int) -> float:
    """Text deltas per second received over `rounds` of `streams` concurrent streams."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(_one(session, url, body) for _ in range(streams)))  # warm up
        total, start = 0, time.perf_counter()
        for _ in range(rounds):
            results = await asyncio.gather(*(_one(session, url, body) for _ in range(streams)))
            total += sum(events for _, events in results)
        return total / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=300)
    parser.add_argument("--deltas", type=int, default=500)
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    fake_port, gw_port = _free_port(), _free_port()
    home = Path(tempfile.mkdtemp(prefix="c2c-bench-"))
    (home / "state").mkdir()
    token = _jwt(
        {
            "exp": int(time.time()) + 86400,
            "https://api.openai.com/auth": {"chatgpt_account_id": "acct-bench"},
        }
    )
    (home / "state" / "auth-codex.json").write_text(
        json.dumps(
            {
                "type": "oauth",
                "access": token,
                "refresh": "rt",
                "expires": (time.time() + 86400) * 1000,
                "accountId": "acct-bench",
            }
        )
    )
    env = {
        **os.environ,
        "HOME": str(home),
        "CODEX2CLAUDECODE_HOME": str(home / "state"),
        "CHATGPT_BASE_URL": f"http://127.0.0.1:{fake_port}",
        "OPENAI_AUTH_URL": f"http://127.0.0.1:{fake_port}",
        "CODEX_HOME": str(home / "codex"),
    }
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE.format(root=str(ROOT), port=fake_port)], cwd=ROOT, env=env
    )
    t0 = time.perf_counter()
    gw = subprocess.Popen(
        [sys.executable, "-m", "codex2claudecode", "--headless", "--port", str(gw_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        asyncio.run(_wait_up(f"http://127.0.0.1:{gw_port}/", 15))
        start_s = time.perf_counter() - t0
        asyncio.run(_wait_up(f"http://127.0.0.1:{fake_port}/wham/usage", 15))
        time.sleep(1.5)  # let the tokenizer warm-up finish before measuring
        direct = f"http://127.0.0.1:{fake_port}/codex/responses"
        through = f"http://127.0.0.1:{gw_port}/v1/messages"
        results: dict[str, float] = {"start_to_listening_s": start_s}
        results.update(asyncio.run(small_latency(direct, through, args.small)))
        d = asyncio.run(
            concurrent_streams(direct, _codex_body(args.deltas), args.streams, args.rounds)
        )
        g = asyncio.run(
            concurrent_streams(
                through, _anthropic_body(args.deltas, True), args.streams, args.rounds
            )
        )
        results.update(
            {
                "direct_deltas_per_s": d,
                "gateway_deltas_per_s": g,
                "stream_ratio": g / d,
                "gateway_peak_rss_mib": _rss_mib(gw.pid),
            }
        )
        for key, value in results.items():
            print(f"{key:24} {value:10.3f}")
    finally:
        gw.terminate()
        fake.terminate()
        gw.wait(5)
        fake.wait(5)


if __name__ == "__main__":
    main()
