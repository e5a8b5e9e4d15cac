"""Per-delta CPU of each stage of the Codex → Anthropic stream path, by timeit.

One realistic upstream read: 35 `response.output_text.delta` events as the Codex backend
frames them (with `logprobs` and `obfuscation`). Prints µs per delta for the SSE parse, the
decode, the render, the request log's `observe`, and all of them chained as `_Stream` does.

Usage: .venv/bin/python bench/bench_delta_stages.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import timeit

import orjson

from codex2claudecode import ir
from codex2claudecode.backends.codex.events import ResponsesDecoder
from codex2claudecode.backends.codex.sse import SSEParser
from codex2claudecode.frontends.anthropic.stream import SSERenderer
from codex2claudecode.frontends.pipeline import observe
from codex2claudecode.requestlog.record import RequestRecord

DELTAS = 35
ITEM = "msg_0f3c2a9e1b7d4c6a8e2f0b1d3c5a7e9f0a1b2c3d4e5f6a7b"


def _event(n: int) -> bytes:
    event = {
        "type": "response.output_text.delta",
        "sequence_number": 12 + n,
        "item_id": ITEM,
        "output_index": 1,
        "content_index": 0,
        "delta": "tok ",
        "logprobs": [],
        "obfuscation": "Xk3aZ9q2LpW",
    }
    return b"event: response.output_text.delta\ndata: " + orjson.dumps(event) + b"\n\n"


CHUNK = b"".join(_event(n) for n in range(DELTAS))


def _best(fn: object, number: int, repeat: int) -> float:
    times = timeit.repeat(fn, number=number, repeat=repeat)  # type: ignore[arg-type]
    return min(times) / number / DELTAS * 1e6


def _decoder() -> ResponsesDecoder:
    decoder = ResponsesDecoder()
    decoder.feed(b"response.output_text.delta", _event(0).split(b"data: ", 1)[1].strip())
    return decoder


def _renderer() -> SSERenderer:
    renderer = SSERenderer(message_id="msg_1", model="gpt-5.4", input_tokens_estimate=10)
    renderer.render(ir.TextStart())
    return renderer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()
    n, r = args.number, args.repeat

    sse = SSEParser()
    messages = sse.feed(CHUNK)
    assert len(messages) == DELTAS
    decoder = _decoder()
    feed_batch = getattr(decoder, "feed_all", None)

    def decode() -> list[ir.Event]:
        if feed_batch is not None:
            return feed_batch(messages)  # type: ignore[no-any-return]
        batch: list[ir.Event] = []
        for name, data in messages:
            batch += decoder.feed(name, data)
        return batch

    events = decode()
    assert len(events) == DELTAS, events[:3]
    renderer = _renderer()
    record = RequestRecord(request_id="r", method="POST", path="/v1/messages")

    def chain() -> bytes:
        batch = decode_from(sse.feed(CHUNK))
        observe(record, batch)
        return b"".join(map(renderer.render, batch))

    def decode_from(msgs: list[tuple[bytes, bytes]]) -> list[ir.Event]:
        if feed_batch is not None:
            return feed_batch(msgs)  # type: ignore[no-any-return]
        batch: list[ir.Event] = []
        for name, data in msgs:
            batch += decoder.feed(name, data)
        return batch

    print(f"sse     {_best(lambda: sse.feed(CHUNK), n, r):.3f} µs/delta")
    print(f"decode  {_best(decode, n, r):.3f} µs/delta")
    print(f"render  {_best(lambda: b''.join(map(renderer.render, events)), n, r):.3f} µs/delta")
    print(f"observe {_best(lambda: observe(record, events), n, r):.3f} µs/delta")
    print(f"chain   {_best(chain, n, r):.3f} µs/delta")


if __name__ == "__main__":
    main()
