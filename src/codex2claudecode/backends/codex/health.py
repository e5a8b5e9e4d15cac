"""Whether the Codex provider can serve a request now, for `GET /health` and `doctor`.

Only counts and states: `/health` needs no password, so it names no account and no file.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.config import Config
from codex2claudecode.errors import NoAccount


def codex_health(config: Config, *, now: float) -> dict[str, object]:
    """`ready`, a `reason` when not, the accounts by state and the upstream in use.

    Args:
        now: epoch seconds, to tell expired tokens (they are refreshed on use: still ready).
    """
    store = CodexAccountStore.from_config(config)
    try:
        summaries = store.summaries()
    except NoAccount:
        summaries = []
        reason = "the Codex accounts file cannot be used"
    else:
        reason = "no Codex account"
    states = Counter(summary.state(now) for summary in summaries)
    active = next((s for s in summaries if s.active), None)
    usable = states["ok"] + states["expired"]
    ready = active is not None and active.state(now) != "needs login"
    if summaries and not ready:
        reason = (
            "the active Codex account needs a new login"
            if active is not None
            else "CODEX_AUTH_ACCOUNT matches no account"
        )
    url = config.codex_responses_url
    return {
        "ready": ready,
        **({} if ready else {"reason": f"{reason}; run `codex2claudecode doctor`"}),
        "provider": "codex",
        "accounts": {
            "total": len(summaries),
            "usable": usable,
            "ok": states["ok"],
            "expired": states["expired"],
            "needs_login": states["needs login"],
        },
        "upstream": {
            "host": urlsplit(url).hostname,
            "proxy": config.proxies.for_url(url) is not None,
        },
    }
