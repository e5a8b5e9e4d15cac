"""`ir.Request` -> the body of a Kiro `POST /generateAssistantResponse` (original-kiro §3).

Tools are catalogued (`tools`), messages converted (`convert`) and repaired (`normalize`); the
instructions go into the first user turn (R5), thinking is native or prompt tags (update §3),
and the size limit is enforced (`size`). No clock or randomness: ids come in as arguments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import orjson

from codex2claudecode import ir
from codex2claudecode.backends.kiro.convert import to_turns
from codex2claudecode.backends.kiro.models import (
    KiroModel,
    ThinkingPlan,
    native_request_fields,
    plan_thinking,
)
from codex2claudecode.backends.kiro.normalize import join, normalize
from codex2claudecode.backends.kiro.size import context_error, measure, trim_history
from codex2claudecode.backends.kiro.tools import Catalogue, build_catalogue
from codex2claudecode.backends.kiro.turns import (
    Conversation,
    Envelope,
    Finding,
    Json,
    Turn,
    to_wire,
)
from codex2claudecode.config import DEFAULT_KIRO_PAYLOAD_LIMIT

Overflow = Literal["context_error", "trim"]
THINKING_TAG = "<thinking_mode>"


@dataclass(frozen=True, slots=True)
class KiroPayload:
    body: Json
    tool_names: Mapping[str, str]
    """Kiro tool name -> the client's name: map tool calls in the answer back with it."""
    property_keys: Mapping[str, Mapping[str, str]]
    """Kiro tool name -> {renamed argument key: the client's key} (R37)."""
    thinking: ThinkingPlan
    size: int
    """Bytes as the limit counts them (attachments excluded)."""
    findings: tuple[Finding, ...] = ()
    warning: str | None = None
    """Set when history was trimmed: show it to the user (original-kiro §3.6)."""


def encode_payload(
    request: ir.Request,
    *,
    model: KiroModel,
    conversation_id: str,
    profile_arn: str | None,
    size_limit: int = DEFAULT_KIRO_PAYLOAD_LIMIT,
    overflow: Overflow = "context_error",
    signatures: Container[str] = frozenset(),
) -> KiroPayload:
    """The Kiro body for `request`.

    Args:
        model: the resolved catalogue entry (`models.resolve_model`).
        conversation_id: a UUID, made by the caller (R64).
        profile_arn: the account's ARN, or None where the endpoint does not want one (R67).
        size_limit: `Config.kiro_payload_limit`.
        overflow: `context_error` for Anthropic-dialect clients (Claude Code compacts on it),
            `trim` for the others.
        signatures: reasoning signatures Kiro issued for this account and model; only those
            are replayed as native reasoning (R51).

    Raises:
        errors.ContextTooLong: over `size_limit` with `overflow="context_error"`.
        errors.RequestTooLarge: over `size_limit` even after trimming all history.
    """
    catalogue = build_catalogue(request.tools, request.tool_choice)
    plan = plan_thinking(request, model)
    turns = to_turns(
        request.messages,
        tool_names=catalogue.kiro_names,
        property_keys=catalogue.property_keys,
        native_thinking=plan.style == "native",
        signatures=signatures,
    )
    envelope = Envelope(conversation_id, model.id, profile_arn, native_request_fields(plan))
    offered = {spec.name: catalogue.required[spec.name] for spec in catalogue.specs}
    instructions = instructions_text(request, catalogue)

    def build(kept: Sequence[Turn]) -> tuple[Json, list[Finding]]:
        repaired, found = normalize(
            tuple(kept), tools=offered, supports_images=model.supports_images
        )
        embedded = embed(repaired, instructions, plan)
        return to_wire(Conversation(embedded, catalogue.specs, envelope)), found

    repaired, found = normalize(turns, tools=offered, supports_images=model.supports_images)
    findings = (*catalogue.findings, *found)
    body = to_wire(Conversation(embed(repaired, instructions, plan), catalogue.specs, envelope))
    size = measure(body)
    warning = None
    if size > size_limit:
        if overflow == "context_error":
            raise context_error(size, size_limit, model.max_input_tokens)
        trimmed = trim_history(repaired, lambda kept: build(kept)[0], size_limit)
        body, size, warning = trimmed.body, trimmed.size, trimmed.warning
    return KiroPayload(
        body=body,
        tool_names=catalogue.client_names,
        property_keys=catalogue.property_keys,
        thinking=plan,
        size=size,
        findings=tuple(findings),
        warning=warning,
    )


def instructions_text(request: ir.Request, catalogue: Catalogue) -> str:
    """System text, then the structured-output block and tool documentation (§3.5, R31)."""
    parts = [request.system.strip()]
    if request.output_format is not None:
        parts.append(_structured_output(request.output_format))
    parts.append(catalogue.documentation)
    return join(*parts)


def embed(turns: tuple[Turn, ...], instructions: str, plan: ThinkingPlan) -> tuple[Turn, ...]:
    """Instructions before the first user turn's text (R5, R6); thinking tags before the
    current message's (R48: once, budget clamped)."""
    out = list(turns)
    if instructions:
        out[0] = dataclasses.replace(out[0], text=join(instructions, out[0].text))
    if plan.style == "tags" and THINKING_TAG not in out[-1].text:
        tags = (
            f"{THINKING_TAG}enabled</thinking_mode>\n"
            f"<max_thinking_length>{plan.budget}</max_thinking_length>\n"
        )
        out[-1] = dataclasses.replace(out[-1], text=tags + out[-1].text)
    return tuple(out)


def _structured_output(output: ir.OutputFormat) -> str:
    name = (output.name or "").strip() or "structured_output"
    return (
        f"Structured output requested ({name}). Kiro does not support native structured output, "
        "so emulate it exactly.\n"
        "Return only valid JSON that matches the requested schema. Do not include markdown "
        "fences, prose, or any text outside the JSON object.\n"
        f"JSON schema: {orjson.dumps(output.schema).decode()}"
    )
