"""What every provider offers the gateway, and the registry of providers the CLI builds.

A backend turns an `ir.Request` into batches of `ir.Event` and answers the questions around it
(token counts, models, limits). The registry holds one backend per configured provider, built
on first use; the active provider is a value read per request, so switching it never rebinds
the listener (DESIGN §1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from codex2claudecode import errors, ir
from codex2claudecode.accounts.limits import Snapshot
from codex2claudecode.config import Provider
from codex2claudecode.ir import ModelInfo

__all__ = ["AccountLimits", "Backend", "ModelInfo", "Providers", "UpstreamReply"]

PROVIDER_NAMES: Mapping[Provider, str] = {"codex": "ChatGPT Codex", "kiro": "Kiro"}
"""How a provider is named in messages."""


@dataclass(frozen=True, slots=True)
class UpstreamReply:
    """A whole (small) upstream answer, for passthrough routes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class AccountLimits:
    """One account's limits as its provider reports them, or why they could not be read."""

    key: str
    email: str | None
    plan: str | None
    active: bool
    """The account `/usage` reports on, `manual` uses and new sessions start on."""
    snapshot: Snapshot | None
    problem: str | None = None
    name: str | None = None
    """A short name for people where the key is not one (Kiro's profile ARNs)."""


class Backend(Protocol):
    """One provider behind the gateway."""

    @property
    def provider(self) -> Provider: ...

    def generate(self, request: ir.Request) -> ir.EventBatches:
        """Run `request` upstream; errors before the first batch are the upstream's refusal."""

    def passthrough_responses(self, body: bytes, request: ir.Request) -> ir.EventBatches | None:
        """Run a Responses client's own `body` (its JSON bytes) nearly as sent, where the
        provider speaks Responses; `request` is the same body parsed. None: the provider has
        no such path (the request is translated through `generate`)."""

    def count_tokens(self, request: ir.Request) -> int:
        """Input tokens of `request` as this provider bills them (may load a vocabulary)."""

    async def models(self) -> list[ModelInfo]:
        """The models clients may ask for, best known first."""

    async def usage(self) -> UpstreamReply:
        """The active account's usage as `GET /usage` answers it."""

    async def environments(self) -> UpstreamReply:
        """The active account's cloud environments (`GET /environments`); a provider without
        them raises `errors.NotFound`."""

    async def limits(self) -> list[AccountLimits]:
        """Every account's limits, asked from the upstream at once."""

    def reload_accounts(self) -> None:
        """The accounts files changed (an account was switched to or added): the next request
        reads them again instead of waiting for the periodic check."""

    async def close(self) -> None:
        """Finish what must not be cut (an in-flight token refresh) before the process ends."""


BackendFactory = Callable[[], Backend]


class Providers:
    """The configured providers and which one serves requests now."""

    def __init__(self, factories: Mapping[Provider, BackendFactory], active: Provider) -> None:
        if active not in factories:
            raise ValueError(f"no backend for the active provider {active!r}")
        self._factories = dict(factories)
        self._built: dict[Provider, Backend] = {}
        self._active: Provider = active

    @property
    def active_name(self) -> Provider:
        return self._active

    @property
    def active(self) -> Backend:
        """The backend serving new requests (requests already running keep theirs)."""
        return self.get(self._active)

    @property
    def names(self) -> tuple[Provider, ...]:
        return tuple(self._factories)

    def get(self, name: Provider) -> Backend:
        backend = self._built.get(name)
        if backend is None:
            factory = self._factories.get(name)
            if factory is None:
                raise errors.NotFound(f"the {name} provider is not configured")
            backend = self._built[name] = factory()
        return backend

    def switch(self, name: Provider) -> Backend:
        """Make `name` the active provider; returns its backend."""
        backend = self.get(name)
        self._active = name
        return backend

    def reload_accounts(self, name: Provider) -> None:
        """Tell `name`'s backend, if built, that its accounts files changed."""
        backend = self._built.get(name)
        if backend is not None:
            backend.reload_accounts()

    async def close(self) -> None:
        """Close every backend built so far."""
        for backend in list(self._built.values()):
            await backend.close()
