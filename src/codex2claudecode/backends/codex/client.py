"""HTTP to the ChatGPT Codex backend: headers, the 401 refresh-and-retry, error mapping.

The header set is fixed and minimal (DESIGN §4.3): nothing the client sent us is forwarded.
"""

from __future__ import annotations

import platform
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

import aiohttp
import orjson
from yarl import URL

from codex2claudecode import __version__, errors, ir
from codex2claudecode.backends.base import UpstreamReply
from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials
from codex2claudecode.backends.codex.auth import CodexAuth
from codex2claudecode.backends.codex.events import context_too_long, is_context_overflow
from codex2claudecode.backends.connection import PROXY_AUTH_REQUIRED, proxy_refused, unreachable
from codex2claudecode.config import Config

ORIGINATOR = "codex_cli_rs"
CODEX_CLI_VERSION = "0.169.0"  # the Codex CLI release whose requests we mirror (fixtures/codex-cli)

SERVICE = "the ChatGPT backend"
_GET_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=15)


def user_agent() -> str:
    system = platform.system() or "Unknown"
    return (
        f"{ORIGINATOR}/{CODEX_CLI_VERSION} ({system} {platform.release()}; {platform.machine()}) "
        f"codex2claudecode/{__version__}"
    )


def new_session_id() -> str:
    """A session id for a request whose client sent none: a random UUID, as the Codex CLI's."""
    return str(uuid.uuid4())


class CodexClient:
    """Talks to the ChatGPT backend for one account: `POST {CHATGPT_BASE_URL}/codex/responses`
    streams, and small authenticated GETs such as `wham/usage`."""

    def __init__(
        self,
        config: Config,
        auth: CodexAuth,
        http: Callable[[], aiohttp.ClientSession],
        *,
        on_headers: Callable[[Mapping[str, str]], None] | None = None,
    ) -> None:
        """
        Args:
            on_headers: sees the headers of every generation response, errors included
                (they carry the account's `x-codex-*` rate-limit readings).
        """
        self.config = config
        self.http = http
        self._url = config.codex_responses_url
        self._parsed_url = URL(self._url)  # parsed once, not by aiohttp on every request
        self._base_url = config.chatgpt_base_url.rstrip("/")
        self._proxy = config.proxies.for_url(self._url)
        self._auth = auth
        self._on_headers = on_headers
        # No socket read timeout: `backends.deadline` bounds the wait for the first event and
        # between events, and counts only real events (pings keep a socket busy for ever).
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=15)
        self._user_agent = user_agent()
        self._kept_post_headers: tuple[CodexCredentials | None, dict[str, str]] = (None, {})

    @asynccontextmanager
    async def open(
        self, body: bytes, *, session_id: str | None, log_body_limit: int = 0
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send `body`; yield the 2xx streaming response, or raise the mapped upstream error.

        Args:
            log_body_limit: bytes of an error answer the raised error keeps for the request
                log, with the rest of the exchange (0: none).
        """
        session_id = session_id or new_session_id()
        creds = await self._auth.credentials()
        response = await self._post(body, creds, session_id)
        if response.status == 401:
            response.release()
            creds = await self._auth.refresh_after_unauthorized(creds)
            response = await self._post(body, creds, session_id)
        if self._on_headers is not None:
            self._on_headers(response.headers)
        if response.status >= 400:
            try:
                detail = await response.read()
            except aiohttp.ClientError:
                detail = b""
            finally:
                response.release()
            error = upstream_error(response.status, response.headers, detail)
            error.upstream_status = response.status
            error.upstream = refused = exchange(response, body, log_body_limit)
            refused.response_body.add(detail)
            raise error
        try:
            yield response
        finally:
            # An unfinished body must not go back to the pool: closing also cancels the
            # upstream generation when the client went away.
            if response.content.at_eof():
                response.release()
            else:
                response.close()

    async def get(self, path: str) -> UpstreamReply:
        """`GET {CHATGPT_BASE_URL}/{path}` as this account, whatever the status.

        Raises:
            NoAccount, AuthenticationFailed: the account has no usable credentials.
            UpstreamUnreachable: the backend cannot be reached.
        """
        url = f"{self._base_url}/{path.lstrip('/')}"
        creds = await self._auth.credentials()
        reply = await self._get(url, creds)
        if reply.status == 401:
            creds = await self._auth.refresh_after_unauthorized(creds)
            reply = await self._get(url, creds)
        return reply

    async def _get(self, url: str, creds: CodexCredentials) -> UpstreamReply:
        headers = self._headers(creds)
        headers["accept"] = "application/json"
        try:
            async with self.http().get(
                url, headers=headers, proxy=self._proxy, timeout=_GET_TIMEOUT
            ) as response:
                if response.status == PROXY_AUTH_REQUIRED:
                    raise proxy_refused(self._proxy)
                body = await response.read()
                return UpstreamReply(response.status, tuple(response.headers.items()), body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unreachable(SERVICE, url, exc, proxy=self._proxy) from exc

    async def _post(
        self, body: bytes, creds: CodexCredentials, session_id: str
    ) -> aiohttp.ClientResponse:
        headers = self._post_headers(creds)
        headers["session_id"] = session_id
        try:
            response = await self.http().post(
                self._parsed_url,
                data=body,
                headers=headers,
                proxy=self._proxy,
                timeout=self._timeout,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unreachable(SERVICE, self._url, exc, proxy=self._proxy) from exc
        if response.status == PROXY_AUTH_REQUIRED:  # a plain-http proxy answers itself
            response.release()
            raise proxy_refused(self._proxy)
        return response

    def _post_headers(self, creds: CodexCredentials) -> dict[str, str]:
        """A new copy of the generation headers for `creds`, built once per credentials."""
        kept, headers = self._kept_post_headers
        if kept is not creds:
            headers = self._headers(creds)
            headers["content-type"] = "application/json"
            headers["accept"] = "text/event-stream"
            self._kept_post_headers = (creds, headers)
        return headers.copy()

    def _headers(self, creds: CodexCredentials) -> dict[str, str]:
        headers = {
            "authorization": f"Bearer {creds.access_token}",
            "originator": ORIGINATOR,
            "user-agent": self._user_agent,
        }
        if creds.account_id:
            headers["chatgpt-account-id"] = creds.account_id
        return headers


REQUEST_ID_HEADERS = ("x-request-id", "x-oai-request-id")
"""Where the ChatGPT backend names its request id (the Codex CLI reads them in this order)."""


def exchange(response: aiohttp.ClientResponse, body: bytes, limit: int) -> ir.UpstreamExchange:
    """The exchange for the request log, its response body still empty: references only,
    nothing copied or decoded.

    Args:
        body: the exact bytes sent.
        limit: bytes of the response body to keep (0: none).
    """
    headers = response.headers
    return ir.UpstreamExchange(
        url=str(response.url),
        status=response.status,
        request_id=next((headers[h] for h in REQUEST_ID_HEADERS if h in headers), None),
        request_headers=response.request_info.headers,
        request_body=body,
        response_headers=response.raw_headers,
        response_body=ir.UpstreamBody(limit),
    )


USAGE_LIMIT_CODES = frozenset({"usage_limit_reached", "usage_not_included"})
"""Codex's error types for an account whose plan quota is spent (or has none)."""


def upstream_error(
    status: int, headers: aiohttp.typedefs.LooseHeaders | None, body: bytes
) -> errors.GatewayError:
    """Map a non-2xx Codex answer to the gateway error a client should see."""
    detail, code, payload = _describe(body)
    hdrs = {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}
    if status == 429:
        if code in USAGE_LIMIT_CODES:
            return errors.RateLimited(
                detail or "The ChatGPT usage limit has been reached",
                retry_after=_retry_after(payload, hdrs),
            )
        # Not the account's quota: the backend asks for fewer requests for a moment.
        return errors.RateLimited(
            f"The ChatGPT backend is rate-limiting requests (HTTP 429): {detail}"
            if detail
            else "The ChatGPT backend is rate-limiting requests (HTTP 429)",
            retry_after=_retry_after({}, hdrs),
            usage_limit=False,
        )
    if status in (400, 413) and (code == "context_length_exceeded" or is_context_overflow(detail)):
        return context_too_long(detail)
    if status == 400 or status == 422:
        return errors.InvalidRequest(detail or "The ChatGPT backend rejected the request")
    if status == 401:
        return errors.AuthenticationFailed(
            f"The ChatGPT backend rejected the account's token: {detail or 'unauthorized'}"
        )
    if status == 403:
        return errors.PermissionDenied(detail or "The ChatGPT backend refused this request")
    if status == 404:
        return errors.NotFound(detail or "Not found on the ChatGPT backend")
    if status == 413:
        return errors.RequestTooLarge(detail or "Request too large")
    if status in (503, 529) or code == "server_is_overloaded":
        return errors.UpstreamUnavailable(
            detail or "The ChatGPT backend is overloaded", retry_after=_retry_after({}, hdrs)
        )
    message = f"The ChatGPT backend failed with HTTP {status}" + (f": {detail}" if detail else "")
    return errors.GatewayError(message, status=500 if status < 500 else 502)


def _describe(body: bytes) -> tuple[str, str | None, dict[str, object]]:
    """(message, code, parsed object) from the many error shapes the backend uses."""
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace").strip()[:2000], None, {}
    if not isinstance(parsed, dict):
        return body.decode("utf-8", "replace").strip()[:2000], None, {}
    inner = parsed.get("error")
    source = inner if isinstance(inner, dict) else parsed
    message = source.get("message") or parsed.get("detail") or source.get("detail")
    if isinstance(message, dict | list):
        message = orjson.dumps(message).decode()
    code = source.get("code") or source.get("type")
    text = str(message) if message else (str(code) if code else "")
    return text, str(code) if code else None, source


def _retry_after(payload: dict[str, object], headers: dict[str, str]) -> int | None:
    if "retry-after" in headers:
        try:
            return max(0, int(float(headers["retry-after"])))
        except ValueError:
            pass
    seconds = payload.get("resets_in_seconds")
    if isinstance(seconds, int | float):
        return max(0, int(seconds))
    resets_at = payload.get("resets_at")
    if isinstance(resets_at, int | float):
        return max(0, int(resets_at - time.time()))
    return None
