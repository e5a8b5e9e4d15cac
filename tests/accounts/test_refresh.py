"""The refresh discipline's safety (issue 10, "Losing a login"), through the Codex provider's
credentials against the fake OpenAI token endpoint: a spent grant is never lost, a rejected
fresh token is not refreshed again and again, a stuck lock does not hang a request, and
leftovers of killed writes are cleaned up at start."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from codex2claudecode.accounts.files import locked
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.backends.codex.auth import CodexAuth
from codex2claudecode.errors import AuthenticationFailed, UpstreamUnavailable
from tests.fakes.oauth import FakeOAuth, TokenSet

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and users")
REPO = Path(__file__).resolve().parents[2]


def write_account(path: Path, tokens: TokenSet, *, expires_in: float) -> None:
    entry = {
        "type": "oauth",
        "access": tokens.access_token,
        "refresh": tokens.refresh_token,
        "accountId": tokens.account_id,
        "expires": int((time.time() + expires_in) * 1000),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entry))


def make_auth(
    path: Path, token_url: str, session: aiohttp.ClientSession, **options: Any
) -> CodexAuth:
    store = CodexAccountStore(path, codex_cli_path=path.parent / "no-cli" / "auth.json")
    return CodexAuth(store, token_url=token_url, http=lambda: session, **options)


@pytest.fixture
def account(tmp_path: Path) -> Path:
    return tmp_path / "state" / "auth-codex.json"


# ---------------------------------------------------------------------- a 401 for ever


async def test_a_rejected_fresh_token_is_not_refreshed_on_every_request(
    account: Path, served: tuple[FakeOAuth, str], http: aiohttp.ClientSession
) -> None:
    fake, url = served
    write_account(account, fake.login(), expires_in=60)
    auth = make_auth(account, url + "/oauth/token", http)
    fresh = await auth.credentials()  # expiring: refreshed
    assert fake.grants == 1
    written = account.stat().st_mtime_ns

    for _ in range(3):  # the upstream answers 401 to every request
        with pytest.raises(AuthenticationFailed, match="freshly refreshed token"):
            await auth.refresh_after_unauthorized(fresh)

    assert fake.grants == 1
    assert account.stat().st_mtime_ns == written
    assert fake.is_live(fresh.refresh_token)


async def test_a_new_login_in_the_file_ends_the_back_off(
    account: Path, served: tuple[FakeOAuth, str], http: aiohttp.ClientSession
) -> None:
    fake, url = served
    write_account(account, fake.login(), expires_in=60)
    auth = make_auth(account, url + "/oauth/token", http)
    fresh = await auth.credentials()
    with pytest.raises(AuthenticationFailed):
        await auth.refresh_after_unauthorized(fresh)

    relogin = fake.login()
    write_account(account, relogin, expires_in=3600)

    assert (await auth.credentials()).access_token == relogin.access_token


async def test_a_401_long_after_the_refresh_still_refreshes(
    account: Path, served: tuple[FakeOAuth, str], http: aiohttp.ClientSession
) -> None:
    fake, url = served
    tokens = fake.login()
    write_account(account, tokens, expires_in=3600)
    auth = make_auth(account, url + "/oauth/token", http)
    creds = await auth.credentials()

    renewed = await auth.refresh_after_unauthorized(creds)

    assert fake.grants == 1
    assert fake.is_current(renewed.access_token)


# ---------------------------------------------------------------------- a stuck lock


async def test_a_held_lock_is_waited_for_within_a_bound_then_the_valid_token_is_used(
    account: Path, served: tuple[FakeOAuth, str], http: aiohttp.ClientSession
) -> None:
    fake, url = served
    tokens = fake.login()
    write_account(account, tokens, expires_in=120)  # inside the refresh margin, still valid
    auth = make_auth(account, url + "/oauth/token", http, lock_wait=0.2)

    with locked(account):  # another program holds it and never lets go
        creds = await auth.credentials()

    assert creds.access_token == tokens.access_token
    assert fake.grants == 0


async def test_a_held_lock_with_an_expired_token_says_who_to_blame(
    account: Path, served: tuple[FakeOAuth, str], http: aiohttp.ClientSession
) -> None:
    fake, url = served
    write_account(account, fake.login(), expires_in=-10)
    auth = make_auth(account, url + "/oauth/token", http, lock_wait=0.2)

    with locked(account), pytest.raises(UpstreamUnavailable) as info:
        await auth.credentials()

    assert "auth-codex.json.lock" in info.value.message
    assert fake.grants == 0


# ---------------------------------------------------------------------- start-up care


@posix_only
async def test_leftover_temp_files_and_loose_modes_are_fixed_at_start(
    account: Path, served: tuple[FakeOAuth, str], http: aiohttp.ClientSession
) -> None:
    fake, url = served
    write_account(account, fake.login(), expires_in=3600)
    old = account.parent / f".{account.name}.abc12345.tmp"
    old.write_text('{"refresh": "leaked"}')
    probe = account.parent / ".write-probe.ghi789.tmp"  # a kill during the writability probe
    probe.write_bytes(b"\0" * 65536)
    for leftover in (old, probe):
        os.utime(leftover, (time.time() - 3600, time.time() - 3600))
    fresh = account.parent / f".{account.name}.def45678.tmp"  # another process writing now
    fresh.write_text("{}")
    account.chmod(0o644)
    account.parent.chmod(0o755)

    await make_auth(account, url + "/oauth/token", http).credentials()

    assert not old.exists() and not probe.exists()
    assert fresh.exists()
    assert stat.S_IMODE(account.stat().st_mode) == 0o600
    assert stat.S_IMODE(account.parent.stat().st_mode) == 0o700


# ---------------------------------------------------------------------- a save that fails
#
# Writes fail for another user than root only, so these run in a child process as `nobody`
# when the tests run as root.

_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, logging, sys, time
    from pathlib import Path
    import aiohttp
    from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
    from codex2claudecode.backends.codex.auth import CodexAuth

    path, token_url = Path(sys.argv[1]), sys.argv[2]
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="LOG %(message)s")
    offset = 0.0

    async def main():
        global offset
        async with aiohttp.ClientSession() as session:
            store = CodexAccountStore(path, codex_cli_path=path.parent / "none" / "auth.json")
            auth = CodexAuth(store, token_url=token_url, http=lambda: session,
                             clock=lambda: time.time() + offset)
            out = {}
            try:
                first = await auth.credentials()
                out["first"] = [first.access_token, first.refresh_token]
                offset = 3500.0  # later: the refreshed token expires too
                second = await auth.credentials()
                out["second"] = [second.access_token, second.refresh_token]
            except Exception as exc:
                out["error"] = f"{type(exc).__name__}: {exc}"
            print("RESULT " + json.dumps(out))

    asyncio.run(main())
    """
)


def _as_nobody() -> None:
    os.setgid(65534)
    os.setuid(65534)


def _child_command() -> tuple[list[str], dict[str, str]]:
    """How to start Python as `nobody` too: our interpreter may sit under a private home."""
    if os.geteuid() != 0:
        return [sys.executable], {}
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path(os.path.realpath(sys.executable)), Path("/usr/bin") / version):
        if all(os.stat(p).st_mode & 0o005 == 0o005 for p in [candidate, *candidate.parents]):
            paths = [p for p in sys.path if p and "site-packages" in p] + [str(REPO / "src")]
            return [str(candidate), "-S"], {"PYTHONPATH": os.pathsep.join([*paths, str(REPO)])}
    pytest.skip(f"no {version} that another user may run")


def run_refresh_elsewhere(path: Path, token_url: str) -> tuple[dict[str, Any], str]:
    command, env = _child_command()
    result = subprocess.run(
        [*command, "-c", _SCRIPT, str(path), token_url],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=path.parent.parent,
        env={**os.environ, "HOME": str(path.parent), **env},
        preexec_fn=_as_nobody if os.geteuid() == 0 else None,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    logs = "\n".join(x for x in result.stdout.splitlines() if x.startswith("LOG "))
    return json.loads(line.removeprefix("RESULT ")), logs + result.stderr


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory both root and `nobody` can reach."""
    directory = Path(tempfile.mkdtemp(prefix="c2cc-refresh-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        for entry in sorted(directory.rglob("*"), reverse=True):
            entry.unlink() if not entry.is_dir() else entry.rmdir()
        directory.rmdir()


@posix_only
def test_no_grant_is_spent_when_the_directory_takes_no_files(
    shared_dir: Path, served: tuple[FakeOAuth, str]
) -> None:
    fake, url = served
    state = shared_dir / "state"
    tokens = fake.login()
    write_account(state / "auth-codex.json", tokens, expires_in=-10)
    (state / "auth-codex.json").chmod(0o644)
    state.chmod(0o555)  # read-only, for its owner too (and `nobody` is not the owner)

    out, logs = run_refresh_elsewhere(state / "auth-codex.json", url + "/oauth/token")

    assert fake.grants == 0
    assert fake.is_live(tokens.refresh_token)
    assert "does not take new files" in out["error"]
    assert tokens.refresh_token not in logs + out["error"]


@posix_only
def test_a_failed_save_keeps_the_tokens_in_memory_and_in_a_rescue_file(
    shared_dir: Path, served: tuple[FakeOAuth, str]
) -> None:
    fake, url = served
    state = shared_dir / "state"
    path = state / "auth-codex.json"
    tokens = fake.login()
    write_account(path, tokens, expires_in=-10)
    before = path.read_bytes()
    # New files can be created, but a sticky directory forbids replacing another user's
    # file: the save is refused after the grant, as a disk filling up at that moment would.
    path.chmod(0o666)
    state.chmod(0o1777)

    out, logs = run_refresh_elsewhere(path, url + "/oauth/token")

    assert "error" not in out, out
    first_access, first_refresh = out["first"]
    assert fake.is_live(first_refresh) is False  # spent by the second refresh, not lost
    assert fake.grants == 2  # the second grant used the rotated token: no refresh_token_reused
    assert fake.is_current(out["second"][0])
    assert path.read_bytes() == before  # the account file itself is untouched
    assert "could NOT be saved" in logs
    rescues = list(state.glob("auth-codex.json.rescue-*.json"))
    assert len(rescues) >= 1
    assert all(stat.S_IMODE(r.stat().st_mode) == 0o600 for r in rescues)
    assert any(first_refresh in r.read_text() for r in rescues)
    assert first_refresh not in logs and first_access not in logs
