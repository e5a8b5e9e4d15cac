"""Local input-token estimates with the o200k_base vocabulary shipped in the package.

Used for `count_tokens` and for `message_start` usage before the upstream reports its count. The
vocabulary is loaded on first use (or by `warm_up`) and dropped again after `encoder.IDLE_SECONDS`
without a count, never from the network, and from a pre-decoded copy once `use_cache_dir` names a
place for one (`vocabulary`); importing this module imports neither tiktoken nor the vocabulary
(start-up budget, DESIGN §2).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import assert_never, cast

import orjson

from codex2claudecode import encoder, ir, vocabulary

# o200k_base's pre-tokenisation pattern and special tokens. tiktoken_ext only builds them inside
# a constructor that downloads the vocabulary, so they are restated here.
_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_SPECIAL_TOKENS = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}

# ChatML-like framing: `<|im_start|>role<|im_sep|>…<|im_end|>` per item, and the reply primer.
_TOKENS_PER_ITEM = 4
_TOKENS_PRIMING = 3

# Anthropic's image rule: long edge scaled to at most 1568 px, then about w*h/750 tokens.
_IMAGE_MAX_EDGE = 1568
_IMAGE_PIXELS_PER_TOKEN = 750
_IMAGE_TOKEN_CAP = 1600
_IMAGE_TOKENS_UNKNOWN = _IMAGE_TOKEN_CAP
"""For images given by URL or whose header cannot be read: assume the largest."""
_PDF_TOKENS_PER_PAGE = 2000
"""A page is sent as its text plus a picture of it; a rough mean of both."""
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_DOCUMENT_TOKENS_UNKNOWN = _PDF_TOKENS_PER_PAGE
_BYTES_PER_TOKEN = 4

_CACHE_MIN_CHARS = 1024
_CACHE_SIZE = 4096

_cache_dir: Path | None = None

_Run = Callable[[Callable[[encoder.Encoder], list[int]]], list[int]]
"""Runs a function of the encoder: on the encoder's thread, or on the caller's."""


def use_cache_dir(directory: Path) -> None:
    """Keep a pre-decoded vocabulary in `directory`: from the second process on, it loads in
    about half the time (the packaged file is still what it is checked against)."""
    global _cache_dir
    _cache_dir = directory


def drop_after(idle_seconds: float) -> None:
    """Drop the vocabulary once unused for `idle_seconds` (default `encoder.IDLE_SECONDS`)."""
    _encoder.idle_seconds = idle_seconds


def warm_up() -> None:
    """Load the vocabulary now (0.15-0.3 s); call it from a background thread."""
    _encoder.run(lambda _: None)


def is_loaded() -> bool:
    """Whether the vocabulary is in memory (it costs ~50 MiB, so it loads on first need)."""
    return _encoder.loaded


def estimate_request_tokens(request: ir.Request) -> int:
    """`count_request_tokens` once the vocabulary is loaded; until then a cheap approximation.

    For figures that are refined later anyway (the `message_start` usage of a stream), so that
    streaming never pays the vocabulary's load time or memory.
    """
    encoding = _encoder.current()
    if encoding is not None:
        # On the caller's thread (the event loop): never queued behind someone's long count.
        return _count_request(request, lambda work: work(encoding))
    chars = len(request.system)
    for message in request.messages:
        for part in message.parts:
            match part:
                case ir.TextPart(text=text) | ir.ThinkingPart(text=text):
                    chars += len(text)
                case ir.ToolCallPart(arguments_json=arguments):
                    chars += len(arguments)
                case ir.ToolResultPart(content=content):
                    chars += sum(len(c.text) for c in content if isinstance(c, ir.TextPart))
                case _:
                    chars += 0
    for tool in request.tools:
        chars += len(tool.description or "") + len(orjson.dumps(tool.input_schema))
    return max(1, chars // _BYTES_PER_TOKEN)


def count_text(text: str) -> int:
    """The o200k token count of `text`; special-token strings count as ordinary text."""
    if len(text) < _CACHE_MIN_CHARS:
        # A short text (a streamed delta counted against max_tokens, Kiro's output) on the
        # caller's thread, often the event loop's: a hop to the encoder's thread costs more.
        encoding = _encoder.current()
        if encoding is not None:
            return len(encoding.encode_ordinary(text))
    return _counts.total([text], _encoder.run)


def head_tokens(text: str, tokens: int) -> str:
    """The first `tokens` o200k tokens of `text` (all of it when it is shorter).

    A character split between two tokens is left out, so the result is always a prefix of `text`.
    """

    def head(encoding: encoder.Encoder) -> str:
        encoded = encoding.encode_ordinary(text)
        if len(encoded) <= tokens:
            return text
        return encoding.decode_bytes(encoded[: max(tokens, 0)]).decode("utf-8", "ignore")

    return _encoder.run(head)


def count_request_tokens(request: ir.Request) -> int:
    """Estimate the upstream's input-token count for `request`: system, messages and tools.

    The vocabulary is loaded on first use; a caller on the event loop should run this in a thread
    (the texts are encoded on the encoder's own thread, and the caller waits for them).
    """
    return _count_request(request, _encoder.run)


def _count_request(request: ir.Request, run: _Run) -> int:
    texts: list[str] = []
    total = _TOKENS_PRIMING
    if request.system:
        total += _TOKENS_PER_ITEM
        texts.append(request.system)
    for message in request.messages:
        total += _TOKENS_PER_ITEM + sum(_count_part(part, texts) for part in message.parts)
    texts.extend(_tool_json(tool) for tool in request.tools)
    return total + _counts.total(texts, run)


def _count_part(part: ir.Part, texts: list[str]) -> int:
    """The tokens `part` counts for besides its `texts`, which it appends for one batch."""
    match part:
        case ir.TextPart(text=text) | ir.ThinkingPart(text=text):
            texts.append(text)
            return 0
        case ir.ImagePart():
            return _count_image(part)
        case ir.DocumentPart():
            return _count_document(part, texts)
        case ir.ToolCallPart(name=name, arguments_json=arguments):
            # Calls and results become input items of their own upstream, each with its framing.
            texts += (name, arguments)
            return _TOKENS_PER_ITEM
        case ir.ToolResultPart(content=content):
            return _TOKENS_PER_ITEM + sum(_count_part(item, texts) for item in content)
        case ir.RedactedThinkingPart():
            # Opaque encrypted state: what it costs is the upstream's business (often nothing).
            return 0
        case _:
            assert_never(part)


def _tool_json(tool: ir.Tool) -> str:
    # Counted as the function tool the upstream receives (the Responses shape).
    serialised = orjson.dumps(
        {
            "type": "function",
            "name": tool.name,
            "description": tool.description or "",
            "parameters": tool.input_schema,
            "strict": tool.strict,
        }
    )
    return serialised.decode()


def _count_image(image: ir.ImagePart) -> int:
    if image.data is None:
        return _IMAGE_TOKENS_UNKNOWN
    size = image_size(image.data)
    if size is None:
        return _IMAGE_TOKENS_UNKNOWN
    width, height = size
    scale = min(1.0, _IMAGE_MAX_EDGE / max(width, height))
    tokens = math.ceil(width * height * scale * scale / _IMAGE_PIXELS_PER_TOKEN)
    return min(tokens, _IMAGE_TOKEN_CAP)


def _count_document(document: ir.DocumentPart, texts: list[str]) -> int:
    if document.title:
        texts.append(document.title)
    if document.data is None:
        return _DOCUMENT_TOKENS_UNKNOWN
    if document.source == "text":
        texts.append(document.data)
        return 0
    try:
        raw = base64.b64decode(document.data)
    except (binascii.Error, ValueError):
        return len(document.data) // _BYTES_PER_TOKEN
    media_type = document.media_type or ""
    if media_type == "application/pdf":
        pages = len(_PDF_PAGE.findall(raw)) or 1
        return pages * _PDF_TOKENS_PER_PAGE
    if media_type.startswith("text/"):
        texts.append(raw.decode("utf-8", "replace"))
        return 0
    return len(raw) // _BYTES_PER_TOKEN


# --------------------------------------------------------------------------- image headers


def image_size(data: str) -> tuple[int, int] | None:
    """Width and height of a base64 PNG, JPEG, GIF or WebP, read from its header bytes only.

    Returns None for other formats, malformed headers or invalid base64.
    """
    try:
        size = _header_size(_base64_reader(data))
    except (binascii.Error, ValueError):
        return None
    if size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return size


def _header_size(read: Callable[[int, int], bytes]) -> tuple[int, int] | None:
    head = read(0, 30)
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp_size(head)
    if head[:2] == b"\xff\xd8":
        return _jpeg_size(read)
    return None


def _base64_reader(data: str) -> Callable[[int, int], bytes]:
    """Random access to the decoded bytes, decoding only the 4-character groups asked for."""

    def read(start: int, length: int) -> bytes:
        group = start // 3
        chunk = data[group * 4 : (start + length + 2) // 3 * 4]
        return base64.b64decode(chunk)[start - group * 3 : start - group * 3 + length]

    return read


def _webp_size(head: bytes) -> tuple[int, int] | None:
    if len(head) < 30:
        return None
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        width = int.from_bytes(head[26:28], "little") & 0x3FFF
        return width, int.from_bytes(head[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(head[24:27], "little") + 1
        return width, int.from_bytes(head[27:30], "little") + 1
    return None


_JPEG_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE_MARKERS = frozenset(range(0xD0, 0xDA)) | {0x01, 0xFF}


def _jpeg_size(read: Callable[[int, int], bytes]) -> tuple[int, int] | None:
    """Walk the segment headers (skipping EXIF and the like) to the first frame header."""
    position = 2
    for _ in range(256):
        header = read(position, 9)
        if len(header) < 4 or header[0] != 0xFF:
            return None
        marker = header[1]
        if marker in _JPEG_FRAME_MARKERS:
            if len(header) < 9:
                return None
            return int.from_bytes(header[7:9], "big"), int.from_bytes(header[5:7], "big")
        if marker in _JPEG_STANDALONE_MARKERS:
            position += 1 if marker == 0xFF else 2  # 0xFF: fill byte before a marker
        else:
            position += 2 + int.from_bytes(header[2:4], "big")
    return None


# --------------------------------------------------------------------------- vocabulary, cache


def _build_encoding() -> encoder.Encoder:
    """tiktoken's native encoder over the vocabulary (0.15-0.3 s, the build about 0.1 s of it)."""
    # Imported here, not at the top: it costs start-up time and is needed once (DESIGN §2).
    from tiktoken import _tiktoken as tiktoken_core  # type: ignore[attr-defined]  # native, no stubs

    # Only the native core: `tiktoken.Encoding` would also keep the ranks alive, ~30 MiB of
    # Python objects we never use after construction.
    ranks = vocabulary.load_ranks(_cache_dir)
    return cast(encoder.Encoder, tiktoken_core.CoreBPE(ranks, _SPECIAL_TOKENS, _PATTERN))


_encoder = encoder.LazyEncoder(_build_encoding)


class _CountCache:
    """LRU of token counts for long strings (system prompt, tool definitions, old turns).

    Claude Code resends them on every call, ~14 times in a burst for `/context`. Keyed by length
    and Python's 64-bit string hash, not by the string, so it holds no request text; a collision
    would only skew one estimate.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._counts: OrderedDict[tuple[int, int], int] = OrderedDict()
        self._lock = threading.Lock()

    def total(self, texts: list[str], run: _Run) -> int:
        """The summed token count of `texts`, encoding those not cached in one go by `run`."""
        keys = [
            (len(text), hash(text)) if len(text) >= _CACHE_MIN_CHARS else None for text in texts
        ]
        total = 0
        missed: list[tuple[tuple[int, int] | None, str]] = []
        with self._lock:
            for key, text in zip(keys, texts, strict=True):
                count = None if key is None else self._counts.get(key)
                if key is None or count is None:
                    missed.append((key, text))
                else:
                    self._counts.move_to_end(key)
                    total += count
        if not missed:
            return total
        counts = run(lambda encoding: [len(encoding.encode_ordinary(text)) for _, text in missed])
        with self._lock:
            for (key, _), count in zip(missed, counts, strict=True):
                if key is not None:
                    self._counts[key] = count
            while len(self._counts) > self._size:
                self._counts.popitem(last=False)
        return total + sum(counts)


_counts = _CountCache(_CACHE_SIZE)
