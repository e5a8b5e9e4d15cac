"""Codex reasoning state packed into an Anthropic thinking signature, and back.

The signature (or a `redacted_thinking` block's data) reaches the client, which echoes it
verbatim next turn; unpacking it restores the encrypted reasoning item the model needs to see
again (pitfall #19: function calls without their reasoning item are rejected).
"""

from __future__ import annotations

import base64
import binascii

import orjson

PREFIX = "c2cc-rs1-"
"""Marks a signature as ours; the digit is the format version."""


def pack_reasoning(item_id: str, encrypted_content: str) -> str:
    """A signature holding a reasoning item's id and encrypted content (base64url characters)."""
    raw = orjson.dumps([item_id, encrypted_content])
    return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unpack_reasoning(signature: str) -> tuple[str, str] | None:
    """`(item_id, encrypted_content)`, or None for a signature `pack_reasoning` did not make."""
    if not signature.startswith(PREFIX):
        return None
    body = signature[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, ValueError):
        return None
    match value:
        case [str(item_id), str(encrypted_content)]:
            return item_id, encrypted_content
        case _:
            return None
