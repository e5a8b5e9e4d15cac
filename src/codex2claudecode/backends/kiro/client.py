"""HTTP to Kiro for one account: generate (streaming), ListAvailableModels, getUsageLimits, MCP.

Retries as Kiro's own clients do (spec §6): a 401/403 refreshes the token once; 429 and 5xx are
retried after 1, 2 and 4 s; a stream that sends no first byte within the first-token timeout
is abandoned and sent once more. The other host profile is tried when the first one refuses
the account or does not know the operation (kiro-2026-update §2).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import orjson

from codex2claudecode import errors, ir
from codex2claudecode.backends.base import UpstreamReply
from codex2claudecode.backends.connection import (
    PROXY_AUTH_REQUIRED,
    proxy_refused,
    unreachable,
)
from codex2claudecode.backends.kiro.accounts.credentials import KiroCredentials
from codex2claudecode.backends.kiro.auth import KiroAuth
from codex2claudecode.backends.kiro.endpoints import (
    Endpoint,
    api_headers,
    endpoints,
    machine_fingerprint,
    mcp_headers,
)
from codex2claudecode.backends.kiro.failures import Failure, classify
from codex2claudecode.config import Config

log = logging.getLogger(__name__)

BACKOFF: tuple[float, ...] = (1.0, 2.0, 4.0)
"""Seconds to wait before the 2nd, 3rd and 4th try after a 429 or 5xx (spec §6.1)."""
_SMALL_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=15)
_MCP_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=15)
_FALLBACK_STATUSES = frozenset({401, 403, 404})


class KiroRefused(Exception):
    """Kiro answered a request with an error; `failure` says what it means and what to cool."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.error.message)
        self.failure = failure


@dataclass(frozen=True, slots=True)
class Opened:
    """A 2xx generation response and the first bytes of its body (read to time the start)."""

    response: aiohttp.ClientResponse
    first: bytes
    sent: bytes
    """The exact body sent (the account's profile ARN added): for the request log."""


class KiroClient:
    def __init__(
        self,
        config: Config,
        auth: KiroAuth,
        http: Callable[[], aiohttp.ClientSession],
        *,
        backoff: Sequence[float] = BACKOFF,
        first_token_timeout: float,
        first_token_retries: int,
    ) -> None:
        self.config = config
        self._auth = auth
        self._http = http
        self._backoff = tuple(backoff)
        self._first_token_timeout = first_token_timeout
        self._first_token_retries = first_token_retries
        self._fingerprint = machine_fingerprint()
        # No read timeout: `deadline.within_limits` times the answer, counting only real
        # events (a socket timeout would also fire before the headers, and race it mid-stream).
        self._stream_timeout = aiohttp.ClientTimeout(total=None, sock_connect=15)
        self._preferred: Endpoint | None = None

    # ------------------------------------------------------------------ generation

    @asynccontextmanager
    async def generate(
        self, payload: dict[str, object], *, context: Mapping[str, object] | None = None
    ) -> AsyncIterator[Opened]:
        """Send a `generateAssistantResponse`; yield the open stream with its first bytes.

        Raises:
            KiroRefused: Kiro answered with an error after the retries.
            UpstreamUnavailable: Kiro could not be reached, or sent no first byte in time.
        """
        attempts = 1 + self._first_token_retries
        for attempt in range(attempts):
            response, sent = await self._request("POST", "generateAssistantResponse", payload)
            try:
                first = await self._first_bytes(response)
            except TimeoutError:
                response.close()
                log.warning(
                    "Kiro sent no first byte in %.1f s; asking again", self._first_token_timeout
                )
                if attempt + 1 < attempts:
                    continue
                raise errors.UpstreamUnavailable(
                    f"Kiro did not start answering within {self._first_token_timeout:g} s "
                    f"({attempts} attempt{'s' if attempts > 1 else ''}); retry shortly."
                ) from None
            except BaseException:
                response.close()
                raise
            try:
                yield Opened(response, first, sent or b"")
            finally:
                if response.content.at_eof():
                    response.release()
                else:
                    response.close()  # also stops the generation when the client went away
            return

    async def _first_bytes(self, response: aiohttp.ClientResponse) -> bytes:
        async with asyncio.timeout(self._first_token_timeout or None):
            try:
                return await response.content.readany()
            except aiohttp.ClientError as exc:
                raise errors.UpstreamFailed(
                    "the connection to Kiro broke before the answer began "
                    f"({exc.__class__.__name__})"
                ) from exc

    # ------------------------------------------------------------------ small calls

    async def list_models(self) -> list[Mapping[str, object]]:
        """Every page of `ListAvailableModels` (update §1: `maxResults=50`, `nextToken`)."""
        pages: list[Mapping[str, object]] = []
        token: str | None = None
        for _ in range(20):  # a runaway `nextToken` must not loop for ever
            query: dict[str, str] = {"origin": "AI_EDITOR", "maxResults": "50"}
            if token:
                query["nextToken"] = token
            reply = await self._small("GET", "ListAvailableModels", query)
            page = _json_object(reply.body)
            pages.append(page)
            next_token = page.get("nextToken")
            token = next_token if isinstance(next_token, str) and next_token else None
            if token is None:
                break
        return pages

    async def usage_limits(self) -> UpstreamReply:
        """`getUsageLimits` for the account, as Kiro answered it (2xx only); asked once, not
        again after a 429 or 5xx (spec §6.2): a refusal waiting on it must not wait 7 s more."""
        query = {"origin": "AI_EDITOR", "resourceType": "AGENTIC_REQUEST"}
        return await self._small("GET", "getUsageLimits", query, backoff=())

    async def mcp(self, body: Mapping[str, object]) -> UpstreamReply:
        """A JSON-RPC call to Kiro's `/mcp` (web search); one refresh on 401/403."""
        creds = await self._auth.credentials()
        reply = await self._mcp(body, creds)
        if reply.status in (401, 403):
            creds = await self._auth.refresh_after_unauthorized(creds)
            reply = await self._mcp(body, creds)
        if reply.status >= 400:
            raise KiroRefused(classify(reply.status, dict(reply.headers), reply.body))
        return reply

    async def _mcp(self, body: Mapping[str, object], creds: KiroCredentials) -> UpstreamReply:
        endpoint = self._endpoints(creds)[0]
        try:
            async with self._http().post(
                endpoint.url("mcp"),
                data=orjson.dumps(body),
                headers=dict(mcp_headers(creds.access_token)),
                proxy=self.config.proxies.for_url(endpoint.base_url),
                timeout=_MCP_TIMEOUT,
            ) as response:
                data = await response.read()
                return UpstreamReply(response.status, tuple(response.headers.items()), data)
        except (aiohttp.ClientError, TimeoutError) as exc:
            url = endpoint.url("mcp")
            raise _unreachable(exc, url, self.config.proxies.for_url(url)) from exc

    async def _small(
        self,
        method: str,
        operation: str,
        query: dict[str, str],
        *,
        backoff: Sequence[float] | None = None,
    ) -> UpstreamReply:
        response, _ = await self._request(
            method, operation, None, query=query, small=True, backoff=backoff
        )
        try:
            body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            url = str(response.url)
            raise _unreachable(exc, url, self.config.proxies.for_url(url)) from exc
        finally:
            response.release()
        return UpstreamReply(response.status, tuple(response.headers.items()), body)

    # ------------------------------------------------------------------ the retry loop

    async def _request(
        self,
        method: str,
        operation: str,
        payload: dict[str, object] | None,
        *,
        query: dict[str, str] | None = None,
        small: bool = False,
        backoff: Sequence[float] | None = None,
    ) -> tuple[aiohttp.ClientResponse, bytes | None]:
        """The first answer below 400 and the body that got it, after retries and fallbacks.

        Args:
            backoff: seconds to wait before each retry after a 429 or 5xx (default: the
                client's); empty to ask only once.
        """
        waits = self._backoff if backoff is None else tuple(backoff)
        creds = await self._auth.credentials()
        refreshed = False
        tried_hosts: set[str] = set()
        attempt = 0
        while True:
            attempt += 1
            endpoint = self._endpoint(creds, tried_hosts)
            response, sent = await self._send(
                method, endpoint, operation, payload, query, creds, attempt, small
            )
            status = response.status
            if status < 400:
                self._preferred = endpoint
                return response, sent
            body = await _read_quietly(response)
            if status == PROXY_AUTH_REQUIRED:  # a plain-http proxy answers itself
                raise proxy_refused(self.config.proxies.for_url(endpoint.base_url))
            if status in (401, 403) and not refreshed:
                refreshed = True
                creds = await self._auth.refresh_after_unauthorized(creds)
                continue
            if status in _FALLBACK_STATUSES and self._other_endpoint(
                creds, tried_hosts | {endpoint.name}
            ):
                tried_hosts.add(endpoint.name)
                log.info("Kiro host %s answered %d; trying the other host", endpoint.name, status)
                continue
            retryable = status == 429 or status >= 500
            if retryable and attempt <= len(waits) and not _is_credits_refusal(body):
                await asyncio.sleep(waits[attempt - 1])
                continue
            headers = {k.lower(): v for k, v in response.headers.items()}
            failure = classify(status, headers, body, payload=payload)
            failure.error.upstream_status = status
            failure.error.upstream = refused = exchange(
                response, sent or b"", ir.UpstreamBody(self.config.log_body_limit)
            )
            refused.response_body.add(body)
            raise KiroRefused(failure)

    async def _send(
        self,
        method: str,
        endpoint: Endpoint,
        operation: str,
        payload: dict[str, object] | None,
        query: dict[str, str] | None,
        creds: KiroCredentials,
        attempt: int,
        small: bool,
    ) -> tuple[aiohttp.ClientResponse, bytes | None]:
        headers = api_headers(
            creds.access_token,
            attempt=attempt,
            fingerprint=self._fingerprint,
            external_idp=creds.is_external_idp,
        )
        url = endpoint.url(operation)
        data: bytes | None = None
        if payload is not None:
            body = dict(payload)
            if creds.profile_arn:  # only a real ARN, never an invented one (update §2)
                body["profileArn"] = creds.profile_arn
            data = orjson.dumps(body)
        elif query is not None:
            if creds.profile_arn:
                query = {**query, "profileArn": creds.profile_arn}
            url += "?" + urlencode(query)
        try:
            response = await self._http().request(
                method,
                url,
                data=data,
                headers=headers,
                proxy=self.config.proxies.for_url(url),
                timeout=_SMALL_TIMEOUT if small else self._stream_timeout,
            )
            return response, data
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _unreachable(exc, url, self.config.proxies.for_url(url)) from exc

    def _endpoints(self, creds: KiroCredentials) -> tuple[Endpoint, ...]:
        # The API region is the profile ARN's when there is one (update §2).
        region = creds.arn_region or self.config.kiro_api_region
        found = endpoints(self.config, region)
        if self._preferred is not None and self._preferred in found:
            return (self._preferred, *(e for e in found if e != self._preferred))
        return found

    def _endpoint(self, creds: KiroCredentials, tried: set[str]) -> Endpoint:
        return next(
            (e for e in self._endpoints(creds) if e.name not in tried), self._endpoints(creds)[0]
        )

    def _other_endpoint(self, creds: KiroCredentials, tried: set[str]) -> bool:
        return any(e.name not in tried for e in self._endpoints(creds))


REQUEST_ID_HEADER = "x-amzn-requestid"
"""Where AWS services, Kiro's among them, name their request id."""


def exchange(
    response: aiohttp.ClientResponse, sent: bytes, kept: ir.UpstreamBody
) -> ir.UpstreamExchange:
    """The exchange for the request log: references only, nothing copied or decoded.

    Args:
        sent: the exact bytes sent.
        kept: where the response body is kept, as read.
    """
    return ir.UpstreamExchange(
        url=str(response.url),
        status=response.status,
        request_id=response.headers.get(REQUEST_ID_HEADER),
        request_headers=response.request_info.headers,
        request_body=sent,
        response_headers=response.raw_headers,
        response_body=kept,
    )


def _is_credits_refusal(body: bytes) -> bool:
    # Spent credits do not come back in 7 seconds: answer at once instead of retrying.
    lowered = body.lower()
    return b"throttled by the service" in lowered or b"monthly_request_count" in lowered


async def _read_quietly(response: aiohttp.ClientResponse) -> bytes:
    try:
        return await response.read()
    except (aiohttp.ClientError, TimeoutError):
        return b""
    finally:
        response.release()


def _json_object(body: bytes) -> Mapping[str, object]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise errors.UpstreamFailed("Kiro answered the model list with something not JSON") from exc
    return parsed if isinstance(parsed, dict) else {}


def _unreachable(exc: BaseException, url: str, proxy: str | None) -> errors.GatewayError:
    return unreachable("Kiro", url, exc, proxy=proxy)
