"""The tokenizer's cost: first count in a fresh process, and a gateway's memory over its life.

  * `fresh` (N runs, each a new Python, vocabulary from a warm cache): the first count of the
    ~1.2 MB Claude Code conversation (load + build + encode), then a count of new turns; RSS
    before, right after the counts, half a second later, and at the peak;
  * `gateway`: a gateway whose tokenizer is dropped after `--idle` s: RSS idle, after the first
    count, once the tokenizer is dropped, after the count that builds it again, and after the
    second drop.

Usage: .venv/bin/python bench/bench_tokens.py [--runs 5] [--idle 2]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench_gateway import _wait_up
from bench_setup import bench_home, conversation, free_port, rss_mib

ROOT = Path(__file__).resolve().parent.parent

FRESH = """
import sys, time
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from bench_setup import conversation
from codex2claudecode import tokens
from codex2claudecode.frontends.anthropic.request import parse_count_tokens

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

first, other = conversation(), conversation(salt="b")
tokens.use_cache_dir(Path(sys.argv[1]))
before = rss("VmRSS")
start = time.perf_counter()
tokens.count_request_tokens(parse_count_tokens(first, session_header=None))
first_ms = (time.perf_counter() - start) * 1000
after = rss("VmRSS")
start = time.perf_counter()
tokens.count_request_tokens(parse_count_tokens(other, session_header=None))
new_ms = (time.perf_counter() - start) * 1000
time.sleep(0.5)  # the vocabulary's Python copy is freed once the encoder has nothing to do
print(first_ms, new_ms, before, after, rss("VmRSS"), rss("VmHWM"))
"""

GATEWAY = """
import sys
from codex2claudecode import cli, tokens
tokens.drop_after(float(sys.argv[1]))
sys.exit(cli.main(sys.argv[2:]))
"""


def fresh(runs: int) -> None:
    with tempfile.TemporaryDirectory() as cache:
        warm = [sys.executable, "-c", FRESH, cache, str(ROOT / "bench")]
        subprocess.run(warm, check=True, capture_output=True)  # writes the cache
        rows = []
        for _ in range(runs):
            done = subprocess.run(warm, check=True, capture_output=True, text=True)
            rows.append([float(x) for x in done.stdout.split()])
    names = ["first_count_ms", "new_turns_ms", "rss_before_mib", "rss_after_mib"]
    names += ["rss_settled_mib", "rss_peak_mib"]
    for n, name in enumerate(names):
        values = " ".join(f"{row[n]:7.1f}" for row in rows)
        print(f"fresh {name:22} {values}")


async def _count(url: str, body: bytes) -> float:
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        headers = {"content-type": "application/json"}
        async with session.post(url, data=body, headers=headers) as r:
            if r.status != 200:
                raise RuntimeError(f"count_tokens: HTTP {r.status}: {await r.text()}")
            await r.read()
        return (time.perf_counter() - start) * 1000


def gateway(idle: float) -> None:
    port = free_port()
    env = bench_home(free_port())  # no upstream needed: counting is local
    argv = [sys.executable, "-c", GATEWAY, str(idle), "--headless", "--port", str(port)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1/messages/count_tokens"
    try:
        asyncio.run(_wait_up(f"http://127.0.0.1:{port}/"))
        print(f"gateway rss_idle_mib            {rss_mib(proc.pid, 'VmRSS'):7.1f}")
        ms = asyncio.run(_count(url, conversation()))
        print(f"gateway first_count_ms          {ms:7.1f} (vocabulary from the package)")
        print(f"gateway rss_after_count_mib     {rss_mib(proc.pid, 'VmRSS'):7.1f}")
        time.sleep(idle + 1)
        print(f"gateway rss_after_drop_mib      {rss_mib(proc.pid, 'VmRSS'):7.1f}")
        ms = asyncio.run(_count(url, conversation(salt="b")))
        print(f"gateway count_after_drop_ms     {ms:7.1f} (vocabulary from the cache)")
        print(f"gateway rss_after_recount_mib   {rss_mib(proc.pid, 'VmRSS'):7.1f}")
        time.sleep(idle + 1)
        print(f"gateway rss_after_2nd_drop_mib  {rss_mib(proc.pid, 'VmRSS'):7.1f}")
        print(f"gateway rss_peak_mib            {rss_mib(proc.pid, 'VmHWM'):7.1f}")
    finally:
        proc.terminate()
        proc.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=2.0)
    args = parser.parse_args()
    fresh(args.runs)
    gateway(args.idle)


if __name__ == "__main__":
    main()
