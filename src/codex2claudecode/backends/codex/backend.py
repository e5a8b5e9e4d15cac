"""The Codex provider: `ir.Request` in, batches of `ir.Event` out.

Stack: aiohttp body reads → `SSEParser` → `ResponsesDecoder` → one list of events per read.
A request an account refuses for its limit moves to the next account before the client has
seen a byte (protocols §4 items 12-13).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Final

import aiohttp
import orjson

from codex2claudecode import errors, ir
from codex2claudecode.backends.base import AccountLimits, ModelInfo, UpstreamReply
from codex2claudecode.backends.codex.client import exchange as upstream_exchange
from codex2claudecode.backends.codex.events import ResponsesDecoder
from codex2claudecode.backends.codex.models import (
    CATALOG,
    CATALOG_EFFORTS,
    DEFAULT_TIER_MODELS,
    ResolvedModel,
    resolve_model,
)
from codex2claudecode.backends.codex.passthrough import passthrough_body
from codex2claudecode.backends.codex.payload import (
    DEFAULT_INSTRUCTIONS,
    encode_payload,
    reasoning_shown,
)
from codex2claudecode.backends.codex.pool import ENVIRONMENTS_PATH, USAGE_PATH, CodexPool
from codex2claudecode.backends.codex.sse import SSEParser
from codex2claudecode.backends.deadline import StreamLimits, within_limits
from codex2claudecode.backends.reset_time import reset_time
from codex2claudecode.backends.stamp import Stamp
from codex2claudecode.tokens import count_text

_DRAIN_TIMEOUT = 0.5
_UPSTREAM = "The ChatGPT backend"
HANDSHAKE_HOLD = 0.5
"""Seconds the events before the first content may be held back: a limit or overload error
right after `response.created` can then still go to another account (protocols §4 item 13)."""

CONTEXT_WINDOW = 272_000
"""Input tokens the Codex backend accepts for GPT-5-family models (400k total, 128k output)."""


class CodexBackend:
    """The ChatGPT Codex backend (`backends.base.Backend`)."""

    provider: Final = "codex"

    def __init__(
        self,
        accounts: CodexPool,
        *,
        count_tokens: Callable[[ir.Request], int],
        tier_models: Mapping[str, str] | None = None,
        service_tier: Callable[[], str | None] = lambda: None,
        handshake_hold: float = HANDSHAKE_HOLD,
        clock: Callable[[], float] = time.time,
        limits: StreamLimits | None = None,
        log_body_limit: int = 0,
    ) -> None:
        """
        Args:
            limits: how long the upstream may take to start, between events and in all.
            log_body_limit: bytes of each upstream answer kept for the request log (0: none).
        """
        self._log_body_limit = log_body_limit
        self._accounts = accounts
        self._limits = limits or StreamLimits()
        self._clock = clock
        self._count_tokens = count_tokens
        self._tier_models = {**DEFAULT_TIER_MODELS, **(tier_models or {})}
        self._service_tier = service_tier
        self._handshake_hold = handshake_hold

    def count_tokens(self, request: ir.Request) -> int:
        """Input tokens of `request` as this backend will bill them, counted locally."""
        count = self._count_tokens(request)
        if not request.system:  # we send default instructions then, and they are billed
            count += count_text(DEFAULT_INSTRUCTIONS)
        return count

    def encode(self, request: ir.Request) -> bytes:
        """The exact upstream body for `request`."""
        model = self._resolve(request)
        payload = encode_payload(
            request,
            model=model,
            prompt_cache_key=request.session_key,
            service_tier=self._service_tier(),
        )
        return orjson.dumps(payload)

    def _resolve(self, request: ir.Request) -> ResolvedModel:
        return resolve_model(
            request.model,
            effort=request.effort,
            thinking=_thinking_asked(request),
            tier_models=self._tier_models,
        )

    def generate(self, request: ir.Request) -> ir.EventBatches:
        """The answer to `request`, as batches of events, within the stream limits."""
        body = self.encode(request)
        return within_limits(self._generate(request, body), self._limits, upstream=_UPSTREAM)

    def passthrough_responses(self, body: bytes, request: ir.Request) -> ir.EventBatches:
        """A Responses client's own `body` sent nearly as is (issue 7); `request` is the same
        body parsed, for what the gateway still does itself (thinking shown, overflow count)."""
        model = self._resolve(request)
        upstream = passthrough_body(
            orjson.loads(body),  # valid JSON: the frontend parsed it already
            model=model,
            session_key=request.session_key,
            service_tier=self._service_tier(),
        )
        raw = orjson.dumps(upstream)
        return within_limits(self._generate(request, raw), self._limits, upstream=_UPSTREAM)

    async def _generate(self, request: ir.Request, body: bytes) -> ir.EventBatches:
        session = request.session_key
        refusal: errors.RateLimited | None = None
        for member in self._accounts.choose(session):
            began = False
            exchange: ir.UpstreamExchange | None = None
            try:
                async with member.handle.client.open(
                    body, session_id=session, log_body_limit=self._log_body_limit
                ) as response:
                    decoder = ResponsesDecoder(
                        on_rate_limits=self._accounts.rate_limit_events(member),
                        reasoning=reasoning_shown(request),
                    )
                    exchange = upstream_exchange(response, body, self._log_body_limit)
                    stamp = Stamp("codex", member.key, exchange)
                    stream = _Stream(response, decoder, exchange.response_body)
                    first = stamp(await stream.handshake(self._handshake_hold))
                    self._accounts.served(member, session)
                    if first:
                        began = True
                        yield first
                    while (batch := await stream.read()) is not None:
                        if batch:
                            began = True  # from here on, errors can only go in-band
                            yield stamp(batch) if stamp.pending else batch
                    if decoder.done:
                        await _drain(response)
                return
            except errors.RateLimited as exc:
                self._accounts.refused(member, exc)
                _blame(exc, member.key, exchange)
                if began:
                    raise
                refusal = exc
            except errors.ContextTooLong as exc:
                if exc.tokens is None:
                    _count_overflow(exc, self.count_tokens(request))
                _blame(exc, member.key, exchange)
                raise
            except errors.GatewayError as exc:
                _blame(exc, member.key, exchange)
                raise
        assert refusal is not None  # `choose` returns at least one account or raises NoAccount
        told = await self._limit_reached(self._accounts.exhausted(refusal))
        raise told.restating(refusal)  # the last account's refusal, for the request log

    async def _limit_reached(self, exc: errors.RateLimited) -> errors.RateLimited:
        """The refusal as the user should read it: which account, and when it resets.

        With a single account it is named by its e-mail (not its key, an opaque id) and the
        reset is given in local time (issue 11.2).
        """
        if exc.retry_after is None or not exc.usage_limit:
            return exc  # no reset to tell, or no quota spent: the upstream's words stand
        now = self._clock()
        resets_at = float(round(now + exc.retry_after))
        members = self._accounts.pool.members
        if len(members) != 1:
            return errors.RateLimited(
                f"{exc.message.rstrip('. ')} · resets {reset_time(resets_at, now)}",
                retry_after=exc.retry_after,
                resets_at=resets_at,
            )
        try:
            email = (await members[0].handle.auth.credentials()).email
        except errors.GatewayError:
            email = None
        return errors.RateLimited(
            f"The ChatGPT account {email or members[0].key} has reached its usage limit "
            f"· resets {reset_time(resets_at, now)}",
            retry_after=exc.retry_after,
            resets_at=resets_at,
        )

    async def models(self) -> list[ModelInfo]:
        """The catalog, each model followed by its effort-suffix variants."""
        listed = []
        for model in CATALOG:
            variants = [model.id, *(f"{model.id}_{effort}" for effort in CATALOG_EFFORTS)]
            listed += [
                ModelInfo(
                    id=name,
                    display_name=model.display_name + name[len(model.id) :].replace("_", " "),
                    created=model.created,
                    context_window=model.context_window,
                    max_output_tokens=model.max_output_tokens,
                    owned_by="openai",
                )
                for name in variants
            ]
        return listed

    async def usage(self) -> UpstreamReply:
        """The active account's `wham/usage` answer, as the upstream gave it."""
        return await self._accounts.active_get(USAGE_PATH)

    async def limits(self) -> list[AccountLimits]:
        """Every account's limits, from `wham/usage` at once."""
        return await self._accounts.usage()

    def reload_accounts(self) -> None:
        self._accounts.reload()

    async def close(self) -> None:
        """Let an in-flight token refresh finish, so its rotated token is saved."""
        await self._accounts.settle()

    async def environments(self) -> UpstreamReply:
        """The active account's `wham/environments` answer, as the upstream gave it."""
        return await self._accounts.active_get(ENVIRONMENTS_PATH)


def _thinking_asked(request: ir.Request) -> ir.Thinking | None:
    """The client's thinking; an OpenAI client asking for reasoning summaries wants it on."""
    if request.thinking is None and request.reasoning_summary is not None:
        return ir.Thinking("adaptive")
    return request.thinking


def _blame(exc: errors.GatewayError, account: str, exchange: ir.UpstreamExchange | None) -> None:
    """Name the account, and the exchange of an answer that failed in-band (a refusal at the
    HTTP level brings its own), on an error for the request log."""
    exc.account = account
    if exc.upstream is None:
        exc.upstream = exchange


def _count_overflow(exc: errors.ContextTooLong, counted: int) -> None:
    """Our own numbers for an overflow the upstream gave none for (issue 11.5).

    Claude Code reads "N tokens > M maximum" to decide how much to compact, so N must exceed M:
    a local count below the window (the upstream counts differently, or the window is smaller
    for this model) is raised to just above it, and the real count is said too.
    """
    exc.limit = CONTEXT_WINDOW
    exc.approximate = True
    exc.tokens = max(counted, CONTEXT_WINDOW + 1)
    if counted <= CONTEXT_WINDOW:
        exc.message = f"{exc.message.rstrip('. ')}; the gateway counts about {counted} tokens"


class _Stream:
    """One upstream response body, read as batches of ir events (one batch per read)."""

    __slots__ = ("_content", "_decoder", "_ended", "_parser", "_tap")

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        decoder: ResponsesDecoder,
        kept: ir.UpstreamBody,
    ) -> None:
        self._content = response.content
        self._parser = SSEParser()
        self._decoder = decoder
        self._ended = False
        self._tap = kept if kept.limit else None

    async def handshake(self, hold: float) -> list[ir.Event]:
        """The first batch: held back while it only announces the response, for `hold` s.

        An upstream error met meanwhile is raised here, before the client saw anything.
        """
        held: list[ir.Event] = []
        deadline = asyncio.get_running_loop().time() + hold
        while True:
            timer = asyncio.timeout_at(deadline)
            try:
                async with timer:
                    batch = await self.read()
            except TimeoutError:
                if timer.expired():
                    return held
                raise
            if batch is None:
                return held
            held += batch
            if self._ended or any(not isinstance(e, ir.Started) for e in batch):
                return held

    async def read(self) -> list[ir.Event] | None:
        """The events of the next read ([] if it completed none), None after the last."""
        if self._ended:
            return None
        try:
            chunk = await self._content.readany()
        except TimeoutError as exc:
            raise errors.UpstreamFailed(
                "the ChatGPT backend sent nothing for too long; the stream was aborted"
            ) from exc
        except aiohttp.ClientError as exc:
            broke = exc.__class__.__name__
            raise errors.UpstreamFailed(
                f"the connection to the ChatGPT backend broke mid-stream ({broke})"
            ) from exc
        if self._tap is not None:
            self._tap.add(chunk)
        decoder = self._decoder
        if not chunk:  # the end of the body
            self._ended = True
            return decoder.feed_all(self._parser.flush()) + decoder.finish()
        batch = decoder.feed_all(self._parser.feed(chunk))
        self._ended = decoder.done
        return batch


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
