"""Renders an accumulated `Answer` as an Anthropic Messages JSON body (non-streaming clients).

The streaming renderer (`stream.py`) shares `usage_json`, so a streamed answer and a JSON answer
for the same events carry the same numbers.
"""

from __future__ import annotations

from typing import assert_never

import orjson

from codex2claudecode import accumulator, ir


def usage_json(usage: ir.Usage | None, input_tokens_estimate: int) -> dict[str, int]:
    """The final `usage` object: uncached input, cache reads, output (DESIGN §4.6).

    Without upstream numbers (`usage` None, or no input reported) the input is the estimate.
    """
    if usage is None or (usage.input_tokens == 0 and usage.cached_tokens == 0):
        return {
            "input_tokens": input_tokens_estimate,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 0 if usage is None else usage.output_tokens,
        }
    cached = max(usage.cached_tokens, 0)
    return {
        "input_tokens": max(usage.input_tokens - cached, 0),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cached,
        "output_tokens": usage.output_tokens,
    }


def tool_input(arguments_json: str) -> dict[str, object]:
    """A call's arguments as the `input` object; `{}` when they are not a JSON object.

    Salvaging a broken or truncated argument text could run a tool on half its input (a `Write`
    with cut-off content); `{}` instead fails the tool's own validation for any required
    parameter, so the model is told and retries. Claude Code falls back the same way when a
    streamed `partial_json` does not parse.
    """
    if not arguments_json:
        return {}
    try:
        value = orjson.loads(arguments_json)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def render_message(
    answer: accumulator.Answer, *, message_id: str, model: str, input_tokens_estimate: int
) -> bytes:
    """The Messages API response body for a finished answer.

    Args:
        answer: the accumulated events.
        message_id: the `msg_…` id the frontend chose.
        model: the model name to report (the client's, not the upstream's).
        input_tokens_estimate: used as `input_tokens` when the upstream reported none.
    """
    stop = answer.stop or ir.Stop("end_turn")
    usage = usage_json(answer.usage, input_tokens_estimate)
    return orjson.dumps(
        {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [_block(block) for block in answer.blocks],
            "stop_reason": stop.reason,
            "stop_sequence": stop.stop_sequence,
            "usage": {**usage, "service_tier": "standard"},
        }
    )


def _block(block: accumulator.Block) -> dict[str, object]:
    match block:
        case accumulator.TextBlock(text=text):
            return {"type": "text", "text": text}
        case accumulator.ThinkingBlock(text=text, signature=signature):
            return {"type": "thinking", "thinking": text, "signature": signature}
        case accumulator.RedactedThinkingBlock(data=data):
            return {"type": "redacted_thinking", "data": data}
        case accumulator.ToolCallBlock(id=call_id, name=name, arguments_json=arguments):
            return {"type": "tool_use", "id": call_id, "name": name, "input": tool_input(arguments)}
        case _:
            assert_never(block)
