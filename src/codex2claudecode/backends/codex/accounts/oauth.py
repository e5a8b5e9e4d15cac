"""OpenAI's OAuth token endpoint for Codex logins: the grants and their answers (protocols §5c).

The browser and device logins redeem an authorization code here, `accounts add` validates a
pasted refresh token, and `backends.codex.auth` parses its refresh answers with the same code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import aiohttp
import orjson

from codex2claudecode.backends.codex.accounts import jwt
from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials
from codex2claudecode.backends.connection import PROXY_AUTH_REQUIRED, proxy_refused, unreachable
from codex2claudecode.errors import (
    AuthenticationFailed,
    GatewayError,
    UpstreamFailed,
    UpstreamUnavailable,
)

CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
"""The Codex CLI's public OAuth client id."""

TOKEN_TIMEOUT = aiohttp.ClientTimeout(total=30)


def credentials_from_token_response(
    body: bytes, *, now: float, previous: CodexCredentials | None = None
) -> CodexCredentials:
    """The credentials in a successful token-endpoint answer.

    Fields the answer leaves out (a refresh grant may omit `refresh_token` and `id_token`)
    are kept from `previous`. `expires_in` counts from `now` (epoch seconds); without it the
    access token's `exp` claim says when it expires.

    Raises:
        UpstreamFailed: the answer holds no access token, or a first login no refresh token.
    """
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = None
    if not isinstance(payload, dict) or not _text(payload.get("access_token")):
        raise UpstreamFailed("The OpenAI token endpoint answered without an access token.")
    access = str(payload["access_token"])
    old = previous or _NOTHING
    refresh = _text(payload.get("refresh_token")) or old.refresh_token
    if not refresh:
        raise UpstreamFailed("The OpenAI token endpoint answered without a refresh token.")
    id_token = _text(payload.get("id_token")) or old.id_token
    expires_in = payload.get("expires_in")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        expires_at: float | None = now + float(expires_in)
    else:
        expires_at = jwt.expiry(access)
    account_id = jwt.chatgpt_account_id(id_token, access) or old.account_id
    email = jwt.email(id_token, access) or old.email
    return CodexCredentials(
        access_token=access,
        refresh_token=refresh,
        id_token=id_token,
        expires_at=expires_at,
        account_id=account_id,
        email=email,
        plan=jwt.plan(id_token, access) or old.plan,
        key=old.key or account_id or email or "account-1",
    )


_NOTHING = CodexCredentials(
    access_token="",
    refresh_token="",
    id_token=None,
    expires_at=None,
    account_id=None,
    email=None,
    plan=None,
    key="",
)


def error_fields(body: bytes) -> tuple[str | None, str]:
    """The error code (lower case) and a short description from an OAuth error body.

    The code sits in `error.code`, in `error` itself (RFC 6749), or in a top-level `code`.
    """
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None, ""
    if not isinstance(payload, dict):
        return None, ""
    error = payload.get("error")
    if isinstance(error, dict):
        code = _text(error.get("code"))
        detail = _text(error.get("message")) or code or ""
    else:
        code = _text(error) or _text(payload.get("code"))
        detail = _text(payload.get("error_description")) or code or ""
    return (code.lower() if code else None), detail[:200]


async def exchange_code(
    session: aiohttp.ClientSession,
    *,
    token_url: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    client_id: str = CODEX_CLIENT_ID,
    proxy: str | None = None,
    clock: Callable[[], float] = time.time,
) -> CodexCredentials:
    """Redeem an authorization code (browser or device login) for the account's tokens.

    Raises:
        AuthenticationFailed: the server refused the code.
        UpstreamFailed, UpstreamUnavailable: the token endpoint failed or is unreachable.
    """
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": code_verifier,
    }
    status, body = await post_form(session, token_url, form, proxy=proxy, purpose="sign in")
    if 200 <= status < 300:
        return credentials_from_token_response(body, now=clock())
    raise _failure("The sign-in", status, body, secrets=(code, code_verifier))


async def redeem_refresh_token(
    session: aiohttp.ClientSession,
    *,
    token_url: str,
    refresh_token: str,
    client_id: str = CODEX_CLIENT_ID,
    proxy: str | None = None,
    clock: Callable[[], float] = time.time,
) -> CodexCredentials:
    """Spend `refresh_token` once for fresh tokens (how a pasted token is checked).

    Raises:
        AuthenticationFailed: the server refused the token (expired, revoked or already used).
        UpstreamFailed, UpstreamUnavailable: the token endpoint failed or is unreachable.
    """
    form = refresh_grant(refresh_token, client_id)
    status, body = await post_form(
        session, token_url, form, proxy=proxy, purpose="check the refresh token"
    )
    if 200 <= status < 300:
        return credentials_from_token_response(body, now=clock())
    raise _failure("The refresh token check", status, body, secrets=(refresh_token,))


def refresh_grant(refresh_token: str, client_id: str = CODEX_CLIENT_ID) -> dict[str, str]:
    """The form of a refresh-token grant, as the Codex CLI sends it."""
    return {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "scope": "openid profile email",
    }


async def post_form(
    session: aiohttp.ClientSession,
    url: str,
    form: Mapping[str, str],
    *,
    proxy: str | None,
    purpose: str,
) -> tuple[int, bytes]:
    """POST a form to the sign-in server; (status, body).

    Raises:
        UpstreamUnreachable: the server could not be reached (`purpose` says what for).
    """
    return await _post(session, url, dict(form), {}, proxy=proxy, purpose=purpose)


async def post_json(
    session: aiohttp.ClientSession,
    url: str,
    payload: Mapping[str, str],
    *,
    proxy: str | None,
    purpose: str,
) -> tuple[int, bytes]:
    """POST a JSON object to the sign-in server (the device-code endpoints); as `post_form`."""
    headers = {"Content-Type": "application/json"}
    return await _post(session, url, orjson.dumps(payload), headers, proxy=proxy, purpose=purpose)


async def _post(
    session: aiohttp.ClientSession,
    url: str,
    data: bytes | dict[str, str],
    headers: dict[str, str],
    *,
    proxy: str | None,
    purpose: str,
) -> tuple[int, bytes]:
    try:
        async with session.post(
            url,
            data=data,
            headers={"Accept": "application/json", **headers},
            proxy=proxy,
            timeout=TOKEN_TIMEOUT,
        ) as response:
            if response.status == PROXY_AUTH_REQUIRED:  # a plain-http proxy answers itself
                raise proxy_refused(proxy)
            return response.status, await response.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        service = f"the OpenAI sign-in server (to {purpose})"
        raise unreachable(service, url, exc, proxy=proxy) from exc


def _failure(what: str, status: int, body: bytes, *, secrets: tuple[str, ...]) -> GatewayError:
    _, detail = error_fields(body)
    for secret in secrets:
        if secret:
            detail = detail.replace(secret, "[redacted]")
    message = f"{what} failed: HTTP {status}" + (f" ({detail})" if detail else "")
    if status == 429 or status >= 500:
        return UpstreamUnavailable(message + "; try again in a minute.")
    if status in (400, 401, 403):
        return AuthenticationFailed(message + ".")
    return UpstreamFailed(message + ".")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
