"""Routes each request to the active provider and applies provider-independent steps.

Frontends receive `Router.generate` as their `ir.Generate`; they never see a backend. The
active provider is read per request, so a switch takes effect on the next request while
running streams finish on the backend they started on.
"""

from __future__ import annotations

from codex2claudecode import ir
from codex2claudecode.backends.base import (
    AccountLimits,
    Backend,
    ModelInfo,
    Providers,
    UpstreamReply,
)
from codex2claudecode.max_tokens import apply_max_tokens_to_batches
from codex2claudecode.stop_sequences import apply_stop_sequences_to_batches


class Router:
    def __init__(self, providers: Providers) -> None:
        self.providers = providers

    @property
    def backend(self) -> Backend:
        """The active provider's backend."""
        return self.providers.active

    def generate(self, request: ir.Request) -> ir.EventBatches:
        return _limited(self.providers.active.generate(request), request)

    def passthrough_responses(self, request: ir.Request, body: bytes) -> ir.EventBatches:
        """A Responses client's own `body` through the provider's near-passthrough path if it
        has one (Codex), else translated from `request` (Kiro)."""
        backend = self.providers.active
        batches = backend.passthrough_responses(body, request)
        return _limited(backend.generate(request) if batches is None else batches, request)

    def count_tokens(self, request: ir.Request) -> int:
        return self.providers.active.count_tokens(request)

    async def models(self) -> list[ModelInfo]:
        return await self.providers.active.models()

    async def usage(self) -> UpstreamReply:
        return await self.providers.active.usage()

    async def environments(self) -> UpstreamReply:
        return await self.providers.active.environments()

    async def limits(self) -> list[AccountLimits]:
        return await self.providers.active.limits()


def _limited(batches: ir.EventBatches, request: ir.Request) -> ir.EventBatches:
    # Neither upstream honours stop sequences or max_tokens as the client asks: the gateway
    # cuts the answer itself.
    stopped = apply_stop_sequences_to_batches(batches, request.stop_sequences)
    return apply_max_tokens_to_batches(stopped, request.max_tokens)
