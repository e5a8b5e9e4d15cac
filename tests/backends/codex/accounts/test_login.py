from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import httpx
import pytest

from codex2claudecode.backends.codex.accounts.login import (
    BrowserLogin,
    Pkce,
    authorize_url,
    challenge_of,
)
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.errors import AuthenticationFailed, GatewayError
from tests.fakes.oauth import CLIENT_ID, FakeOAuth


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    """Plays the user's browser: follows the issuer's redirect back to our callback."""
    async with httpx.AsyncClient(follow_redirects=True, trust_env=False, timeout=10) as client:
        yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def login_for(
    http: aiohttp.ClientSession, url: str, ports: tuple[int, ...] | None = None
) -> BrowserLogin:
    return BrowserLogin(
        http, issuer=url, token_url=url + "/oauth/token", ports=ports or (free_port(),)
    )


def query_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


# ---------------------------------------------------------------------- PKCE and the URL


def test_challenge_is_s256_of_the_verifier() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert challenge_of(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_generated_pkce_pairs_are_fresh_and_match() -> None:
    first, second = Pkce.generate(), Pkce.generate()
    assert first.verifier != second.verifier
    assert challenge_of(first.verifier) == first.challenge
    assert 43 <= len(first.verifier) <= 128  # RFC 7636 §4.1


def test_authorize_url_carries_the_codex_cli_parameters() -> None:
    pkce = Pkce("verifier", "challenge")
    url = authorize_url(
        "https://auth.example/",
        client_id=CLIENT_ID,
        redirect_uri="http://localhost:1455/auth/callback",
        pkce=pkce,
        state="st",
    )
    assert url.startswith("https://auth.example/oauth/authorize?")
    assert query_of(url) == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "http://localhost:1455/auth/callback",
        "scope": "openid profile email offline_access",
        "code_challenge": "challenge",
        "code_challenge_method": "S256",
        "id_token_add_organizations": "true",
        "codex_cli_simplified_flow": "true",
        "state": "st",
        "originator": "codex_cli_rs",
    }
    assert "+" not in url  # spaces are %20, as the Codex CLI sends them


# ---------------------------------------------------------------------- end to end


async def test_browser_sign_in_end_to_end(
    served: tuple[FakeOAuth, str],
    http: aiohttp.ClientSession,
    browser: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    fake, url = served
    fake.sign_in_as(account_id="acct-9", email="nine@example.com", plan="pro")
    port = free_port()

    async with login_for(http, url, (port,)) as login:
        assert login.redirect_uri == f"http://localhost:{port}/auth/callback"
        page = await browser.get(login.url)
        creds = await login.wait(timeout=10)

    assert page.status_code == 200
    assert "Signed in as nine@example.com" in page.text
    assert [str(r.url).split("?")[0] for r in page.history] == [
        f"{url}/oauth/authorize",
    ]
    assert (creds.account_id, creds.email, creds.plan) == ("acct-9", "nine@example.com", "pro")
    assert fake.is_live(creds.refresh_token)
    exchange = fake.forms[-1]
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["redirect_uri"] == login.redirect_uri
    assert exchange["client_id"] == CLIENT_ID
    assert challenge_of(exchange["code_verifier"]) == query_of(login.url)["code_challenge"]

    store = CodexAccountStore(tmp_path / "auth-codex.json", codex_cli_path=tmp_path / "none")
    saved = store.upsert(creds)
    assert store.load() == saved
    assert saved.key == "acct-9"


async def test_wrong_state_is_refused_and_the_login_keeps_waiting(
    served: tuple[FakeOAuth, str], http: aiohttp.ClientSession, browser: httpx.AsyncClient
) -> None:
    fake, url = served
    async with login_for(http, url) as login:
        forged = await browser.get(login.redirect_uri, params={"code": "x", "state": "forged"})
        missing = await browser.get(login.redirect_uri, params={"code": "x"})
        assert fake.forms == []  # no code was redeemed

        page = await browser.get(login.url)
        creds = await login.wait(timeout=10)

    assert (forged.status_code, missing.status_code) == (400, 400)
    assert "not the one we opened" in forged.text
    assert page.status_code == 200
    assert creds.account_id == "acct-1"
    assert fake.code_grants == 1


async def test_only_a_wrong_state_means_no_account(
    served: tuple[FakeOAuth, str], http: aiohttp.ClientSession, browser: httpx.AsyncClient
) -> None:
    fake, url = served
    async with login_for(http, url) as login:
        # The issuer's redirect, replayed with another state: a forged callback.
        authorize = await browser.get(login.url, follow_redirects=False)
        code = query_of(authorize.headers["location"])["code"]
        await browser.get(login.redirect_uri, params={"code": code, "state": "other"})

        with pytest.raises(AuthenticationFailed, match="No sign-in came back within 1 minute"):
            await login.wait(timeout=0.2)

    assert fake.code_grants == 0


async def test_a_refusal_from_the_issuer_ends_the_login(
    served: tuple[FakeOAuth, str], http: aiohttp.ClientSession, browser: httpx.AsyncClient
) -> None:
    fake, url = served
    fake.deny_next("access_denied")
    async with login_for(http, url) as login:
        page = await browser.get(login.url)
        with pytest.raises(AuthenticationFailed, match="refused: The user said no"):
            await login.wait(timeout=10)

    assert page.status_code == 400
    assert fake.forms == []


async def test_a_refused_code_ends_the_login(
    served: tuple[FakeOAuth, str], http: aiohttp.ClientSession, browser: httpx.AsyncClient
) -> None:
    fake, url = served
    fake.fail_next(400, {"error": "invalid_grant", "error_description": "code expired"})
    async with login_for(http, url) as login:
        page = await browser.get(login.url)
        with pytest.raises(AuthenticationFailed, match=r"HTTP 400 \(code expired\)"):
            await login.wait(timeout=10)

    assert page.status_code == 502
    assert "code expired" in page.text


async def test_busy_first_port_falls_back_to_the_next(
    served: tuple[FakeOAuth, str], http: aiohttp.ClientSession, browser: httpx.AsyncClient
) -> None:
    _, url = served
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        fallback = free_port()

        async with login_for(http, url, (taken, fallback)) as login:
            assert login.port == fallback
            assert query_of(login.url)["redirect_uri"] == (
                f"http://localhost:{fallback}/auth/callback"
            )
            page = await browser.get(login.url)
            creds = await login.wait(timeout=10)

    assert page.status_code == 200
    assert creds.account_id == "acct-1"


async def test_every_port_busy_says_what_to_do(
    served: tuple[FakeOAuth, str], http: aiohttp.ClientSession
) -> None:
    _, url = served
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]

        with pytest.raises(GatewayError) as info:
            async with login_for(http, url, (taken,)):
                pass

    assert str(taken) in info.value.message
    assert "login --device" in info.value.message


async def test_the_callback_port_is_released_afterwards(
    served: tuple[FakeOAuth, str], http: aiohttp.ClientSession
) -> None:
    _, url = served
    port = free_port()
    async with login_for(http, url, (port,)):
        pass
    async with login_for(http, url, (port,)) as again:
        assert again.port == port
