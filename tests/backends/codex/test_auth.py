from __future__ import annotations

import asyncio
import json
import socket
import stat
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.backends.codex.auth import CodexAuth
from codex2claudecode.errors import (
    AuthenticationFailed,
    NoAccount,
    UpstreamFailed,
    UpstreamUnavailable,
    UpstreamUnreachable,
)
from tests.fakes.oauth import FakeOAuth, TokenSet, make_jwt


@dataclass
class World:
    fake: FakeOAuth
    token_url: str
    session: aiohttp.ClientSession
    managed: Path
    cli: Path

    def write_managed(self, tokens: TokenSet, *, expires_in: float | None, **extra: Any) -> None:
        entry: dict[str, Any] = {
            "type": "oauth",
            "access": tokens.access_token,
            "refresh": tokens.refresh_token,
            "accountId": tokens.account_id,
            **extra,
        }
        if expires_in is not None:
            entry["expires"] = int((time.time() + expires_in) * 1000)
        self.managed.parent.mkdir(parents=True, exist_ok=True)
        self.managed.write_text(json.dumps(entry))

    def write_cli(self, tokens: TokenSet, **extra: Any) -> None:
        document = {
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": None,
            "tokens": {
                "id_token": tokens.id_token,
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "account_id": tokens.account_id,
            },
            "last_refresh": "2025-01-01T00:00:00Z",
            **extra,
        }
        self.cli.parent.mkdir(parents=True, exist_ok=True)
        self.cli.write_text(json.dumps(document))

    def managed_doc(self) -> Any:
        return json.loads(self.managed.read_text())

    def cli_doc(self) -> Any:
        return json.loads(self.cli.read_text())

    def auth(self, **overrides: Any) -> CodexAuth:
        store = CodexAccountStore(self.managed, codex_cli_path=self.cli)
        options: dict[str, Any] = {"token_url": self.token_url, "http": lambda: self.session}
        options.update(overrides)
        return CodexAuth(store, **options)


@pytest.fixture
def world(tmp_path: Path, served: tuple[FakeOAuth, str], http: aiohttp.ClientSession) -> World:
    fake, url = served
    return World(
        fake=fake,
        token_url=url + "/oauth/token",
        session=http,
        managed=tmp_path / "state" / "auth-codex.json",
        cli=tmp_path / "codex" / "auth.json",
    )


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------------- proactive refresh


async def test_fresh_credentials_are_used_as_they_are(world: World) -> None:
    tokens = world.fake.login()
    world.write_managed(tokens, expires_in=3600)

    creds = await world.auth().credentials()

    assert creds.access_token == tokens.access_token
    assert creds.account_id == "acct-1"
    assert world.fake.forms == []


async def test_expiring_credentials_are_refreshed_first(world: World) -> None:
    tokens = world.fake.login(expires_in=120)
    world.write_managed(tokens, expires_in=120)

    creds = await world.auth().credentials()

    assert world.fake.forms == [
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
            "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
            "scope": "openid profile email",
        }
    ]
    assert world.fake.is_current(creds.access_token)
    assert world.fake.is_live(creds.refresh_token)
    assert creds.id_token is not None and creds.plan == "plus" and creds.email
    saved = world.managed_doc()
    assert (saved["access"], saved["refresh"]) == (creds.access_token, creds.refresh_token)
    assert saved["expires"] == pytest.approx((time.time() + 3600) * 1000, abs=5000)


@pytest.mark.parametrize(("seconds_left", "grants"), [(301, 0), (299, 1), (-60, 1)])
async def test_refresh_margin_is_five_minutes(
    world: World, seconds_left: float, grants: int
) -> None:
    world.write_managed(world.fake.login(), expires_in=None)
    now = time.time()
    document = world.managed_doc()
    document["expires"] = int((now + seconds_left) * 1000)
    world.managed.write_text(json.dumps(document))

    await world.auth(clock=lambda: now).credentials()

    assert world.fake.grants == grants


async def test_unknown_expiry_is_not_refreshed_proactively(world: World) -> None:
    tokens = world.fake.login()
    world.write_managed(tokens, expires_in=None, access=make_jwt({"sub": "no exp"}))

    creds = await world.auth().credentials()

    assert creds.expires_at is None
    assert world.fake.grants == 0


async def test_expiry_comes_from_the_jwt_without_expires_in(world: World) -> None:
    world.fake.expires_in = None
    tokens = world.fake.login(expires_in=60)
    world.write_managed(tokens, expires_in=60)

    creds = await world.auth().credentials()

    assert creds.expires_at == pytest.approx(time.time() + 3600, abs=5)
    assert world.fake.grants == 1


async def test_a_response_without_refresh_token_keeps_the_old_one(world: World) -> None:
    world.fake.rotate = False
    tokens = world.fake.login(expires_in=60)
    world.write_managed(tokens, expires_in=60)
    world.write_cli(tokens)

    creds = await world.auth().credentials()

    assert creds.refresh_token == tokens.refresh_token
    assert creds.access_token != tokens.access_token
    assert world.managed_doc()["refresh"] == tokens.refresh_token
    assert world.cli_doc()["tokens"]["refresh_token"] == tokens.refresh_token
    assert world.cli_doc()["tokens"]["access_token"] == creds.access_token


# ---------------------------------------------------------------------- 401


async def test_unauthorized_refreshes_once(world: World) -> None:
    world.write_managed(world.fake.login(), expires_in=3600)
    auth = world.auth()
    rejected = await auth.credentials()

    renewed = await auth.refresh_after_unauthorized(rejected)
    again = await auth.refresh_after_unauthorized(rejected)  # a second request saw the old one

    assert renewed.access_token != rejected.access_token
    assert world.fake.is_current(renewed.access_token)
    assert again == renewed
    assert world.fake.grants == 1


async def test_unauthorized_adopts_a_refresh_done_by_another_instance(world: World) -> None:
    world.write_managed(world.fake.login(), expires_in=3600)
    ours, theirs = world.auth(), world.auth()
    rejected = await ours.credentials()
    refreshed = await theirs.refresh_after_unauthorized(await theirs.credentials())

    assert await ours.refresh_after_unauthorized(rejected) == refreshed
    assert world.fake.grants == 1


# ---------------------------------------------------------------------- single flight


async def test_concurrent_callers_share_one_refresh(world: World) -> None:
    world.fake.grant_delay = 0.2
    world.write_managed(world.fake.login(expires_in=10), expires_in=10)
    auth = world.auth()

    results = await asyncio.gather(*(auth.credentials() for _ in range(5)))

    assert world.fake.grants == 1
    assert len({r.access_token for r in results}) == 1


async def test_concurrent_unauthorized_callers_share_one_refresh(world: World) -> None:
    world.fake.grant_delay = 0.2
    world.write_managed(world.fake.login(), expires_in=3600)
    auth = world.auth()
    rejected = await auth.credentials()

    results = await asyncio.gather(*(auth.refresh_after_unauthorized(rejected) for _ in range(4)))

    assert world.fake.grants == 1
    assert len({r.access_token for r in results}) == 1


async def test_two_instances_in_one_process_spend_one_grant(world: World) -> None:
    world.fake.grant_delay = 0.2
    world.write_managed(world.fake.login(expires_in=10), expires_in=10)

    first, second = await asyncio.gather(world.auth().credentials(), world.auth().credentials())

    assert world.fake.grants == 1
    assert first.access_token == second.access_token


CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    import aiohttp
    from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
    from codex2claudecode.backends.codex.auth import CodexAuth

    managed, cli, token_url, go = sys.argv[1:5]

    async def main() -> None:
        store = CodexAccountStore(Path(managed), codex_cli_path=Path(cli))
        async with aiohttp.ClientSession() as session:
            auth = CodexAuth(store, token_url=token_url, http=lambda: session)
            while not Path(go).exists():
                await asyncio.sleep(0.005)
            creds = await auth.credentials()
        print(creds.access_token, creds.refresh_token)

    asyncio.run(main())
    """
)


async def test_two_processes_refreshing_at_once_spend_one_grant(world: World) -> None:
    world.fake.grant_delay = 0.5
    world.write_managed(world.fake.login(expires_in=-60), expires_in=-60)
    go = world.managed.parent / "go"
    args = [str(world.managed), str(world.cli), world.token_url, str(go)]
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, *args, stdout=subprocess.PIPE, cwd=Path.cwd()
        )
        for _ in range(2)
    ]
    await asyncio.sleep(0.3)  # let both start up; they wait for the go file
    go.touch()
    outputs = [await child.communicate() for child in children]

    assert [child.returncode for child in children] == [0, 0]
    lines = {out.decode().strip() for out, _ in outputs}
    assert len(lines) == 1
    access, refresh = lines.pop().split()
    assert world.fake.grants == 1
    assert world.fake.is_current(access) and world.fake.is_live(refresh)
    assert world.managed_doc()["refresh"] == refresh


# ---------------------------------------------------------------------- the Codex CLI file


async def test_newer_codex_cli_tokens_are_adopted_without_a_grant(world: World) -> None:
    old = world.fake.login(expires_in=30)
    world.write_managed(old, expires_in=30, custom="kept")
    auth = world.auth()
    newer = world.fake.refresh_elsewhere(old, expires_in=7200)  # the Codex CLI refreshed
    world.write_cli(newer)

    creds = await auth.credentials()

    assert world.fake.grants == 0
    assert (creds.access_token, creds.refresh_token) == (newer.access_token, newer.refresh_token)
    assert world.managed_doc()["refresh"] == newer.refresh_token
    assert world.managed_doc()["custom"] == "kept"


async def test_adopted_codex_cli_tokens_are_refreshed_with_their_live_refresh_token(
    world: World,
) -> None:
    old = world.fake.login(expires_in=10)
    world.write_managed(old, expires_in=10)
    # The Codex CLI refreshed (spending our refresh token) and its new token expires soon too.
    theirs = world.fake.refresh_elsewhere(old, expires_in=60)
    world.write_cli(theirs)

    creds = await world.auth().credentials()

    assert world.fake.grants == 1
    assert world.fake.forms[0]["refresh_token"] == theirs.refresh_token
    assert world.fake.is_current(creds.access_token)
    assert world.cli_doc()["tokens"]["access_token"] == creds.access_token


async def test_refresh_writes_back_to_the_codex_cli_file_of_the_same_account(
    world: World,
) -> None:
    tokens = world.fake.login(expires_in=10)
    world.write_managed(tokens, expires_in=10, futureKey={"x": 1})
    world.write_cli(tokens, future_cli_field=[1, 2])

    creds = await world.auth().credentials()

    cli = world.cli_doc()
    assert cli["tokens"] == {
        "id_token": creds.id_token,
        "access_token": creds.access_token,
        "refresh_token": creds.refresh_token,
        "account_id": "acct-1",
    }
    assert cli["future_cli_field"] == [1, 2]
    assert cli["OPENAI_API_KEY"] is None
    assert cli["last_refresh"] != "2025-01-01T00:00:00Z"
    assert world.managed_doc()["futureKey"] == {"x": 1}
    if sys.platform != "win32":
        for path in (world.managed, world.cli, world.managed.parent / ".account-info.json"):
            assert mode_of(path) == 0o600


async def test_refresh_leaves_another_accounts_codex_cli_file_alone(world: World) -> None:
    world.write_managed(world.fake.login(expires_in=10), expires_in=10)
    world.write_cli(world.fake.login(account_id="someone-else"))
    before = world.cli.read_bytes()

    await world.auth().credentials()

    assert world.fake.grants == 1
    assert world.cli.read_bytes() == before


async def test_codex_cli_file_alone_is_refreshed_in_place(world: World) -> None:
    tokens = world.fake.login(expires_in=10)
    world.write_cli(tokens)

    creds = await world.auth().credentials()

    assert not world.managed.exists()
    assert world.cli_doc()["tokens"]["refresh_token"] == creds.refresh_token
    assert world.fake.is_live(creds.refresh_token)


# ---------------------------------------------------------------------- failures


async def test_reused_refresh_token_fails_fast_until_the_files_change(world: World) -> None:
    tokens = world.fake.login(expires_in=-10)
    world.write_managed(tokens, expires_in=-10)
    world.fake.refresh_elsewhere(tokens)
    auth = world.auth()
    rejected = CodexAccountStore(world.managed, codex_cli_path=world.cli).load()

    with pytest.raises(AuthenticationFailed) as first:
        await auth.credentials()
    with pytest.raises(AuthenticationFailed) as second:
        await auth.credentials()
    with pytest.raises(AuthenticationFailed):
        await auth.refresh_after_unauthorized(rejected)

    assert len(world.fake.forms) == 1
    assert "codex2claudecode login" in first.value.message
    assert "already used" in first.value.message
    store = CodexAccountStore(world.managed, codex_cli_path=world.cli)
    assert [s.state(time.time()) for s in store.summaries()] == ["needs login"]
    assert second.value.message == first.value.message
    for secret in (tokens.access_token, tokens.refresh_token):
        assert secret not in first.value.message

    fresh = world.fake.login(expires_in=3600)  # the user signed in again
    world.write_managed(fresh, expires_in=3600)
    assert (await auth.credentials()).access_token == fresh.access_token
    assert len(world.fake.forms) == 1


async def test_a_dead_account_still_serves_its_unexpired_token(world: World) -> None:
    tokens = world.fake.login(expires_in=120)
    world.write_managed(tokens, expires_in=120)
    world.fake.fail_next(401, {"error": {"code": "refresh_token_invalidated"}})
    auth = world.auth()

    with pytest.raises(AuthenticationFailed, match="revoked"):
        await auth.credentials()
    creds = await auth.credentials()

    assert creds.access_token == tokens.access_token
    assert len(world.fake.forms) == 1


@pytest.mark.parametrize(
    ("status", "body", "error", "fragment"),
    [
        (
            401,
            {"error": {"code": "refresh_token_expired", "message": "x"}},
            AuthenticationFailed,
            "expired",
        ),
        (400, {"error": "invalid_grant"}, AuthenticationFailed, "rejected"),
        (401, {"code": "refresh_token_reused"}, AuthenticationFailed, "already used"),
        (500, "upstream broke", UpstreamUnavailable, "HTTP 500: the OpenAI sign-in server"),
        (503, {"error": {"message": "overloaded"}}, UpstreamUnavailable, "HTTP 503 (overloaded)"),
        (429, {"error": "slow_down"}, UpstreamUnavailable, "HTTP 429 (slow_down)"),
        (
            400,
            {"error": "invalid_request", "error_description": "bad"},
            UpstreamFailed,
            "HTTP 400 (bad). If it keeps failing, sign in again: run `codex2claudecode login`",
        ),
        (403, {"error": {"message": "no"}}, UpstreamFailed, "HTTP 403"),
        (200, {"token_type": "Bearer"}, UpstreamFailed, "without an access token"),
        (200, "not json", UpstreamFailed, "without an access token"),
    ],
)
async def test_refresh_failures(
    world: World, status: int, body: Any, error: type[Exception], fragment: str
) -> None:
    tokens = world.fake.login(expires_in=-10)
    world.write_managed(tokens, expires_in=-10)
    world.fake.fail_next(status, body)

    with pytest.raises(error) as info:
        await world.auth().credentials()

    assert type(info.value) is error
    assert fragment in str(info.value)


async def test_transient_failures_are_retried_on_the_next_call(world: World) -> None:
    world.write_managed(world.fake.login(expires_in=-10), expires_in=-10)
    world.fake.fail_next(502, "bad gateway")
    auth = world.auth()

    with pytest.raises(UpstreamUnavailable):
        await auth.credentials()
    creds = await auth.credentials()

    assert world.fake.is_current(creds.access_token)


async def test_tokens_echoed_in_an_error_body_are_redacted(world: World) -> None:
    tokens = world.fake.login(expires_in=-10)
    world.write_managed(tokens, expires_in=-10)
    world.fake.fail_next(400, {"error": {"message": f"bad token {tokens.refresh_token}"}})

    with pytest.raises(UpstreamFailed) as info:
        await world.auth().credentials()

    assert tokens.refresh_token not in str(info.value)
    assert "[redacted]" in str(info.value)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_unreachable_token_endpoint(world: World) -> None:
    world.write_managed(world.fake.login(expires_in=-10), expires_in=-10)

    with pytest.raises(UpstreamUnreachable, match="cannot reach the OpenAI sign-in server"):
        await world.auth(token_url=closed_port_url() + "/oauth/token").credentials()


async def test_the_proxy_is_used_for_the_grant(world: World) -> None:
    world.write_managed(world.fake.login(expires_in=-10), expires_in=-10)

    with pytest.raises(UpstreamUnreachable, match=r"through the proxy 127\.0\.0\.1:"):
        await world.auth(proxy=closed_port_url()).credentials()

    assert world.fake.forms == []


async def test_no_account_until_one_appears(world: World) -> None:
    auth = world.auth()
    with pytest.raises(NoAccount, match="codex2claudecode login"):
        await auth.credentials()

    tokens = world.fake.login()
    world.write_cli(tokens)

    assert (await auth.credentials()).access_token == tokens.access_token


async def test_a_cancelled_caller_does_not_lose_the_new_tokens(world: World) -> None:
    world.fake.grant_delay = 0.3
    world.write_managed(world.fake.login(expires_in=-10), expires_in=-10)
    auth = world.auth()

    caller = asyncio.ensure_future(auth.credentials())
    while not world.fake.forms:
        await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller

    creds = await auth.credentials()

    assert world.fake.grants == 1
    assert world.fake.is_live(creds.refresh_token)
    assert world.managed_doc()["refresh"] == creds.refresh_token
