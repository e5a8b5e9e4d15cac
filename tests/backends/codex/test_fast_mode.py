from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from codex2claudecode.accounts.files import InvalidJSONFile
from codex2claudecode.backends.codex.fast_mode import FastMode
from codex2claudecode.config import Config

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / ".codex-config.json"


def test_the_file_lives_in_the_state_directory(tmp_path: Path) -> None:
    config = Config.load({"HOME": str(tmp_path), "CODEX_AUTH_FILE": str(tmp_path / "x" / "a.json")})
    assert FastMode.from_config(config).path == tmp_path / "x" / ".codex-config.json"


READ_CASES = [
    ('{"fastMode": {"enabled": true}}', True),
    ('{"fastMode": {"enabled": false}}', False),
    ('{"other": 1, "fastMode": {"enabled": true, "note": "x"}}', True),
    ('{"fastMode": {"enabled": "true"}}', False),
    ('{"fastMode": {"enabled": 1}}', False),
    ('{"fastMode": true}', False),
    ("{}", False),
    ("[]", False),
    ("{not json", False),
    ("", False),
]


@pytest.mark.parametrize(("content", "enabled"), READ_CASES)
def test_reading(path: Path, content: str, enabled: bool) -> None:
    path.parent.mkdir()
    path.write_text(content)

    fast_mode = FastMode(path)

    assert fast_mode.enabled() is enabled
    assert fast_mode.service_tier() == ("priority" if enabled else None)


def test_no_file_means_off(path: Path) -> None:
    assert FastMode(path).service_tier() is None


def test_a_directory_in_the_way_means_off(path: Path) -> None:
    path.mkdir(parents=True)
    assert FastMode(path).service_tier() is None


def test_toggling_takes_effect_on_the_next_call_without_a_restart(path: Path) -> None:
    gateway = FastMode(path)  # as the running gateway holds it
    switch = FastMode(path)  # as the CLI, another process, writes it

    assert gateway.service_tier() is None
    switch.set_enabled(True)
    assert gateway.service_tier() == "priority"
    switch.set_enabled(False)
    assert gateway.service_tier() is None
    switch.set_enabled(True)
    assert gateway.service_tier() == "priority"
    path.unlink()
    assert gateway.service_tier() is None


def test_the_file_is_read_again_only_when_it_changed(path: Path) -> None:
    path.parent.mkdir()
    path.write_text('{"fastMode": {"enabled": false}}')
    fast_mode = FastMode(path)
    assert not fast_mode.enabled()
    before = path.stat()

    # Same inode, same size, same mtime: taken as unchanged, so the cached answer stands.
    with path.open("r+") as file:
        file.write('{"fastMode": {"enabled": true }}')
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not fast_mode.enabled()

    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert fast_mode.enabled()


def test_set_enabled_keeps_other_keys_and_their_order(path: Path) -> None:
    path.parent.mkdir()
    original = {"a": 1, "fastMode": {"enabled": False, "note": "mine"}, "z": [1, 2]}
    path.write_text(json.dumps(original))

    FastMode(path).set_enabled(True)

    saved = json.loads(path.read_text())
    assert saved == {"a": 1, "fastMode": {"enabled": True, "note": "mine"}, "z": [1, 2]}
    assert list(saved) == ["a", "fastMode", "z"]
    assert path.read_text().endswith("}\n")


@pytest.mark.parametrize("fast", ["true", "null", '"on"'])
def test_set_enabled_replaces_a_malformed_fast_mode_entry(path: Path, fast: str) -> None:
    path.parent.mkdir()
    path.write_text(f'{{"fastMode": {fast}, "b": 2}}')

    FastMode(path).set_enabled(True)

    assert json.loads(path.read_text()) == {"fastMode": {"enabled": True}, "b": 2}


@pytest.mark.parametrize("content", ["{not json", "[1]"])
def test_set_enabled_refuses_a_file_it_cannot_keep(path: Path, content: str) -> None:
    path.parent.mkdir()
    path.write_text(content)

    with pytest.raises(InvalidJSONFile, match=str(path.name)):
        FastMode(path).set_enabled(True)

    assert path.read_text() == content


@posix_only
def test_modes(path: Path) -> None:
    FastMode(path).set_enabled(True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    path.chmod(0o644)
    FastMode(path).set_enabled(False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


_TOGGLE = (
    "import sys; from pathlib import Path; "
    "from codex2claudecode.backends.codex.fast_mode import FastMode; "
    "FastMode(Path(sys.argv[1])).set_enabled(sys.argv[2] == 'on')"
)


def _toggle_from_another_process(path: Path, on: bool) -> None:
    subprocess.run([sys.executable, "-c", _TOGGLE, str(path), "on" if on else "off"], check=True)


def test_a_toggle_from_another_process_counts_on_the_very_next_call(path: Path) -> None:
    # Issue 10: a missing file is remembered by its directory; the toggle must still count.
    path.parent.mkdir()
    # Trusting even a directory changed just now: its identity alone answers the next call.
    gateway = FastMode(path, settle_ns=0)
    assert gateway.service_tier() is None
    assert gateway.service_tier() is None

    _toggle_from_another_process(path, on=True)
    assert gateway.service_tier() == "priority"
    path.unlink()
    assert gateway.service_tier() is None
    assert gateway.service_tier() is None
    _toggle_from_another_process(path, on=True)
    assert gateway.service_tier() == "priority"
