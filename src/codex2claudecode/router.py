"""Routes each request to the active provider and applies provider-independent steps.

Frontends receive `Router.generate` as their `ir.Generate`; they never see a backend.
"""

from __future__ import annotations

from typing import Protocol

from codex2claudecode import ir
from codex2claudecode.max_tokens import apply_max_tokens_to_batches
from codex2claudecode.stop_sequences import apply_stop_sequences_to_batches


class Backend(Protocol):
    def generate(self, request: ir.Request) -> ir.EventBatches: ...
    def count_tokens(self, request: ir.Request) -> int: ...


class Router:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def generate(self, request: ir.Request) -> ir.EventBatches:
        # Codex has neither a stop nor an output limit parameter: the gateway cuts the answer.
        stopped = apply_stop_sequences_to_batches(
            self.backend.generate(request), request.stop_sequences
        )
        return apply_max_tokens_to_batches(stopped, request.max_tokens)

    def count_tokens(self, request: ir.Request) -> int:
        return self.backend.count_tokens(request)
