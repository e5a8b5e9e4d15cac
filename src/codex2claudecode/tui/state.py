"""Gathers what the dashboard shows: accounts and traffic (files, SQLite: read in a thread)
and limits (the upstream: awaited). Each read returns the fields of `DashboardState` it
changes; failures become words in those fields, never exceptions."""

from __future__ import annotations

import asyncio

import aiohttp

from codex2claudecode.backends.codex.fast_mode import FastMode
from codex2claudecode.errors import GatewayError
from codex2claudecode.tui import accounts
from codex2claudecode.tui.blocking import off_loop
from codex2claudecode.tui.session import Session
from codex2claudecode.tui.traffic import read_traffic
from codex2claudecode.tui.widgets.dashboard import DashboardState

LIMITS_TIMEOUT = 30.0


def initial_state(session: Session) -> DashboardState:
    return DashboardState(
        exports=tuple(session.export_lines(masked=True)),
        base_url=session.base_url,
        listener="starting",
        provider=session.provider_name,
        fast_mode=None,
        account="reading…",
        account_count=0,
        upstream=None,
        limits=None,
        requests_per_minute=0,
        tokens_today=0,
        now=session.clock(),
    )


class StateReader:
    def __init__(self, session: Session) -> None:
        self._session = session

    async def status(self) -> dict[str, object]:
        """Provider, account, fast mode and traffic."""
        return await off_loop(self._status)

    def _status(self) -> dict[str, object]:
        session = self._session
        now = session.clock()
        provider = session.provider
        changes: dict[str, object] = {"provider": session.provider_name}
        try:
            rows = accounts.rows(session.config, provider, now)
        except GatewayError as exc:
            rows, changes["account"] = [], exc.message
        except OSError as exc:
            rows, changes["account"] = [], f"cannot read the accounts: {exc}"
        else:
            active = next((row for row in rows if row.active), None)
            if active is None:
                changes["account"] = "none yet: /connect adds one" if not rows else "none active"
            else:
                plan = f" ({active.plan})" if active.plan != "-" else ""
                state = "" if active.state == "ok" else f" · {active.state}"
                changes["account"] = f"{active.name}{plan}{state}"
        changes["account_count"] = len(rows)
        changes["fast_mode"] = (
            FastMode.from_config(session.config).enabled() if provider == "codex" else None
        )
        traffic = read_traffic(session.log_path, now, session.tz)
        changes["requests_per_minute"] = traffic.requests_per_minute
        changes["tokens_today"] = traffic.tokens_today
        changes["log_problem"] = traffic.problem
        changes["recent"] = traffic.recent
        return changes

    async def limits(self) -> dict[str, object]:
        """Every account's limits, and whether the upstream answered."""
        try:
            found = await asyncio.wait_for(self._session.router.limits(), LIMITS_TIMEOUT)
        except GatewayError as exc:
            return {"limits": (), "upstream": exc.message}
        except TimeoutError:
            return {"limits": (), "upstream": f"no answer within {LIMITS_TIMEOUT:.0f}s"}
        except (aiohttp.ClientError, OSError) as exc:
            return {"limits": (), "upstream": f"cannot reach the upstream: {exc}"}
        limits = tuple(found)
        if not limits:
            return {"limits": limits, "upstream": "no account to ask"}
        active = next((lim for lim in limits if lim.active), limits[0])
        return {"limits": limits, "upstream": active.problem or "ok"}
