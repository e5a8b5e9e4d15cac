"""Renders an accumulated `Answer` as a `chat.completion` body (non-streaming clients).

The chunk renderer (`stream.py`) shares `usage_json` and `finish_reason`, so a streamed answer
and a JSON answer for the same events carry the same numbers and the same ending.
"""

from __future__ import annotations

from typing import Literal

import orjson

from codex2claudecode import accumulator, ir

FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]


def usage_json(usage: ir.Usage | None, input_tokens_estimate: int) -> dict[str, object]:
    """Chat usage: `prompt_tokens` counts cached tokens too (`prompt_tokens_details`)."""
    if usage is None or (usage.input_tokens == 0 and usage.cached_tokens == 0):
        prompt, cached = input_tokens_estimate, 0
    else:
        prompt, cached = max(usage.input_tokens, 0), max(usage.cached_tokens, 0)
    completion = 0 if usage is None else usage.output_tokens
    reasoning = 0 if usage is None else usage.reasoning_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def finish_reason(stop: ir.Stop | None, called_tools: bool) -> FinishReason:
    """How the choice ended; `tool_calls` whenever the model called a tool and was not cut off."""
    reason = None if stop is None else stop.reason
    if reason in ("max_tokens", "model_context_window_exceeded"):
        return "length"  # Chat's one reason for a cut answer, whatever filled up
    if reason == "refusal":
        return "content_filter"
    return "tool_calls" if called_tools or reason == "tool_use" else "stop"


def render_completion(
    answer: accumulator.Answer,
    *,
    completion_id: str,
    created: int,
    model: str,
    input_tokens_estimate: int,
) -> bytes:
    """The `POST /v1/chat/completions` body for a finished answer.

    Args:
        answer: the accumulated events.
        completion_id: the `chatcmpl-…` id the frontend chose.
        created: when the request arrived, in Unix seconds.
        model: the model name to report (the client's, not the upstream's).
        input_tokens_estimate: used as `prompt_tokens` when the upstream reported none.
    """
    texts = [block.text for block in answer.blocks if isinstance(block, accumulator.TextBlock)]
    thinking = [
        block.text for block in answer.blocks if isinstance(block, accumulator.ThinkingBlock)
    ]
    calls = [
        {
            "id": block.id,
            "type": "function",
            "function": {"name": block.name, "arguments": block.arguments_json or "{}"},
        }
        for block in answer.blocks
        if isinstance(block, accumulator.ToolCallBlock)
    ]
    message: dict[str, object] = {
        "role": "assistant",
        "content": "".join(texts) if texts else None,
        "refusal": None,
        "annotations": [],
    }
    if calls:
        message["tool_calls"] = calls
    if any(thinking):
        message["reasoning_content"] = "\n\n".join(text for text in thinking if text)
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": finish_reason(answer.stop, bool(calls)),
    }
    return orjson.dumps(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [choice],
            "usage": usage_json(answer.usage, input_tokens_estimate),
            "service_tier": "default",
            "system_fingerprint": None,
        }
    )
