"""Start-up of a headless Codex gateway: exec → first `GET /` answer, and the RSS 1 s later.

Each run starts a fresh `python -m codex2claudecode --headless` (as `bench_gateway.py` does) in a
home signed in to an upstream that is never called, times it until it answers `GET /`, waits a
second and reads its VmRSS. `--src` runs another checkout's package (e.g. main's) for a
before/after.

Usage: .venv/bin/python bench/bench_startup.py [--runs 5] [--src /work/main/src]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_gateway import _start_gateway
from bench_setup import bench_home, free_port, rss_mib


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", help="a checkout's src/ to run the gateway from")
    args = parser.parse_args()
    env = bench_home(free_port())  # nothing listens there: start-up asks no upstream
    if args.src:
        env = {**env, "PYTHONPATH": args.src}
    starts: list[float] = []
    rss: list[float] = []
    for _ in range(args.runs):
        proc, seconds = _start_gateway(env, free_port(), log_off=False)
        try:
            time.sleep(1)
            rss.append(rss_mib(proc.pid, "VmRSS"))
        finally:
            proc.terminate()
            proc.wait()
        starts.append(seconds)
    print("start → listening s:", " ".join(f"{s:.3f}" for s in starts))
    print(f"  median {statistics.median(starts):.3f}")
    print("idle RSS MiB:", " ".join(f"{r:.1f}" for r in rss))
    print(f"  median {statistics.median(rss):.1f}")


if __name__ == "__main__":
    main()
