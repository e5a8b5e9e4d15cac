"""A Kiro body parsed back into the working model, for the linter (kiro-request-rules §1).

Only the members the service declares are read (R4 allow-list); anything else, nulls and empty
containers (R3), history tools (R15) and a non-MANUAL trigger (R2) are noted as repaired,
because `turns.to_wire` will not write them back. A body without a current user message cannot
be repaired and raises.
"""

from __future__ import annotations

from typing import Literal

from codex2claudecode import errors
from codex2claudecode.backends.kiro.turns import (
    CHAT_TRIGGER,
    ORIGIN,
    Conversation,
    Document,
    Envelope,
    Finding,
    Image,
    Json,
    ToolResult,
    ToolSpec,
    ToolUse,
    Turn,
)

_TOP = {"conversationState", "profileArn", "additionalModelRequestFields"}
_STATE = {"conversationId", "currentMessage", "chatTriggerType", "history"}
_USER = {"content", "modelId", "origin", "userInputMessageContext", "images", "documents"}
_CONTEXT = {"toolResults", "tools"}
_ASSISTANT = {"content", "toolUses", "reasoningContent"}


def from_wire(body: object) -> tuple[Conversation, list[Finding]]:
    """The conversation a body describes, and what reading it had to drop or fix.

    Raises:
        errors.InvalidRequest: the body has no `conversationState.currentMessage.userInputMessage`.
    """
    found: list[Finding] = []
    state = body.get("conversationState") if isinstance(body, dict) else None
    current = state.get("currentMessage") if isinstance(state, dict) else None
    user = current.get("userInputMessage") if isinstance(current, dict) else None
    if not isinstance(body, dict) or not isinstance(state, dict) or not isinstance(user, dict):
        raise errors.InvalidRequest(
            "The Kiro request has no current user message (conversationState.currentMessage."
            "userInputMessage); the gateway built a broken request, please report it (R1)"
        )
    _extra(body, _TOP, "", found)
    _extra(state, _STATE, "conversationState", found)
    if state.get("chatTriggerType") != CHAT_TRIGGER:
        found.append(Finding("R2", "repaired", "chatTriggerType", "set to MANUAL"))
    history = state.get("history")
    if history == [] or (history is not None and not isinstance(history, list)):
        found.append(Finding("R3", "repaired", "history", "empty or invalid history dropped"))
    turns: list[Turn] = []
    for index, entry in enumerate(history if isinstance(history, list) else []):
        path = f"history.{index}"
        if isinstance(entry, dict) and isinstance(entry.get("userInputMessage"), dict):
            turns.append(_user(entry["userInputMessage"], path, found, history=True)[0])
        elif isinstance(entry, dict) and isinstance(entry.get("assistantResponseMessage"), dict):
            turns.append(_assistant(entry["assistantResponseMessage"], path, found))
        else:
            found.append(Finding("R4", "repaired", path, "entry neither user nor assistant"))
    last, tools = _user(user, "currentMessage", found, history=False)
    turns.append(last)
    model_id = user.get("modelId")
    arn = body.get("profileArn")
    fields = body.get("additionalModelRequestFields")
    envelope = Envelope(
        conversation_id=str(state.get("conversationId") or ""),
        model_id=model_id if isinstance(model_id, str) else "",
        profile_arn=arn if isinstance(arn, str) and arn else None,
        request_fields=fields if isinstance(fields, dict) and fields else None,
    )
    return Conversation(tuple(turns), tools, envelope), found


def _extra(obj: Json, allowed: set[str], path: str, found: list[Finding]) -> None:
    for key, value in obj.items():
        where = f"{path}.{key}".lstrip(".")
        if key not in allowed:
            found.append(Finding("R4", "repaired", where, "member the service does not declare"))
        elif value is None or value == [] or value == {}:
            found.append(Finding("R3", "repaired", where, "null or empty member dropped"))


def _user(
    message: Json, path: str, found: list[Finding], *, history: bool
) -> tuple[Turn, tuple[ToolSpec, ...]]:
    _extra(message, _USER, path, found)
    if message.get("origin") != ORIGIN:
        found.append(Finding("R63", "repaired", f"{path}.origin", f"set to {ORIGIN}"))
    context = message.get("userInputMessageContext")
    context = context if isinstance(context, dict) else {}
    _extra(context, _CONTEXT, f"{path}.userInputMessageContext", found)
    results = tuple(_result(r) for r in _list(context.get("toolResults")) if isinstance(r, dict))
    specs = tuple(_spec(t) for t in _list(context.get("tools")) if isinstance(t, dict))
    if history and specs:
        found.append(Finding("R15", "repaired", path, "tools removed from a history entry"))
        specs = ()
    images = tuple(
        Image(str(i.get("format") or ""), str(_source(i)))
        for i in _list(message.get("images"))
        if isinstance(i, dict)
    )
    documents = tuple(
        Document(str(d.get("format") or ""), str(d.get("name") or ""), str(_source(d)))
        for d in _list(message.get("documents"))
        if isinstance(d, dict)
    )
    text = message.get("content")
    turn = Turn("user", text if isinstance(text, str) else "", (), results, images, documents)
    return turn, specs


def _assistant(message: Json, path: str, found: list[Finding]) -> Turn:
    _extra(message, _ASSISTANT, path, found)
    uses = []
    for use in _list(message.get("toolUses")):
        if not isinstance(use, dict):
            continue
        arguments = use.get("input")
        if not isinstance(arguments, dict):
            found.append(Finding("R20", "repaired", path, "tool input made an object"))
            arguments = {}
        uses.append(ToolUse(str(use.get("toolUseId") or ""), str(use.get("name") or ""), arguments))
    text = message.get("content")
    reasoning = message.get("reasoningContent")
    return Turn(
        "assistant",
        text if isinstance(text, str) else "",
        tuple(uses),
        reasoning=reasoning if isinstance(reasoning, dict) and reasoning else None,
    )


def _result(result: Json) -> ToolResult:
    items: list[Json] = []
    for item in _list(result.get("content")):
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            items.append({"text": item["text"]})
        elif isinstance(item, dict) and "json" in item:
            items.append({"json": item["json"]})
    status: Literal["success", "error"] = (
        "error" if result.get("status") == "error" else "success"  # R25
    )
    return ToolResult(str(result.get("toolUseId") or ""), tuple(items), status)


def _spec(tool: Json) -> ToolSpec:
    spec = tool.get("toolSpecification")
    spec = spec if isinstance(spec, dict) else {}
    schema = spec.get("inputSchema")
    inner = schema.get("json") if isinstance(schema, dict) else None
    description = spec.get("description")
    return ToolSpec(
        str(spec.get("name") or ""),
        description if isinstance(description, str) else "",
        inner if isinstance(inner, dict) else {},
    )


def _source(item: Json) -> object:
    source = item.get("source")
    return source.get("bytes", "") if isinstance(source, dict) else ""


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
