import gzip
import os
import stat
from importlib import resources
from pathlib import Path

import pytest

from codex2claudecode import errors, vocabulary


@pytest.fixture(scope="module")
def ranks() -> dict[bytes, int]:
    packaged = resources.files("codex2claudecode").joinpath("data", vocabulary.PACKAGED_FILE)
    return vocabulary.decode_packaged(packaged.read_bytes())


def test_packaged_vocabulary_decodes_to_every_rank_in_order(ranks: dict[bytes, int]) -> None:
    assert len(ranks) == vocabulary.TOKENS
    assert list(ranks.values()) == list(range(vocabulary.TOKENS))
    assert ranks[b"!"] == 0
    assert ranks[b" the"] == 290  # line 291 of o200k_base.tiktoken: "IHRoZQ== 290"


def test_vocabulary_checksum_mismatch_is_a_clear_error() -> None:
    with pytest.raises(errors.GatewayError, match=r"sha256 .* expected 446a9538"):
        vocabulary.decode_packaged(gzip.compress(b"aGVsbG8= 0\n"))


def test_vocabulary_that_is_not_gzip_is_a_clear_error() -> None:
    with pytest.raises(errors.GatewayError, match="corrupt"):
        vocabulary.decode_packaged(b"plain bytes")


def test_first_load_writes_a_private_cache_that_the_next_load_reads(
    tmp_path: Path, ranks: dict[bytes, int]
) -> None:
    cache_dir = tmp_path / "state" / "cache"
    assert vocabulary.load_ranks(cache_dir) == ranks
    cache = cache_dir / vocabulary.CACHE_FILE
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache_dir.parent.stat().st_mode) == 0o700
    assert [p.name for p in cache_dir.iterdir()] == [vocabulary.CACHE_FILE]  # no temp file left
    assert vocabulary.read_cache(cache) == ranks
    # Proof that the next load comes from the cache: a cache holding other (well-formed) ranks
    # is what it returns.
    other = dict(ranks)
    other[b"!"] = -1
    vocabulary.write_cache(cache, other)
    assert vocabulary.load_ranks(cache_dir) == other


def damage(data: bytes, where: str) -> bytes:
    header = data.index(b"\n") + 1
    if where == "header":
        return b"X" + data[1:]
    if where == "digest":
        return data[:header] + bytes([data[header] ^ 1]) + data[header + 1 :]
    if where == "payload":
        middle = (header + len(data)) // 2
        return data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]
    if where == "truncated":
        return data[: len(data) - 1000]
    if where == "empty":
        return b""
    raise AssertionError(where)


@pytest.mark.parametrize("where", ["header", "digest", "payload", "truncated", "empty"])
def test_damaged_cache_is_ignored_and_rebuilt(
    tmp_path: Path, ranks: dict[bytes, int], where: str
) -> None:
    cache = tmp_path / vocabulary.CACHE_FILE
    vocabulary.write_cache(cache, ranks)
    good = cache.read_bytes()
    cache.write_bytes(damage(good, where))
    assert vocabulary.read_cache(cache) is None
    assert vocabulary.load_ranks(tmp_path) == ranks
    assert vocabulary.read_cache(cache) == ranks  # rewritten whole


def test_cache_of_another_vocabulary_version_is_ignored(
    tmp_path: Path, ranks: dict[bytes, int]
) -> None:
    cache = tmp_path / vocabulary.CACHE_FILE
    vocabulary.write_cache(cache, ranks)
    data = cache.read_bytes()
    cache.write_bytes(data.replace(vocabulary.PACKAGED_SHA256.encode(), b"0" * 64, 1))
    assert vocabulary.read_cache(cache) is None


def test_cache_with_the_wrong_number_of_tokens_is_ignored(tmp_path: Path) -> None:
    cache = tmp_path / vocabulary.CACHE_FILE
    vocabulary.write_cache(cache, {b"a": 0})
    assert vocabulary.read_cache(cache) is None


def test_cache_dir_that_is_a_file_falls_back_quietly(
    tmp_path: Path, ranks: dict[bytes, int]
) -> None:
    blocker = tmp_path / "cache"
    blocker.write_bytes(b"not a directory")
    assert vocabulary.load_ranks(blocker) == ranks
    assert blocker.read_bytes() == b"not a directory"


def test_cache_path_taken_by_a_directory_falls_back_quietly(
    tmp_path: Path, ranks: dict[bytes, int]
) -> None:
    (tmp_path / vocabulary.CACHE_FILE).mkdir()
    assert vocabulary.load_ranks(tmp_path) == ranks
    assert [p.name for p in tmp_path.iterdir()] == [vocabulary.CACHE_FILE]  # temp file removed


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_cache_dir_falls_back_quietly(tmp_path: Path, ranks: dict[bytes, int]) -> None:
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir(mode=0o500)
    try:
        assert vocabulary.load_ranks(cache_dir) == ranks
        assert list(cache_dir.iterdir()) == []
    finally:
        cache_dir.chmod(0o700)


def test_no_cache_dir_means_the_packaged_file(ranks: dict[bytes, int]) -> None:
    assert vocabulary.load_ranks(None) == ranks
