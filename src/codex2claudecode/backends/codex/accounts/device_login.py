"""Device-code sign-in, for machines without a browser (protocols §5c).

The user opens `{issuer}/codex/device` on any device and types a one-time code; meanwhile we
poll until the issuer hands over an authorization code with its PKCE verifier, and redeem them
with `redirect_uri={issuer}/deviceauth/callback`. The caller stores the credentials.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import orjson

from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials
from codex2claudecode.backends.codex.accounts.oauth import (
    CODEX_CLIENT_ID,
    error_fields,
    exchange_code,
    post_json,
)
from codex2claudecode.errors import (
    AuthenticationFailed,
    UpstreamFailed,
    UpstreamUnavailable,
    UpstreamUnreachable,
)

log = logging.getLogger(__name__)

DEVICE_TIMEOUT = 900.0
"""Seconds a device code stays usable (the Codex CLI gives up after 15 minutes too)."""
DEFAULT_INTERVAL = 5.0
"""Seconds between polls when the server does not say."""


@dataclass(frozen=True, slots=True)
class DeviceCode:
    verification_url: str
    """Where the user signs in and types `user_code`."""
    user_code: str
    device_auth_id: str
    interval: float
    """Seconds between polls, as the server asks."""


@dataclass(frozen=True, slots=True)
class _Approval:
    authorization_code: str
    code_verifier: str


async def request_device_code(
    session: aiohttp.ClientSession,
    *,
    issuer: str,
    client_id: str = CODEX_CLIENT_ID,
    proxy: str | None = None,
) -> DeviceCode:
    """Ask the issuer for a one-time code to show the user.

    Raises:
        UpstreamFailed: device sign-in is not available, or the answer is malformed.
        UpstreamUnavailable: the issuer is unreachable or overloaded.
    """
    base = issuer.rstrip("/")
    url = f"{base}/api/accounts/deviceauth/usercode"
    status, body = await post_json(
        session, url, {"client_id": client_id}, proxy=proxy, purpose="start a device sign-in"
    )
    if status == 404:
        raise UpstreamFailed(
            f"Device sign-in is not enabled on {base}; sign in with the browser instead "
            "(`codex2claudecode login`)."
        )
    if not 200 <= status < 300:
        raise _failure("Requesting a device code", status, body)
    payload = _object(body)
    device_auth_id = _text(payload.get("device_auth_id"))
    user_code = _text(payload.get("user_code")) or _text(payload.get("usercode"))
    if not device_auth_id or not user_code:
        raise UpstreamFailed("The device sign-in server answered without a device code.")
    return DeviceCode(
        verification_url=f"{base}/codex/device",
        user_code=user_code,
        device_auth_id=device_auth_id,
        interval=_interval(payload.get("interval")),
    )


async def complete_device_login(
    session: aiohttp.ClientSession,
    device: DeviceCode,
    *,
    issuer: str,
    token_url: str,
    client_id: str = CODEX_CLIENT_ID,
    proxy: str | None = None,
    timeout: float = DEVICE_TIMEOUT,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CodexCredentials:
    """Wait for the user to approve `device`, then redeem the code for the account's tokens.

    Polls every `device.interval` seconds for at most `timeout` seconds; a failed poll (no
    network, a 5xx) is retried at the next interval.

    Raises:
        AuthenticationFailed: the sign-in was refused or the code expired.
        UpstreamFailed, UpstreamUnavailable: the token endpoint failed.
    """
    base = issuer.rstrip("/")
    url = f"{base}/api/accounts/deviceauth/token"
    form = {"device_auth_id": device.device_auth_id, "user_code": device.user_code}
    deadline = clock() + timeout
    while True:
        approval = await _poll(session, url, form, proxy=proxy)
        if approval is not None:
            break
        remaining = deadline - clock()
        if remaining <= 0:
            raise AuthenticationFailed(
                f"No sign-in with code {device.user_code} within {round(timeout / 60)} minutes; "
                "run `codex2claudecode login --device` again for a new code."
            )
        await sleep(min(device.interval, remaining))
    return await exchange_code(
        session,
        token_url=token_url,
        code=approval.authorization_code,
        redirect_uri=f"{base}/deviceauth/callback",
        code_verifier=approval.code_verifier,
        client_id=client_id,
        proxy=proxy,
    )


async def _poll(
    session: aiohttp.ClientSession, url: str, form: dict[str, str], *, proxy: str | None
) -> _Approval | None:
    """The approval, or None while the user has not signed in yet."""
    try:
        status, body = await post_json(
            session, url, form, proxy=proxy, purpose="check the device sign-in"
        )
    except (UpstreamUnavailable, UpstreamUnreachable) as exc:
        log.warning("%s Trying again.", exc.message)
        return None
    if status in (403, 404):  # pending: the user has not approved the code yet
        return None
    if status == 429 or status >= 500:
        log.warning("device sign-in poll answered HTTP %s; trying again", status)
        return None
    if not 200 <= status < 300:
        code, detail = error_fields(body)
        raise AuthenticationFailed(
            f"Device sign-in failed: HTTP {status} ({detail or code or 'no detail'}); "
            "run `codex2claudecode login --device` again."
        )
    payload = _object(body)
    code = _text(payload.get("authorization_code"))
    verifier = _text(payload.get("code_verifier"))
    if not code or not verifier:
        raise UpstreamFailed("The device sign-in server answered without an authorization code.")
    return _Approval(code, verifier)


def _failure(what: str, status: int, body: bytes) -> UpstreamFailed | UpstreamUnavailable:
    _, detail = error_fields(body)
    message = f"{what} failed: HTTP {status}" + (f" ({detail})" if detail else "") + "."
    if status == 429 or status >= 500:
        return UpstreamUnavailable(message)
    return UpstreamFailed(message)


def _interval(value: object) -> float:
    # The server sends the interval as a string ("5"); accept a number too.
    if isinstance(value, bool):
        return DEFAULT_INTERVAL
    if isinstance(value, int | float):
        return max(0.0, float(value))
    if isinstance(value, str):
        try:
            return max(0.0, float(value.strip()))
        except ValueError:
            return DEFAULT_INTERVAL
    return DEFAULT_INTERVAL


def _object(body: bytes) -> dict[str, object]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
