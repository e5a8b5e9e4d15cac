import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from codex2claudecode import encoder, errors, tokens

TEXT = "The quick brown fox jumps over the lazy dog. <|endoftext|> ünïcödé 🙂"


def count(lazy: encoder.LazyEncoder, text: str = TEXT) -> int:
    return lazy.run(lambda encoding: len(encoding.encode_ordinary(text)))


def wait_until_dropped(lazy: encoder.LazyEncoder) -> None:
    while lazy.loaded:  # a hang fails through the test's timeout
        time.sleep(0.01)


def test_dropped_when_idle_then_rebuilt_with_the_same_counts() -> None:
    lazy = encoder.LazyEncoder(tokens._build_encoding, idle_seconds=0.05)
    before = lazy.loaded
    first = count(lazy)
    built = lazy.loaded
    wait_until_dropped(lazy)
    assert count(lazy) == first == 22
    assert (before, built, lazy.loaded) == (False, True, True)


def test_uses_on_the_callers_thread_keep_it_from_being_dropped() -> None:
    lazy = encoder.LazyEncoder(tokens._build_encoding, idle_seconds=0.2)
    count(lazy)
    used_until = time.monotonic() + 0.6  # three idle periods, in use all along
    while time.monotonic() < used_until:
        encoding = lazy.current()
        assert encoding is not None
        assert len(encoding.encode_ordinary(TEXT)) == 22
        time.sleep(0.02)
    wait_until_dropped(lazy)  # and once unused, it goes
    assert lazy.current() is None


def test_one_build_serves_every_use() -> None:
    lazy = encoder.LazyEncoder(tokens._build_encoding, idle_seconds=3600)
    count(lazy)
    builds = []

    def remember(encoding: encoder.Encoder) -> None:
        builds.append(id(encoding))

    for _ in range(3):
        lazy.run(remember)
    assert lazy.loaded
    assert len(set(builds)) == 1


def test_counts_racing_the_drop_are_all_answered() -> None:
    # Each round lets the encoder go idle, then several threads need it at the moment it stops.
    lazy = encoder.LazyEncoder(tokens._build_encoding, idle_seconds=0.002)
    expected = count(lazy)
    with ThreadPoolExecutor(4) as pool:
        for _ in range(20):
            assert list(pool.map(lambda _: count(lazy), range(8))) == [expected] * 8


def test_failed_build_reaches_every_waiting_caller_and_the_next_call_retries() -> None:
    attempts = []
    release = threading.Event()

    def build() -> encoder.Encoder:
        attempts.append(1)
        if len(attempts) == 1:
            release.wait()
            raise errors.GatewayError("the packaged vocabulary is corrupt")
        return tokens._build_encoding()

    lazy = encoder.LazyEncoder(build, idle_seconds=3600)
    with ThreadPoolExecutor(3) as pool:
        waiting = [pool.submit(count, lazy) for _ in range(3)]
        while lazy._jobs is None or lazy._jobs.qsize() < 3:  # all three wait for the build
            time.sleep(0.01)
        release.set()
        for future in waiting:
            with pytest.raises(errors.GatewayError, match="corrupt"):
                future.result()
    assert not lazy.loaded
    assert count(lazy) == 22
    assert len(attempts) == 2


def test_an_error_in_one_job_leaves_the_encoder_serving() -> None:
    lazy = encoder.LazyEncoder(tokens._build_encoding, idle_seconds=3600)

    def fail(encoding: encoder.Encoder) -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        lazy.run(fail)
    assert count(lazy) == 22


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_a_loaded_encoder_does_not_hold_the_process_at_exit() -> None:
    # With the default ten idle minutes ahead, a non-daemon thread would hang this child.
    assert run_python("import codex2claudecode.tokens as t; t.warm_up(); print(t.is_loaded())") == (
        "True"
    )


def test_tokens_drops_the_vocabulary_when_idle_and_reloads_it_for_the_next_count() -> None:
    code = (
        "import time, codex2claudecode.tokens as t\n"
        "t.drop_after(0.05)\n"
        "first = t.count_text('hello world')\n"
        "loaded = t.is_loaded()\n"
        "while t.is_loaded(): time.sleep(0.01)\n"
        "print(first, loaded, t.count_text('hello world'), t.is_loaded())"
    )
    assert run_python(code) == "2 True 2 True"
