"""The Kiro provider: `ir.Request` in, batches of `ir.Event` out.

Per request: the model is resolved against the (cached) model list, the conversation is
encoded and linted (`payload`, `lint`), sent with one account after another until one accepts
it (`client`, `pool`), and the binary answer decoded read by read (`events`). Tool names and
argument keys Kiro could not take are mapped back before the client sees them. An answer held
to a JSON schema is checked before it goes out (`structured`).
"""

from __future__ import annotations

import logging
import math
import secrets
import string
import time
import uuid
from collections.abc import Callable, Container, Mapping
from functools import partial
from typing import Final

import orjson

from codex2claudecode import errors, ir
from codex2claudecode.backends.base import AccountLimits, UpstreamReply
from codex2claudecode.backends.deadline import StreamLimits, within_limits
from codex2claudecode.backends.kiro.catalog import ModelCatalog
from codex2claudecode.backends.kiro.client import KiroRefused, Opened
from codex2claudecode.backends.kiro.client import exchange as upstream_exchange
from codex2claudecode.backends.kiro.events import KiroDecoder, KiroStreamDecoder
from codex2claudecode.backends.kiro.eventstream import frames_text
from codex2claudecode.backends.kiro.failures import Failure
from codex2claudecode.backends.kiro.lint import lint_payload
from codex2claudecode.backends.kiro.models import KiroModel, reasoning_shown, resolve_model
from codex2claudecode.backends.kiro.payload import KiroPayload, encode_payload
from codex2claudecode.backends.kiro.pool import KiroMember, KiroPool
from codex2claudecode.backends.kiro.signatures import SignatureMemory
from codex2claudecode.backends.kiro.size import estimate_input_tokens
from codex2claudecode.backends.kiro.structured import answer_to_schema
from codex2claudecode.backends.kiro.web_search import (
    answered,
    mcp_body,
    parse_results,
    search_query,
    without_web_tools,
)
from codex2claudecode.backends.reset_time import reset_time
from codex2claudecode.backends.stamp import Stamp
from codex2claudecode.config import Config

log = logging.getLogger(__name__)

_NAMESPACE = uuid.UUID("6f0c1bde-8f3e-4d52-9a4b-2c6a8f0e5d11")
"""Derives Kiro's conversation id from the client's session, so one conversation keeps one id."""


class KiroBackend:
    """Amazon Kiro (`backends.base.Backend`)."""

    provider: Final = "kiro"

    def __init__(
        self,
        config: Config,
        accounts: KiroPool,
        catalog: ModelCatalog,
        *,
        count_tokens: Callable[[ir.Request], int],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._limits = StreamLimits.from_config(config)
        self._accounts = accounts
        self._catalog = catalog
        self._count_tokens = count_tokens
        self._clock = clock
        self._signatures = SignatureMemory()

    def count_tokens(self, request: ir.Request) -> int:
        """Input tokens counted locally (Kiro has no counting endpoint, spec §8)."""
        return self._count_tokens(request)

    async def models(self) -> list[ir.ModelInfo]:
        return [
            ir.ModelInfo(
                id=m.id,
                display_name=m.display_name,
                context_window=m.max_input_tokens,
                owned_by="anthropic" if m.id.startswith("claude") else "kiro",
            )
            for m in await self._catalog.models(self._accounts)
        ]

    def generate(self, request: ir.Request) -> ir.EventBatches:
        """The answer to `request`, as batches of events, within the stream limits."""
        if request.output_format is not None:
            return answer_to_schema(request, self._limited)
        return self._limited(request)

    def passthrough_responses(self, body: bytes, request: ir.Request) -> ir.EventBatches | None:
        """None: Kiro does not speak Responses, so such requests are translated."""
        return None

    def _limited(self, request: ir.Request) -> ir.EventBatches:
        return within_limits(self._generate(request), self._limits, upstream="Kiro")

    async def _generate(self, request: ir.Request) -> ir.EventBatches:
        model = resolve_model(request.model, await self._catalog.models(self._accounts))
        response_id = "msg_" + uuid.uuid4().hex[:24]
        searched: list[ir.Event] = []
        if request.web_tools:
            query = search_query(request)
            if query is None:
                request = without_web_tools(request)
            else:
                searched, request = await self._search(request, query, response_id)
        refusal: errors.RateLimited | None = None
        for member in self._accounts.choose(request.session_key):
            # Encoded per account: only this account's own signatures may be replayed.
            issued = self._signatures.issued(member.key, model.id)
            payload = self.encode(request, model, signatures=issued)
            try:
                async with member.handle.client.generate(payload.body) as opened:
                    self._accounts.served(member, request.session_key)
                    kept = ir.UpstreamBody(self._config.log_body_limit, render=frames_text)
                    exchange = upstream_exchange(opened.response, opened.sent, kept)
                    stamp = Stamp("kiro", self._accounts.name(member), exchange)
                    batches = self._decode(
                        opened,
                        request,
                        model,
                        payload,
                        member,
                        response_id,
                        bool(searched),
                        exchange.response_body,
                    )
                    async for batch in batches:
                        # The search goes out with the first answer, so a refusal before it
                        # can still move to another account.
                        if searched:
                            batch, searched = searched + batch, []
                        yield stamp(batch) if stamp.pending else batch
                return
            except KiroRefused as refused:
                failure = refused.failure
                failure.error.account = self._accounts.name(member)
                if failure.cooldown in ("rate", "credits") and isinstance(
                    failure.error, errors.RateLimited
                ):
                    credits = failure.cooldown == "credits"
                    refusal = failure.error
                    if credits:
                        refusal = (await self._spent(member, failure)).restating(refusal)
                    self._accounts.refused(member, refusal, credits=credits)
                    continue
                if isinstance(failure.error, errors.ContextTooLong):
                    self._count_overflow(failure.error, request, model)
                raise failure.error from None
            except errors.ContextTooLong as exc:
                exc.account = self._accounts.name(member)
                self._count_overflow(exc, request, model)
                raise
            except errors.GatewayError as exc:
                exc.account = self._accounts.name(member)
                raise
        assert refusal is not None  # `choose` returns at least one account or raises NoAccount
        exhausted = self._accounts.exhausted(refusal)
        # The last account's refusal is the one the request log shows.
        raise refusal if exhausted is refusal else self._with_reset(exhausted).restating(refusal)

    async def _spent(self, member: KiroMember, failure: Failure) -> errors.RateLimited:
        """Spent credits as the user should read them: which account, and when they come
        back, in local time (issue 11.2). A reset far off stops Claude Code at once."""
        name, resets_at = await self._accounts.spent(member)
        which = failure.limit or "its credits"
        now = self._clock()
        if resets_at is None or resets_at <= now:
            # Kiro's own `retry-after`, if it sent one, is all that is known: never invented.
            return errors.RateLimited(
                f"The Kiro account {name} has used up {which}; wait for its reset or switch "
                "account.",
                retry_after=failure.retry_after,
            )
        return errors.RateLimited(
            f"The Kiro account {name} has used up {which} · resets {reset_time(resets_at, now)}",
            retry_after=math.ceil(resets_at - now),
            resets_at=float(round(resets_at)),
        )

    def _with_reset(self, exc: errors.RateLimited) -> errors.RateLimited:
        """Every account resting: `exc` with the soonest reset, in local time."""
        if exc.retry_after is None or exc.resets_at is not None:
            return exc
        now = self._clock()
        resets_at = float(round(now + exc.retry_after))
        return errors.RateLimited(
            f"{exc.message.rstrip('. ')} · resets {reset_time(resets_at, now)}",
            retry_after=exc.retry_after,
            resets_at=resets_at,
        )

    def _count_overflow(
        self, exc: errors.ContextTooLong, request: ir.Request, model: KiroModel
    ) -> None:
        """Our own numbers for an overflow Kiro gave none for (issue 11.5).

        Claude Code reads "N tokens > M maximum" to decide how much to compact, so N must
        exceed M: a local count below the window (Kiro counts differently, or trims less) is
        raised to just above it, and the real count is said too.
        """
        if exc.tokens is not None:
            return
        window = exc.limit or model.max_input_tokens
        counted = self.count_tokens(request)
        exc.limit = window
        exc.approximate = True
        exc.tokens = max(counted, window + 1)
        if counted <= window:
            exc.message = f"{exc.message.rstrip('. ')}; the gateway counts about {counted} tokens"

    async def _search(
        self, request: ir.Request, query: str, response_id: str
    ) -> tuple[list[ir.Event], ir.Request]:
        """Runs the web search through Kiro's `/mcp`: the blocks that show it, and the request
        that gives its results to the model (spec original-kiro §3.8)."""
        member = self._accounts.choose(request.session_key)[0]
        rpc_id = f"web_search_tooluse_{_token(22)}_{int(self._clock() * 1000)}_{_token(8)}"
        try:
            reply = await member.handle.client.mcp(mcp_body(query, rpc_id))
        except KiroRefused as refused:
            raise refused.failure.error from None
        sources = parse_results(reply.body)
        call_id = "srvtoolu_" + uuid.uuid4().hex
        events: list[ir.Event] = [
            ir.Started(response_id=response_id, model=request.model),
            ir.ServerToolCall(call_id, "web_search", orjson.dumps({"query": query}).decode()),
            ir.WebResult(call_id, "web_search", sources),
        ]
        return events, answered(request, query, sources)

    def encode(
        self,
        request: ir.Request,
        model: KiroModel,
        *,
        signatures: Container[str] = frozenset(),
    ) -> KiroPayload:
        """The linted Kiro body for `request` on `model`; `signatures` are those Kiro
        issued to the account that will send it (replayed as native reasoning)."""
        conversation = str(
            uuid.uuid5(_NAMESPACE, request.session_key) if request.session_key else uuid.uuid4()
        )
        payload = encode_payload(
            request,
            model=model,
            conversation_id=conversation,
            profile_arn=None,  # the client adds the account's real ARN, never an invented one
            size_limit=self._config.kiro_payload_limit,
            overflow="trim" if request.on_overflow == "trim" else "context_error",
            signatures=signatures,
        )
        linted = lint_payload(payload.body, model=model, size_limit=self._config.kiro_payload_limit)
        for finding in linted.findings:
            log.info("kiro request repaired: %s", finding)
        if payload.warning:
            log.warning("%s", payload.warning)
        names = {new: payload.tool_names.get(old, old) for new, old in linted.tool_names.items()}
        keys = {**payload.property_keys, **linted.property_keys}
        return KiroPayload(
            body=linted.body,
            tool_names={**payload.tool_names, **names},
            property_keys=keys,
            thinking=payload.thinking,
            size=payload.size,
            findings=payload.findings + linted.findings,
            warning=payload.warning,
        )

    async def _decode(
        self,
        opened: Opened,
        request: ir.Request,
        model: KiroModel,
        payload: KiroPayload,
        member: KiroMember,
        response_id: str,
        announced: bool,
        kept: ir.UpstreamBody,
    ) -> ir.EventBatches:
        decoder = KiroDecoder(
            response_id=response_id,
            announced=announced,
            model=model.id,
            context_window=model.max_input_tokens,
            estimated_input_tokens=estimate_input_tokens(payload.size),
            thinking_tags=payload.thinking.style == "tags",
            on_metering=self._accounts.metering(member),
            reasoning=reasoning_shown(request),
        )
        stream = KiroStreamDecoder(decoder)
        remember = partial(self._signatures.record, member.key, model.id)
        names = _ClientNames(payload.tool_names, payload.property_keys)
        content = opened.response.content
        tap = kept if kept.limit else None
        chunk = opened.first
        while True:
            if tap is not None:
                tap.add(chunk)
            if chunk:
                batch = names.restore(stream.feed(chunk))
            else:
                batch = names.restore(stream.finish())
                if decoder.truncated_tool:
                    log.warning(
                        "Kiro cut the input of tool %s short; the turn ends with max_tokens",
                        decoder.truncated_tool,
                    )
                if batch:
                    remember(batch)
                    yield batch
                return
            if batch:
                remember(batch)
                yield batch
            if decoder.done:
                return
            chunk = await _read(content)

    async def usage(self) -> UpstreamReply:
        """The active account's `getUsageLimits` answer, as Kiro gave it."""
        return await self._accounts.active_usage()

    async def environments(self) -> UpstreamReply:
        raise errors.NotFound(
            "/environments lists ChatGPT Codex cloud environments; the active provider is Kiro"
        )

    async def limits(self) -> list[AccountLimits]:
        return await self._accounts.limits()

    def reload_accounts(self) -> None:
        self._accounts.reload()

    async def close(self) -> None:
        await self._accounts.settle()


def _token(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


async def _read(content: object) -> bytes:
    import aiohttp

    assert isinstance(content, aiohttp.StreamReader)
    try:
        return await content.readany()
    except aiohttp.ClientError as exc:
        raise errors.UpstreamFailed(
            f"the connection to Kiro broke mid-stream ({exc.__class__.__name__})"
        ) from exc


class _ClientNames:
    """Maps tool names and argument keys Kiro needed changed back to the client's."""

    __slots__ = ("_keys", "_names", "_tool")

    def __init__(self, names: Mapping[str, str], keys: Mapping[str, Mapping[str, str]]) -> None:
        self._names = names
        self._keys = keys
        self._tool = ""

    def restore(self, batch: list[ir.Event]) -> list[ir.Event]:
        if not (self._names or self._keys):
            return batch
        out: list[ir.Event] = []
        for event in batch:
            if isinstance(event, ir.ToolCallStart):
                self._tool = event.name
                event = ir.ToolCallStart(event.id, self._names.get(event.name, event.name))
            elif isinstance(event, ir.ToolCallDelta) and self._keys.get(self._tool):
                event = ir.ToolCallDelta(_rename_keys(event.arguments_json, self._keys[self._tool]))
            out.append(event)
        return out


def _rename_keys(arguments_json: str, renamed: Mapping[str, str]) -> str:
    # The decoder sends each call's input whole (one delta), so it parses as an object.
    try:
        arguments = orjson.loads(arguments_json)
    except orjson.JSONDecodeError:
        return arguments_json
    if not isinstance(arguments, dict):
        return arguments_json
    return orjson.dumps({renamed.get(k, k): v for k, v in arguments.items()}).decode()
