"""The ASGI application: routes, middleware and the life cycle of shared resources."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from codex2claudecode import __version__, errors
from codex2claudecode.asgi import BodyResponse
from codex2claudecode.config import Config
from codex2claudecode.frontends.anthropic.errors import render_error
from codex2claudecode.frontends.anthropic.routes import AnthropicRoutes, request_id_of
from codex2claudecode.server.middleware import Gateway

log = logging.getLogger("codex2claudecode.server")

Hook = Callable[[], Awaitable[None]]


def create_app(
    config: Config,
    anthropic: AnthropicRoutes,
    *,
    extra_routes: Sequence[Route] = (),
    on_startup: list[Hook] | None = None,
    on_shutdown: list[Hook] | None = None,
) -> Gateway:
    """Build the whole gateway app: `Gateway` middleware around Starlette routing."""

    async def root(request: Request) -> BodyResponse:
        return BodyResponse(200, _root_body(config))

    async def health(request: Request) -> BodyResponse:
        return BodyResponse(200, b'{"ok":true,"runtime":{"ok":true}}')

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for hook in on_startup or ():
            await hook()
        try:
            yield
        finally:
            for hook in on_shutdown or ():
                with contextlib.suppress(Exception):
                    await hook()

    routes = [
        Route("/", root, methods=["GET", "HEAD"]),
        Route("/health", health, methods=["GET", "HEAD"]),
        Route("/v1/messages", anthropic.messages, methods=["POST"]),
        Route("/v1/message", anthropic.messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", anthropic.count_tokens, methods=["POST"]),
        *extra_routes,
    ]
    # Starlette types handlers as returning its Response; any ASGI response works at runtime.
    handlers: dict[Any, Any] = {
        404: _not_found,
        405: _method_not_allowed,
        errors.GatewayError: _gateway_error,
        Exception: _unexpected,
    }
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)
    hot = {
        ("POST", "/v1/messages"): anthropic.messages,
        ("POST", "/v1/message"): anthropic.messages,
        ("POST", "/v1/messages/count_tokens"): anthropic.count_tokens,
    }
    return Gateway(app, password=config.password, hot_routes=hot, on_error=_on_error)


def _root_body(config: Config) -> bytes:
    return orjson.dumps(
        {
            "message": "codex2claudecode",
            "status": "running",
            "version": __version__,
            "config": {"password_protected": bool(config.password), "log_body": config.log_body},
            "endpoints": {
                "messages": "/v1/messages",
                "count_tokens": "/v1/messages/count_tokens",
                "usage": "/usage",
                "environments": "/environments",
                "health": "/health",
            },
        }
    )


def _error(request: Request, exc: errors.GatewayError) -> BodyResponse:
    status, headers, body = render_error(exc, request_id=request_id_of(request))
    return BodyResponse(status, body, headers)


async def _not_found(request: Request, exc: Any) -> BodyResponse:
    return _error(request, errors.NotFound(f"Not found: {request.method} {request.url.path}"))


async def _method_not_allowed(request: Request, exc: Any) -> BodyResponse:
    err = errors.InvalidRequest(f"Method {request.method} is not allowed on {request.url.path}")
    err.status = 405  # type: ignore[misc]  # per-instance status override
    response = _error(request, err)
    allow = (getattr(exc, "headers", None) or {}).get("Allow")
    if allow:  # RFC 9110 §15.5.6: a 405 lists the methods the path does allow
        response.headers = [*response.headers, (b"allow", allow.encode())]
    return response


async def _gateway_error(request: Request, exc: Exception) -> BodyResponse:
    assert isinstance(exc, errors.GatewayError)
    return _error(request, exc)


async def _on_error(request: Request, exc: Exception) -> BodyResponse:
    if isinstance(exc, errors.GatewayError):
        return _error(request, exc)
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> BodyResponse:
    if isinstance(exc, asyncio.CancelledError):
        raise exc
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error(request, errors.GatewayError(f"internal error: {exc.__class__.__name__}"))
