"""The Codex provider: `ir.Request` in, batches of `ir.Event` out.

Stack: aiohttp body reads → `SSEParser` → `ResponsesDecoder` → one list of events per read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import asyncio

import aiohttp
import orjson

from codex2claudecode import errors, ir
from codex2claudecode.backends.codex.client import CodexClient
from codex2claudecode.backends.codex.events import ResponsesDecoder
from codex2claudecode.backends.codex.models import DEFAULT_TIER_MODELS, resolve_model
from codex2claudecode.backends.codex.payload import DEFAULT_INSTRUCTIONS, encode_payload
from codex2claudecode.backends.codex.sse import SSEParser
from codex2claudecode.tokens import count_text

_DRAIN_TIMEOUT = 0.5

CONTEXT_WINDOW = 272_000
"""Input tokens the Codex backend accepts for GPT-5-family models (400k total, 128k output)."""


class CodexBackend:
    def __init__(
        self,
        client: CodexClient,
        *,
        count_tokens: Callable[[ir.Request], int],
        tier_models: Mapping[str, str] | None = None,
        service_tier: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._client = client
        self._count_tokens = count_tokens
        self._tier_models = {**DEFAULT_TIER_MODELS, **(tier_models or {})}
        self._service_tier = service_tier

    def count_tokens(self, request: ir.Request) -> int:
        """Input tokens of `request` as this backend will bill them, counted locally."""
        count = self._count_tokens(request)
        if not request.system:  # we send default instructions then, and they are billed
            count += count_text(DEFAULT_INSTRUCTIONS)
        return count

    def encode(self, request: ir.Request) -> bytes:
        """The exact upstream body for `request`."""
        model = resolve_model(
            request.model,
            effort=request.effort,
            thinking=request.thinking,
            tier_models=self._tier_models,
        )
        payload = encode_payload(
            request,
            model=model,
            prompt_cache_key=request.session_key,
            service_tier=self._service_tier(),
        )
        return orjson.dumps(payload)

    async def generate(self, request: ir.Request) -> ir.EventBatches:
        body = self.encode(request)
        try:
            async with self._client.open(body, session_id=request.session_key) as response:
                parser = SSEParser()
                decoder = ResponsesDecoder()
                try:
                    async for chunk in response.content.iter_any():
                        batch: list[ir.Event] = []
                        for name, data in parser.feed(chunk):
                            batch += decoder.feed(name, data)
                        if batch:
                            yield batch
                        if decoder.done:
                            await _drain(response)
                            return
                    tail: list[ir.Event] = []
                    for name, data in parser.flush():
                        tail += decoder.feed(name, data)
                    tail += decoder.finish()
                    if tail:
                        yield tail
                except TimeoutError as exc:
                    raise errors.UpstreamFailed(
                        "the ChatGPT backend sent nothing for too long; the stream was aborted"
                    ) from exc
                except aiohttp.ClientError as exc:
                    broke = exc.__class__.__name__
                    raise errors.UpstreamFailed(
                        f"the connection to the ChatGPT backend broke mid-stream ({broke})"
                    ) from exc
        except errors.ContextTooLong as exc:
            if exc.tokens is None:
                # Claude Code reads "N tokens > M maximum" to decide how much to compact, so N
                # must exceed M even when our local count comes out lower than the upstream's.
                exc.tokens = max(self.count_tokens(request), CONTEXT_WINDOW + 1)
                exc.limit = CONTEXT_WINDOW
            raise


async def _drain(response: aiohttp.ClientResponse) -> None:
    """Read the little that follows the terminal event, so the connection can be reused.

    A body left unread makes aiohttp close the socket, and the next request pays a new
    connection (TCP, and TLS in production).
    """
    content = response.content
    try:
        async with asyncio.timeout(_DRAIN_TIMEOUT):
            while not content.at_eof():
                await content.readany()
    except (TimeoutError, aiohttp.ClientError):
        pass  # the connection is closed instead of reused; nothing is lost
