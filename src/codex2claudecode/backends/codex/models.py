"""Model names: which upstream model a client's model string means, and at what reasoning effort.

Claude Code asks for `claude-*` models; those map by tier to GPT models. GPT-5-family names may
carry an effort suffix (`gpt-5.4_high`), a rule users of the original rely on (spec §4).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from codex2claudecode import ir

DEFAULT_TIER_MODELS: Mapping[str, str] = MappingProxyType(
    {"opus": "gpt-5.5", "sonnet": "gpt-5.4", "haiku": "gpt-5.4-mini"}
)
"""Claude tier -> upstream model, used unless the user overrides a tier."""

DEFAULT_EFFORT: ir.Effort = "medium"

_SUFFIX_EFFORTS: Mapping[str, ir.Effort] = MappingProxyType(
    {
        "none": "none",
        "minimal": "minimal",
        "low": "low",
        "medium": "medium",
        "high": "high",
        "xhigh": "xhigh",
        "max": "xhigh",
    }
)

# `gpt-5`, then optionally `.x` and/or `-variant`s, then optionally `_<effort>`. The original's
# pattern stopped at the first hyphen, so `gpt-5-codex_high` lost its effort (spec §4).
_GPT5 = re.compile(
    r"(?P<base>gpt-5(?:[.-][^_]*)?)(?:_(?P<effort>none|minimal|low|medium|high|xhigh|max))?",
    re.IGNORECASE,
)
_VERSION = re.compile(r"gpt-5(?:\.(?P<minor>\d+))?(?![\d])")
_NON_REASONING = re.compile(r"(?:chatgpt-|gpt-)(?:3|4)", re.IGNORECASE)
_CONTEXT_TAG = re.compile(r"\[[^\]]*\]$")
"""Claude Code's `[1m]` marker: asks the client for a 1M window; never part of the model id."""


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    upstream: str
    effort: ir.Effort | None
    """None: a model without reasoning, so no `reasoning` field is sent."""


def resolve_model(
    name: str,
    *,
    effort: ir.Effort | None,
    thinking: ir.Thinking | None,
    tier_models: Mapping[str, str] = DEFAULT_TIER_MODELS,
) -> ResolvedModel:
    """The upstream model and reasoning effort for a client's model name.

    Effort precedence: a name suffix, then `effort` (the client's explicit choice), then,
    with thinking off (absent or disabled), the lowest effort the model allows; with thinking
    on, the thinking budget, then `medium`. `claude-*` names map by tier through `tier_models`.
    """
    name = _CONTEXT_TAG.sub("", name.strip())
    if name.lower().startswith("claude"):
        tier = _claude_tier(name)
        name = _CONTEXT_TAG.sub("", (tier_models.get(tier) or DEFAULT_TIER_MODELS[tier]).strip())
    match = _GPT5.fullmatch(name)
    base = match["base"] if match else name
    if match and match["effort"]:
        return ResolvedModel(base, _SUFFIX_EFFORTS[match["effort"].lower()])
    if _NON_REASONING.match(name):
        return ResolvedModel(name, None)
    if effort is not None:
        return ResolvedModel(base, effort)
    if thinking is None or not thinking.on:
        return ResolvedModel(base, lowest_effort(base))
    return ResolvedModel(base, _thinking_effort(thinking) or DEFAULT_EFFORT)


def lowest_effort(model: str) -> ir.Effort:
    """The least reasoning `model` accepts on the Codex backend, for requests without thinking.

    `none` exists from GPT-5.1 on, but the Codex backend takes it only from GPT-5.4 on; GPT-5
    itself knows `minimal`; the codex-mini models start at `medium`.
    """
    lowered = model.lower()
    if "codex-mini" in lowered:
        return "medium"
    version = _VERSION.match(lowered)
    if version is None or "codex" in lowered:
        return "low"
    minor = int(version["minor"] or 0)
    if minor == 0:
        return "minimal"
    return "none" if minor >= 4 else "low"


def _claude_tier(name: str) -> str:
    lowered = name.lower()
    for tier in ("opus", "haiku", "sonnet"):
        if tier in lowered:
            return tier
    return "sonnet"


def _thinking_effort(thinking: ir.Thinking) -> ir.Effort | None:
    match thinking.mode:
        case "disabled" | "adaptive":
            return None
        case "enabled":
            budget = thinking.budget_tokens
            if budget is None:
                return None
            if budget <= 4096:
                return "low"
            return "medium" if budget <= 16384 else "high"


@dataclass(frozen=True, slots=True)
class CatalogModel:
    id: str
    display_name: str
    created: int
    """Epoch seconds of the release."""
    context_window: int
    max_output_tokens: int


CATALOG: tuple[CatalogModel, ...] = (
    CatalogModel("gpt-5.5", "GPT-5.5", 1777051893, 272_000, 128_000),
    CatalogModel("gpt-5.4", "GPT-5.4", 1772668800, 272_000, 128_000),
    CatalogModel("gpt-5.4-mini", "GPT-5.4 mini", 1773705600, 272_000, 128_000),
    CatalogModel("gpt-5.3-codex", "GPT-5.3 Codex", 1764547200, 272_000, 128_000),
)
"""The Codex models clients can name, newest first (spec original-codex §7)."""

CATALOG_EFFORTS: tuple[str, ...] = ("low", "medium", "high", "xhigh")
"""The effort suffixes listed beside each model (`gpt-5.4_high`)."""
