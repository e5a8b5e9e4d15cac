"""The fault suite runs the real gateway against scripted hostile upstreams (the e2e harness)."""

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import env, fake_codex, fake_oauth, kiro_env, start_gateway
from tests.fakes.proxy407 import ProxyAsking407

__all__ = ["env", "fake_codex", "fake_oauth", "kiro_env", "start_gateway"]


@pytest.fixture
def proxy407() -> Iterator[ProxyAsking407]:
    """A proxy that answers every request with 407, closed after the test."""
    proxy = ProxyAsking407()
    yield proxy
    proxy.close()
