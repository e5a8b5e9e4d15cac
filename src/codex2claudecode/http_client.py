"""The process's one upstream HTTP session (aiohttp), created inside the running loop, and
what to tell the user when an upstream cannot be reached at all."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import aiohttp

from codex2claudecode.errors import UpstreamUnreachable


class SharedSession:
    """Call it to get the session; it is created on first use so it binds to the running loop."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def __call__(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)
            # Proxies come from Config per request (trust_env off): config.py is the only
            # reader of the environment. No cookie jar: the session is shared by every
            # account, and a cookie one account's answer set must not ride along with
            # another's requests (the Codex CLI keeps none either).
            self._session = aiohttp.ClientSession(
                connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def unreachable(
    service: str, url: str, exc: BaseException, *, proxy: str | None
) -> UpstreamUnreachable:
    """The error for a request to `url` that got no answer because of `exc`.

    Args:
        service: who was called, e.g. "the ChatGPT backend".
        proxy: the proxy the request went through, if any (only its address is shown).
    """
    host = urlsplit(url).hostname or url
    where = f"{service} at {host}"
    if proxy is not None:
        where += f" through the proxy {_address(proxy)}"
    if _no_answer(exc):
        # Connected, but the answer never came: the network is not what failed.
        return UpstreamUnreachable(
            f"{where} did not answer within the time limit; it may be down or overloaded: "
            "try again later."
        )
    hint = (
        "check that the proxy (HTTPS_PROXY) is running and reachable"
        if proxy is not None
        else "check the network connection; behind a proxy, set HTTPS_PROXY (and NO_PROXY)"
    )
    return UpstreamUnreachable(f"cannot reach {where}: {_reason(exc, host)}; {hint}.")


def _no_answer(exc: BaseException) -> bool:
    """A time limit that passed after the connection was made (aiohttp says when it was not)."""
    return isinstance(exc, TimeoutError) and not isinstance(exc, aiohttp.ConnectionTimeoutError)


def _reason(exc: BaseException, host: str) -> str:
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return f"the proxy refused or dropped the connection ({_os_text(exc)})"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"its TLS certificate was not accepted ({exc.certificate_error})"
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"the TLS handshake failed ({_os_text(exc)})"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, socket.gaierror):
            return f"the name {host} does not resolve (DNS: {_os_text(exc)})"
        return f"the connection failed ({_os_text(exc)})"
    if isinstance(exc, TimeoutError):
        return "no connection within the time limit"
    return f"the connection failed ({exc.__class__.__name__})"


def _os_text(exc: aiohttp.ClientOSError) -> str:
    inner = getattr(exc, "os_error", None) or exc
    return str(getattr(inner, "strerror", None) or inner or exc.__class__.__name__)


def _address(proxy: str) -> str:
    """`host:port` of a proxy URL, without the user name or password it may carry."""
    parts = urlsplit(proxy)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
