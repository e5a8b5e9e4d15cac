"""The o200k_base vocabulary as tiktoken's mergeable ranks, for `tokens` to build its encoder.

Read from the gzip shipped in the package (sha256 checked, ~0.1 s to decode) or, once a process
has done that, from a pre-decoded copy in a cache directory (~0.04 s) that carries its own sha256:
a missing, stale, corrupt or unwritable cache only means the packaged file is decoded again.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import logging
import marshal
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from codex2claudecode import errors

PACKAGED_FILE = "o200k_base.tiktoken.gz"
PACKAGED_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
"""Of the uncompressed file; the value tiktoken itself pins for o200k_base."""
TOKENS = 199_998
"""Mergeable tokens in o200k_base (ranks 0 to 199,997; special tokens come on top)."""

# The marshal format follows the interpreter, so each Python version keeps its own cache file.
CACHE_FILE = f"o200k_base.{sys.implementation.cache_tag}.ranks"
_CACHE_HEADER = b"codex2claudecode o200k_base ranks 1 " + PACKAGED_SHA256.encode() + b"\n"
_DIGEST_SIZE = 32
_SPLIT_BYTES = 64 * 1024

log = logging.getLogger("codex2claudecode.tokens")


def load_ranks(cache_dir: Path | None) -> dict[bytes, int]:
    """The ranks from the cache in `cache_dir` if it is intact, else from the packaged file.

    In the second case the cache is written (atomically, mode 0600) for the next process; if that
    fails (read-only or full disk) the failure is logged at debug level and nothing else happens.

    Raises:
        errors.GatewayError: the packaged file is corrupt (the installation is damaged).
    """
    if cache_dir is not None:
        ranks = read_cache(cache_dir / CACHE_FILE)
        if ranks is not None:
            return ranks
    from importlib import resources

    packaged = resources.files("codex2claudecode").joinpath("data", PACKAGED_FILE)
    ranks = decode_packaged(packaged.read_bytes())
    if cache_dir is not None:
        write_cache(cache_dir / CACHE_FILE, ranks)
    return ranks


def decode_packaged(compressed: bytes) -> dict[bytes, int]:
    """Decode the gzip of the `.tiktoken` file (`<base64 token> <rank>` lines) after its sha256.

    Raises:
        errors.GatewayError: not gzip, or not the o200k_base file.
    """
    import gzip  # costs start-up time and is needed once per process at most (DESIGN §2)

    try:
        content = gzip.decompress(compressed)
    except (OSError, EOFError) as exc:
        raise errors.GatewayError(f"the packaged {PACKAGED_FILE} is corrupt: {exc}") from exc
    digest = hashlib.sha256(content).hexdigest()
    if digest != PACKAGED_SHA256:
        raise errors.GatewayError(
            f"the packaged {PACKAGED_FILE} has sha256 {digest}, expected "
            f"{PACKAGED_SHA256}; reinstall codex2claudecode"
        )
    # The digest pins the file: its ranks are 0, 1, 2… in line order, so they need no parsing.
    return dict(zip(_tokens(content), range(TOKENS), strict=True))


def _tokens(content: bytes) -> Iterator[bytes]:
    """The decoded tokens of `<base64 token> <rank>` lines, in order.

    A split and C-level maps per 64 KiB of lines, not a loop per line (~50 ms instead of ~200),
    and not one split of the whole file: its 400,000 pieces would raise the load's peak by ~20 MiB.
    """
    start = 0
    while start < len(content):
        end = content.find(b"\n", start + _SPLIT_BYTES) + 1 or len(content)
        yield from map(binascii.a2b_base64, content[start:end].split()[::2])
        start = end


def read_cache(path: Path) -> dict[bytes, int] | None:
    """The ranks stored at `path` by `write_cache`, or None if absent, unreadable or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(_CACHE_HEADER):
        return None  # another vocabulary, another format, or a damaged header
    body = memoryview(data)[len(_CACHE_HEADER) :]
    digest, payload = body[:_DIGEST_SIZE], body[_DIGEST_SIZE:]
    if hashlib.sha256(payload).digest() != digest:
        log.debug("vocabulary cache %s is damaged; decoding the packaged file", path)
        return None
    try:
        ranks = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None  # a digest that matches a payload we did not write
    if not isinstance(ranks, dict) or len(ranks) != TOKENS:
        return None
    return ranks


def write_cache(path: Path, ranks: dict[bytes, int]) -> None:
    """Store `ranks` at `path` for `read_cache`, atomically and readable by the user only.

    Never raises for the file system: a cache that cannot be written is only a slower next start.
    """
    payload = marshal.dumps(ranks)
    data = _CACHE_HEADER + hashlib.sha256(payload).digest() + payload
    try:
        _make_private_dirs(path.parent)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
            # No fsync: a file torn by a crash fails the digest and is rebuilt.
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
    except OSError as exc:
        log.debug("vocabulary cache not written to %s: %s", path.parent, exc)


def _make_private_dirs(directory: Path) -> None:
    # Mode 0700 for each missing parent too: the state directory also holds credentials.
    missing: list[Path] = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for each in reversed(missing):
        each.mkdir(mode=0o700, exist_ok=True)
