from __future__ import annotations

import asyncio
import logging
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from codex2claudecode.backends.kiro.accounts.credentials import parse_expiry
from codex2claudecode.errors import AuthenticationFailed, UpstreamFailed, UpstreamUnavailable
from tests.backends.kiro.conftest import KiroWorld
from tests.fakes.kiro_oauth import SOCIAL_ARN


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------------- each login kind


async def test_social_login_is_refreshed_in_the_ide_file(world: KiroWorld) -> None:
    login = world.fake.login("social")
    world.fake.new_profile_arn = "arn:aws:codewhisperer:us-east-1:1:profile/NEW"
    world.write(
        world.ide,
        world.entry(login, expires_in=60, profileArn=SOCIAL_ARN, authMethod="social", custom=1),
    )

    creds = await world.auth(user_agent="KiroIDE-1.2.3-fingerprint").credentials()

    [seen] = world.fake.requests
    assert seen.endpoint == "social"
    assert seen.body == {"refreshToken": login.refresh_token}
    assert seen.headers["user-agent"] == "KiroIDE-1.2.3-fingerprint"
    assert seen.headers["content-type"] == "application/json"
    assert world.fake.is_live(creds.refresh_token)
    assert creds.profile_arn == "arn:aws:codewhisperer:us-east-1:1:profile/NEW"
    assert not creds.is_external_idp
    saved = world.read(world.ide)
    assert (saved["accessToken"], saved["refreshToken"]) == (
        creds.access_token,
        creds.refresh_token,
    )
    assert saved["profileArn"] == creds.profile_arn
    assert saved["custom"] == 1 and saved["authMethod"] == "social"
    assert saved["expiresAt"].endswith("Z")
    assert parse_expiry(saved["expiresAt"]) == pytest.approx(time.time() + 3600, abs=5)
    if sys.platform != "win32":
        assert mode_of(world.ide) == 0o600


async def test_idc_login_uses_the_client_registration_beside_the_cache(world: KiroWorld) -> None:
    login = world.fake.login("oidc")
    world.write(
        world.ide,
        world.entry(
            login, expires_in=-5, clientIdHash="abc123", authMethod="IdC", provider="Enterprise"
        ),
    )
    world.write(
        world.ide.parent / "abc123.json", {"clientId": "client-1", "clientSecret": "secret-1"}
    )
    world.write(world.profile, {"arn": "arn:aws:codewhisperer:eu-central-1:2:profile/ORG"})

    creds = await world.auth().credentials()

    [seen] = world.fake.requests
    assert seen.endpoint == "oidc"
    assert seen.body == {
        "clientId": "client-1",
        "clientSecret": "secret-1",
        "grantType": "refresh_token",
        "refreshToken": login.refresh_token,
    }
    assert creds.kind == "idc"
    assert creds.profile_arn == "arn:aws:codewhisperer:eu-central-1:2:profile/ORG"
    assert creds.arn_region == "eu-central-1"
    saved = world.read(world.ide)
    assert "clientId" not in saved and "clientSecret" not in saved and "profileArn" not in saved
    assert saved["refreshToken"] == creds.refresh_token


async def test_builder_id_with_inline_client_has_no_profile_arn(world: KiroWorld) -> None:
    login = world.fake.login("oidc")
    world.write(world.profile, {"arn": "arn:aws:codewhisperer:us-east-1:2:profile/ORG"})
    world.write(
        world.ide,
        world.entry(
            login, expires_in=-5, clientId="client-1", clientSecret="secret-1",
            authMethod="IdC", provider="BuilderId",
        ),
    )  # fmt: skip

    creds = await world.auth().credentials()

    assert creds.kind == "builder_id"
    assert creds.profile_arn is None
    assert world.fake.grants == 1


async def test_external_idp_refreshes_at_its_own_endpoint(world: KiroWorld) -> None:
    login = world.fake.login("idp")
    world.write(
        world.ide,
        world.entry(
            login, expires_in=-5, authMethod="external_idp", clientId="entra-app",
            tokenEndpoint=world.url + "/idp/token", scopes=["openid", "offline_access"],
        ),
    )  # fmt: skip

    creds = await world.auth().credentials()

    [seen] = world.fake.requests
    assert seen.endpoint == "idp"
    assert seen.body == {
        "grant_type": "refresh_token",
        "client_id": "entra-app",
        "refresh_token": login.refresh_token,
        "scope": "openid offline_access",
    }
    assert creds.is_external_idp
    assert world.fake.is_live(creds.refresh_token)


@pytest.mark.parametrize(("seconds_left", "grants"), [(601, 0), (599, 1), (-60, 1)])
async def test_refresh_margin_is_ten_minutes(
    world: KiroWorld, seconds_left: float, grants: int
) -> None:
    world.write(world.ide, world.entry(world.fake.login(), expires_in=seconds_left))
    now = time.time()

    await world.auth(clock=lambda: now).credentials()

    assert world.fake.grants == grants


async def test_an_unparsable_expiry_counts_as_expired(world: KiroWorld) -> None:
    entry = world.entry(world.fake.login(), expires_in=3600)
    world.write(world.ide, {**entry, "expiresAt": "not-a-date"})

    await world.auth().credentials()

    assert world.fake.grants == 1


async def test_an_answer_without_refresh_token_keeps_the_old_one(world: KiroWorld) -> None:
    world.fake.rotate = False
    login = world.fake.login()
    world.write(world.ide, world.entry(login, expires_in=-5))

    creds = await world.auth().credentials()

    assert creds.refresh_token == login.refresh_token
    assert world.read(world.ide)["refreshToken"] == login.refresh_token


# ---------------------------------------------------------------------- 403, single flight


async def test_a_rejected_token_is_refreshed_once(world: KiroWorld) -> None:
    world.write(world.ide, world.entry(world.fake.login(), expires_in=3600))
    auth = world.auth()
    rejected = await auth.credentials()

    renewed = await auth.refresh_after_unauthorized(rejected)
    again = await auth.refresh_after_unauthorized(rejected)

    assert renewed.access_token != rejected.access_token
    assert again == renewed
    assert world.fake.grants == 1


async def test_concurrent_callers_share_one_grant(world: KiroWorld) -> None:
    world.fake.grant_delay = 0.2
    world.write(world.ide, world.entry(world.fake.login(), expires_in=-5))
    auth = world.auth()

    results = await asyncio.gather(*(auth.credentials() for _ in range(5)))

    assert world.fake.grants == 1
    assert len({r.access_token for r in results}) == 1


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    import aiohttp
    from codex2claudecode.backends.kiro.auth import KiroAuth
    from codex2claudecode.config import Config

    home, ide, url, go = sys.argv[1:5]

    async def main() -> None:
        config = Config.load({"HOME": home, "CODEX2CLAUDECODE_HOME": home + "/state",
                              "KIRO_AUTH_FILE": ide, "KIRO_AUTH_URL": url, "KIRO_OIDC_URL": url})
        async with aiohttp.ClientSession() as session:
            auth = KiroAuth.for_account(config, lambda: session)
            while not Path(go).exists():
                await asyncio.sleep(0.005)
            creds = await auth.credentials()
        print(creds.access_token, creds.refresh_token)

    asyncio.run(main())
    """
)


async def test_two_processes_refreshing_at_once_spend_one_grant(world: KiroWorld) -> None:
    world.fake.grant_delay = 0.5
    world.write(world.ide, world.entry(world.fake.login(), expires_in=-60))
    go = world.root / "go"
    args = [str(world.root), str(world.ide), world.url, str(go)]
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, *args, stdout=subprocess.PIPE, cwd=Path.cwd()
        )
        for _ in range(2)
    ]
    await asyncio.sleep(0.3)
    go.touch()
    outputs = [await child.communicate() for child in children]

    assert [child.returncode for child in children] == [0, 0]
    lines = {out.decode().strip() for out, _ in outputs}
    assert len(lines) == 1
    assert world.fake.grants == 1
    assert world.read(world.ide)["refreshToken"] == lines.pop().split()[1]


# ---------------------------------------------------------------------- imported accounts


async def test_tokens_the_ide_refreshed_are_adopted_without_a_grant(world: KiroWorld) -> None:
    old = world.fake.login()
    world.write(world.ide, world.entry(old, expires_in=30, profileArn=SOCIAL_ARN))
    world.store().import_ide()
    auth = world.auth()
    newer = world.fake.refresh_elsewhere(old)  # the Kiro IDE refreshed
    world.write(world.ide, world.entry(newer, expires_in=3600, profileArn=SOCIAL_ARN))

    creds = await auth.credentials()

    assert world.fake.grants == 0
    assert (creds.access_token, creds.refresh_token) == (newer.access_token, newer.refresh_token)
    [entry] = world.read(world.managed)["accounts"]
    assert entry["refreshToken"] == newer.refresh_token
    assert entry["sourceAuthFile"] == str(world.ide)


async def test_a_refresh_is_written_back_to_the_ide_file(world: KiroWorld) -> None:
    login = world.fake.login()
    world.write(world.ide, world.entry(login, expires_in=-5, profileArn=SOCIAL_ARN, ide="kept"))
    world.store().import_ide()
    world.write(world.managed, {**world.read(world.managed), "futureKey": [1]})

    creds = await world.auth().credentials()

    assert world.fake.grants == 1
    ide = world.read(world.ide)
    assert (ide["accessToken"], ide["refreshToken"]) == (creds.access_token, creds.refresh_token)
    assert ide["ide"] == "kept"
    assert not [k for k in ide if k.startswith("source")]
    managed = world.read(world.managed)
    assert managed["futureKey"] == [1]
    assert managed["accounts"][0]["refreshToken"] == creds.refresh_token
    if sys.platform != "win32":
        assert mode_of(world.managed) == 0o600 and mode_of(world.ide) == 0o600


async def test_an_ide_file_holding_another_account_is_left_alone(world: KiroWorld) -> None:
    mine = world.fake.login()
    world.write(world.ide, world.entry(mine, expires_in=-5, email="me@example.com"))
    world.store().import_ide()
    other = world.fake.login()
    world.write(world.ide, world.entry(other, expires_in=3600, email="other@example.com"))
    before = world.ide.read_bytes()

    creds = await world.auth().credentials()

    assert world.fake.grants == 1
    assert world.fake.requests[0].body == {"refreshToken": mine.refresh_token}
    assert world.ide.read_bytes() == before
    assert world.read(world.managed)["accounts"][0]["refreshToken"] == creds.refresh_token


# ---------------------------------------------------------------------- failures


async def test_a_refused_refresh_token_needs_a_new_login(world: KiroWorld) -> None:
    login = world.fake.login()
    world.write(world.ide, world.entry(login, expires_in=-5, label="work"))
    world.store().import_ide()
    world.fake.refresh_elsewhere(login)  # spent by someone else, never written here

    with pytest.raises(AuthenticationFailed) as info:
        await world.auth().credentials()

    message = info.value.message
    assert "Kiro IDE" in message and "accounts import --provider kiro" in message
    assert login.refresh_token not in message and login.access_token not in message
    [summary] = world.store().summaries()
    assert summary.state(time.time()) == "needs login"


async def test_an_idc_login_without_its_registration_says_so(
    world: KiroWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world.write(
        world.ide,
        world.entry(world.fake.login("oidc"), expires_in=-5, clientIdHash="gone", authMethod="IdC"),
    )

    with pytest.raises(AuthenticationFailed, match="client registration"):
        await world.auth().credentials()

    assert world.fake.requests == []
    warnings = [r for r in caplog.records if "gone.json" in r.getMessage()]
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("status", "body", "error", "fragment"),
    [
        (500, "denied", UpstreamUnavailable, "Kiro Desktop Auth refresh failed: HTTP 500 (denied)"),
        (429, {"message": "slow down"}, UpstreamUnavailable, "HTTP 429 (slow down)"),
        (400, {"error": "invalid_grant"}, AuthenticationFailed, "rejected its refresh token"),
        (400, {"__type": "com.amazon#ExpiredTokenException"}, AuthenticationFailed, "expired"),
        (401, {"message": "nope"}, AuthenticationFailed, "HTTP 401"),
        (403, {"message": "blocked by policy"}, UpstreamFailed, "HTTP 403 (blocked by policy)"),
        (200, {"tokenType": "Bearer"}, UpstreamFailed, "without an access token"),
    ],
)
async def test_refresh_failures(
    world: KiroWorld, status: int, body: Any, error: type[Exception], fragment: str
) -> None:
    world.write(world.ide, world.entry(world.fake.login(), expires_in=-5))
    world.fake.fail_next(status, body)

    with pytest.raises(error) as info:
        await world.auth().credentials()

    assert type(info.value) is error
    assert fragment in str(info.value)


async def test_an_unregistered_oidc_client_needs_a_new_login(world: KiroWorld) -> None:
    world.write(
        world.ide,
        world.entry(world.fake.login("oidc"), expires_in=-5, clientId="old", clientSecret="x"),
    )

    with pytest.raises(AuthenticationFailed, match="client registration"):
        await world.auth().credentials()


async def test_no_token_reaches_the_logs_or_errors(
    world: KiroWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    login = world.fake.login()
    world.write(world.ide, world.entry(login, expires_in=-5))
    world.store().import_ide()
    auth = world.auth()
    world.fake.fail_next(400, {"message": f"bad token {login.refresh_token}"})
    with pytest.raises(UpstreamFailed) as info:
        await auth.credentials()

    text = caplog.text + str(info.value)
    for secret in (login.access_token, login.refresh_token):
        assert secret not in text
    assert "[redacted]" in str(info.value)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_the_proxy_is_used_for_the_grant(world: KiroWorld) -> None:
    world.write(world.ide, world.entry(world.fake.login(), expires_in=-5))
    config = world.config(HTTP_PROXY=closed_port_url())

    with pytest.raises(UpstreamUnavailable, match="HTTPS_PROXY"):
        await world.auth(config=config).credentials()

    assert world.fake.requests == []
