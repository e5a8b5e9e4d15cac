"""The provider-neutral body of `GET /health`: whether a request can be served now, and the
accounts by state, counted (the route needs no password, so it names no account or file)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlsplit

from codex2claudecode.config import Config, Provider


def readiness(
    provider: Provider,
    states: Iterable[str],
    *,
    ready: bool,
    reason: str,
    upstream_url: str,
    config: Config,
) -> dict[str, object]:
    """`ready`, a `reason` when not, the accounts by state and the upstream in use.

    Args:
        states: each account's state (`ok`, `expired`, `needs login`, ...).
    """
    counted = Counter(states)
    return {
        "ready": ready,
        **({} if ready else {"reason": f"{reason}; run `codex2claudecode doctor`"}),
        "provider": provider,
        "accounts": {
            "total": sum(counted.values()),
            "usable": counted["ok"] + counted["expired"],
            "ok": counted["ok"],
            "expired": counted["expired"],
            "needs_login": counted["needs login"],
        },
        "upstream": {
            "host": urlsplit(upstream_url).hostname,
            "proxy": config.proxies.for_url(upstream_url) is not None,
        },
    }
