"""Whether the Kiro provider can serve a request now, for `GET /health` and the banner.

Only counts and states for `/health` (it needs no password, so it names no account or file).
"""

from __future__ import annotations

from codex2claudecode.accounts.readiness import readiness
from codex2claudecode.backends.kiro.accounts.store import KiroAccountStore
from codex2claudecode.backends.kiro.accounts.summary import KiroAccountSummary
from codex2claudecode.config import Config
from codex2claudecode.errors import NoAccount

_NO_ACCOUNT = (
    "no Kiro account: sign in with the Kiro IDE, then run "
    "`codex2claudecode accounts import --provider kiro`"
)


def kiro_health(config: Config, *, now: float) -> dict[str, object]:
    """`ready`, a `reason` when not, the accounts by state and the upstream in use."""
    summaries, reason = _summaries(config)
    active = next((s for s in summaries if s.active), None)
    ready = active is not None and active.state(now) in ("ok", "expired")
    if summaries and not ready:
        reason = (
            f"the active Kiro account is {active.state(now)}"
            if active is not None
            else "KIRO_AUTH_ACCOUNT matches no account"
        )
    return readiness(
        "kiro",
        [summary.state(now) for summary in summaries],
        ready=ready,
        reason=reason,
        upstream_url=config.kiro_api_url,
        config=config,
    )


def kiro_account_line(config: Config) -> tuple[str, str | None]:
    """Who Kiro requests will run as, for the banner: `(who, None)` or `("none", why)`."""
    summaries, reason = _summaries(config)
    active = next((s for s in summaries if s.active), None)
    if not summaries and (skipped := KiroAccountStore.from_config(config).foreign_problem()):
        return "none", f"No usable Kiro account: {skipped}"
    if active is None:
        return "none", reason[0].upper() + reason[1:] + "."
    who = active.name or active.key
    return (f"{who} ({active.kind})" if active.kind else who), None


def _summaries(config: Config) -> tuple[list[KiroAccountSummary], str]:
    try:
        return KiroAccountStore.from_config(config).summaries(), _NO_ACCOUNT
    except NoAccount as exc:
        return [], exc.message
    except OSError as exc:
        return [], f"the Kiro accounts cannot be read ({exc.strerror or exc})"
