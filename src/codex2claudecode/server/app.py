"""The ASGI application: routes, middleware and the life cycle of shared resources."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from codex2claudecode import __version__, errors
from codex2claudecode.asgi import BodyResponse
from codex2claudecode.config import Config
from codex2claudecode.frontends.dialect import Dialect, request_id_of
from codex2claudecode.requestlog.writer import RequestLog
from codex2claudecode.server.access import AccessPolicy
from codex2claudecode.server.local_key import gateway_key
from codex2claudecode.server.middleware import HELLO_PATH, Gateway

log = logging.getLogger("codex2claudecode.server")

Hook = Callable[[], Awaitable[None]]


def create_app(
    config: Config,
    dialects: Sequence[Dialect],
    *,
    extra_routes: Sequence[Route] = (),
    on_startup: list[Hook] | None = None,
    on_shutdown: list[Hook] | None = None,
    health: Callable[[], Mapping[str, object]] | None = None,
    request_log: RequestLog | None = None,
    provider: Callable[[], str] | None = None,
) -> Gateway:
    """Build the whole gateway app: `Gateway` middleware around Starlette routing.

    Args:
        dialects: the frontends; an error on a path goes out in the shape of the dialect that
            owns the path, the first dialect's for paths nobody owns.
        provider: names the provider serving now (for request records no answer named).
        health: what `GET /health` adds to its liveness answer: `ready` (whether a request
            can be served now), and the accounts and upstream state behind it.
    """
    errors_in = _ErrorShapes(dialects)
    api_key = gateway_key(config.password, config.local_key_path)
    root_body = _root_body(config, password_protected=api_key is not None)

    async def root(request: Request) -> BodyResponse:
        return BodyResponse(200, root_body)

    async def hello(request: Request) -> BodyResponse:
        return BodyResponse(200, b'{"ok":true}')

    async def health_route(request: Request) -> BodyResponse:
        # Always 200 while the process serves (liveness); `ready` says whether requests can work.
        state = health() if health is not None else {"ready": True}
        return BodyResponse(200, orjson.dumps({"ok": True, "runtime": {"ok": True}, **state}))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for hook in on_startup or ():
            await hook()
        try:
            yield
        except asyncio.CancelledError:
            # A forced exit (a second Ctrl+C) skips the server's shutdown and cancels this task
            # as the loop closes: the hooks still run (what they cannot finish, they report),
            # and the exit stays quiet.
            pass
        finally:
            for hook in on_shutdown or ():
                with contextlib.suppress(Exception):
                    await hook()

    dialect_routes = [route for dialect in dialects for route in dialect.routes]
    routes = [
        Route("/", root, methods=["GET", "HEAD"]),
        Route("/health", health_route, methods=["GET", "HEAD"]),
        # Claude Code warms its connection with `HEAD /api/hello` before requests (and again
        # for subagents); a 404 there would put an error line in the console each time.
        Route(HELLO_PATH, hello, methods=["GET", "HEAD"]),
        *(Route(r.path, r.endpoint, methods=[r.method]) for r in dialect_routes),
        *extra_routes,
    ]
    # Starlette types handlers as returning its Response; any ASGI response works at runtime.
    handlers: dict[Any, Any] = {
        404: errors_in.not_found,
        405: errors_in.method_not_allowed,
        errors.GatewayError: errors_in.gateway_error,
        Exception: errors_in.unexpected,
    }
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)
    hot = {(r.method, r.path): r.endpoint for r in dialect_routes if r.hot}
    return Gateway(
        app,
        password=api_key,
        access=AccessPolicy(config),
        max_body_bytes=config.max_request_body_bytes,
        hot_routes=hot,
        on_error=errors_in.any_error,
        render_error=errors_in.render,
        request_log=request_log,
        provider=provider,
    )


def _root_body(config: Config, *, password_protected: bool) -> bytes:
    return orjson.dumps(
        {
            "message": "codex2claudecode",
            "status": "running",
            "version": __version__,
            "config": {"password_protected": password_protected, "log_body": config.log_body},
            "endpoints": {
                "messages": "/v1/messages",
                "count_tokens": "/v1/messages/count_tokens",
                "responses": "/v1/responses",
                "chat_completions": "/v1/chat/completions",
                "models": "/v1/models",
                "usage": "/usage",
                "environments": "/environments",
                "health": "/health",
            },
        }
    )


class _ErrorShapes:
    """Renders errors in the dialect of the request's path."""

    def __init__(self, dialects: Sequence[Dialect]) -> None:
        if not dialects:
            raise ValueError("the gateway needs at least one dialect")
        self._dialects = tuple(dialects)

    def render(
        self, path: str, exc: errors.GatewayError, request_id: str
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        owner = next((d for d in self._dialects if d.owns(path)), self._dialects[0])
        return owner.render_error(exc, request_id)

    def _error(self, request: Request, exc: errors.GatewayError) -> BodyResponse:
        request.state.error = exc.message  # for the console line (server.middleware)
        status, headers, body = self.render(request.url.path, exc, request_id_of(request))
        return BodyResponse(status, body, headers)

    async def not_found(self, request: Request, exc: Any) -> BodyResponse:
        message = f"Not found: {request.method} {request.url.path}"
        return self._error(request, errors.NotFound(message))

    async def method_not_allowed(self, request: Request, exc: Any) -> BodyResponse:
        err = errors.InvalidRequest(f"Method {request.method} is not allowed on {request.url.path}")
        err.status = 405  # type: ignore[misc]  # per-instance status override
        response = self._error(request, err)
        allow = (getattr(exc, "headers", None) or {}).get("Allow")
        if allow:  # RFC 9110 §15.5.6: a 405 lists the methods the path does allow
            response.headers = [*response.headers, (b"allow", allow.encode())]
        return response

    async def gateway_error(self, request: Request, exc: Exception) -> BodyResponse:
        assert isinstance(exc, errors.GatewayError)
        return self._error(request, exc)

    async def any_error(self, request: Request, exc: Exception) -> BodyResponse:
        if isinstance(exc, errors.GatewayError):
            return self._error(request, exc)
        return await self.unexpected(request, exc)

    async def unexpected(self, request: Request, exc: Exception) -> BodyResponse:
        if isinstance(exc, asyncio.CancelledError):
            raise exc
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return self._error(
            request, errors.GatewayError(f"internal error: {exc.__class__.__name__}")
        )
