"""Throughput of the Kiro answer decoder: event-stream bytes -> CRC-checked frames -> ir events.

The stream is a realistic answer (native reasoning, 2,000 small text deltas, a Write tool call
of ~8 KiB in 200 fragments, metering and token usage), built with the test fake's real frames.
It is decoded as 16 KiB reads and as one read per frame (what a slow upstream delivers).

Usage: .venv/bin/python bench/bench_kiro_decode.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes import kiro_stream as kiro

from codex2claudecode.backends.kiro.events import KiroDecoder, KiroStreamDecoder
from codex2claudecode.backends.kiro.eventstream import EventStreamParser

WORDS = [
    "the",
    "gateway",
    "decodes",
    "each",
    "frame",
    "checks",
    "both",
    "checksums",
    "and",
    "renders",
]


def realistic_stream(deltas: int) -> list[bytes]:
    """The answer's frames, in order."""
    frames = [kiro.message_metadata()]
    frames += [kiro.reasoning(f"Step {i}: look at the {WORDS[i % 10]} first. ") for i in range(40)]
    frames.append(kiro.reasoning(signature="EqQBCkYIBRgCKkB" * 8))
    for i in range(deltas):
        frames.append(kiro.assistant_text(" ".join(WORDS[(i + k) % len(WORDS)] for k in range(4))))
    content = "\n".join(f"line {i}: " + " ".join(WORDS) for i in range(110))
    arguments = json.dumps({"file_path": "/work/src/module.py", "content": content})
    step = len(arguments) // 200 + 1
    for start in range(0, len(arguments), step):
        frames.append(kiro.tool_use("tooluse_1", "Write", arguments[start : start + step]))
    frames.append(kiro.tool_use("tooluse_1", "Write", stop=True))
    frames.append(kiro.context_usage(12.5))
    frames.append(kiro.metering(0.05))
    frames.append(kiro.metadata("TOOL_USE", kiro.usage(20_000, 3_000, cache_read=15_000)))
    return frames


def decode(chunks: list[bytes]) -> int:
    stream = KiroStreamDecoder(
        KiroDecoder(
            response_id="msg_1",
            model="claude-sonnet-4.5",
            context_window=200_000,
            estimated_input_tokens=20_000,
        )
    )
    events = 0
    for chunk in chunks:
        events += len(stream.feed(chunk))
    return events + len(stream.finish())


def frames_only(chunks: list[bytes]) -> int:
    parser = EventStreamParser()
    count = 0
    for chunk in chunks:
        count += len(parser.feed(chunk))
    return count + len(parser.flush())


def measure(run: Callable[[list[bytes]], int], chunks: list[bytes], repeat: int) -> float:
    """Median seconds per run."""
    for _ in range(3):
        run(chunks)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run(chunks)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--deltas", type=int, default=2000)
    args = parser.parse_args()
    frames = realistic_stream(args.deltas)
    body = b"".join(frames)
    reads = [body[i : i + 16384] for i in range(0, len(body), 16384)]
    size = len(body)
    print(f"stream: {size / 1024:.0f} KiB, {len(frames)} frames, {args.deltas} text deltas")
    for label, run in (("frames only", frames_only), ("frames -> ir", decode)):
        for shape, chunks in (("16 KiB reads", reads), ("1 frame/read", frames)):
            seconds = measure(run, chunks, args.repeat)
            print(
                f"{label:12} {shape:13} {size / seconds / 1e6:7.1f} MB/s  "
                f"{seconds / len(frames) * 1e6:5.2f} us/frame  {seconds * 1e3:6.2f} ms/answer"
            )


if __name__ == "__main__":
    main()
