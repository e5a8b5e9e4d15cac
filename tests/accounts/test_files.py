from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from codex2claudecode.accounts.files import (
    InvalidJSONFile,
    LockBusy,
    atomic_write,
    locked,
    make_private_dir,
    read_json,
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and signals")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_creates_private_parents_and_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "auth.json"

    atomic_write(target, b'{"x": 1}\n')

    assert target.read_bytes() == b'{"x": 1}\n'
    if sys.platform != "win32":
        assert mode_of(target) == 0o600
        assert mode_of(tmp_path / "a") == 0o700
        assert mode_of(tmp_path / "a" / "b") == 0o700


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o644, 0o640])
def test_atomic_write_applies_mode_over_an_existing_file(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "auth.json"
    target.write_bytes(b"old")
    target.chmod(0o666)

    atomic_write(target, b"new", mode=mode)

    assert target.read_bytes() == b"new"
    assert mode_of(target) == mode


def test_atomic_write_failure_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "auth.json"
    target.mkdir()  # os.replace cannot put a file over a directory

    with pytest.raises(OSError):
        atomic_write(target, b"new")

    assert target.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auth.json"]


@posix_only
def test_make_private_dir_leaves_existing_directories_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    make_private_dir(tmp_path / "new")
    assert mode_of(tmp_path) == 0o755
    assert mode_of(tmp_path / "new") == 0o700


def test_read_json(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    assert read_json(path) is None
    path.write_text('[1, {"a": null}]')
    assert read_json(path) == [1, {"a": None}]


@pytest.mark.parametrize("content", ["", "{", "not json", '{"a": 1} trailing'])
def test_read_json_names_the_file_when_invalid(tmp_path: Path, content: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content)

    with pytest.raises(InvalidJSONFile) as info:
        read_json(path)

    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value)


def test_lock_is_exclusive_between_threads(tmp_path: Path) -> None:
    target = tmp_path / "auth.json"
    inside = 0
    most = 0
    count_lock = threading.Lock()

    def worker() -> None:
        nonlocal inside, most
        for _ in range(20):
            with locked(target):
                with count_lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.0005)
                with count_lock:
                    inside -= 1

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert most == 1


def test_lock_file_is_a_private_sibling(tmp_path: Path) -> None:
    target = tmp_path / "state" / "auth.json"
    with locked(target):
        lock_file = tmp_path / "state" / "auth.json.lock"
        assert lock_file.exists()
        if sys.platform != "win32":
            assert mode_of(lock_file) == 0o600
    assert not target.exists()


def test_one_lock_object_cannot_be_acquired_twice(tmp_path: Path) -> None:
    lock = locked(tmp_path / "auth.json")
    with lock, pytest.raises(RuntimeError):
        lock.acquire()
    with lock:  # released above, so usable again
        pass


LOCK_CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from codex2claudecode.accounts.files import locked

    target, log = Path(sys.argv[1]), Path(sys.argv[2])
    while not Path(sys.argv[3]).exists():
        time.sleep(0.005)
    for _ in range(15):
        with locked(target):
            with open(log, "a") as f:
                f.write(f"S {os.getpid()}\\n")
            time.sleep(0.002)
            with open(log, "a") as f:
                f.write(f"E {os.getpid()}\\n")
    """
)


def test_lock_is_exclusive_between_processes(tmp_path: Path) -> None:
    target, log, go = tmp_path / "auth.json", tmp_path / "log", tmp_path / "go"
    children = [
        subprocess.Popen([sys.executable, "-c", LOCK_CHILD, str(target), str(log), str(go)])
        for _ in range(3)
    ]
    go.touch()
    for child in children:
        assert child.wait() == 0

    lines = log.read_text().splitlines()
    assert len(lines) == 3 * 15 * 2
    for start, end in zip(lines[::2], lines[1::2], strict=True):
        assert start.startswith("S ")
        assert end == "E " + start[2:]


HOLDER_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from codex2claudecode.accounts.files import locked

    with locked(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(60)
    """
)


def test_a_lock_another_program_keeps_is_waited_for_with_a_bound(tmp_path: Path) -> None:
    target = tmp_path / "auth.json"
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER_CHILD, str(target)], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "held\n"
            with pytest.raises(LockBusy) as info, locked(target, wait=0.2):
                pytest.fail("the lock was taken while another program held it")
            assert str(target) + ".lock" in str(info.value)
            assert "may be stuck" in str(info.value)
        finally:
            holder.kill()
    with locked(target, wait=5):  # the holder's end released it
        pass


WRITER_CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from codex2claudecode.accounts.files import atomic_write

    path = Path(sys.argv[1])
    pad = "x" * 100_000
    i = 0
    while True:
        i += 1
        atomic_write(path, json.dumps({"i": i, "pad": [pad] * (1 + i % 20)}).encode())
        if i == 3:
            print("ready", flush=True)
    """
)


@posix_only
def test_a_writer_killed_mid_write_leaves_valid_json(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    rng = random.Random(1234)
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER_CHILD, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0, 0.05))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()

        document = json.loads(path.read_bytes())
        assert document["i"] >= 3
        assert all(len(p) == 100_000 for p in document["pad"])
        assert mode_of(path) == 0o600
