"""Gateway overhead against a fake Codex backend that answers like the real one, in one run.

Starts `bench/realistic_fake.py` and two real gateways (`codex2claudecode --headless`) as
processes on loopback: one as shipped (console line and request log on), one with both off
(`bench/gateway_log_off.py`). Then measures:
  * time from exec to the first answer of `GET /`;
  * added latency of small non-streaming 'hello' requests (p50/p99 of N sequential requests,
    direct, both gateways and a bare relay (`bare_relay.py`: the forwarding alone, the floor)
    interleaved), and the log's share of it; then the p50s again in blocks of 100 back-to-back
    requests per path (`*_blocks`), where a gateway's work after each answer shows;
  * one bulk stream of 2,000 deltas, total time through the gateway over direct;
  * text deltas per second with 32 concurrent streams (ratio to direct);
  * the gateway's RSS idle (before any count_tokens), at its peak under load, right after the
    counts and once it has been quiet a few seconds;
  * `count_tokens` of a ~1.2 MB Claude Code conversation: first call (vocabulary decoded from the
    packaged file, cache written), first call of the second gateway (vocabulary from that cache),
    then later calls.

Usage: .venv/bin/python bench/bench_gateway.py [--small 300] [--bulk 2000] [--deltas 500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import orjson

from bench_setup import bench_home, conversation, free_port, rss_mib
from codex2claudecode.server.run import QUIET_SECONDS

ROOT = Path(__file__).resolve().parent.parent
SYSTEM = "You are a helpful coding assistant."


def _anthropic_body(text: str, stream: bool) -> bytes:
    return orjson.dumps(
        {
            "model": "gpt-5.4",
            "max_tokens": 32000,  # as Claude Code sends it
            "stream": stream,
            "system": SYSTEM,
            "messages": [{"role": "user", "content": text}],
        }
    )


def _codex_body(text: str) -> bytes:
    return orjson.dumps(
        {
            "model": "gpt-5.4",
            "instructions": SYSTEM,
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": text}],
                }
            ],
            "stream": True,
            "store": False,
        }
    )


async def _wait_up(url: str, timeout: float = 15.0) -> None:
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - start < timeout:
            try:
                async with session.get(url) as r:
                    await r.read()
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.002)
    raise RuntimeError(f"{url} did not come up")


async def _one(session: aiohttp.ClientSession, url: str, body: bytes) -> tuple[float, int, int]:
    """(seconds, text deltas seen, bytes received) for one request."""
    start = time.perf_counter()
    events = size = 0
    headers = {"content-type": "application/json", "authorization": "Bearer bench"}
    async with session.post(url, data=body, headers=headers) as r:
        if r.status != 200:
            raise RuntimeError(f"{url}: HTTP {r.status}: {await r.text()}")
        async for chunk in r.content.iter_any():
            events += chunk.count(b'"delta":')
            size += len(chunk)
    return time.perf_counter() - start, events, size


async def small_latency(urls: dict[str, str], n: int, block: int = 1) -> dict[str, float]:
    """p50/p99 added by each path over direct, `n` requests each.

    `block` 1 interleaves the paths request by request, so drift hits every path alike; but a
    gateway's work after its answer (log line, request record) then overlaps the other paths'
    requests, direct included. Blocks of `block` back-to-back requests per path show that work
    where a client sending one request after another meets it.
    """
    bodies = {
        name: _codex_body("hello") if name == "direct" else _anthropic_body("hello", False)
        for name in urls
    }
    times: dict[str, list[float]] = {name: [] for name in urls}
    async with aiohttp.ClientSession() as session:
        _, _, size = await _one(session, urls["direct"], bodies["direct"])
        for _ in range(30):  # warm up every path
            for name, url in urls.items():
                await _one(session, url, bodies[name])
        for _ in range(n // block):
            for name, url in urls.items():
                for _ in range(block):
                    times[name].append((await _one(session, url, bodies[name]))[0])
    p50 = {name: statistics.median(t) * 1000 for name, t in times.items()}
    p99 = {name: sorted(t)[int(len(t) * 0.99) - 1] * 1000 for name, t in times.items()}
    out = {"direct_answer_bytes": float(size), "direct_p50_ms": p50["direct"]}
    for name in urls:
        if name != "direct":
            out[f"added_p50_ms_{name}"] = p50[name] - p50["direct"]
            out[f"added_p99_ms_{name}"] = p99[name] - p99["direct"]
    return out


async def bulk_ratio(direct: str, gateway: str, deltas: int, repeats: int) -> float:
    """Median time of one `deltas`-delta stream through the gateway over the direct median."""
    d, g = [], []
    async with aiohttp.ClientSession() as session:
        await _one(session, gateway, _anthropic_body(f"deltas:{deltas}", True))
        for _ in range(repeats):
            d.append((await _one(session, direct, _codex_body(f"deltas:{deltas}")))[0])
            g.append((await _one(session, gateway, _anthropic_body(f"deltas:{deltas}", True)))[0])
    return statistics.median(g) / statistics.median(d)


async def concurrent_streams(url: str, body: bytes, streams: int, rounds: int) -> float:
    """Text deltas per second received over `rounds` of `streams` concurrent streams."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(_one(session, url, body) for _ in range(streams)))  # warm up
        total, start = 0, time.perf_counter()
        for _ in range(rounds):
            results = await asyncio.gather(*(_one(session, url, body) for _ in range(streams)))
            total += sum(events for _, events, _ in results)
        return total / (time.perf_counter() - start)


async def count_tokens(url: str, body: bytes, later: int = 5) -> tuple[float, float]:
    """(first call ms, median of the `later` calls ms)."""
    async with aiohttp.ClientSession() as session:
        times = []
        for _ in range(1 + later):
            start = time.perf_counter()
            async with session.post(
                url, data=body, headers={"content-type": "application/json"}
            ) as r:
                if r.status != 200:
                    raise RuntimeError(f"count_tokens: HTTP {r.status}: {await r.text()}")
                await r.read()
            times.append((time.perf_counter() - start) * 1000)
    return times[0], statistics.median(times[1:] or times)


def _start_gateway(
    env: dict[str, str], port: int, log_off: bool
) -> tuple[subprocess.Popen[bytes], float]:
    """The gateway process and its exec → first `GET /` answer time in seconds."""
    argv = (
        [sys.executable, str(ROOT / "bench" / "gateway_log_off.py")]
        if log_off
        else [sys.executable, "-m", "codex2claudecode"]
    )
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*argv, "--headless", "--port", str(port)],
        # Off means off: no upstream answer kept for a log that is not there either.
        env={**env, "LOG_BODY": "0"} if log_off else env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    asyncio.run(_wait_up(f"http://127.0.0.1:{port}/"))
    return proc, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=300)
    parser.add_argument("--bulk", type=int, default=2000)
    parser.add_argument("--bulk-repeats", type=int, default=7)
    parser.add_argument("--deltas", type=int, default=500)
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    fake_port, on_port, off_port = free_port(), free_port(), free_port()
    env = bench_home(fake_port)
    procs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "realistic_fake.py"), str(fake_port)], env=env
        )
    ]
    try:
        asyncio.run(_wait_up(f"http://127.0.0.1:{fake_port}/wham/usage"))
        gw, start_s = _start_gateway(env, on_port, log_off=False)
        procs.append(gw)
        off, _ = _start_gateway(env, off_port, log_off=True)
        procs.append(off)
        direct = f"http://127.0.0.1:{fake_port}/codex/responses"
        relay_port = free_port()
        procs.append(
            subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "bare_relay.py"), str(relay_port), direct]
            )
        )
        asyncio.run(_wait_up(f"http://127.0.0.1:{relay_port}/"))
        through = f"http://127.0.0.1:{on_port}/v1/messages"
        results: dict[str, float] = {"start_to_listening_s": start_s}
        urls = {
            "direct": direct,
            "log_on": through,
            "log_off": f"http://127.0.0.1:{off_port}/v1/messages",
            # The floor: forwarding alone (`bare_relay.py`), measured in the same run.
            "relay": f"http://127.0.0.1:{relay_port}/v1/messages",
        }
        results.update(asyncio.run(small_latency(urls, args.small)))
        blocked = asyncio.run(small_latency(urls, args.small, block=100))
        results.update({f"{k}_blocks": v for k, v in blocked.items() if k.startswith("added_p50")})
        results["log_cost_ms"] = results["added_p50_ms_log_on"] - results["added_p50_ms_log_off"]
        results["rss_idle_mib"] = rss_mib(gw.pid, "VmRSS")  # served requests, counted nothing
        results["bulk_ratio"] = asyncio.run(
            bulk_ratio(direct, through, args.bulk, args.bulk_repeats)
        )
        d = asyncio.run(
            concurrent_streams(
                direct, _codex_body(f"deltas:{args.deltas}"), args.streams, args.rounds
            )
        )
        g = asyncio.run(
            concurrent_streams(
                through, _anthropic_body(f"deltas:{args.deltas}", True), args.streams, args.rounds
            )
        )
        results.update(
            {
                "direct_deltas_per_s": d,
                "gateway_deltas_per_s": g,
                "stream_ratio": g / d,
                "rss_peak_mib": rss_mib(gw.pid, "VmHWM"),
            }
        )
        body = conversation()
        first, later = asyncio.run(count_tokens(f"{through}/count_tokens", body))
        # The other gateway shares the home, so its first count finds the vocabulary cache the
        # first one wrote: what every start after the very first one sees.
        cached, _ = asyncio.run(count_tokens(f"{urls['log_off']}/count_tokens", body, later=0))
        # Vocabulary loaded, turns never seen: the encoding alone, the floor of any first call.
        other = conversation(salt="b")
        loaded, _ = asyncio.run(count_tokens(f"{through}/count_tokens", other, later=0))
        results.update(
            {
                "count_tokens_first_ms": first,
                "count_tokens_first_cached_ms": cached,
                "count_tokens_new_turns_ms": loaded,
                "count_tokens_later_ms": later,
                "rss_after_count_mib": rss_mib(gw.pid, "VmRSS"),
            }
        )
        time.sleep(3 * QUIET_SECONDS)  # the server hands freed memory back once it is quiet
        results["rss_quiet_mib"] = rss_mib(gw.pid, "VmRSS")
        for key, value in results.items():
            print(f"{key:30} {value:10.3f}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(5)


if __name__ == "__main__":
    main()
