"""Pure-ASGI middleware: request ids, CORS, the local API password, the console request log.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, which would buffer and wrap every
streamed chunk.
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request

from codex2claudecode import errors
from codex2claudecode.asgi import Message, Receive, Scope, Send

log = logging.getLogger("codex2claudecode.http")

ASGIApp = Any  # an ASGI callable; Starlette's own alias is not exported for typing
Endpoint = Callable[[Request], Awaitable[Any]]
"""A route handler: takes the request, returns an ASGI response."""
ErrorHandler = Callable[[Request, Exception], Awaitable[Any]]
ErrorShape = Callable[[str, errors.GatewayError, str], tuple[int, list[tuple[bytes, bytes]], bytes]]
"""`(path, error, request id) -> (status, headers, body)` in the dialect of the path."""

CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET,POST,HEAD,OPTIONS"),
    (b"access-control-allow-headers", b"*"),
    (b"access-control-expose-headers", b"request-id, retry-after"),
]

OPEN_PATHS = frozenset({"/", "/health"})


class Gateway:
    """Wraps the routing app with everything every request goes through."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        password: str | None,
        hot_routes: Mapping[tuple[str, str], Endpoint] | None = None,
        on_error: ErrorHandler | None = None,
        render_error: ErrorShape,
    ) -> None:
        """
        Args:
            app: the routing app for everything else.
            password: the local API key clients must present, if any.
            hot_routes: (method, path) → endpoint, dispatched directly: the generation routes
                skip the framework's routing and exception layers (about 40 µs a request).
            on_error: renders an exception a hot route raised.
            render_error: renders the middleware's own refusals in the path's dialect.
        """
        self._render_error = render_error
        self._app = app
        self._password = password.encode() if password else None
        self._hot = dict(hot_routes or {})
        self._on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = "req_" + uuid.uuid4().hex[:24]
        scope.setdefault("state", {})["request_id"] = request_id
        rid = request_id.encode()
        started = time.perf_counter()
        status = 0
        complete = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, complete
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                if not any(name == b"request-id" for name, _ in headers):
                    headers.append((b"request-id", rid))
                headers += CORS_HEADERS
                message["headers"] = headers
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                complete = True
            await send(message)

        try:
            if scope["method"] == "OPTIONS":
                await _respond(send_with_headers, 204, b"", [])
            elif self._password is not None and not self._authorized(scope):
                await self._reject(scope, send_with_headers, request_id)
            elif (endpoint := self._hot.get((scope["method"], scope["path"]))) is not None:
                await self._dispatch(endpoint, scope, receive, send_with_headers)
            else:
                try:
                    await self._app(scope, receive, send_with_headers)
                except Exception:
                    # Starlette re-raises after its error handler has logged the bug and
                    # answered; once that answer is out, uvicorn would only log it again.
                    if not complete:
                        raise
        finally:
            if log.isEnabledFor(logging.INFO):
                elapsed = (time.perf_counter() - started) * 1000
                log.info(
                    "[%s] %s %s %s%s %.0fms%s",
                    request_id[4:12],
                    status or "---",
                    scope["method"],
                    scope["path"],
                    _facts(scope["state"]),
                    elapsed,
                    _reason(scope["state"], status),
                )

    async def _dispatch(
        self, endpoint: Endpoint, scope: Scope, receive: Receive, send: Send
    ) -> None:
        request = Request(scope, receive)
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
            "invalid API key: this gateway requires its password as the API key "
            "(x-api-key or Authorization: Bearer)"
            if _presented_keys(scope)
            else "an API key is required: this gateway is protected by a password; send it as "
            "x-api-key or Authorization: Bearer"
        )
        scope["state"]["error"] = message
        status, headers, body = self._render_error(
            scope["path"], errors.AuthenticationFailed(message), request_id
        )
        await _respond(send, status, body, headers)


def _facts(state: Mapping[str, Any]) -> str:
    """` model=… account=…` from what the frontend and backend put in the request's state."""
    return "".join(f" {key}={state[key]}" for key in ("model", "account") if state.get(key))


def _reason(state: Mapping[str, Any], status: int) -> str:
    """`: why` for a failed request, from the error the app answered with."""
    error = state.get("error")
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
