"""Time to translate Claude Code's requests: parse the Anthropic body, encode the Codex body.

Usage: .venv/bin/python bench/bench_translate.py [--repeat 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import orjson

from codex2claudecode.backends.codex.models import resolve_model
from codex2claudecode.backends.codex.payload import encode_payload
from codex2claudecode.frontends.anthropic.request import parse_messages

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "claude-code"


def translate(body: bytes) -> bytes:
    """The steps CodexBackend.encode runs, after the frontend's parse."""
    request = parse_messages(body, session_header="bench")
    model = resolve_model(request.model, effort=request.effort, thinking=request.thinking)
    payload = encode_payload(request, model=model, prompt_cache_key=request.session_key)
    return orjson.dumps(payload)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    for path in sorted(FIXTURES.glob("messages_*.json"), key=lambda p: -p.stat().st_size):
        body = json.dumps(json.loads(path.read_text())["request"]["body"]).encode()
        for _ in range(50):
            translate(body)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            translate(body)
            times.append(time.perf_counter() - start)
        times.sort()
        print(
            f"{path.name:45} {len(body) / 1024:6.1f} KiB  "
            f"median {statistics.median(times) * 1e6:7.1f} us  "
            f"p99 {times[int(len(times) * 0.99)] * 1e6:7.1f} us"
        )


if __name__ == "__main__":
    main()
