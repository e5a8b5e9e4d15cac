"""The process's one upstream HTTP session (aiohttp), created inside the running loop."""

from __future__ import annotations

import aiohttp


class SharedSession:
    """Call it to get the session; it is created on first use so it binds to the running loop."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def __call__(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)
            # Proxies come from Config per request (trust_env off): config.py is the only
            # reader of the environment.
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
