from __future__ import annotations

import pytest

from codex2claudecode import ir
from codex2claudecode.backends.kiro.usage import answer_usage


def usage(token_usage: dict[str, float], percentage: float | None = None) -> ir.Usage:
    return answer_usage(
        token_usage,
        percentage=percentage,
        context_window=1_000_000,
        estimated_input_tokens=500,
        count_output=lambda: 9,
    )


@pytest.mark.parametrize(
    ("token_usage", "percentage", "expected"),
    [
        # Exact: every prompt token counts as input, cached ones included.
        (
            {
                "uncachedInputTokens": 120,
                "cacheReadInputTokens": 30,
                "cacheWriteInputTokens": 7,
                "outputTokens": 11,
            },
            None,
            ir.Usage(input_tokens=157, cached_tokens=30, output_tokens=11),
        ),
        ({"uncachedInputTokens": 120}, 50.0, ir.Usage(input_tokens=120, output_tokens=9)),
        # From the percentage of a 1M window, minus this answer.
        ({}, 1.5, ir.Usage(input_tokens=15_000 - 9, output_tokens=9)),
        ({"contextUsagePercentage": 2.0, "outputTokens": 4}, 1.0, ir.Usage(19_996, 0, 4)),
        ({}, 0.0, ir.Usage(input_tokens=500, output_tokens=9)),
        ({}, None, ir.Usage(input_tokens=500, output_tokens=9)),
        ({"outputTokens": 0}, None, ir.Usage(input_tokens=500, output_tokens=0)),
    ],
)
def test_answer_usage(
    token_usage: dict[str, float], percentage: float | None, expected: ir.Usage
) -> None:
    assert usage(token_usage, percentage) == expected


def test_the_local_count_runs_only_when_kiro_gave_none() -> None:
    def count() -> int:
        raise AssertionError("counted although Kiro reported output tokens")

    answer_usage(
        {"outputTokens": 3},
        percentage=None,
        context_window=1,
        estimated_input_tokens=1,
        count_output=count,
    )
