"""`GET /usage` and `GET /environments` (also under `/wham/`): the upstream's answer for the
active account, passed through (spec original-codex §9).

The status and body are the upstream's; its headers too, less the hop-by-hop, framing and
cookie ones. Failing to ask at all (no account, unreachable) is a `GatewayError` for the app's
error handler.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Protocol

import orjson
from starlette.requests import Request
from starlette.routing import Route

from codex2claudecode.asgi import BodyResponse, Headers
from codex2claudecode.backends.base import UpstreamReply
from codex2claudecode.requestlog.queries import LogReader, LogUnreadable

_DROPPED = frozenset(
    {
        "connection",
        "content-encoding",  # aiohttp has already decoded the body
        "content-length",
        "keep-alive",
        "set-cookie",
        "set-cookie2",
        "transfer-encoding",
        "date",  # the server adds its own
        "server",
    }
)


class UsageSource(Protocol):
    async def usage(self) -> UpstreamReply: ...
    async def environments(self) -> UpstreamReply: ...


def usage_routes(source: UsageSource, log_path: Path | None = None) -> list[Route]:
    """The routes; `source` is the active provider's backend; `log_path` the request log,
    whose per-model token totals `/usage` adds to an upstream JSON object as `gateway`."""

    async def usage(request: Request) -> BodyResponse:
        reply = passthrough(await source.usage())
        if log_path is not None and reply.status == 200:
            reply.body = await asyncio.to_thread(_with_totals, reply.body, log_path)
        return reply

    async def environments(request: Request) -> BodyResponse:
        return passthrough(await source.environments())

    return [
        Route("/usage", usage, methods=["GET"]),
        Route("/wham/usage", usage, methods=["GET"]),
        Route("/environments", environments, methods=["GET"]),
        Route("/wham/environments", environments, methods=["GET"]),
    ]


def _with_totals(body: bytes, log_path: Path) -> bytes:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if not isinstance(document, dict):
        return body
    try:
        with LogReader(log_path) as reader:
            totals = reader.token_totals() if reader.exists else []
    except (LogUnreadable, OSError):
        return body
    document["gateway"] = {"tokens_by_model": [dataclasses.asdict(t) for t in totals]}
    return orjson.dumps(document)


def passthrough(reply: UpstreamReply) -> BodyResponse:
    """The client's response for an upstream answer."""
    headers: Headers = [
        (name.lower().encode("latin-1"), value.encode("utf-8", "surrogateescape"))
        for name, value in reply.headers
        if name.lower() not in _DROPPED
    ]
    return BodyResponse(reply.status, reply.body, headers)
