"""Secret redaction for the request log: headers, bodies, paths and error text.

Runs in the writer thread, never on the request path. Header values are dropped by name;
text is scrubbed by shape: JSON or form fields named like credentials, `Bearer` tokens,
JWTs and `sk-` API keys, wherever they appear (JSON escaped inside JSON included).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"

_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "anthropic-api-key",
        "openai-api-key",
        "x-goog-api-key",
        "cookie",
        "set-cookie",
        "set-cookie2",
        "x-amz-security-token",
    }
)
_SECRET_HEADER_PARTS = ("token", "secret", "password", "api-key", "apikey", "auth")

# Field names that hold credentials: exact words and anything ending in token/secret/password
# (access_token, refreshToken, client_secret, x-api-key, ...). Numbers (`max_tokens`) are never
# matched because only string values are replaced.
_KEY = (
    r"(?:[A-Za-z0-9_.-]*?(?:token|secret|password|passwd|api[_-]?key|authorization|cookie"
    r"|credentials?|private[_-]?key|profile[_-]?arn)|access|refresh)"
)
# A JSON string field, plain ("k":"v") or escaped once inside another string (\"k\":\"v\");
# a value the body cap cut off (no closing quote) counts too.
_JSON_FIELD = re.compile(
    rf'(?P<k>"{_KEY}"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|\Z)'
    rf'|(?P<ek>\\"{_KEY}\\"\s*:\s*)\\"(?:[^"\\]|\\[^"])*(?:\\"|\Z)',
    re.IGNORECASE,
)
_FORM_FIELD = re.compile(rf"(?P<fk>(?:^|[?&\s]){_KEY}=)[^&\s\"']+", re.IGNORECASE)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[^\s\"',\\]+", re.IGNORECASE)
# `eyJ` is base64 for `{"`: a JWT, or the start of one the cap cut off.
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}")
_API_KEY = re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_-]{16,}")
# AWS access key ids and the Kiro/AWS SSO token prefixes (aoa.../aor...) in free text.
_AWS = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bao[ar][A-Za-z0-9_-]{40,}")


def redact_text(text: str) -> str:
    """`text` with every credential-shaped substring replaced by `[redacted]`."""
    text = _JSON_FIELD.sub(_json_field, text)
    text = _FORM_FIELD.sub(lambda m: m["fk"] + REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    text = _API_KEY.sub(REDACTED, text)
    return _AWS.sub(REDACTED, text)


def _json_field(match: re.Match[str]) -> str:
    if match["k"] is not None:
        return f'{match["k"]}"{REDACTED}"'
    return f'{match["ek"]}\\"{REDACTED}\\"'


def redact_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Decoded `(name, value)` pairs, names lower-cased, credential values replaced."""
    redacted = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        if name in _SECRET_HEADERS or any(part in name for part in _SECRET_HEADER_PARTS):
            value = REDACTED
        else:
            value = redact_text(raw_value.decode("latin-1"))
        redacted.append((name, value))
    return redacted


def redact_body(body: bytes) -> str:
    """A body as redacted text (UTF-8; undecodable bytes become U+FFFD)."""
    return redact_text(body.decode("utf-8", "replace"))
