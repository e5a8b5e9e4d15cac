"""Kiro credentials for the client, refreshed with the shared discipline of `accounts.refresh`
(single-flight, locked, adopting the Kiro IDE's newer tokens first). This module adds the
grant call: the request and answer shapes live in `accounts.grants` (original-kiro §2.5-2.6).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import aiohttp

from codex2claudecode.accounts.refresh import LOCK_WAIT, RefreshingCredentials
from codex2claudecode.backends.connection import (
    PROXY_AUTH_REQUIRED,
    is_proxy_refusal,
    proxy_refused,
)
from codex2claudecode.backends.kiro.accounts.credentials import KiroCredentials
from codex2claudecode.backends.kiro.accounts.grants import (
    GrantRequest,
    grant_error,
    grant_request,
    refreshed_credentials,
)
from codex2claudecode.backends.kiro.accounts.store import KiroAccountStore
from codex2claudecode.config import Config
from codex2claudecode.errors import UpstreamUnavailable

REFRESH_MARGIN = 600.0
"""Refresh when the access token expires within this many seconds (spec §2.5)."""
TOKEN_TIMEOUT = aiohttp.ClientTimeout(total=30)


def refresh_user_agent(version: str = "unknown", machine_id: str | None = None) -> str:
    """The social refresh's `User-Agent`, `KiroIDE-{version}-{machine id}` (spec §2.6); the
    machine id defaults to 12 random hex digits, as the original makes one per process."""
    return f"KiroIDE-{version}-{machine_id or uuid.uuid4().hex[:12]}"


class KiroAuth(RefreshingCredentials[KiroCredentials]):
    """Credentials for one Kiro account, refreshed 10 minutes before they expire and once
    after upstream refuses them (`refresh_after_unauthorized`, on a 403)."""

    label = "Kiro"

    def __init__(
        self,
        store: KiroAccountStore,
        *,
        config: Config,
        http: Callable[[], aiohttp.ClientSession],
        user_agent: str | None = None,
        clock: Callable[[], float] = time.time,
        recheck_interval: float = 0.0,
        lock_wait: float = LOCK_WAIT,
    ) -> None:
        """
        Args:
            config: the token hosts (KIRO_AUTH_URL, KIRO_OIDC_URL, per login region) and proxies.
            http: the process's shared session.
            user_agent: the social refresh's User-Agent (default `refresh_user_agent()`).
            recheck_interval: seconds between checks of the account files for changes made by
                other programs (0: on every call; the server uses 1 s).
            lock_wait: seconds to wait for the account lock another process holds.
        """
        super().__init__(
            store,
            margin=REFRESH_MARGIN,
            clock=clock,
            recheck_interval=recheck_interval,
            lock_wait=lock_wait,
        )
        self._config = config
        self._http = http
        self._user_agent = user_agent or refresh_user_agent()

    @classmethod
    def for_account(
        cls,
        config: Config,
        http: Callable[[], aiohttp.ClientSession],
        account: str | None = None,
        *,
        recheck_interval: float = 0.0,
        user_agent: str | None = None,
    ) -> KiroAuth:
        """The auth of the account `account` names (default KIRO_AUTH_ACCOUNT, else the
        active one, else the first) in the store `config` describes."""
        store = KiroAccountStore.from_config(config, account=account)
        return cls(
            store,
            config=config,
            http=http,
            user_agent=user_agent,
            recheck_interval=recheck_interval,
        )

    async def _grant(self, creds: KiroCredentials) -> KiroCredentials:
        request = grant_request(
            creds,
            auth_base=self._config.kiro_auth_base(creds.region),
            oidc_base=self._config.kiro_oidc_base(creds.region),
            user_agent=self._user_agent,
        )
        status, body = await self._post(request)
        if 200 <= status < 300:
            return refreshed_credentials(creds, body, now=self._clock())
        raise grant_error(creds, status, body)

    async def _post(self, request: GrantRequest) -> tuple[int, bytes]:
        try:
            async with self._http().post(
                request.url,
                data=request.body,
                headers=request.headers,
                proxy=self._config.proxies.for_url(request.url),
                timeout=TOKEN_TIMEOUT,
            ) as response:
                if response.status == PROXY_AUTH_REQUIRED:
                    raise proxy_refused(self._config.proxies.for_url(request.url))
                return response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            if is_proxy_refusal(exc):
                raise proxy_refused(self._config.proxies.for_url(request.url)) from exc
            host = request.url.split("/")[2] if "//" in request.url else request.url
            raise UpstreamUnavailable(
                f"Could not reach the Kiro token server {host} to refresh the login "
                f"({type(exc).__name__}); check the network or HTTPS_PROXY."
            ) from exc
