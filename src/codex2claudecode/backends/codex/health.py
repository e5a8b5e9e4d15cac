"""Whether the Codex provider can serve a request now, for `GET /health` and `doctor`.

Only counts and states: `/health` needs no password, so it names no account and no file.
"""

from __future__ import annotations

from codex2claudecode.accounts.readiness import readiness
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
    active = next((s for s in summaries if s.active), None)
    ready = active is not None and active.state(now) != "needs login"
    if summaries and not ready:
        reason = (
            "the active Codex account needs a new login"
            if active is not None
            else "CODEX_AUTH_ACCOUNT matches no account"
        )
    return readiness(
        "codex",
        [summary.state(now) for summary in summaries],
        ready=ready,
        reason=reason,
        upstream_url=config.codex_responses_url,
        config=config,
    )
