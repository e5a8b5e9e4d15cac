"""Token usage of one Kiro answer, from the best source the stream offered (original-kiro §4.6,
kiro-2026-update §4): exact `metadataEvent.tokenUsage`, else input from the context-usage
percentage, else the local estimate; output from Kiro, else counted locally."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from codex2claudecode import ir

_INPUT_PARTS = ("uncachedInputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")


def answer_usage(
    token_usage: Mapping[str, float],
    *,
    percentage: float | None,
    context_window: int,
    estimated_input_tokens: int,
    count_output: Callable[[], int],
) -> ir.Usage:
    """The `ir.Usage` for an answer.

    Args:
        token_usage: the numeric fields of Kiro's `tokenUsage` objects, latest value per field.
        percentage: the last `contextUsageEvent` percentage, if any.
        context_window: the model's input window, in tokens.
        estimated_input_tokens: the local estimate of the prompt.
        count_output: counts the answer locally; called only when Kiro gave no output count.
    """
    output = token_usage.get("outputTokens")
    output_tokens = int(output) if output is not None else count_output()
    if any(key in token_usage for key in _INPUT_PARTS):
        return ir.Usage(
            input_tokens=int(sum(token_usage.get(key, 0) for key in _INPUT_PARTS)),
            cached_tokens=int(token_usage.get("cacheReadInputTokens", 0)),
            output_tokens=output_tokens,
        )
    percentage = token_usage.get("contextUsagePercentage", percentage)
    if percentage is not None and percentage > 0:
        # The percentage covers the whole window in use, this answer included.
        used = math.floor(percentage / 100 * context_window)
        return ir.Usage(input_tokens=max(0, used - output_tokens), output_tokens=output_tokens)
    return ir.Usage(input_tokens=estimated_input_tokens, output_tokens=output_tokens)
