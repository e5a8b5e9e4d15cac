"""The request log's cost: what `submit()` adds to a request, and what the writer sustains.

Measures, with a real `RequestLog` writing to a temporary directory:
  * the request path: create a record (`RequestLog.start`), fill it as the pipeline would
    (headers, a Claude Code request body by reference, 40 response chunks, usage, status, the
    upstream exchange with its 40 reads kept) and `submit()` it: µs per record, median of
    rounds, with the body log on and off;
  * the writer: rows per second and CPU µs per row for a burst of records (redaction, capping,
    inserts), with the Claude Code fixture body (76 KiB, capped to 64 KiB) and with bodies off;
  * the longest stretch between two of the writer's `pause()` calls while it turns a record with
    the Claude Code body into a row (the GIL is held for at most that plus the writer's 50 µs);
  * redaction alone, µs per body (best of rounds): a 64 KiB Anthropic SSE stream of text deltas,
    a 64 KiB Codex Responses SSE stream, the Claude Code fixture body and its Codex translation;
  * event-loop lag with the log off, on without bodies and on with bodies: an asyncio loop
    "serves" a request every 2 ms (a 1 ms timer, then fill and submit a record) and measures how
    late each timer fires; the difference to "off" is what the log adds to a request's latency.

Usage: .venv/bin/python bench/bench_requestlog.py [--records 2000] [--rounds 30] [--redaction-only]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import statistics
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import orjson

from codex2claudecode import ir
from codex2claudecode.backends.codex.models import resolve_model
from codex2claudecode.backends.codex.payload import encode_payload
from codex2claudecode.frontends.anthropic.request import parse_messages
from codex2claudecode.requestlog import RequestLog, RequestRecord
from codex2claudecode.requestlog.redact import redact_bytes
from codex2claudecode.requestlog.rows import to_row

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "claude-code" / "messages_main_stream.json"
HEADERS = [
    (b"host", b"127.0.0.1:8787"),
    (b"authorization", b"Bearer local-password"),
    (b"content-type", b"application/json"),
    (b"anthropic-version", b"2023-06-01"),
    (b"user-agent", b"claude-cli/2.1.197 (external, sdk-cli)"),
    (b"x-claude-code-session-id", b"8c0b2f5e-1d7c-4b7e-9a51-6a3c2f0d9e11"),
]
CHUNK = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello there, "}}\n\n'  # noqa: E501
USAGE = ir.Usage(input_tokens=21_000, cached_tokens=18_000, output_tokens=420, reasoning_tokens=64)


UPSTREAM_CHUNK = b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hello there, "}\n\n'  # noqa: E501
UPSTREAM_HEADERS = {
    "authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln",
    "chatgpt-account-id": "acct-1",
    "originator": "codex_cli_rs",
    "content-type": "application/json",
    "accept": "text/event-stream",
}
UPSTREAM_RESPONSE_HEADERS = ((b"content-type", b"text/event-stream"), (b"x-request-id", b"r-1"))


def exchange(sent: bytes, limit: int) -> ir.UpstreamExchange:
    """The upstream exchange as the Codex backend reports it, its 40 reads kept as it reads."""
    kept = ir.UpstreamBody(limit)
    for _ in range(40):
        if limit:  # the backend's own check: nothing is even called with LOG_BODY=0
            kept.add(UPSTREAM_CHUNK)
    return ir.UpstreamExchange(
        url="https://chatgpt.com/backend-api/codex/responses",
        status=200,
        request_id="r-1",
        request_headers=UPSTREAM_HEADERS,
        request_body=sent,
        response_headers=UPSTREAM_RESPONSE_HEADERS,
        response_body=kept,
    )


def fill(log: RequestLog, n: int, body: bytes) -> RequestRecord:
    """One record as the pipeline would fill it for a streamed Claude Code request."""
    record = log.start("POST", "/v1/messages?beta=true", request_id=f"req_{n:024x}")
    record.set_upstream(exchange(body, record.body_limit))
    record.request_headers = HEADERS
    record.set_request_body(body)
    record.dialect = "anthropic"
    record.model_requested = "claude-sonnet-4-5"
    record.provider = "codex"
    record.account = "me@example.com"
    record.upstream_status = 200
    record.model_used = "gpt-5.4"
    record.mark_first_byte()
    for _ in range(40):
        record.add_response_chunk(CHUNK)
    record.set_usage(USAGE)
    record.stop_reason = "end_turn"
    record.finish(200)
    return record


def submit_cost(directory: Path, body: bytes, *, log_body: bool, rounds: int) -> dict[str, float]:
    """µs per record on the request path: fill + submit, and submit alone."""
    log = RequestLog(directory / f"submit-{log_body}.db", log_body=log_body)
    full: list[float] = []
    alone: list[float] = []
    per_round = 200
    try:
        for r in range(rounds):
            started = time.perf_counter()
            records = [fill(log, r * per_round + i, body) for i in range(per_round)]
            filled = time.perf_counter()
            for record in records:
                log.submit(record)
            done = time.perf_counter()
            full.append((done - started) / per_round * 1e6)
            alone.append((done - filled) / per_round * 1e6)
            log.flush()  # keep the backlog out of the next round
    finally:
        log.close()
    return {
        "start+fill+submit_us_p50": statistics.median(full),
        "submit_alone_us_p50": statistics.median(alone),
    }


def writer_throughput(
    directory: Path, body: bytes, *, log_body: bool, count: int
) -> dict[str, float]:
    """Rows/s for a burst of `count` records submitted at once."""
    log = RequestLog(directory / f"burst-{log_body}.db", log_body=log_body, prune_interval=0)
    try:
        log.submit(fill(log, 0, body))
        log.flush()  # the file exists and the schema is written before timing
        records = [fill(log, n, body) for n in range(1, count + 1)]
        started, cpu = time.perf_counter(), time.process_time()
        for record in records:
            log.submit(record)
        log.flush(600)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        log.close()
    return {
        "rows_per_s": count / elapsed,
        "writer_us_per_row": elapsed / count * 1e6,
        # The main thread only waits meanwhile: the process's CPU is the writer's.
        "writer_cpu_us_per_row": cpu / count * 1e6,
    }


def translated(body: bytes) -> bytes:
    """The Codex body the gateway sends for a Claude Code request (as bench_translate does)."""
    request = parse_messages(body, session_header="bench")
    model = resolve_model(request.model, effort=request.effort, thinking=request.thinking)
    return orjson.dumps(encode_payload(request, model=model, prompt_cache_key=request.session_key))


_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "tokens",
    "stream",
    "in",
    "slowly",
]
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _sse_until(size: int, event: Callable[[int], bytes]) -> bytes:
    out = bytearray()
    n = 0
    while len(out) < size:
        out += event(n)
        n += 1
    return bytes(out[:size])


def anthropic_stream(size: int = 65_536) -> bytes:
    """A Messages SSE stream of text deltas, as the gateway answers Claude Code."""

    def event(n: int) -> bytes:
        text = " ".join(_WORDS[(n + i) % len(_WORDS)] for i in range(3)) + " "
        data = {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": text},
        }
        return b"event: content_block_delta\ndata: " + orjson.dumps(data) + b"\n\n"

    return _sse_until(size, event)


def codex_stream(size: int = 65_536) -> bytes:
    """A Codex Responses SSE stream of output_text deltas, as the backend sends them."""

    def event(n: int) -> bytes:
        obfuscation = "".join(_ALNUM[(n * 7 + i * 13) % len(_ALNUM)] for i in range(n % 12 + 2))
        data = {
            "type": "response.output_text.delta",
            "sequence_number": n + 4,
            "item_id": "msg_0b7c3e4f5a6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f",
            "output_index": 1,
            "content_index": 0,
            "delta": _WORDS[n % len(_WORDS)] + " ",
            "logprobs": [],
            "obfuscation": obfuscation,
        }
        return b"event: response.output_text.delta\ndata: " + orjson.dumps(data) + b"\n\n"

    return _sse_until(size, event)


def redaction_cost(body: bytes, *, rounds: int) -> dict[str, float]:
    """µs to redact each realistic body (capped as the writer caps it), best of `rounds`."""
    bodies = {
        "anthropic_sse_64k": anthropic_stream(),
        "codex_sse_64k": codex_stream(),
        "claude_code_request": body[: 65_536 + 4096],
        "codex_request": translated(body)[: 65_536 + 4096],
    }
    result: dict[str, float] = {}
    for name, data in bodies.items():
        timer = timeit.Timer(lambda data=data: redact_bytes(data))
        result[f"{name}_us"] = min(timer.repeat(rounds, 20)) / 20 * 1e6
    return result


def _stamp(stamps: list[float]) -> None:
    stamps.append(time.perf_counter())


def longest_stretch(directory: Path, body: bytes, *, rounds: int) -> dict[str, float]:
    """µs between consecutive `pause()` calls in `to_row`, the longest seen (median of rounds)."""
    log = RequestLog(directory / "stretch.db")
    longest: list[float] = []
    try:
        for n in range(rounds):
            record = fill(log, n, body)
            stamps = [time.perf_counter()]
            to_row(record, record.body_limit, functools.partial(_stamp, stamps))
            _stamp(stamps)
            longest.append(max(b - a for a, b in itertools.pairwise(stamps)) * 1e6)
    finally:
        log.close()
    return {
        "longest_stretch_us_p50": statistics.median(longest),
        "longest_stretch_us_max": max(longest),
    }


async def _serve(log: RequestLog | None, body: bytes, requests: int) -> list[float]:
    """Timer lateness (µs) for `requests` simulated requests, one every ~2 ms."""
    late: list[float] = []
    for n in range(requests):
        started = time.perf_counter()
        await asyncio.sleep(0.001)
        late.append((time.perf_counter() - started - 0.001) * 1e6)
        if log is not None:
            log.submit(fill(log, n, body))
        await asyncio.sleep(0.001)
    return late


def loop_lag(directory: Path, body: bytes, *, requests: int, runs: int) -> dict[str, float]:
    """Median and p99 timer lateness per mode, medians over interleaved runs."""
    modes: dict[str, dict[str, bool] | None] = {
        "off": None,
        "on_no_bodies": {"log_body": False},
        "on_bodies": {"log_body": True},
    }
    p50: dict[str, list[float]] = {mode: [] for mode in modes}
    p99: dict[str, list[float]] = {mode: [] for mode in modes}
    for run in range(runs):
        for mode, options in modes.items():
            log = (
                None
                if options is None
                else RequestLog(directory / f"lag-{mode}-{run}.db", **options)
            )
            try:
                late = sorted(asyncio.run(_serve(log, body, requests)))
            finally:
                if log is not None:
                    log.close()
            p50[mode].append(late[len(late) // 2])
            p99[mode].append(late[int(len(late) * 0.99)])
    result: dict[str, float] = {}
    for mode in modes:
        result[f"{mode}_lag_us_p50"] = statistics.median(p50[mode])
        result[f"{mode}_lag_us_p99"] = statistics.median(p99[mode])
    for mode in ("on_no_bodies", "on_bodies"):
        result[f"{mode}_added_us_p50"] = result[f"{mode}_lag_us_p50"] - result["off_lag_us_p50"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=1000, help="per loop-lag run")
    parser.add_argument("--runs", type=int, default=3, help="interleaved loop-lag runs")
    parser.add_argument("--redaction-only", action="store_true")
    args = parser.parse_args()
    body = json.dumps(json.loads(FIXTURE.read_bytes())["request"]["body"]).encode()
    results: dict[str, object] = {"request_body_bytes": len(body)}
    results["redaction"] = redaction_cost(body, rounds=args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        results["gil"] = longest_stretch(Path(tmp), body, rounds=args.rounds)
    if args.redaction_only:
        print(json.dumps(results, indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for log_body in (True, False):
            key = "bodies_on" if log_body else "bodies_off"
            results[key] = {
                **submit_cost(Path(tmp), body, log_body=log_body, rounds=args.rounds),
                **writer_throughput(Path(tmp), body, log_body=log_body, count=args.records),
            }
        results["loop_lag"] = loop_lag(Path(tmp), body, requests=args.requests, runs=args.runs)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
