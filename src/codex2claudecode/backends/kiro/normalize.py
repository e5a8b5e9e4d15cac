"""The structural repairs every Kiro conversation goes through (kiro-request-rules §5.2, 2-6).

Used by the encoder on freshly converted turns and by the linter on a parsed payload, so both
produce the same shape. Each repair records a `Finding`; a normal conversation comes out
unchanged with no findings (idempotent).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import Mapping

import orjson

from codex2claudecode.backends.kiro.media import repair_media
from codex2claudecode.backends.kiro.turns import Finding, Json, ToolResult, ToolUse, Turn

# Pads the official client uses; R13 warns against "." or "Continue" in assistant turns.
PAD_USER = "Continue"
PAD_ASSISTANT = "understood"
PAD_TOOL_RESULTS = "Tool results provided."
PAD_IMAGES = "Please analyze the attached image."
EMPTY_RESULT = "(empty result)"
CANCELLED = "Tool use was cancelled by the user"
MAX_TEXT_CHARS = 400_000  # R55: the official client's cap, under the service's 600k / 800k

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_BAD_CHARS = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\ufeff]")  # R52, R53


def normalize(
    turns: tuple[Turn, ...],
    *,
    tools: Mapping[str, frozenset[str]],
    supports_images: bool = True,
) -> tuple[tuple[Turn, ...], list[Finding]]:
    """Repair `turns` (history then current) into a conversation Kiro accepts.

    Args:
        turns: user/assistant turns in order.
        tools: the tools offered on the current message -> their required top-level keys.
        supports_images: False for text-only models (R45).
    """
    found: list[Finding] = []
    work = [_hygiene(turn, i, found) for i, turn in enumerate(turns)]
    work = _unique_ids(work, found)
    work = repair_media(work, supports_images, found)
    work = _narrate_unusable(work, tools, found)
    work = _fold(work, found)
    work = _pair(work, found)
    work = [_fill(turn, i, found) for i, turn in enumerate(work)]
    return tuple(work), found


def tool_use_id(raw: str) -> str:
    """`raw` if Kiro accepts it as a tool-use id (R19), else a stable 40-character stand-in."""
    if _ID.fullmatch(raw):
        return raw
    digest = base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest()).decode()
    return "tooluse_" + digest[:32]


def narrate_use(use: ToolUse) -> str:
    return f"[Tool: {use.name} ({use.id})]\n{orjson.dumps(use.input).decode()}"


def narrate_result(result: ToolResult) -> str:
    return f"[Tool Result ({result.id})]\n{result.text() or EMPTY_RESULT}"


def join(*texts: str) -> str:
    return "\n\n".join(t for t in texts if t)


# --------------------------------------------------------------------------- text hygiene


def clean_text(text: str) -> str:
    """R52/R53 characters removed; whitespace-only text becomes empty (R12)."""
    if _BAD_CHARS.search(text):
        text = _BAD_CHARS.sub("", text)
    return text if text.strip() else ""


def _cap(text: str, what: str, path: str, found: list[Finding]) -> str:
    if len(text) <= MAX_TEXT_CHARS:
        return text
    omitted = len(text) - MAX_TEXT_CHARS
    found.append(Finding("R55", "repaired", path, f"{what}: {omitted} middle characters cut"))
    half = MAX_TEXT_CHARS // 2
    return (
        f"{text[:half]}\n\n[... {omitted} characters omitted by the gateway ...]\n\n{text[-half:]}"
    )


def _hygiene(turn: Turn, index: int, found: list[Finding]) -> Turn:
    path = f"messages.{index}"
    text = _cap(clean_text(turn.text), "text", path, found)
    uses = tuple(dataclasses.replace(u, input=_clean_input(u.input)) for u in turn.tool_uses)
    results = tuple(_clean_result(r, path, found) for r in turn.tool_results)
    if turn.text and not turn.text.strip():
        found.append(Finding("R12", "repaired", path, "whitespace-only text emptied"))
    elif _BAD_CHARS.search(turn.text):
        found.append(Finding("R52", "repaired", path, "invalid characters removed from text"))
    if uses != turn.tool_uses:
        found.append(Finding("R22", "repaired", path, "empty keys or bad characters in input"))
    return dataclasses.replace(turn, text=text, tool_uses=uses, tool_results=results)


def _clean_input(value: Json) -> Json:
    return {k: _clean_value(v) for k, v in value.items() if k != ""}  # R22


def _clean_value(value: object) -> object:
    if isinstance(value, str):
        return _BAD_CHARS.sub("", value) if _BAD_CHARS.search(value) else value
    if isinstance(value, dict):
        return _clean_input(value)
    if isinstance(value, list):
        return [_clean_value(v) for v in value]
    return value


def _clean_result(result: ToolResult, path: str, found: list[Finding]) -> ToolResult:
    items: list[Json] = []
    for item in result.content:
        if "json" in item:
            items.append({"json": _clean_value(item["json"])})
        elif text := clean_text(str(item.get("text", ""))):
            items.append({"text": _cap(text, "tool result", path, found)})
    if not items:
        items = [{"text": EMPTY_RESULT}]  # R23
    if items != list(result.content):
        found.append(Finding("R23", "repaired", path, f"tool result {result.id} content fixed"))
    return dataclasses.replace(result, content=tuple(items))


# --------------------------------------------------------------------------- tool ids


def _unique_ids(turns: list[Turn], found: list[Finding]) -> list[Turn]:
    """R19 id format; R18 no id used twice (a repeat is renamed together with its result)."""
    seen: set[str] = set()
    out: list[Turn] = []
    pending: dict[str, str] = {}  # old id -> new id, for the results of the turn that follows
    for index, turn in enumerate(turns):
        results = []
        for r in turn.tool_results:
            new = pending.pop(r.id, None) or tool_use_id(r.id)
            results.append(r if new == r.id else dataclasses.replace(r, id=new))
        uses = []
        for use in turn.tool_uses:
            new = tool_use_id(use.id)
            if new in seen:
                repeat = 0
                while new in seen:  # a turn may repeat an id more than once
                    repeat += 1
                    new = tool_use_id(f"{use.id}#{index}.{repeat}")
                pending[use.id] = new
                found.append(Finding("R18", "repaired", f"messages.{index}", f"{use.id} reused"))
            elif new != use.id:
                found.append(Finding("R19", "repaired", f"messages.{index}", f"{use.id} -> {new}"))
            seen.add(new)
            uses.append(use if new == use.id else dataclasses.replace(use, id=new))
        if turn.role == "user":
            pending.clear()
        out.append(dataclasses.replace(turn, tool_uses=tuple(uses), tool_results=tuple(results)))
    return out


# --------------------------------------------------------------------------- structure


def _narrate_unusable(
    turns: list[Turn], tools: Mapping[str, frozenset[str]], found: list[Finding]
) -> list[Turn]:
    """Tool uses Kiro would refuse become text, with their results (R26, R27, R21)."""
    narrated: set[str] = set()
    out: list[Turn] = []
    for index, turn in enumerate(turns):
        keep, texts = [], []
        for use in turn.tool_uses:
            required = tools.get(use.name)
            if required is None or not required <= use.input.keys():
                rule, why = ("R26", "tool not offered") if required is None else ("R21", "input")
                found.append(Finding(rule, "repaired", f"messages.{index}", f"{use.name}: {why}"))
                narrated.add(use.id)
                texts.append(narrate_use(use))
            else:
                keep.append(use)
        results = [r for r in turn.tool_results if r.id not in narrated]
        texts += [narrate_result(r) for r in turn.tool_results if r.id in narrated]
        if texts or len(keep) != len(turn.tool_uses):
            turn = dataclasses.replace(
                turn,
                text=join(turn.text, *texts),
                tool_uses=tuple(keep),
                tool_results=tuple(results),
            )
        out.append(turn)
    return out


def _fold(turns: list[Turn], found: list[Finding]) -> list[Turn]:
    """Drop empty turns (R9), merge same-role neighbours (R8), start and end on user (R7, R1)."""
    out: list[Turn] = []
    for index, turn in enumerate(turns):
        if turn.is_empty() and not turn.reasoning:
            found.append(Finding("R9", "repaired", f"messages.{index}", "empty message dropped"))
            continue
        if out and out[-1].role == turn.role:
            found.append(Finding("R8", "repaired", f"messages.{index}", f"{turn.role} merged"))
            out[-1] = _merge(out[-1], turn)
            continue
        out.append(turn)
    if out and out[0].role == "assistant":
        found.append(Finding("R7", "repaired", "messages.0", "user turn put before assistant"))
        out.insert(0, Turn("user", PAD_USER))
    if not out or out[-1].role == "assistant":
        found.append(Finding("R1", "repaired", "currentMessage", "user turn added after assistant"))
        out.append(Turn("user", PAD_USER))
    return out


def _merge(a: Turn, b: Turn) -> Turn:
    return Turn(
        role=a.role,
        text=join(a.text, b.text),
        tool_uses=a.tool_uses + b.tool_uses,
        tool_results=a.tool_results + b.tool_results,
        images=a.images + b.images,
        documents=a.documents + b.documents,
        reasoning=a.reasoning or b.reasoning,
    )


def _pair(turns: list[Turn], found: list[Finding]) -> list[Turn]:
    """R16: results answer the previous assistant's uses; R17: every use gets an answer."""
    out = list(turns)
    for index, turn in enumerate(out):
        if turn.role != "user":
            continue
        previous = out[index - 1] if index else None
        asked = [u.id for u in previous.tool_uses] if previous else []
        kept: dict[str, ToolResult] = {}
        orphans: list[str] = []
        for result in turn.tool_results:
            if result.id in asked and result.id not in kept:
                kept[result.id] = result
            else:
                orphans.append(narrate_result(result))
                found.append(Finding("R16", "repaired", f"messages.{index}", result.id))
        for missing in (i for i in asked if i not in kept):
            found.append(Finding("R17", "repaired", f"messages.{index}", f"{missing} answered"))
            kept[missing] = ToolResult(missing, ({"text": CANCELLED},), "error")
        if orphans or len(kept) != len(turn.tool_results):
            out[index] = dataclasses.replace(
                turn, text=join(turn.text, *orphans), tool_results=tuple(kept.values())
            )
    return out


def _fill(turn: Turn, index: int, found: list[Finding]) -> Turn:
    """Non-empty, non-imitable content for every turn (R10, R11, R13)."""
    if turn.text:
        return turn
    if turn.role == "assistant":
        pad = PAD_ASSISTANT
    elif turn.tool_results:
        pad = PAD_TOOL_RESULTS
    elif turn.images or turn.documents:
        pad = PAD_IMAGES
    else:
        pad = PAD_USER
    found.append(
        Finding("R11" if turn.role == "user" else "R10", "repaired", f"messages.{index}", pad)
    )
    return dataclasses.replace(turn, text=pad)
