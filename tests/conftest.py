"""Fixtures shared across test packages: the fake OAuth server and an aiohttp session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from tests.fakes.oauth import FakeOAuth
from tests.fakes.server import run_app


@pytest.fixture
def served() -> Iterator[tuple[FakeOAuth, str]]:
    """A fake OpenAI OAuth server on loopback, and its base URL."""
    fake = FakeOAuth()
    with run_app(fake.app) as url:
        yield fake, url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
