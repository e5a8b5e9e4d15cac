"""`Stamp`: names the provider, account and upstream exchange on a response's `Started`."""

from __future__ import annotations

import dataclasses

from codex2claudecode import ir


class Stamp:
    """Stamps `Started` for the request log, in whichever batch it comes.

    `Started` is normally in the first batch; when a backend hands out batches before it
    came (a handshake hold that ran out, say), it is in a later one, so batches are stamped
    until it has been seen, and passed through untouched after.
    """

    __slots__ = ("_account", "_exchange", "_provider", "pending")

    def __init__(self, provider: str, account: str, exchange: ir.UpstreamExchange) -> None:
        self._provider = provider
        self._account = account
        self._exchange = exchange
        self.pending = True

    def __call__(self, batch: list[ir.Event]) -> list[ir.Event]:
        if not self.pending:
            return batch
        out: list[ir.Event] = []
        for event in batch:
            if isinstance(event, ir.Started):
                self.pending = False
                event = dataclasses.replace(
                    event, provider=self._provider, account=self._account, upstream=self._exchange
                )
            out.append(event)
        return out
