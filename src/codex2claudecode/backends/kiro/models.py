"""Kiro model ids: client names -> dotted Kiro ids, the model catalogue, and how to think.

Claude Code asks for `claude-opus-4-8[1m]` or `claude-sonnet-4-5-20250929`; Kiro wants
`claude-opus-4.8` / `claude-sonnet-4.5` (kiro-2026-update §1). `ListAvailableModels` pages become
`KiroModel`s; `FALLBACK_MODELS` stands in when the list cannot be fetched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import orjson

from codex2claudecode import ir

DEFAULT_MAX_INPUT_TOKENS = 200_000
DEFAULT_EFFORTS = ("low", "medium", "high", "max")
"""The effort enum Kiro's thinking schema advertises when a model gives no enum of its own."""

_CONTEXT_TAG = re.compile(r"\[[^\]]*\]$")  # Claude Code's `[1m]`: a client-side window marker
_DATE = re.compile(r"-\d{8}$")
_LATEST = re.compile(r"(-\d+(?:-\d+)?)-latest$")
_FAMILY_VERSION = re.compile(r"^claude-(opus|sonnet|haiku)-(\d+)-(\d+)$")
_OLD_STYLE = re.compile(r"^claude-(\d+)-(\d+)-(.+)$")  # claude-3-7-sonnet
_TIERS = ("opus", "sonnet", "haiku")


@dataclass(frozen=True, slots=True)
class KiroModel:
    id: str
    display_name: str
    max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS
    native_thinking: bool = False
    """The model's `additionalModelRequestFieldsSchema` declares `thinking` (update §3)."""
    efforts: tuple[str, ...] = ()
    """Effort values that schema allows in `output_config.effort`; empty when it has none."""
    supports_images: bool = True


FALLBACK_MODELS: tuple[KiroModel, ...] = (
    KiroModel("auto", "Auto"),
    KiroModel("claude-opus-4.8", "Claude Opus 4.8", 1_000_000, True, DEFAULT_EFFORTS),
    KiroModel("claude-opus-4.7", "Claude Opus 4.7", 1_000_000, True, DEFAULT_EFFORTS),
    KiroModel("claude-opus-4.6", "Claude Opus 4.6", 1_000_000, True, DEFAULT_EFFORTS),
    KiroModel("claude-sonnet-4.6", "Claude Sonnet 4.6", 1_000_000, True, DEFAULT_EFFORTS),
    KiroModel("claude-opus-4.5", "Claude Opus 4.5"),
    KiroModel("claude-sonnet-4.5", "Claude Sonnet 4.5"),
    KiroModel("claude-sonnet-4", "Claude Sonnet 4"),
    KiroModel("claude-haiku-4.5", "Claude Haiku 4.5"),
)
"""Used when ListAvailableModels is unreachable; windows per kiro-2026-update §1."""

TIER_FALLBACKS: Mapping[str, str] = {
    "opus": "claude-opus-4.8",
    "sonnet": "claude-sonnet-4.6",
    "haiku": "claude-haiku-4.5",
}


def kiro_model_id(name: str) -> str:
    """The Kiro `modelId` for a client's model name (idempotent; unknown names pass verbatim).

    Strips `[1m]`, `-latest` after a version, a `-YYYYMMDD` date and `-thinking`, then turns the
    version's dashes into a dot: `claude-sonnet-4-5-20250929` -> `claude-sonnet-4.5`.
    """
    name = _CONTEXT_TAG.sub("", name.strip()).lower()
    name = _LATEST.sub(r"\1", name)
    name = name.removesuffix("-thinking")
    name = _DATE.sub("", name)
    if match := _FAMILY_VERSION.match(name):
        return f"claude-{match[1]}-{match[2]}.{match[3]}"
    if match := _OLD_STYLE.match(name):
        return f"claude-{match[1]}.{match[2]}-{match[3]}"
    return name


def resolve_model(name: str, catalogue: Sequence[KiroModel] = FALLBACK_MODELS) -> KiroModel:
    """The catalogue entry for a client's model name.

    A name the catalogue lacks falls back by Claude tier (opus / sonnet / haiku, in that order of
    appearance in the name) to that tier's newest id in the catalogue, else to `TIER_FALLBACKS`;
    non-Claude names the catalogue lacks are sent verbatim with default limits, and Kiro itself
    answers INVALID_MODEL_ID if the account does not have them (R61).
    """
    wanted = kiro_model_id(name)
    by_id = {model.id: model for model in catalogue}
    if wanted in by_id:
        return by_id[wanted]
    tier = next((t for t in _TIERS if t in wanted), None)
    if tier is None or not wanted.startswith("claude"):
        return KiroModel(wanted, name)
    same_tier = [m for m in catalogue if m.id.startswith(f"claude-{tier}-")]
    if same_tier:
        return max(same_tier, key=lambda m: _version(m.id))
    fallback = {m.id: m for m in FALLBACK_MODELS}
    return fallback[TIER_FALLBACKS[tier]]


def _version(model_id: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", model_id))


def parse_models_page(page: Mapping[str, object]) -> tuple[tuple[KiroModel, ...], str | None]:
    """The models of one `ListAvailableModels` answer and its `nextToken` (None on the last page).

    Entries may be objects (`modelId`, `modelName`, `tokenLimits`, `supportedInputTypes`,
    `additionalModelRequestFieldsSchema`) or bare id strings; entries without an id are skipped.
    """
    entries = page.get("models")
    models: list[KiroModel] = []
    for entry in entries if isinstance(entries, list) else []:
        model = _model(entry)
        if model is not None and all(m.id != model.id for m in models):
            models.append(model)
    token = page.get("nextToken")
    return tuple(models), token if isinstance(token, str) and token else None


def default_model_id(page: Mapping[str, object]) -> str | None:
    """The id of a page's `defaultModel`, if it names one."""
    default = page.get("defaultModel")
    model = _model(default) if default is not None else None
    return model.id if model else None


def _model(entry: object) -> KiroModel | None:
    if isinstance(entry, str):
        return KiroModel(kiro_model_id(entry), entry) if entry else None
    if not isinstance(entry, dict) or not isinstance(entry.get("modelId"), str):
        return None
    model_id = kiro_model_id(entry["modelId"])
    name = entry.get("modelName")
    limits = entry.get("tokenLimits")
    max_input = limits.get("maxInputTokens") if isinstance(limits, dict) else None
    inputs = entry.get("supportedInputTypes")
    native, efforts = _thinking_schema(entry.get("additionalModelRequestFieldsSchema"))
    return KiroModel(
        id=model_id,
        display_name=name if isinstance(name, str) and name else model_id,
        max_input_tokens=max_input
        if isinstance(max_input, int) and max_input > 0
        else DEFAULT_MAX_INPUT_TOKENS,
        native_thinking=native,
        efforts=efforts,
        supports_images=not isinstance(inputs, list) or not inputs or "IMAGE" in inputs,
    )


def _thinking_schema(schema: object) -> tuple[bool, tuple[str, ...]]:
    """(native thinking allowed, effort enum) from `additionalModelRequestFieldsSchema`.

    The schema arrives as an object or as its JSON text; only advertised properties may be sent
    (R70), so a schema without `thinking` means prompt-tag thinking.
    """
    if isinstance(schema, str):
        try:
            schema = orjson.loads(schema)
        except orjson.JSONDecodeError:
            return False, ()
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or "thinking" not in properties:
        return False, ()
    config = properties.get("output_config")
    config_props = config.get("properties") if isinstance(config, dict) else None
    effort = config_props.get("effort") if isinstance(config_props, dict) else None
    if not isinstance(effort, dict):
        return True, ()
    enum = effort.get("enum")
    if isinstance(enum, list) and all(isinstance(v, str) for v in enum):
        return True, tuple(enum)
    return True, DEFAULT_EFFORTS


# --------------------------------------------------------------------------- thinking

ThinkingStyle = Literal["off", "native", "tags"]
ReasoningShown = Literal["summarized", "omitted", "off"]

TAG_BUDGETS: Mapping[str, int] = {"low": 4000, "medium": 8000, "high": 16000, "xhigh": 32000}
"""Effort -> `<max_thinking_length>` for prompt-tag thinking (original-kiro §3.4 step 10)."""
MAX_TAG_BUDGET = 32_000  # R48: clamp
_ORDER = ("low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True, slots=True)
class ThinkingPlan:
    style: ThinkingStyle
    effort: str | None = None
    """Native: the `output_config.effort` value (one the model allows), or None to omit it."""
    budget: int = 0
    """Tags: the `<max_thinking_length>` value."""


def plan_thinking(request: ir.Request, model: KiroModel) -> ThinkingPlan:
    """How this request thinks on this model.

    Thinking is on when the client enabled it (`thinking` enabled/adaptive) or, without a
    `thinking` field, gave an effort other than none. Native `additionalModelRequestFields`
    only where the model's schema allows it; else `<thinking_mode>` prompt tags.
    """
    effort = _effort(request)
    if effort is None:
        return ThinkingPlan("off")
    if model.native_thinking:
        return ThinkingPlan("native", _allowed_effort(effort, model.efforts))
    budget = request.thinking.budget_tokens if request.thinking else None
    return ThinkingPlan("tags", budget=min(budget or TAG_BUDGETS[effort], MAX_TAG_BUDGET))


def reasoning_shown(request: ir.Request) -> ReasoningShown:
    """How the client gets the model's thinking: as text, as empty signed blocks
    (`display: omitted`), or not at all (thinking absent or disabled, as the real API;
    an OpenAI client asks with `reasoning.summary` instead).
    """
    thinking = request.thinking
    if thinking is None:
        return "off" if request.reasoning_summary is None else "summarized"
    return thinking.display if thinking.on else "off"


def native_request_fields(plan: ThinkingPlan) -> dict[str, object] | None:
    """The top-level `additionalModelRequestFields` for a native plan, else None."""
    if plan.style != "native":
        return None
    fields: dict[str, object] = {"thinking": {"type": "adaptive", "display": "summarized"}}
    if plan.effort is not None:
        fields["output_config"] = {"effort": plan.effort}
    return fields


def _effort(request: ir.Request) -> str | None:
    thinking = request.thinking
    if thinking is not None and thinking.mode == "disabled":
        return None
    if request.effort == "none":
        return None
    if request.effort is not None:
        return "low" if request.effort == "minimal" else request.effort
    if thinking is None:
        return None
    budget = thinking.budget_tokens
    if budget is None:
        return "high"  # adaptive without an effort: Anthropic's default effort is high
    if budget <= 4000:
        return "low"
    return "medium" if budget <= 8000 else "high" if budget <= 16000 else "xhigh"


def _allowed_effort(effort: str, allowed: tuple[str, ...]) -> str | None:
    """`effort`, or the nearest value the schema allows (ties go down); None if it has none."""
    if not allowed:
        return None
    if effort in allowed:
        return effort
    if effort == "xhigh" and "max" in allowed:
        return "max"
    rank = _ORDER.index(effort)
    known = [v for v in allowed if v in _ORDER]
    if not known:
        return None
    return min(known, key=lambda v: (abs(_ORDER.index(v) - rank), _ORDER.index(v)))
