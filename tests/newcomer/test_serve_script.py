"""Issue 9 item 5: ./scripts/serve says what it does while it installs on the first run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_first_run_says_what_it_is_doing(tmp_path: Path) -> None:
    """Runs the script in a copy of the repository with a fake python3 that only records what
    it is asked (no download): every step is announced before it runs."""
    if shutil.which("bash") is None:
        pytest.skip("needs bash")
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "serve", copy / "scripts" / "serve")
    fake = tmp_path / "fakepython"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'if [ "$1 $2" = "-m venv" ]; then\n'
        '  mkdir -p "$3/bin"\n'
        '  printf \'#!/usr/bin/env bash\\necho "pip $*"\\n\' > "$3/bin/python"\n'
        '  printf \'#!/usr/bin/env bash\\necho "gateway $*"\\n\' > "$3/bin/codex2claudecode"\n'
        '  chmod +x "$3/bin/python" "$3/bin/codex2claudecode"\n'
        "fi\n"
    )
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", str(copy / "scripts" / "serve"), "--port", "9000"],
        env={"PATH": "/usr/bin:/bin", "PYTHON": str(fake)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[:3] == [
        "First run: installing codex2claudecode and its dependencies into ./.venv ...",
        f"  creating the virtual environment with {fake}",
        "  pip install . (about 20 s; needs the network once)",
    ]
    assert f"pipx install {copy}" in result.stderr
    assert result.stdout.splitlines() == [
        "pip -m pip install --quiet --disable-pip-version-check --progress-bar off .",
        "gateway --headless --port 9000",
    ]
