"""The working model of a Kiro conversation, and its wire form (`conversationState`).

The encoder builds `Conversation`s from `ir`, the linter parses them back from a payload; both
then run the same repairs (`normalize`) before `to_wire`. Key order follows the original
(original-kiro §3.1), which matters only for byte-size measurements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import orjson

ORIGIN = "AI_EDITOR"
CHAT_TRIGGER = "MANUAL"  # R2: the enum has no AUTO

Json = dict[str, object]
Severity = Literal["repaired", "warned"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One linter observation: the rule of kiro-request-rules.md, where, and what was done."""

    rule: str
    severity: Severity
    path: str
    detail: str


@dataclass(frozen=True, slots=True)
class ToolUse:
    id: str
    name: str
    input: Json


@dataclass(frozen=True, slots=True)
class ToolResult:
    id: str
    content: tuple[Json, ...]
    """Items `{"text": str}` or `{"json": value}` (the service's union, R24)."""
    status: Literal["success", "error"] = "success"

    def text(self) -> str:
        return "\n".join(
            str(item["text"]) if "text" in item else _dumps(item.get("json"))
            for item in self.content
        )


@dataclass(frozen=True, slots=True)
class Image:
    format: str
    bytes: str


@dataclass(frozen=True, slots=True)
class Document:
    format: str
    name: str
    bytes: str


@dataclass(frozen=True, slots=True)
class Turn:
    role: Literal["user", "assistant"]
    text: str = ""
    tool_uses: tuple[ToolUse, ...] = ()
    tool_results: tuple[ToolResult, ...] = ()
    images: tuple[Image, ...] = ()
    documents: tuple[Document, ...] = ()
    reasoning: Json | None = None
    """Assistant `reasoningContent` (native thinking replay, R47 c), as sent."""

    def is_empty(self) -> bool:
        return not (
            self.text or self.tool_uses or self.tool_results or self.images or self.documents
        )


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    description: str
    schema: Json


@dataclass(frozen=True, slots=True)
class Envelope:
    conversation_id: str
    model_id: str
    profile_arn: str | None = None
    request_fields: Json | None = None
    """Top-level `additionalModelRequestFields` (native thinking, R70)."""


@dataclass(frozen=True, slots=True)
class Conversation:
    turns: tuple[Turn, ...]
    """History then the current message, which is the last turn and a user turn once normal."""
    tools: tuple[ToolSpec, ...] = ()
    envelope: Envelope = field(default_factory=lambda: Envelope("", ""))


def to_wire(conversation: Conversation) -> Json:
    """The `generateAssistantResponse` body. The conversation must be normal (`normalize`)."""
    env = conversation.envelope
    *history, current = conversation.turns
    state: Json = {
        "conversationId": env.conversation_id,
        "currentMessage": {"userInputMessage": _user(current, env.model_id, conversation.tools)},
        "chatTriggerType": CHAT_TRIGGER,
    }
    if history:
        state["history"] = [_entry(turn, env.model_id) for turn in history]
    body: Json = {"conversationState": state}
    if env.profile_arn:
        body["profileArn"] = env.profile_arn
    if env.request_fields:
        body["additionalModelRequestFields"] = env.request_fields
    return body


def _entry(turn: Turn, model_id: str) -> Json:
    if turn.role == "user":
        return {"userInputMessage": _user(turn, model_id, ())}
    message: Json = {"content": turn.text}
    if turn.tool_uses:
        message["toolUses"] = [
            {"toolUseId": use.id, "name": use.name, "input": use.input} for use in turn.tool_uses
        ]
    if turn.reasoning:
        message["reasoningContent"] = turn.reasoning
    return {"assistantResponseMessage": message}


def _user(turn: Turn, model_id: str, tools: tuple[ToolSpec, ...]) -> Json:
    message: Json = {"content": turn.text, "modelId": model_id, "origin": ORIGIN}
    context: Json = {}
    if turn.tool_results:
        context["toolResults"] = [
            {"toolUseId": r.id, "content": list(r.content), "status": r.status}
            for r in turn.tool_results
        ]
    if tools:
        context["tools"] = [
            {
                "toolSpecification": {
                    "name": spec.name,
                    "description": spec.description,
                    "inputSchema": {"json": spec.schema},
                }
            }
            for spec in tools
        ]
    if context:
        message["userInputMessageContext"] = context
    if turn.images:
        message["images"] = [
            {"format": i.format, "source": {"bytes": i.bytes}} for i in turn.images
        ]
    if turn.documents:
        message["documents"] = [
            {"format": d.format, "name": d.name, "source": {"bytes": d.bytes}}
            for d in turn.documents
        ]
    return message


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()
