"""Issue 9 item 8: /health is 200 while the process serves, and says whether requests can
work (`ready`), with the accounts and upstream behind it; `/` shows nothing unused."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import Env, GatewayFactory


def test_ready_with_an_account(env: Env, start_gateway: GatewayFactory) -> None:
    r = httpx.get(start_gateway() + "/health")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["ready"] is True
    assert "reason" not in body
    assert body["provider"] == "codex"
    assert body["accounts"] == {"total": 1, "usable": 1, "ok": 1, "expired": 0, "needs_login": 0}
    assert body["upstream"] == {"host": "127.0.0.1", "proxy": False}
    assert "e2e@example.com" not in r.text  # open path: no account names


def test_not_ready_without_an_account(env: Env, start_gateway: GatewayFactory) -> None:
    (env.state / "auth-codex.json").unlink()
    r = httpx.get(start_gateway() + "/health")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["ready"] is False
    assert body["reason"] == "no Codex account; run `codex2claudecode doctor`"
    assert body["accounts"]["total"] == 0


def test_root_shows_no_unused_setting(start_gateway: GatewayFactory) -> None:
    body = httpx.get(start_gateway() + "/").json()
    assert body["config"] == {"password_protected": False}
