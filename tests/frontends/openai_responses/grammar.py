"""A strict checker of the Responses SSE grammar, and the official SDK's parser over each event."""

from __future__ import annotations

from typing import Any

import orjson
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

EVENTS: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def frames(sse: bytes) -> list[tuple[str, dict[str, Any]]]:
    """`(event name, data)` per SSE frame; every frame is `event:` then `data:`."""
    assert sse.endswith(b"\n\n")
    parsed = []
    for frame in sse[:-2].split(b"\n\n"):
        event_line, data_line = frame.split(b"\n")
        assert event_line.startswith(b"event: ") and data_line.startswith(b"data: ")
        parsed.append((event_line[7:].decode(), orjson.loads(data_line[6:])))
    return parsed


def check(sse: bytes, *, sdk: bool = True) -> list[dict[str, Any]]:
    """Assert the stream is one well-formed Responses answer; return its data objects."""
    events = frames(sse)
    names = [name for name, _ in events]
    assert names[:2] == ["response.created", "response.in_progress"]
    assert names[-1] in TERMINAL
    assert sum(name in TERMINAL for name in names) == 1
    open_item: dict[str, Any] | None = None
    done_items: list[dict[str, Any]] = []
    text = ""
    for sequence, (name, data) in enumerate(events):
        assert data["type"] == name
        assert data["sequence_number"] == sequence
        if sdk:
            EVENTS.validate_python(data)
        if name == "response.output_item.added":
            assert open_item is None, "items must not interleave"
            assert data["output_index"] == len(done_items)
            open_item, text = data["item"], ""
            continue
        if name in TERMINAL or name in ("response.created", "response.in_progress"):
            continue
        assert open_item is not None, f"{name} outside an item"
        assert data["output_index"] == len(done_items)
        if name == "response.output_item.done":
            assert data["item"]["id"] == open_item["id"]
            assert data["item"]["type"] == open_item["type"]
            _check_done_item(data["item"], text)
            done_items.append(data["item"])
            open_item = None
            continue
        assert data["item_id"] == open_item["id"]
        if name.endswith(".delta"):
            text += data["delta"]
        elif name in (
            "response.output_text.done",
            "response.reasoning_summary_text.done",
        ):
            assert data["text"] == text
        elif name == "response.function_call_arguments.done":
            assert data["arguments"] == (text or "{}")
    assert open_item is None or names[-1] == "response.failed"
    final = events[-1][1]["response"]
    assert final["output"] == done_items
    assert final["status"] == names[-1].removeprefix("response.")
    return [data for _, data in events]


def _check_done_item(item: dict[str, Any], text: str) -> None:
    match item["type"]:
        case "message":
            assert item["status"] == "completed"
            assert item["content"][0]["text"] == text
        case "function_call":
            assert item["status"] == "completed"
            assert item["arguments"] == (text or "{}")
        case "reasoning":
            summary = "".join(part["text"] for part in item["summary"])
            assert summary == text
