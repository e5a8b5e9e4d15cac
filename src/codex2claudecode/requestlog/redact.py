"""Secret redaction for the request log: headers, bodies, paths and error text.

Runs in the writer thread, never on the request path. Header values are dropped by name;
text is scrubbed by shape: JSON fields named like credentials (also JSON escaped inside a JSON
string, and a value cut off by the body cap), form and query fields, `Bearer` tokens, JWTs,
`sk-` API keys and AWS key ids and SSO tokens, wherever they appear.

Bodies are scanned as bytes, one pattern per pass, each pass skipped unless a cheap test (one
search of the reversed body for a credential-named field, memchr on a rare byte of a shape)
says it could match: about 0.3 ms for a 64 KiB stream, 0.45 ms for a 64 KiB request. Every
skipped pass would have changed nothing, so the output is exactly that of running them all
(tests/requestlog/test_redact_oracle.py holds the reference). `pause` lets the writer hand the
GIL to the event loop between passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

REDACTED = "[redacted]"
_REDACTED = REDACTED.encode()

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

# A field is a credential when its name ends with one of these (access_token, refreshToken,
# client_secret, x-api-key, ...). Only string values are replaced, so `max_tokens` stays.
_SECRET_NAME_ENDINGS = tuple(
    word.encode()
    for word in (
        "token",
        "secret",
        "password",
        "passwd",
        "apikey",
        "api_key",
        "api-key",
        "authorization",
        "cookie",
        "credential",
        "credentials",
        "private_key",
        "profilearn",
        "access",
        "refresh",
    )
)

# "name": "value" -- the value unrolled ([^"\\]* runs) for speed; no closing quote = cut by the cap.
_JSON_FIELD = re.compile(rb'"([A-Za-z0-9_.-]{1,64})"\s*:\s*"[^"\\]*(?:\\.[^"\\]*)*(?:"|\Z)')
# The same, JSON-escaped inside a JSON string: \"name\": \"value\".
_ESCAPED_FIELD = re.compile(
    rb'\\"([A-Za-z0-9_.-]{1,64})\\"\s*:\s*\\"[^"\\]*(?:\\[^"][^"\\]*)*(?:\\"|\Z)'
)
# Only the names: most bodies have no credential-named field, and listing the names in C is
# about three times cheaper than a substitution that calls back into Python for every field.
_JSON_NAME = re.compile(rb'"([A-Za-z0-9_.-]{1,64})"\s*:\s*"')
_ESCAPED_NAME = re.compile(rb'\\"([A-Za-z0-9_.-]{1,64})\\"\s*:\s*\\"')
# JSON and SSE bodies carry no form fields; skipping them saves a slow pass (\s leads it).
_STRUCTURED = re.compile(rb"\s*(?:[{\[]|event:|data:|:)")
_FORM_FIELD = re.compile(rb"(^|[?&;\s])([A-Za-z0-9_.-]{1,64})=[^&\s\"']+")
# Led by [Bb], not by the cheaper literal "earer": a match starting inside another word
# ("wearer xyzBearer <token>") would swallow the real "Bearer" and leave its token in the log.
_BEARER = re.compile(rb"([Bb])earer[ \t]+[A-Za-z0-9._~+/=-]{8,}")


# A credential-named field in `data.lower()[::-1]`: the colon, the quote (and, JSON escaped, its
# backslash), then the name's ending reversed. A search here is much cheaper than listing every
# field name (colons are rarer than quotes), so most bodies skip the field passes outright.
def _prefix_tree(words: list[bytes]) -> bytes:
    """An alternation matching exactly `words`, factored by first byte: `re` then tries one
    branch per byte instead of every word (the gate below runs at every field: ~25 % faster)."""
    if b"" in words:
        return b"" if len(words) == 1 else b"(?:" + _prefix_tree(sorted(set(words) - {b""})) + b")?"
    branches: dict[bytes, list[bytes]] = {}
    for word in words:
        branches.setdefault(word[:1], []).append(word[1:])
    parts = [re.escape(first) + _prefix_tree(rest) for first, rest in sorted(branches.items())]
    return parts[0] if len(parts) == 1 else b"(?:" + b"|".join(parts) + b")"


_SECRET_FIELD_REVERSED = re.compile(
    rb':\s*"\\?' + _prefix_tree([word[::-1] for word in _SECRET_NAME_ENDINGS])
)
_SHAPES = (  # (how to tell cheaply that the shape may be there, the shape)
    ((b"eyJ", 2), re.compile(rb"eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}")),  # JWT: '{"'
    ((b"sk-", 2), re.compile(rb"sk-[A-Za-z0-9_-]{16,}")),  # OpenAI and Anthropic API keys
    (None, re.compile(rb"A[KS]IA[0-9A-Z]{16}")),  # AWS access key ids
    (None, re.compile(rb"ao[ar][A-Za-z0-9_-]{40,}")),  # AWS SSO tokens (Kiro)
    # SigV4 presigned-URL parts, wherever a URL lands (inside JSON the form pass is skipped);
    # AWS spells them so, and a literal lead keeps the pass fast.
    ((b"X-Amz-", 0), re.compile(rb"X-Amz-(?:Signature|Security-Token|Credential)=[^&\s\"'\\]+")),
)
"""A shape with a byte rare in bodies is looked for by memchr on that byte (a substring test of
more than one byte is some 50 times slower: ~45 µs on 64 KiB); the others by searching for the
shape itself, cheaper than two substring tests. Either skips the pass, and its GIL hand-over,
for most bodies."""

_SHORT = 512
"""Up to this many bytes (header values, paths, small bodies) one search tells whether any pass
could match at all: cheaper than the passes' own tests, which each cost a call."""
_ANY_PASS = re.compile(rb'"\s*:|=|earer|eyJ|sk-|A[KS]IA|ao[ar]|X-Amz-')
"""What each pass needs to match: a JSON field, a form field, `Bearer`, or a shape's lead."""

_PROBES = 32
"""Occurrences of the rare byte checked one by one before a plain substring search takes over."""


def redact_bytes(data: bytes, pause: Callable[[], object] | None = None) -> bytes:
    """`data` with every credential-shaped part replaced by `[redacted]`.

    Args:
        pause: called between passes (the writer yields the GIL there, so that no stretch
            of this holds it for more than about a quarter of a millisecond on 64 KiB).
    """
    if len(data) <= _SHORT and not _ANY_PASS.search(data):
        return data
    if _SECRET_FIELD_REVERSED.search(data.lower()[::-1]):
        if _any_secret_name(_JSON_NAME.findall(data)):
            data = _JSON_FIELD.sub(_json_field, data)
        if b'\\"' in data and _any_secret_name(_ESCAPED_NAME.findall(data)):
            data = _ESCAPED_FIELD.sub(_escaped_field, data)
    if b"=" in data and not _STRUCTURED.match(data):
        data = _FORM_FIELD.sub(_form_field, data)
    if pause is not None:
        pause()
    if b"earer" in data:
        data = _BEARER.sub(_bearer, data)
    for rare, shape in _SHAPES:
        if _has(data, *rare) if rare is not None else shape.search(data):
            if pause is not None:
                pause()
            data = shape.sub(_REDACTED, data)
    return data


def _has(data: bytes, needle: bytes, at: int) -> bool:
    """`needle in data`, found by memchr on `needle[at]`, a byte rare in most bodies."""
    rare = needle[at : at + 1]
    find = data.find
    found = find(rare, at)
    for _ in range(_PROBES):
        if found < 0:
            return False
        if data.startswith(needle, found - at):
            return True
        found = find(rare, found + 1)
    return found >= 0 and find(needle, found - at) >= 0


def redact_text(text: str) -> str:
    """`text` with every credential-shaped part replaced by `[redacted]`."""
    return redact_bytes(text.encode("utf-8", "surrogatepass")).decode("utf-8", "replace")


def redact_body(body: bytes, pause: Callable[[], object] | None = None) -> str:
    """A body as redacted text (UTF-8; undecodable bytes become U+FFFD)."""
    return redact_bytes(body, pause).decode("utf-8", "replace")


def redact_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Decoded `(name, value)` pairs, names lower-cased, credential values replaced."""
    redacted = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        if name in _SECRET_HEADERS or any(part in name for part in _SECRET_HEADER_PARTS):
            value = REDACTED
        else:
            value = redact_bytes(raw_value).decode("latin-1")
        redacted.append((name, value))
    return redacted


def _any_secret_name(names: list[bytes]) -> bool:
    return any(_secret_name(name) for name in set(names))


def _secret_name(name: bytes) -> bool:
    return name.lower().endswith(_SECRET_NAME_ENDINGS)


def _json_field(match: re.Match[bytes]) -> bytes:
    if not _secret_name(match[1]):
        return match[0]
    return b'"' + match[1] + b'":"' + _REDACTED + b'"'


def _escaped_field(match: re.Match[bytes]) -> bytes:
    if not _secret_name(match[1]):
        return match[0]
    return b'\\"' + match[1] + b'\\":\\"' + _REDACTED + b'\\"'


def _form_field(match: re.Match[bytes]) -> bytes:
    if not _secret_name(match[2]):
        return match[0]
    return match[1] + match[2] + b"=" + _REDACTED


def _bearer(match: re.Match[bytes]) -> bytes:
    return match[1] + b"earer " + _REDACTED
