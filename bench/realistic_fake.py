"""The fake Codex backend the gateway bench talks to, answering as the real backend does.

A reply echoes the request's `instructions` and `tools` in the response object of
`response.created`, `response.in_progress` and `response.completed`, and a 'hello' gets a
reasoning item (encrypted content, no summary), a `codex.rate_limits` snapshot and a text
answer in ~word-sized deltas: 23 SSE events and ~7.5 KiB for the bench's small request.
A user message `deltas:N` asks for N text deltas instead (the stream benchmarks).

Run as `python bench/realistic_fake.py PORT`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.codex import FakeCodex, Recorded, Reply  # noqa: E402
from tests.fakes.responses_events import ResponseScript, make_usage  # noqa: E402

HELLO = [
    "Hello",
    "!",
    " How",
    " can",
    " I",
    " help",
    " you",
    " with",
    " your",
    " code",
    " today",
    "?",
]
ENCRYPTED = "gAAAAAB" + "x" * 600  # about the size the real backend sends for a hello


def _asked_deltas(body: dict[str, Any]) -> int | None:
    for item in body.get("input", []):
        for part in item.get("content") or []:
            text = part.get("text", "") if isinstance(part, dict) else ""
            if text.startswith("deltas:"):
                return int(text.split(":")[1])
    return None


def answer(recorded: Recorded) -> Reply:
    body = recorded.body if isinstance(recorded.body, dict) else {}
    script = ResponseScript(
        model=body.get("model", "gpt-5.4"),
        instructions=body.get("instructions") or "",
        tools=body.get("tools") or [],
    )
    script.reasoning(encrypted_content=ENCRYPTED).rate_limits()
    n = _asked_deltas(body)
    deltas = HELLO if n is None else ["tok "] * n
    events = script.text(*deltas).completed(make_usage(output_tokens=len(deltas)))
    return Reply(events=events, chunk_events=16)


def main() -> None:
    import uvicorn

    port = int(sys.argv[1])
    uvicorn.run(
        FakeCodex(answer),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        access_log=False,
    )


if __name__ == "__main__":
    main()
