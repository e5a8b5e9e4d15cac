"""The Kiro payload size limit: measuring, the context-overflow answer, and history trimming.

Size is the UTF-8 length of the compact JSON with long base64 `bytes` values counted as
`"[image]"` (original-kiro §3.6), so attachments never count. Claude Code requests that do not
fit get `prompt is too long: N tokens > M maximum` (it compacts on that); other clients get their
oldest history trimmed in whole user/assistant pairs, with a visible warning (§3.6, R56).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from codex2claudecode import errors
from codex2claudecode.backends.kiro.turns import Json, Turn

_BASE64_BYTES = re.compile(rb'"bytes":"[A-Za-z0-9+/=]{256,}"')


def measure(body: Json) -> int:
    """The body's size in bytes as the limit counts it."""
    raw = orjson.dumps(body)
    return len(_BASE64_BYTES.sub(b'"bytes":"[image]"', raw)) if b'"bytes":"' in raw else len(raw)


def estimate_input_tokens(size: int) -> int:
    """The fallback input-token count before Kiro reports usage: a quarter of the size (§3.7)."""
    return math.ceil(size / 4)


def overflow_tokens(size: int, limit: int, max_input_tokens: int) -> int:
    """The token count to report for a body of `size` bytes over a `limit`-byte cap.

    The byte ratio is carried onto the model's window: N = ceil(M x size / limit), at least
    M + 1. Claude Code reads N and M from the error and compacts by about N / M, which is then
    the factor the body has to shrink by.
    """
    return max(max_input_tokens + 1, math.ceil(max_input_tokens * size / limit))


def context_error(size: int, limit: int, max_input_tokens: int) -> errors.ContextTooLong:
    """The error a Claude Code request over the size limit is answered with (Kiro not called)."""
    tokens = overflow_tokens(size, limit, max_input_tokens)
    return errors.ContextTooLong(
        f"prompt is too long: {tokens} tokens > {max_input_tokens} maximum "
        f"(the Kiro request is {size} bytes, over the gateway's {limit}-byte limit)",
        tokens=tokens,
        limit=max_input_tokens,
    )


@dataclass(frozen=True, slots=True)
class Trimmed:
    body: Json
    size: int
    removed: int
    """History turns removed; 0 when the body fitted as it was."""
    warning: str | None


def trim_history(
    turns: Sequence[Turn], build: Callable[[Sequence[Turn]], Json], limit: int
) -> Trimmed:
    """The largest suffix of `turns` whose built body fits `limit`.

    Cuts fall only before a user turn without tool results (R56), or drop all history; `build`
    must re-run the pairing repairs and re-embed the instructions (it gets the kept turns).

    Raises:
        errors.RequestTooLarge: even the current message alone does not fit.
    """
    body = build(turns)
    size = measure(body)
    if size <= limit:
        return Trimmed(body, size, 0, None)
    last = len(turns) - 1
    cuts = [i for i in range(1, last) if _safe_cut(turns[i])] + [last]
    best: tuple[int, Json, int] | None = None
    low, high = 0, len(cuts) - 1
    while low <= high:  # smallest cut that fits; size shrinks as the cut grows
        middle = (low + high) // 2
        candidate = build(turns[cuts[middle] :])
        candidate_size = measure(candidate)
        if candidate_size <= limit:
            best = (cuts[middle], candidate, candidate_size)
            high = middle - 1
        else:
            low = middle + 1
    if best is None:
        raise errors.RequestTooLarge(
            f"the Kiro request is {size} bytes and still over the {limit}-byte limit with all "
            "earlier history removed; shorten the last message or its attachments "
            "(or raise KIRO_PAYLOAD_SIZE_LIMIT_BYTES)"
        )
    cut, body, final = best
    warning = (
        f"[Gateway warning] Kiro request context was shortened: the {cut} oldest messages were "
        f"removed ({size} -> {final} bytes, limit {limit}), {last - cut} remain in history."
    )
    return Trimmed(body, final, cut, warning)


def _safe_cut(turn: Turn) -> bool:
    return turn.role == "user" and not turn.tool_results
