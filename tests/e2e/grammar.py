"""A strict checker of the Anthropic Messages SSE grammar, over raw response bytes.

message_start, then for each block (index 0, 1, ... in order) content_block_start, deltas of the
block's own kind, content_block_stop; then message_delta and message_stop. `ping` may appear
anywhere; an `error` event ends the stream. Each frame's `event:` equals its data's `type`.
"""

from __future__ import annotations

import json
from typing import Any

DELTA_FOR_BLOCK = {
    "text": {"text_delta", "citations_delta"},
    "thinking": {"thinking_delta", "signature_delta"},
    "redacted_thinking": set(),
    "tool_use": {"input_json_delta"},
    "server_tool_use": {"input_json_delta"},
    "web_search_tool_result": set(),
    "web_fetch_tool_result": set(),
}


class GrammarError(AssertionError):
    pass


def parse_frames(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    text = raw.decode()
    assert text.endswith("\n\n"), "the stream must end at a frame boundary"
    frames = []
    for block in text.split("\n\n"):
        if not block:
            continue
        lines = block.split("\n")
        if (
            len(lines) != 2
            or not lines[0].startswith("event: ")
            or not lines[1].startswith("data: ")
        ):
            raise GrammarError(f"malformed frame: {block!r}")
        name = lines[0][len("event: ") :]
        data = json.loads(lines[1][len("data: ") :])
        if data.get("type") != name:
            raise GrammarError(f"event {name!r} carries data of type {data.get('type')!r}")
        frames.append((name, data))
    return frames


def check(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """Validate the stream; return its frames without pings. Raises GrammarError."""
    frames = [f for f in parse_frames(raw) if f[0] != "ping"]
    if not frames or frames[0][0] != "message_start":
        raise GrammarError("the stream must begin with message_start")
    message = frames[0][1]["message"]
    if message["content"] != [] or message["stop_reason"] is not None:
        raise GrammarError("message_start must carry an empty message")
    expected_index = 0
    open_block: str | None = None
    state = "blocks"
    for name, data in frames[1:]:
        if state == "done":
            raise GrammarError(f"{name} after message_stop")
        if name == "error":
            state = "done"
            continue
        if state == "delta":
            if name != "message_stop":
                raise GrammarError(f"expected message_stop after message_delta, got {name}")
            state = "done"
            continue
        if name == "content_block_start":
            if open_block is not None:
                raise GrammarError("a block started before the previous one stopped")
            if data["index"] != expected_index:
                raise GrammarError(f"block index {data['index']}, expected {expected_index}")
            open_block = data["content_block"]["type"]
            if open_block not in DELTA_FOR_BLOCK:
                raise GrammarError(f"unknown block type {open_block}")
        elif name == "content_block_delta":
            if open_block is None or data["index"] != expected_index:
                raise GrammarError("a delta outside its block")
            if data["delta"]["type"] not in DELTA_FOR_BLOCK[open_block]:
                raise GrammarError(f"{data['delta']['type']} inside a {open_block} block")
        elif name == "content_block_stop":
            if open_block is None or data["index"] != expected_index:
                raise GrammarError("a stop without its block")
            open_block = None
            expected_index += 1
        elif name == "message_delta":
            if open_block is not None:
                raise GrammarError("message_delta while a block is open")
            if data["delta"].get("stop_reason") is None:
                raise GrammarError("message_delta without a stop_reason")
            state = "delta"
        else:
            raise GrammarError(f"unexpected event {name}")
    if state != "done":
        raise GrammarError("the stream ended without message_stop or error")
    return frames
