"""What a failure to reach an upstream means, said without secrets (issue 10).

A proxy's user and password never appear in a message, and a proxy's 407 is reported as what
it is, an authentication problem with the proxy, not an overloaded upstream.
"""

from __future__ import annotations

from typing import ClassVar

import aiohttp
import orjson

from codex2claudecode import errors
from codex2claudecode.accounts.pool import wait_text
from codex2claudecode.config import redact_userinfo
from codex2claudecode.http_client import unreachable as http_unreachable

PROXY_AUTH_REQUIRED = 407


class ProxyRefused(errors.GatewayError):
    """The outbound proxy wants other credentials: an authentication problem (401), but of
    the proxy, so the account's login stays valid (not an `AuthenticationFailed`)."""

    status: ClassVar[int] = 401


def proxy_refused(proxy: str | None) -> ProxyRefused:
    """The error for a proxy answering 407 Proxy Authentication Required."""
    where = f"The proxy {redact_userinfo(proxy)}" if proxy else "The proxy"
    return ProxyRefused(
        f"{where} refused the request: 407 Proxy Authentication Required. Check the user name "
        "and password in HTTPS_PROXY / HTTP_PROXY (http://user:password@host:port)."
    )


def is_proxy_refusal(exc: BaseException) -> bool:
    """Whether `exc`, or what caused it, is a proxy's 407."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, aiohttp.ClientHttpProxyError) and seen.status == PROXY_AUTH_REQUIRED:
            return True
        seen = seen.__cause__
    return False


def unreachable(
    service: str, url: str, exc: BaseException, *, proxy: str | None
) -> errors.GatewayError:
    """The error for a request to `url` of `service` (a name for people) that got no answer:
    the proxy's 407, else a 502 naming the host, the cause and HTTPS_PROXY (issue 9.4)."""
    if is_proxy_refusal(exc):
        return proxy_refused(proxy)
    return http_unreachable(service, url, exc, proxy=proxy)


def not_an_object(endpoint: str, body: bytes) -> str:
    """Why a 2xx answer of `endpoint` (a name for people, e.g. its URL) that should hold a
    JSON object is of no use: not JSON (an HTML page, a cut-off body) or another JSON value."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        start = redact_userinfo(body[:40].decode("utf-8", "replace")).strip()
        shown = f" (it starts {start!r})" if start else " (an empty body)"
        return (
            f"{endpoint} answered with something that is not JSON{shown}; a proxy or a "
            "captive portal may be answering in its place, or the answer was cut off: try "
            "again later"
        )
    if not isinstance(parsed, dict):
        return f"{endpoint} answered with JSON that is not a JSON object; try again later"
    return f"{endpoint} answered without the fields it should carry; try again later"


def retry_text(retry_after: int | None) -> str:
    """`try again in 30s` when the upstream said when, else `try again later` (never a guess)."""
    return "try again later" if retry_after is None else f"try again in {wait_text(retry_after)}"
