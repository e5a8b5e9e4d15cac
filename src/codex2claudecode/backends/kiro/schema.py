"""Tool input schemas cleaned into what Kiro accepts (kiro-request-rules R34-R39).

Claude Code sends JSON Schema 2020-12 (`$schema`, `additionalProperties: false`,
`propertyNames`, ...). The clean-up is idempotent: cleaning a cleaned schema changes nothing.
"""

from __future__ import annotations

import hashlib
import re

Json = dict[str, object]

EMPTY_OBJECT: Json = {"type": "object", "properties": {}}
_MAX_REF_DEPTH = 5
_PROPERTY_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_NOT_IN_KEY = re.compile(r"[^A-Za-z0-9_.-]")
# R35 (contested: removing is safe under both readings) and R39 (exotic keywords). `$schema`
# is no cause of rejection (R39), but it is dead weight in every request.
_DROPPED = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$anchor",
        "$dynamicAnchor",
        "$dynamicRef",
        "additionalProperties",
        "propertyNames",
        "patternProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "dependentSchemas",
        "dependentRequired",
        "if",
        "then",
        "else",
        "format",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
    }
)
_UNIONS = ("anyOf", "oneOf", "allOf")


def clean_schema(schema: object) -> tuple[Json, dict[str, str]]:
    """A Kiro-safe copy of a tool's input schema, and the property keys renamed (new -> old).

    The top level becomes an object schema (R34); a top-level union is merged into one object
    (R36); `additionalProperties`, empty `required` and exotic keywords go (R35, R39); bad
    property keys are renamed at every level (R37); local `$ref`s are inlined (R38).
    """
    if not isinstance(schema, dict):
        return dict(EMPTY_OBJECT), {}
    defs = _definitions(schema)
    renamed: dict[str, str] = {}
    top = _merge_union(schema) if any(k in schema for k in _UNIONS) else schema
    cleaned = _clean(top, defs, renamed, 0)
    if cleaned.get("type") != "object":
        cleaned["type"] = "object"
    if not isinstance(cleaned.get("properties"), dict):
        cleaned["properties"] = {}
    _fix_required(cleaned)
    return cleaned, renamed


def rename_input(value: Json, forward: dict[str, str]) -> Json:
    """A tool-use input with its keys renamed as the schema's were (old -> new), at every level."""
    if not forward:
        return value
    return {forward.get(k, k): _rename_any(v, forward) for k, v in value.items()}


def _rename_any(value: object, forward: dict[str, str]) -> object:
    if isinstance(value, dict):
        return rename_input(value, forward)
    if isinstance(value, list):
        return [_rename_any(v, forward) for v in value]
    return value


def _definitions(schema: Json) -> Json:
    defs: Json = {}
    for key in ("definitions", "$defs"):
        found = schema.get(key)
        if isinstance(found, dict):
            defs.update(found)
    return defs


def _merge_union(schema: Json) -> Json:
    """R36: a top-level `anyOf`/`oneOf`/`allOf` of objects becomes one object schema.

    Properties merge; `required` keeps what every `anyOf`/`oneOf` variant and any `allOf`
    member requires.
    """
    merged: Json = {k: v for k, v in schema.items() if k not in _UNIONS}
    own = merged.get("properties")
    properties: Json = dict(own) if isinstance(own, dict) else {}
    some_of: set[str] | None = None
    all_of: set[str] = set()
    for union in _UNIONS:
        variants = schema.get(union)
        for variant in variants if isinstance(variants, list) else []:
            if not isinstance(variant, dict):
                continue
            props = variant.get("properties")
            if isinstance(props, dict):
                for key, sub in props.items():
                    properties.setdefault(key, sub)
            names = _strings(variant.get("required"))
            if union == "allOf":
                all_of |= names
            else:
                some_of = names if some_of is None else some_of & names
    merged["type"] = "object"
    merged["properties"] = properties
    merged["required"] = sorted(_strings(merged.get("required")) | all_of | (some_of or set()))
    return merged


def _strings(value: object) -> set[str]:
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def _clean(node: Json, defs: Json, renamed: dict[str, str], depth: int) -> Json:
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = _resolve(ref, defs)
        if target is None or depth >= _MAX_REF_DEPTH:
            note = f"(schema reference {ref} not expanded)"
            return {"type": "object", "description": note}
        return _clean(target, defs, renamed, depth + 1)
    out: Json = {}
    local: dict[str, str] = {}
    for key, value in node.items():
        if key in _DROPPED or key in ("definitions", "$defs", "$ref"):
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "properties" and isinstance(value, dict):
            out[key] = _properties(value, defs, renamed, local, depth)
        elif key in ("items", "not", "contains") and isinstance(value, dict):
            out[key] = _clean(value, defs, renamed, depth)
        elif key in (*_UNIONS, "prefixItems", "items") and isinstance(value, list):
            out[key] = [
                _clean(v, defs, renamed, depth) if isinstance(v, dict) else v for v in value
            ]
        else:
            out[key] = value
    if "properties" in out or "required" in out:
        _fix_required(out, local)
    return out


def _properties(
    props: Json, defs: Json, renamed: dict[str, str], local: dict[str, str], depth: int
) -> Json:
    out: Json = {}
    for key, sub in props.items():
        new_key = key if _PROPERTY_KEY.fullmatch(key) else _safe_key(key, props, out)
        if new_key != key:
            renamed[new_key] = key
            local[key] = new_key
        out[new_key] = _clean(sub, defs, renamed, depth) if isinstance(sub, dict) else {}
    return out


def _safe_key(key: str, siblings: Json, taken: Json) -> str:
    """R37: `$expand` -> `dollar_expand`; other bad characters -> `_`; at most 64 characters."""
    base = ("dollar_" + key[1:] if key.startswith("$") else key) or "property"
    base = _NOT_IN_KEY.sub("_", base)
    if len(base) > 64:
        base = base[:55] + "_" + hashlib.sha256(key.encode()).hexdigest()[:8]
    candidate, n = base, 2
    while candidate in siblings or candidate in taken:
        candidate, n = f"{base[:60]}_{n}", n + 1
    return candidate


def _fix_required(node: Json, local: dict[str, str] | None = None) -> None:
    """`required` as a non-empty list of strings naming existing properties (R34, R35)."""
    required = node.get("required")
    props = node.get("properties")
    if isinstance(required, list):
        names = [(local or {}).get(r, r) for r in required if isinstance(r, str)]
        if isinstance(props, dict):
            names = [r for r in names if r in props]
        if names:
            node["required"] = list(dict.fromkeys(names))
            return
    node.pop("required", None)


def _resolve(ref: str, defs: Json) -> Json | None:
    for prefix in ("#/$defs/", "#/definitions/"):
        if ref.startswith(prefix):
            target = defs.get(ref[len(prefix) :])
            return target if isinstance(target, dict) else None
    return None
