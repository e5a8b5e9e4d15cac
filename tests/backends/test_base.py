"""The provider registry: built on first use, switched per request, closed at exit."""

from __future__ import annotations

import pytest

from codex2claudecode import errors, ir
from codex2claudecode.backends.base import AccountLimits, ModelInfo, Providers, UpstreamReply
from codex2claudecode.config import Provider
from codex2claudecode.router import Router


class Recorded:
    """A backend that answers with its own name, and records being closed."""

    def __init__(self, name: Provider, closed: list[str]) -> None:
        self._name: Provider = name
        self._closed = closed

    @property
    def provider(self) -> Provider:
        return self._name

    async def generate(self, request: ir.Request) -> ir.EventBatches:
        yield [ir.Started("resp_1", self._name), ir.Stop("end_turn")]

    def passthrough_responses(self, body: bytes, request: ir.Request) -> ir.EventBatches | None:
        return None

    def count_tokens(self, request: ir.Request) -> int:
        return len(self._name)

    async def models(self) -> list[ModelInfo]:
        return [ModelInfo(self._name, self._name)]

    async def usage(self) -> UpstreamReply:
        return UpstreamReply(200, (), self._name.encode())

    async def environments(self) -> UpstreamReply:
        raise errors.NotFound("none")

    def reload_accounts(self) -> None:
        self._closed.append(f"reload {self._name}")

    async def limits(self) -> list[AccountLimits]:
        return []

    async def close(self) -> None:
        self._closed.append(self._name)


def registry(built: list[str], closed: list[str]) -> Providers:
    def factory(name: Provider) -> Recorded:
        built.append(name)
        return Recorded(name, closed)

    return Providers({"codex": lambda: factory("codex"), "kiro": lambda: factory("kiro")}, "codex")


async def test_backends_are_built_on_first_use_and_switching_keeps_them() -> None:
    built: list[str] = []
    closed: list[str] = []
    providers = registry(built, closed)
    assert built == []
    assert providers.active.provider == "codex"
    assert providers.active is providers.active
    assert providers.switch("kiro").provider == "kiro"
    assert providers.active_name == "kiro"
    providers.switch("codex")
    assert built == ["codex", "kiro"]
    await providers.close()
    assert closed == ["codex", "kiro"]


async def test_the_router_asks_the_provider_active_at_each_request() -> None:
    providers = registry([], [])
    router = Router(providers)
    request = ir.Request(model="m", messages=())
    first = [event async for batch in router.generate(request) for event in batch]
    providers.switch("kiro")
    second = [event async for batch in router.generate(request) for event in batch]
    assert first[0] == ir.Started("resp_1", "codex")
    assert second[0] == ir.Started("resp_1", "kiro")
    assert router.count_tokens(request) == len("kiro")
    assert (await router.usage()).body == b"kiro"


def test_accounts_changed_reaches_only_a_built_backend() -> None:
    events: list[str] = []
    providers = registry([], events)
    providers.reload_accounts("kiro")  # not built: nothing to tell
    assert providers.active.provider == "codex"
    providers.reload_accounts("codex")
    assert events == ["reload codex"]


def test_an_unconfigured_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="kiro"):
        Providers({"codex": lambda: Recorded("codex", [])}, "kiro")
    providers = Providers({"codex": lambda: Recorded("codex", [])}, "codex")
    with pytest.raises(errors.NotFound, match="kiro"):
        providers.switch("kiro")
