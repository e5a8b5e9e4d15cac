from __future__ import annotations

import orjson
import pytest

from codex2claudecode import ir
from codex2claudecode.backends.kiro.models import (
    FALLBACK_MODELS,
    KiroModel,
    ThinkingPlan,
    default_model_id,
    kiro_model_id,
    native_request_fields,
    parse_models_page,
    plan_thinking,
    resolve_model,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("claude-opus-4-8", "claude-opus-4.8"),
        ("claude-opus-4-8[1m]", "claude-opus-4.8"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4.5"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4.5"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("claude-sonnet-4-latest", "claude-sonnet-4"),
        ("claude-3-7-sonnet", "claude-3.7-sonnet"),
        ("claude-sonnet-4-5-thinking", "claude-sonnet-4.5"),
        ("claude-opus-4.7", "claude-opus-4.7"),
        ("claude-opus-latest", "claude-opus-latest"),
        ("auto", "auto"),
        ("deepseek-3.2", "deepseek-3.2"),
    ],
)
def test_kiro_model_id(name: str, expected: str) -> None:
    assert kiro_model_id(name) == expected
    assert kiro_model_id(expected) == expected  # idempotent


def test_fallback_windows() -> None:
    windows = {m.id: m.max_input_tokens for m in FALLBACK_MODELS}
    for big in ("claude-opus-4.8", "claude-opus-4.7", "claude-opus-4.6", "claude-sonnet-4.6"):
        assert windows[big] == 1_000_000
    for small in ("claude-opus-4.5", "claude-sonnet-4.5", "claude-sonnet-4", "claude-haiku-4.5"):
        assert windows[small] == 200_000


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("claude-opus-4-8", "claude-opus-4.8"),
        ("claude-opus-9-9", "claude-opus-4.8"),  # unknown generation: the tier's newest
        ("claude-3-5-haiku-20241022", "claude-haiku-4.5"),
        ("claude-sonnet-4-5", "claude-sonnet-4.5"),
        ("glm-5", "glm-5"),  # non-Claude: verbatim, Kiro judges it (R61)
    ],
)
def test_resolve_model(name: str, expected: str) -> None:
    assert resolve_model(name).id == expected


def test_resolve_model_tier_fallback_uses_catalogue() -> None:
    catalogue = (KiroModel("claude-sonnet-4.5", "S"), KiroModel("claude-sonnet-4", "S4"))
    assert resolve_model("claude-sonnet-9", catalogue).id == "claude-sonnet-4.5"
    assert resolve_model("claude-opus-9", catalogue).id == "claude-opus-4.8"


SCHEMA = {
    "type": "object",
    "properties": {
        "thinking": {"type": "object"},
        "output_config": {
            "type": "object",
            "properties": {"effort": {"type": "string", "enum": ["low", "medium", "high", "max"]}},
        },
    },
    "additionalProperties": False,
}


def test_parse_models_page() -> None:
    page = {
        "models": [
            {
                "modelId": "claude-opus-4.8",
                "modelName": "Claude Opus 4.8",
                "tokenLimits": {"maxInputTokens": 1_000_000, "maxOutputTokens": 64000},
                "supportedInputTypes": ["TEXT", "IMAGE"],
                "additionalModelRequestFieldsSchema": SCHEMA,
            },
            {
                "modelId": "claude-sonnet-4.5",
                "additionalModelRequestFieldsSchema": orjson.dumps({"type": "object"}).decode(),
            },
            {"modelId": "glm-5", "supportedInputTypes": ["TEXT"]},
            "claude-haiku-4-5",
            {"modelName": "no id"},
        ],
        "defaultModel": {"modelId": "auto"},
        "nextToken": "abc",
    }
    models, token = parse_models_page(page)
    assert token == "abc"
    assert default_model_id(page) == "auto"
    assert [m.id for m in models] == [
        "claude-opus-4.8",
        "claude-sonnet-4.5",
        "glm-5",
        "claude-haiku-4.5",
    ]
    opus, sonnet, glm, haiku = models
    assert opus == KiroModel(
        "claude-opus-4.8", "Claude Opus 4.8", 1_000_000, True, ("low", "medium", "high", "max")
    )
    assert not sonnet.native_thinking and sonnet.max_input_tokens == 200_000
    assert not glm.supports_images
    assert haiku.supports_images
    assert parse_models_page({"models": []}) == ((), None)


def request(**kw: object) -> ir.Request:
    return ir.Request(model="m", messages=(ir.Message("user", (ir.TextPart("hi"),)),), **kw)  # type: ignore[arg-type]


NATIVE = KiroModel("claude-opus-4.8", "O", 1_000_000, True, ("low", "medium", "high", "max"))
TAGS = KiroModel("claude-sonnet-4.5", "S")


@pytest.mark.parametrize(
    ("kw", "model", "plan"),
    [
        ({}, NATIVE, ThinkingPlan("off")),
        ({"thinking": ir.Thinking("disabled"), "effort": "high"}, NATIVE, ThinkingPlan("off")),
        (
            {"thinking": ir.Thinking("adaptive"), "effort": "high"},
            NATIVE,
            ThinkingPlan("native", "high"),
        ),
        (
            {"thinking": ir.Thinking("adaptive"), "effort": "xhigh"},
            NATIVE,
            ThinkingPlan("native", "max"),
        ),
        ({"effort": "minimal"}, NATIVE, ThinkingPlan("native", "low")),
        ({"effort": "none"}, NATIVE, ThinkingPlan("off")),
        ({"thinking": ir.Thinking("enabled", 10000)}, NATIVE, ThinkingPlan("native", "high")),
        (
            {"thinking": ir.Thinking("adaptive"), "effort": "high"},
            TAGS,
            ThinkingPlan("tags", budget=16000),
        ),
        ({"effort": "low"}, TAGS, ThinkingPlan("tags", budget=4000)),
        ({"thinking": ir.Thinking("enabled", 50000)}, TAGS, ThinkingPlan("tags", budget=32000)),
        ({"thinking": ir.Thinking("enabled", 2048)}, TAGS, ThinkingPlan("tags", budget=2048)),
    ],
)
def test_plan_thinking(kw: dict[str, object], model: KiroModel, plan: ThinkingPlan) -> None:
    assert plan_thinking(request(**kw), model) == plan


def test_native_fields_only_for_native() -> None:
    assert native_request_fields(ThinkingPlan("native", "high")) == {
        "thinking": {"type": "adaptive", "display": "summarized"},
        "output_config": {"effort": "high"},
    }
    assert native_request_fields(ThinkingPlan("native", None)) == {
        "thinking": {"type": "adaptive", "display": "summarized"}
    }
    assert native_request_fields(ThinkingPlan("tags", budget=4000)) is None
    model = KiroModel("x", "x", native_thinking=True, efforts=("low", "high"))
    assert plan_thinking(request(effort="medium"), model) == ThinkingPlan("native", "low")
