"""Pure-ASGI middleware: request ids, Host/Origin checks and CORS, the local API password, body
limits, disconnect watching and the console request log.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, which would buffer and wrap every
streamed chunk.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from starlette.requests import Request

from codex2claudecode import errors
from codex2claudecode.asgi import Message, Receive, Scope, Send
from codex2claudecode.requestlog.record import RequestRecord
from codex2claudecode.requestlog.writer import RequestLog
from codex2claudecode.server.access import (
    AccessPolicy,
    cors_headers,
    host_refusal,
    origin_refusal,
    preflight_headers,
)
from codex2claudecode.server.exchange import Exchange, read_body, run_watched

log = logging.getLogger("codex2claudecode.http")

ASGIApp = Any  # an ASGI callable; Starlette's own alias is not exported for typing
Endpoint = Callable[[Request], Awaitable[Any]]
"""A route handler: takes the request, returns an ASGI response."""
ErrorHandler = Callable[[Request, Exception], Awaitable[Any]]
ErrorShape = Callable[[str, errors.GatewayError, str], tuple[int, list[tuple[bytes, bytes]], bytes]]
"""`(path, error, request id) -> (status, headers, body)` in the dialect of the path."""

HELLO_PATH = "/api/hello"
"""Claude Code's connection probe: answered like `/`, without the key it may not send."""
OPEN_PATHS = frozenset({"/", "/health", HELLO_PATH})
CLOSE = (b"connection", b"close")
STOPPING = errors.ShuttingDown()
MAX_HEADERS = 128
"""Header lines per request at most (Claude Code sends about 20); the protocol caps their bytes."""


class Gateway:
    """Wraps the routing app with everything every request goes through."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        password: str | None,
        access: AccessPolicy,
        max_body_bytes: int,
        hot_routes: Mapping[tuple[str, str], Endpoint] | None = None,
        on_error: ErrorHandler | None = None,
        render_error: ErrorShape,
        request_log: RequestLog | None = None,
        provider: Callable[[], str] | None = None,
    ) -> None:
        """
        Args:
            app: the routing app for everything else.
            password: the local API key clients must present, if any.
            access: which Host and Origin values may reach the gateway.
            max_body_bytes: the largest request body accepted (413 beyond it).
            hot_routes: (method, path) → endpoint, dispatched directly: the generation routes
                skip the framework's routing and exception layers (about 40 µs a request).
                They take JSON bodies only.
            on_error: renders an exception a hot route raised.
            render_error: renders the middleware's own refusals in the path's dialect.
            request_log: records every request that passed the access and password checks.
            provider: names the provider serving now, for the record of a parsed model
                request that no answer named (an upstream refusal, no account); a request
                refused before it reached a provider names none.
        """
        self._provider = provider
        self._request_log = request_log
        self._render_error = render_error
        self._app = app
        self._password = password.encode() if password else None
        self._access = access
        self._max_body = max_body_bytes
        self._hot = dict(hot_routes or {})
        self._on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = "req_" + os.urandom(12).hex()  # as random as uuid4's hex, a third the cost
        scope.setdefault("state", {})["request_id"] = request_id
        rid = request_id.encode()
        started = time.perf_counter()
        headers = dict(scope["headers"])
        origin = headers.get(b"origin")
        cors = (
            cors_headers(origin)
            if origin is not None and self._access.origin_allowed(origin)
            else None
        )
        exchange = Exchange()
        record: RequestRecord | None = None

        async def send_with_headers(message: Message) -> None:
            if record is not None:
                _note(record, message)
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                out = list(message.get("headers", ()))
                if not any(name == b"request-id" for name, _ in out):
                    out.append((b"request-id", rid))
                if cors is not None and not any(
                    name == b"access-control-allow-origin" for name, _ in out
                ):
                    out += cors
                message["headers"] = out
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                exchange.complete = True
            await send(message)

        try:
            refusal = self._refusal(scope, headers, origin, allowed_origin=cors is not None)
            if refusal is not None:
                await self._refuse(scope, send_with_headers, request_id, refusal)
            elif scope["method"] == "OPTIONS" and cors is not None:
                assert origin is not None
                preflight = preflight_headers(
                    origin, headers.get(b"access-control-request-headers")
                )
                await _respond(send_with_headers, 204, b"", preflight)
            elif self._password is not None and not self._authorized(scope):
                await self._reject(scope, send_with_headers, request_id)
            else:
                if self._request_log is not None:
                    record = self._request_log.start(
                        scope["method"], _path_and_query(scope), request_id=request_id
                    )
                    record.request_headers = scope["headers"]
                    scope["state"]["request_record"] = record
                await self._serve(scope, receive, send_with_headers, headers, request_id, exchange)
        finally:
            if record is not None and self._request_log is not None:
                if record.model_requested and not record.provider and self._provider:
                    record.provider = self._provider()
                _close(record, exchange.status, scope["state"])
                self._request_log.submit(record)
            if log.isEnabledFor(logging.INFO):
                elapsed = (time.perf_counter() - started) * 1000
                # A stream is a 200 however it ended: its outcome says how (issue 11.6).
                outcome = scope["state"].get("outcome")
                # On the next loop turn: after the response's last write has gone out.
                asyncio.get_running_loop().call_soon(
                    log.info,
                    "[%s] %s %s %s%s %.0fms%s%s",
                    request_id[4:12],
                    exchange.status or "---",
                    scope["method"],
                    scope["path"],
                    _facts(scope["state"]),
                    elapsed,
                    _reason(scope["state"], exchange.status),
                    f" {outcome}" if outcome else "",
                )

    def _refusal(
        self,
        scope: Scope,
        headers: Mapping[bytes, bytes],
        origin: bytes | None,
        *,
        allowed_origin: bool,
    ) -> errors.GatewayError | None:
        host = headers.get(b"host")
        if not self._access.host_allowed(host):
            assert host is not None
            return host_refusal(host)
        if origin is not None and not allowed_origin:
            return origin_refusal(origin)
        if len(scope["headers"]) > MAX_HEADERS:
            return errors.RequestTooLarge(
                f"too many header lines: {len(scope['headers'])}, at most {MAX_HEADERS}",
                status=431,
            )
        return None

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: Mapping[bytes, bytes],
        request_id: str,
        exchange: Exchange,
    ) -> None:
        endpoint = self._hot.get((scope["method"], scope["path"]))
        if endpoint is not None and not _is_json(headers.get(b"content-type")):
            refusal = errors.GatewayError(
                "this endpoint takes a JSON body: send Content-Type: application/json",
                status=415,
            )
            await self._refuse(scope, send, request_id, refusal)
            return
        try:
            body = await read_body(receive, headers.get(b"content-length"), self._max_body)
        except errors.RequestTooLarge as exc:
            # Closing the connection spares us the rest of a body we will never read.
            await self._refuse(scope, send, request_id, exc, [CLOSE])
            return
        if body is None:
            return  # the client left while sending its body
        app = self._app if endpoint is None else partial(self._dispatch, endpoint, body)
        stopped = partial(self._refuse, scope, send, request_id, STOPPING, [CLOSE])
        await run_watched(app, scope, receive, send, body, exchange, stopped)

    async def _dispatch(
        self, endpoint: Endpoint, body: bytes, scope: Scope, receive: Receive, send: Send
    ) -> None:
        request = _ReadRequest(scope, receive, body)
        try:
            response = await endpoint(request)
        except Exception as exc:
            if self._on_error is None:
                raise
            response = await self._on_error(request, exc)
        await response(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        if scope["path"] in OPEN_PATHS and scope["method"] in ("GET", "HEAD"):
            return True
        assert self._password is not None
        # Either header may carry the password (a client can send both, one of them stale);
        # every key is compared, in constant time.
        matched = False
        for key in _presented_keys(scope):
            matched |= hmac.compare_digest(key, self._password)
        return matched

    async def _reject(self, scope: Scope, send: Send, request_id: str) -> None:
        message = (
            "invalid API key: send this gateway's password, or the local key "
            "`claude-env set --with-key` wrote, as x-api-key or Authorization: Bearer"
            if _presented_keys(scope)
            else "an API key is required: this gateway is protected by a password or a local "
            "key; send it as x-api-key or Authorization: Bearer"
        )
        await self._refuse(scope, send, request_id, errors.AuthenticationFailed(message))

    async def _refuse(
        self,
        scope: Scope,
        send: Send,
        request_id: str,
        exc: errors.GatewayError,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        scope["state"]["error"] = exc.message
        status, headers, body = self._render_error(scope["path"], exc, request_id)
        await _respond(send, status, body, [*headers, *(extra or ())])


class _ReadRequest(Request):
    """A request whose body the middleware has read: `body()` answers without `receive()`."""

    def __init__(self, scope: Scope, receive: Receive, body: bytes) -> None:
        super().__init__(scope, receive)
        self._body = body  # where Starlette keeps a body it has read (`stream()` reads it too)


def _is_json(content_type: bytes | None) -> bool:
    if content_type is None:
        return False
    media_type = content_type.partition(b";")[0].strip().lower()
    return media_type == b"application/json"


def _facts(state: Mapping[str, Any]) -> str:
    """` model=… account=…` from what the frontend and backend noted about the request."""
    record = state.get("request_record")
    if record is not None:
        model = record.model_requested
        if model and record.model_used and record.model_used != model:
            model = f"{model}->{record.model_used}"
        facts = {"model": model, "account": record.account}
    else:
        facts = {key: state.get(key) for key in ("model", "account")}
    return "".join(f" {key}={value}" for key, value in facts.items() if value)


def _note(record: RequestRecord, message: Message) -> None:
    """Keep what the client is sent: the response headers, body and time to first byte."""
    if message["type"] == "http.response.start":
        record.response_headers = message.get("headers")
    elif message["type"] == "http.response.body":
        chunk = message.get("body", b"")
        if chunk:
            record.mark_first_byte()
            record.add_response_chunk(chunk)


def _close(record: RequestRecord, status: int, state: Mapping[str, Any]) -> None:
    record.finish(status)
    outcome = state.get("outcome")
    if record.error is None and outcome and outcome != "completed":
        record.error = outcome
    if record.error is None and status >= 400:
        record.error = state.get("error")


def _path_and_query(scope: Scope) -> str:
    path: str = scope["path"]
    query: bytes = scope.get("query_string") or b""
    return path + ("?" + query.decode("latin-1") if query else "")


def _reason(state: Mapping[str, Any], status: int) -> str:
    """`: why` for a failed request, from the error the app answered with."""
    record = state.get("request_record")
    error = state.get("error") or (record.error if record is not None else None)
    return f": {error}" if error and status >= 400 else ""


def _presented_keys(scope: Scope) -> list[bytes]:
    """The keys from `x-api-key` and `Authorization: Bearer`; empty ones count as none."""
    keys = []
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            key = value.strip()
        elif name == b"authorization" and value[:7].lower() == b"bearer ":
            key = value[7:].strip()
        else:
            continue
        if key:
            keys.append(bytes(key))
    return keys


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
