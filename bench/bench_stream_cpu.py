"""Gateway CPU per streamed text delta with concurrent streams (issue 10).

Starts `realistic_fake.py` and the gateway (request log on, as `bench_gateway.py` does), warms
up, then sends `--rounds` rounds of `--streams` concurrent `deltas:N` streams, and divides the
CPU the gateway's threads spent meanwhile (`/proc/<pid>/task/*/schedstat`) by the deltas the
clients received. `--src` runs another checkout's package (e.g. main's) for a before/after.

Usage: .venv/bin/python bench/bench_stream_cpu.py [--repeat 3] [--src /work/main/src]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from bench_gateway import _anthropic_body, _one, _start_gateway, _wait_up
from bench_setup import bench_home, cpu_ns, free_port

ROOT = Path(__file__).resolve().parent.parent


async def rounds(url: str, body: bytes, streams: int, count: int, pid: int) -> tuple[float, float]:
    """(gateway CPU µs per delta, deltas per second) over `count` rounds."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(_one(session, url, body) for _ in range(streams)))  # warm up
        deltas, cpu, start = 0, cpu_ns(pid), time.perf_counter()
        for _ in range(count):
            results = await asyncio.gather(*(_one(session, url, body) for _ in range(streams)))
            deltas += sum(events for _, events, _ in results)
        elapsed, cpu = time.perf_counter() - start, cpu_ns(pid) - cpu
    return cpu / 1000 / deltas, deltas / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deltas", type=int, default=500)
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--src", help="a checkout's src/ to run the gateway from")
    args = parser.parse_args()

    fake_port, port = free_port(), free_port()
    env = bench_home(fake_port)
    if args.src:
        env = {**env, "PYTHONPATH": args.src}
    fake = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "realistic_fake.py"), str(fake_port)],
        env=env,
    )
    try:
        asyncio.run(_wait_up(f"http://127.0.0.1:{fake_port}/wham/usage"))
        gateway, _ = _start_gateway(env, port, log_off=False)
        try:
            url = f"http://127.0.0.1:{port}/v1/messages"
            body = _anthropic_body(f"deltas:{args.deltas}", True)
            for _ in range(args.repeat):
                us, rate = asyncio.run(rounds(url, body, args.streams, args.rounds, gateway.pid))
                print(f"gateway CPU {us:.2f} µs/delta, {rate:,.0f} deltas/s", flush=True)
        finally:
            gateway.terminate()
            gateway.wait()
    finally:
        fake.terminate()
        fake.wait()


if __name__ == "__main__":
    main()
