"""The Kiro request linter (kiro-request-rules §5): check a built payload, repair what can be.

`lint_payload` parses a body (`wire`), repairs the tool catalogue (R28-R39), the conversation
(`normalize`: R1, R7-R12, R16-R26, R41-R46, R52-R55) and the envelope (R2-R4, R15, R58, R61-R64,
R70), and writes it back. Linting a linted body changes nothing. `explain_rejection` turns a
Kiro 400 into an error that names the likely cause.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from codex2claudecode import errors
from codex2claudecode.backends.kiro.models import KiroModel
from codex2claudecode.backends.kiro.normalize import join, normalize
from codex2claudecode.backends.kiro.schema import clean_schema, rename_input
from codex2claudecode.backends.kiro.size import measure
from codex2claudecode.backends.kiro.tools import alias_names, describe
from codex2claudecode.backends.kiro.turns import (
    Conversation,
    Envelope,
    Finding,
    Json,
    ToolSpec,
    Turn,
    to_wire,
)
from codex2claudecode.backends.kiro.wire import from_wire

HISTORY_CAP = 198  # R58: without a KiroIDE >= 0.6.0 version in the User-Agent
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_REQUEST_FIELDS = frozenset({"thinking", "output_config"})


@dataclass(frozen=True, slots=True)
class LintResult:
    body: Json
    findings: tuple[Finding, ...]
    tool_names: Mapping[str, str]
    """Tool names the linter changed: new name -> the name in the body it was given."""
    property_keys: Mapping[str, Mapping[str, str]]
    """Tool name -> {renamed argument key: original key}, for keys the linter renamed (R37)."""


def lint_payload(
    body: object, *, model: KiroModel | None = None, size_limit: int | None = None
) -> LintResult:
    """Check every rule on `body`; return the repaired body and the findings.

    Args:
        model: the catalogue entry, to check `modelId` (R61), images (R45) and
            `additionalModelRequestFields` (R70) against; None skips those checks.
        size_limit: the byte limit, to warn when the body is over it (R56).

    Raises:
        errors.InvalidRequest: the body cannot be repaired (no current user message, no model).
    """
    conversation, found = from_wire(body)
    specs, names, keys, docs = _repair_specs(conversation.tools, found)
    turns = _rename_uses(conversation.turns, names, keys)
    if docs:
        first = turns[0]
        turns = (dataclasses.replace(first, text=join(docs, first.text)), *turns[1:])
    offered = {s.name: _required(s) for s in specs}
    supports_images = model.supports_images if model else True
    turns, repaired = normalize(turns, tools=offered, supports_images=supports_images)
    found += repaired
    envelope = _repair_envelope(conversation, model, len(turns) - 1, found)
    fixed = to_wire(Conversation(turns, specs, envelope))
    if size_limit is not None and (size := measure(fixed)) > size_limit:
        found.append(Finding("R56", "warned", "", f"{size} bytes over the {size_limit} limit"))
    return LintResult(fixed, tuple(found), names, keys)


def _repair_specs(
    specs: tuple[ToolSpec, ...], found: list[Finding]
) -> tuple[tuple[ToolSpec, ...], dict[str, str], dict[str, Mapping[str, str]], str]:
    """R28-R31 and R34-R39 on the offered tools; (specs, renames, key maps, documentation)."""
    named = [s for s in specs if s.name]
    if len(named) != len(specs):
        found.append(Finding("R4", "repaired", "tools", "tool entries without a name dropped"))
    aliases = alias_names(s.name for s in named)
    out: list[ToolSpec] = []
    renamed: dict[str, str] = {}
    keys: dict[str, Mapping[str, str]] = {}
    docs: list[str] = []
    seen: set[str] = set()
    for spec in named:
        if spec.name in seen:
            found.append(Finding("R30", "repaired", f"tools.{spec.name}", "duplicate dropped"))
            continue
        seen.add(spec.name)
        name = aliases[spec.name]
        if name != spec.name:
            renamed[name] = spec.name
            found.append(Finding("R28", "repaired", f"tools.{spec.name}", f"renamed {name}"))
        schema, key_map = clean_schema(spec.schema)
        if schema != spec.schema:
            found.append(Finding("R35", "repaired", f"tools.{name}", "schema cleaned"))
        if key_map:
            keys[name] = key_map
        description, doc = describe(name, spec.description)
        if description != spec.description:
            found.append(Finding("R31", "repaired", f"tools.{name}", "description fixed"))
        if doc:
            docs.append(doc)
        out.append(ToolSpec(name, description, schema))
    documentation = "Tool documentation:\n" + "\n\n".join(docs) if docs else ""
    return tuple(out), renamed, keys, documentation


def _rename_uses(
    turns: tuple[Turn, ...], renamed: dict[str, str], keys: Mapping[str, Mapping[str, str]]
) -> tuple[Turn, ...]:
    if not renamed and not keys:
        return turns
    old_to_new = {old: new for new, old in renamed.items()}
    forward = {name: {old: new for new, old in m.items()} for name, m in keys.items()}
    out = []
    for turn in turns:
        uses = []
        for use in turn.tool_uses:
            name = old_to_new.get(use.name, use.name)
            arguments = rename_input(use.input, forward.get(name, {}))
            uses.append(dataclasses.replace(use, name=name, input=arguments))
        out.append(dataclasses.replace(turn, tool_uses=tuple(uses)))
    return tuple(out)


def _required(spec: ToolSpec) -> frozenset[str]:
    required = spec.schema.get("required")
    return (
        frozenset(r for r in required if isinstance(r, str))
        if isinstance(required, list)
        else frozenset()
    )


def _repair_envelope(
    conversation: Conversation, model: KiroModel | None, history: int, found: list[Finding]
) -> Envelope:
    env = conversation.envelope
    if not env.model_id and model is None:
        raise errors.InvalidRequest(
            "The Kiro request names no model (currentMessage modelId); the gateway built a "
            "broken request, please report it (R61)"
        )
    model_id = env.model_id or (model.id if model else "")
    if model is not None and model_id != model.id:
        found.append(Finding("R61", "warned", "modelId", f"{model_id} is not {model.id}"))
    conversation_id = env.conversation_id
    if not _UUID.fullmatch(conversation_id):
        conversation_id = str(uuid.uuid5(uuid.NAMESPACE_URL, conversation_id or "kiro"))
        found.append(Finding("R64", "repaired", "conversationId", "made a UUID"))
    fields = _request_fields(env.request_fields, model, found)
    if history > HISTORY_CAP:
        note = f"{history} history entries: Kiro caps at {HISTORY_CAP} unless the User-Agent "
        found.append(Finding("R58", "warned", "history", note + "carries KiroIDE >= 0.6.0"))
    return dataclasses.replace(
        env, conversation_id=conversation_id, model_id=model_id, request_fields=fields
    )


def _request_fields(
    fields: Json | None, model: KiroModel | None, found: list[Finding]
) -> Json | None:
    """R70: only what the model's schema advertises."""
    if fields is None or model is None:
        return fields
    if not model.native_thinking:
        found.append(Finding("R70", "repaired", "additionalModelRequestFields", "not supported"))
        return None
    kept = {k: v for k, v in fields.items() if k in _REQUEST_FIELDS}
    config = kept.get("output_config")
    effort = config.get("effort") if isinstance(config, dict) else None
    if config is not None and (effort not in model.efforts or not isinstance(config, dict)):
        kept.pop("output_config")
    if kept != fields:
        found.append(Finding("R70", "repaired", "additionalModelRequestFields", "trimmed"))
    return kept or None


# --------------------------------------------------------------------------- rejections

_TOO_LONG = ("PROMPT_TOO_LONG", "CONTENT_LENGTH_EXCEEDS_THRESHOLD", "input is too long")
_GENERIC_SIZE_HINT = 600_000  # R60: before April 2026 an oversize body came back generic
_CAUSES: tuple[tuple[str, str], ...] = (
    (
        "THINKING_SIGNATURE_INVALID",
        "a replayed thinking signature was refused (R51); "
        "start a new conversation or turn thinking off for this one",
    ),
    ("TOOL_CONFIG_MISSING", "the history uses tools but the request offers none (R26)"),
    ("TOOL_DUPLICATE", "two tools share a name (R30); rename one of them"),
    ("TOOL_SCHEMA_INVALID", "a tool's input schema was refused (R34-R39)"),
    ("does not support oneOf", "a tool schema has anyOf/oneOf/allOf at the top level (R36)"),
    ("TOOL_USE_RESULT_MISMATCH", "tool calls and tool results do not pair up (R16-R18)"),
    ("IMAGE_", "an image was refused (R41-R44): too large, too many or an unknown format"),
    ("image exceeds", "an image is over Kiro's 5 MiB limit (R41); attach a smaller one"),
    ("image dimensions", "an image is too large in pixels (R42); attach a smaller one"),
    ("too many images", "the conversation holds over 100 images and documents (R43)"),
    ("DOCUMENT_", "a document was refused (R46): format, name or count (at most 5)"),
    ("INVALID_MODEL_ID", "this Kiro account does not offer the model (R61); pick another"),
    ("Invalid model", "this Kiro account does not offer the model (R61); pick another"),
    ("INVALID_CONVERSATION_ID", "the conversation id is not a UUID (R64)"),
    (
        "profileArn is required",
        "this Kiro endpoint needs the account's profile ARN (R67); "
        "sign in to Kiro again so the gateway learns it",
    ),
    ("additionalModelRequestFields", "the model does not take native thinking fields (R70)"),
)


def explain_rejection(
    body: bytes, *, payload: Json | None = None, model: KiroModel | None = None
) -> errors.GatewayError:
    """The error for a Kiro HTTP 400, naming the likely cause in plain words (§5.3).

    `PROMPT_TOO_LONG` / `Input is too long.` become `errors.ContextTooLong` (Claude Code
    compacts on it, never a 5xx: R57); with `payload` the linter's measures name R56/R57/R58.
    """
    text = body.decode("utf-8", "replace")
    detail = _detail(text)
    lowered = text.lower()
    if any(marker.lower() in lowered for marker in _TOO_LONG):
        return _too_long(payload, model, detail)
    for marker, cause in _CAUSES:
        if marker.lower() in lowered:
            return errors.InvalidRequest(f"Kiro refused the request: {cause}. Kiro said: {detail}")
    hint = _lint_hint(payload, model)
    return errors.InvalidRequest(
        f"Kiro refused the request as improperly formed; {hint}. Kiro said: {detail}"
    )


def _too_long(payload: Json | None, model: KiroModel | None, detail: str) -> errors.ContextTooLong:
    """Kiro gives no numbers: the window is known, the count is left to the backend, which
    counts the request's tokens (issue 11.5); a guess from bytes would be invented."""
    window = model.max_input_tokens if model else None
    state = payload.get("conversationState") if payload is not None else None
    history = state.get("history") if isinstance(state, dict) else None
    entries = len(history) if isinstance(history, list) else 0
    if entries > HISTORY_CAP:
        cause = (
            f"the history has {entries} entries and Kiro caps it at {HISTORY_CAP} when the "
            "User-Agent carries no KiroIDE version >= 0.6.0 (R58). "
        )
    elif window is not None:
        cause = f"the conversation exceeds the model's {window}-token window (R57). "
    else:
        cause = ""
    return errors.ContextTooLong(
        f"Kiro says the input is too long: {cause}Kiro said: {detail}", limit=window
    )


def _lint_hint(payload: Json | None, model: KiroModel | None) -> str:
    if payload is None:
        return "the gateway cannot tell which part"
    try:
        findings = lint_payload(payload, model=model).findings
    except errors.InvalidRequest as exc:
        return exc.message
    if findings:
        named = ", ".join(sorted({f"{f.rule} ({f.path or 'body'})" for f in findings})[:5])
        return f"the linter still finds: {named}"
    size = measure(payload)
    if size > _GENERIC_SIZE_HINT:
        return f"the body is {size} bytes, which older Kiro endpoints refuse (R60); compact it"
    return "the gateway's checks found nothing; please report it with the request log entry"


def _detail(text: str) -> str:
    """Kiro's `message` (+ `reason`), else the body; secret-looking runs redacted, bounded."""
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        parts = [str(parsed.get(k)) for k in ("message", "Message", "reason") if parsed.get(k)]
        kind = parsed.get("__type")
        if isinstance(kind, str):
            parts.append(kind.rpartition("#")[2])
        text = " ".join(parts) or text
    return redact(text)


def redact(text: str, limit: int = 500) -> str:
    """Tokens of 24+ characters become `[redacted]` (original-kiro §7.1); at most `limit` chars."""
    text = _SECRET.sub("[redacted]", text.strip())
    return text if len(text) <= limit else text[:limit] + "...[truncated]"


# A run of 24+ token characters holding a digit: tokens, not long camelCase words.
_SECRET = re.compile(r"(?:Bearer\s+)?(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{24,}")
