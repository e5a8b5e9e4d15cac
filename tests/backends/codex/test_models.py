from __future__ import annotations

import pytest

from codex2claudecode import ir
from codex2claudecode.backends.codex.models import (
    DEFAULT_TIER_MODELS,
    ResolvedModel,
    lowest_effort,
    resolve_model,
)


@pytest.mark.parametrize(
    ("name", "upstream", "effort"),
    [
        # GPT-5 family: the suffix is stripped and becomes the effort.
        ("gpt-5", "gpt-5", "medium"),
        ("gpt-5_minimal", "gpt-5", "minimal"),
        ("gpt-5.4", "gpt-5.4", "medium"),
        ("gpt-5.4_high", "gpt-5.4", "high"),
        ("gpt-5.4_xhigh", "gpt-5.4", "xhigh"),
        ("gpt-5.4_max", "gpt-5.4", "xhigh"),
        ("gpt-5.4_none", "gpt-5.4", "none"),
        ("gpt-5.5_low", "gpt-5.5", "low"),
        ("gpt-5.4-mini_low", "gpt-5.4-mini", "low"),
        ("gpt-5-mini_high", "gpt-5-mini", "high"),
        ("gpt-5-nano_minimal", "gpt-5-nano", "minimal"),
        # The original lost these efforts (spec §4).
        ("gpt-5-codex_high", "gpt-5-codex", "high"),
        ("gpt-5.3-codex_xhigh", "gpt-5.3-codex", "xhigh"),
        ("gpt-5-codex-mini_medium", "gpt-5-codex-mini", "medium"),
        ("gpt-5.3-codex-spark", "gpt-5.3-codex-spark", "medium"),
        ("gpt-5.1-codex-max_xhigh", "gpt-5.1-codex-max", "xhigh"),
        ("GPT-5.4_HIGH", "GPT-5.4", "high"),
        ("gpt-5.4_high[1m]", "gpt-5.4", "high"),
        # Other reasoning models: verbatim, with the effort.
        ("o3", "o3", "medium"),
        ("o4-mini", "o4-mini", "medium"),
        ("codex-mini-latest", "codex-mini-latest", "medium"),
        ("gpt-50", "gpt-50", "medium"),
        # Models without reasoning get no effort at all.
        ("gpt-4.1", "gpt-4.1", None),
        ("gpt-4o", "gpt-4o", None),
        ("gpt-4o-mini", "gpt-4o-mini", None),
    ],
)
def test_gpt_names(name: str, upstream: str, effort: ir.Effort | None) -> None:
    got = resolve_model(name, effort=None, thinking=ir.Thinking("adaptive"))
    assert got == ResolvedModel(upstream, effort)


@pytest.mark.parametrize(
    ("name", "upstream"),
    [
        ("claude-opus-4-8", "gpt-5.5"),
        ("claude-opus-4-8[1m]", "gpt-5.5"),
        ("claude-sonnet-4-6", "gpt-5.4"),
        ("claude-sonnet-4-5-20250929[1m]", "gpt-5.4"),
        ("claude-haiku-4-5-20251001", "gpt-5.4-mini"),
        ("claude-3-5-haiku-latest", "gpt-5.4-mini"),
        ("claude-3-opus-20240229", "gpt-5.5"),
        ("claude-mystery-9", "gpt-5.4"),
    ],
)
def test_claude_names_map_by_tier(name: str, upstream: str) -> None:
    got = resolve_model(name, effort=None, thinking=ir.Thinking("adaptive"))
    assert got == ResolvedModel(upstream, "medium")


def test_default_tiers() -> None:
    assert dict(DEFAULT_TIER_MODELS) == {
        "opus": "gpt-5.5",
        "sonnet": "gpt-5.4",
        "haiku": "gpt-5.4-mini",
    }


@pytest.mark.parametrize(
    ("tier_models", "name", "expected"),
    [
        ({"opus": "gpt-5.4_xhigh"}, "claude-opus-4-8", ResolvedModel("gpt-5.4", "xhigh")),
        ({"opus": "gpt-5.3-codex_high"}, "claude-opus-4-8", ResolvedModel("gpt-5.3-codex", "high")),
        ({"haiku": "gpt-4.1"}, "claude-haiku-4-5", ResolvedModel("gpt-4.1", None)),
        ({"opus": "o3"}, "claude-opus-4-8", ResolvedModel("o3", "high")),
        # A tier the mapping leaves out falls back to the default.
        ({"opus": "o3"}, "claude-sonnet-4-6", ResolvedModel("gpt-5.4", "high")),
        # Resolved once: a mapping to another claude name is not followed again.
        (
            {"sonnet": "claude-opus-4-8"},
            "claude-sonnet-4-6",
            ResolvedModel("claude-opus-4-8", "high"),
        ),
    ],
)
def test_tier_models_may_carry_a_suffix(
    tier_models: dict[str, str], name: str, expected: ResolvedModel
) -> None:
    got = resolve_model(name, effort="high", thinking=None, tier_models=tier_models)
    assert got == expected


@pytest.mark.parametrize(
    ("name", "effort", "thinking", "expected"),
    [
        # The name's suffix beats everything.
        ("gpt-5.4_low", "high", ir.Thinking("enabled", 32000), "low"),
        # Then the client's explicit effort.
        ("gpt-5.4", "xhigh", ir.Thinking("enabled", 1024), "xhigh"),
        ("claude-opus-4-8", "high", ir.Thinking("adaptive"), "high"),
        # Then the thinking budget.
        ("gpt-5.4", None, ir.Thinking("enabled", 1024), "low"),
        ("gpt-5.4", None, ir.Thinking("enabled", 4096), "low"),
        ("gpt-5.4", None, ir.Thinking("enabled", 4097), "medium"),
        ("gpt-5.4", None, ir.Thinking("enabled", 16384), "medium"),
        ("gpt-5.4", None, ir.Thinking("enabled", 16385), "high"),
        # No opinion: the default.
        ("gpt-5.4", None, ir.Thinking("adaptive"), "medium"),
        ("gpt-5.4", None, ir.Thinking("enabled"), "medium"),
        # Thinking off (issue 11.3): the least the model allows, unless asked otherwise.
        ("gpt-5.4", None, ir.Thinking("disabled"), "none"),
        ("gpt-5.4", None, None, "none"),
        ("gpt-5.4", "high", None, "high"),
        ("gpt-5.4_high", None, None, "high"),
        # Non-reasoning models ignore every source.
        ("gpt-4.1", "high", ir.Thinking("enabled", 32000), None),
    ],
)
def test_effort_precedence(
    name: str, effort: ir.Effort | None, thinking: ir.Thinking | None, expected: str | None
) -> None:
    assert resolve_model(name, effort=effort, thinking=thinking).effort == expected


@pytest.mark.parametrize(
    ("name", "lowest"),
    [
        ("gpt-5", "minimal"),
        ("gpt-5-mini", "minimal"),
        ("gpt-5-codex", "low"),
        ("gpt-5.1", "low"),
        ("gpt-5.2", "low"),
        ("gpt-5.3-codex", "low"),
        ("gpt-5.1-codex-mini", "medium"),
        ("gpt-5.4", "none"),
        ("gpt-5.4-mini", "none"),
        ("gpt-5.5", "none"),
        ("gpt-5.10", "none"),
        ("o3", "low"),
    ],
)
def test_lowest_effort_without_thinking(name: str, lowest: ir.Effort) -> None:
    assert resolve_model(name, effort=None, thinking=None) == ResolvedModel(name, lowest)
    assert lowest_effort(name) == lowest


async def test_the_model_list_has_each_model_then_its_effort_variants() -> None:
    from codex2claudecode.backends.codex.backend import CodexBackend
    from codex2claudecode.backends.codex.models import CATALOG

    backend = CodexBackend(None, count_tokens=len)  # type: ignore[arg-type]  # no account needed
    listed = await backend.models()
    ids = [m.id for m in listed]
    assert ids[:5] == ["gpt-5.5", "gpt-5.5_low", "gpt-5.5_medium", "gpt-5.5_high", "gpt-5.5_xhigh"]
    assert len(ids) == 5 * len(CATALOG) == len(set(ids))
    assert listed[3].display_name == "GPT-5.5 high"
    assert all(m.context_window == 272_000 and m.owned_by == "openai" for m in listed)
