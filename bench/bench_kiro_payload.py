"""Time to build and lint the Kiro payload of the largest Claude Code fixture.

Parses the fixture once (the frontend's cost is not measured), then times `encode_payload` and
`lint_payload` separately and together; prints medians in milliseconds.

Usage: .venv/bin/python bench/bench_kiro_payload.py [--runs 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from codex2claudecode.backends.kiro.lint import lint_payload
from codex2claudecode.backends.kiro.models import resolve_model
from codex2claudecode.backends.kiro.payload import encode_payload
from codex2claudecode.frontends.anthropic.request import parse_messages

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "claude-code"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    largest = max(FIXTURES.glob("messages_*.json"), key=lambda p: p.stat().st_size)
    body = json.loads(largest.read_text())["request"]["body"]
    request = parse_messages(json.dumps(body).encode())
    model = resolve_model(request.model)
    build, lint, both = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        payload = encode_payload(
            request,
            model=model,
            conversation_id="00000000-0000-4000-8000-000000000000",
            profile_arn=None,
        )
        middle = time.perf_counter()
        lint_payload(payload.body, model=model)
        end = time.perf_counter()
        build.append(middle - start)
        lint.append(end - middle)
        both.append(end - start)
    print(f"fixture {largest.name}: {len(request.tools)} tools, payload {payload.size} bytes")
    for label, samples in (("build", build), ("lint", lint), ("build+lint", both)):
        print(f"{label:>10}: median {statistics.median(samples) * 1000:.2f} ms over {runs} runs")


if __name__ == "__main__":
    main()
