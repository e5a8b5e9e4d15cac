"""The tool catalogue sent on the current message: names, descriptions and schemas Kiro accepts.

Names are aliased reversibly (R28-R30): `Catalogue.client_names` maps each name Kiro will use in
a tool call back to the client's. Long descriptions move into the system prompt (R31).
`tool_choice` is emulated by narrowing the list (R2, R27).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from codex2claudecode import ir
from codex2claudecode.backends.kiro.schema import clean_schema
from codex2claudecode.backends.kiro.turns import Finding, ToolSpec

MAX_NAME = 63  # R29: 64 is the documented cap; one peer fixed an error above 63
MAX_DESCRIPTION_BYTES = 10_000  # R31 (UTF-8 bytes; peers use 9,216 to 10,240)
_VALID_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True, slots=True)
class Catalogue:
    specs: tuple[ToolSpec, ...]
    """What the current message offers (after `tool_choice` narrowing)."""
    client_names: Mapping[str, str]
    """Kiro tool name -> the client's name, for every declared tool."""
    kiro_names: Mapping[str, str]
    """The client's name -> Kiro tool name."""
    property_keys: Mapping[str, Mapping[str, str]]
    """Kiro tool name -> {renamed property key: client's key} (R37); only tools with renames."""
    required: Mapping[str, frozenset[str]]
    """Kiro tool name -> top-level required keys, to check replayed inputs (R21)."""
    documentation: str = ""
    """`Tool documentation:` section for the system prompt, or empty (R31)."""
    findings: tuple[Finding, ...] = ()


def build_catalogue(tools: Sequence[ir.Tool], choice: ir.ToolChoice | None) -> Catalogue:
    """The catalogue for a request's tools and tool choice."""
    names = alias_names(t.name for t in tools)
    findings = [
        Finding("R28", "repaired", f"tools.{t.name}", f"tool name sent as {names[t.name]}")
        for t in tools
        if names[t.name] != t.name
    ]
    specs: list[ToolSpec] = []
    keys: dict[str, Mapping[str, str]] = {}
    required: dict[str, frozenset[str]] = {}
    docs: list[str] = []
    for tool in tools:
        name = names[tool.name]
        schema, renamed = clean_schema(tool.input_schema)
        if renamed:
            keys[name] = renamed
        required[name] = frozenset(r for r in schema.get("required", []) if isinstance(r, str))  # type: ignore[attr-defined]
        description, doc = describe(name, tool.description)
        if doc:
            docs.append(doc)
        specs.append(ToolSpec(name, description, schema))
    kept, narrowed = _narrow(specs, choice, names)
    findings.extend(narrowed)
    documentation = "Tool documentation:\n" + "\n\n".join(docs) if docs else ""
    return Catalogue(
        specs=tuple(kept),
        client_names={kiro: client for client, kiro in names.items()},
        kiro_names=names,
        property_keys=keys,
        required=required,
        documentation=documentation,
        findings=tuple(findings),
    )


def describe(name: str, description: str | None) -> tuple[str, str]:
    """(spec description, documentation entry or ""): non-empty, at most 10,000 bytes (R31)."""
    text = (description or "").strip()
    if not text:
        return f"Tool: {name}", ""
    if len(text.encode()) <= MAX_DESCRIPTION_BYTES:
        return text, ""
    return f"See system prompt for full documentation for {name}.", f"Tool {name}:\n{text}"


def kiro_tool_name(name: str) -> str:
    """A name Kiro accepts: `^[A-Za-z][A-Za-z0-9_]*$`, at most 63 characters (R28, R29)."""
    if _VALID_NAME.fullmatch(name) and len(name) <= MAX_NAME:
        return name
    safe = _NOT_IN_NAME.sub("_", name)
    if not safe[:1].isalpha() or not safe[:1].isascii():
        safe = "t_" + safe
    if len(safe) > MAX_NAME:
        safe = safe[:54] + "_" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return safe


def alias_names(names: Iterable[str]) -> dict[str, str]:
    """Client name -> Kiro name, unique case-insensitively (R30); the first keeps its name."""
    aliases: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        if name in aliases:
            continue
        base = kiro_tool_name(name)
        candidate, n = base, 2
        while candidate.lower() in taken:
            suffix = f"_{n}"
            candidate, n = base[: MAX_NAME - len(suffix)] + suffix, n + 1
        taken.add(candidate.lower())
        aliases[name] = candidate
    return aliases


def _narrow(
    specs: list[ToolSpec], choice: ir.ToolChoice | None, names: Mapping[str, str]
) -> tuple[list[ToolSpec], list[Finding]]:
    if choice is None or choice.mode == "auto" or not specs:
        return specs, []
    if choice.mode == "none":
        return [], [Finding("R69", "warned", "tool_choice", "none: no tools offered to Kiro")]
    if choice.mode == "any":
        note = "any: Kiro cannot force a tool call; all tools offered"
        return specs, [Finding("R69", "warned", "tool_choice", note)]
    wanted = names.get(choice.name or "")
    kept = [spec for spec in specs if spec.name == wanted]
    note = f"tool {choice.name}: Kiro has no named tool choice; only that tool offered"
    return kept, [Finding("R27", "warned", "tool_choice", note)]
