"""The upstream exchange in the request log, through the real server and the fake upstreams:
the URL actually used, the upstream's request id, the exact body sent, the headers sent (no
credential) and the upstream's answer, for Codex, Kiro and the Responses passthrough."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from codex2claudecode.requestlog import LogDetail, LogReader
from tests.e2e.conftest import Env, GatewayFactory, KiroEnv
from tests.fakes.codex import Reply
from tests.fakes.kiro import KiroReply
from tests.fakes.kiro_stream import text_answer as kiro_answer
from tests.fakes.responses_events import ResponseScript, make_usage

ASK = {"model": "gpt-5.4", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}


def detail_of(state: Path, n: int = 1) -> LogDetail:
    """The `n`th request once it is written (the per-test timeout ends a wait that fails)."""
    path = state / "requests.db"
    while True:
        with LogReader(path) as reader:
            found = reader.recent(1000) if reader.exists else []
            if len(found) >= n:
                detail = reader.get(found[n - 1].id)
                assert detail is not None
                return detail
        time.sleep(0.01)


def stored_bytes(state: Path) -> bytes:
    names = ("requests.db", "requests.db-wal", "requests.db-shm")
    return b"".join((state / name).read_bytes() for name in names if (state / name).exists())


def assert_never_stored(state: Path, *secrets: str) -> None:
    """No byte of the log's files (database, WAL, shared memory) holds any of `secrets`."""
    stored = stored_bytes(state)
    for secret in secrets:
        assert secret.encode() not in stored, secret


def test_a_codex_request_records_its_upstream_exchange(env: Env, gateway: str) -> None:
    events = ResponseScript().text("Hello").completed(make_usage())
    env.fake.script(Reply(events=events, headers={"x-request-id": "req_upstream_42"}))
    assert httpx.post(gateway + "/v1/messages", json=ASK).status_code == 200
    detail = detail_of(env.state)
    entry = detail.entry

    assert entry.upstream_url == env.fake_url + "/codex/responses"
    assert (entry.upstream_request_id, entry.upstream_status) == ("req_upstream_42", 200)
    sent = env.fake.requests[-1]
    assert detail.upstream_request_body is not None
    assert orjson.loads(detail.upstream_request_body) == sent.body
    assert not detail.upstream_request_body_truncated
    headers = dict(detail.upstream_request_headers)
    assert headers["authorization"] == "[redacted]"
    assert headers["chatgpt-account-id"] == sent.headers["chatgpt-account-id"]
    assert headers["originator"] == "codex_cli_rs"
    assert ("x-request-id", "req_upstream_42") in detail.upstream_response_headers
    assert ("content-type", "text/event-stream") in detail.upstream_response_headers
    body = detail.upstream_response_body
    assert body is not None and body.startswith("event: response.created\ndata: {")
    assert '"delta":"Hello"' in body and "event: response.completed" in body


def test_the_oai_request_id_is_read_when_there_is_no_other(env: Env, gateway: str) -> None:
    events = ResponseScript().text("Hi").completed()
    env.fake.script(Reply(events=events, headers={"x-oai-request-id": "oai-7"}))
    httpx.post(gateway + "/v1/messages", json=ASK)
    assert detail_of(env.state).entry.upstream_request_id == "oai-7"


def test_a_passthrough_responses_request_records_the_body_sent(env: Env, gateway: str) -> None:
    env.fake.script(Reply(events=ResponseScript().text("Hey").completed(), headers={}))
    asked = {
        "model": "gpt-5.4",
        "input": "hi",
        "temperature": 0.2,  # dropped on the way (the backend refuses it)
        "prompt_cache_key": "cache-1",
        "stream": False,
    }
    assert httpx.post(gateway + "/v1/responses", json=asked).status_code == 200
    detail = detail_of(env.state)

    assert detail.request_body is not None and orjson.loads(detail.request_body) == asked
    assert detail.upstream_request_body is not None
    sent = orjson.loads(detail.upstream_request_body)
    assert sent == env.fake.requests[-1].body
    assert "temperature" not in sent and sent["stream"] is True and sent["store"] is False
    assert detail.entry.upstream_url == env.fake_url + "/codex/responses"
    assert detail.entry.upstream_request_id is None  # the upstream named none
    assert detail.upstream_response_body is not None and "Hey" in detail.upstream_response_body


def test_upstream_bodies_are_kept_only_with_log_body(
    env: Env, start_gateway: GatewayFactory
) -> None:
    env.fake.script(Reply(events=ResponseScript().text("Hello").completed()))
    gateway = start_gateway(LOG_BODY="0")
    httpx.post(gateway + "/v1/messages", json=ASK)
    detail = detail_of(env.state)
    assert detail.upstream_request_body is None and detail.upstream_response_body is None
    assert dict(detail.upstream_request_headers)["authorization"] == "[redacted]"
    assert detail.entry.upstream_url == env.fake_url + "/codex/responses"


def test_no_upstream_credential_is_stored(env: Env, start_gateway: GatewayFactory) -> None:
    tokens = env.oauth.login(account_id="acct-e2e-1", email="e2e@example.com")
    env.write_account(tokens.access_token, refresh="rt-upstream-plant-0123456789")
    gateway = start_gateway(API_PASSWORD="gw-pass-upstream-5c8d1e")
    echo = "sk-proj-EchoedBackByTheUpstream0123"
    env.fake.script(
        Reply(
            events=ResponseScript().text(f"your key {echo}").completed(),
            headers={"set-cookie": "__cf_bm=planted-cf-cookie; path=/"},
        )
    )
    response = httpx.post(
        gateway + "/v1/messages",
        json=ASK,
        headers={"x-api-key": "gw-pass-upstream-5c8d1e"},
    )
    assert response.status_code == 200
    detail = detail_of(env.state)
    assert detail.upstream_response_body is not None  # the scan below reads what was written
    assert env.fake.requests[-1].headers["authorization"] == f"Bearer {tokens.access_token}"

    assert_never_stored(
        env.state,
        tokens.access_token,
        "rt-upstream-plant-0123456789",
        "gw-pass-upstream-5c8d1e",
        echo,
        "planted-cf-cookie",
    )


# ------------------------------------------------------------------------------ Kiro


def test_a_kiro_request_records_its_upstream_exchange(kiro_env: KiroEnv, kiro_gateway: str) -> None:
    kiro_env.kiro.script(
        KiroReply(frames=[kiro_answer("Hello from Kiro.")], headers={"x-amzn-requestid": "amz-9"})
    )
    ask: dict[str, Any] = {**ASK, "model": "claude-sonnet-4.5"}
    assert httpx.post(kiro_gateway + "/v1/messages", json=ask).status_code == 200
    state = kiro_env.root / "state"
    detail = detail_of(state)
    entry = detail.entry

    assert entry.provider == "kiro"
    assert entry.upstream_url == kiro_env.kiro_url + "/generateAssistantResponse"
    assert (entry.upstream_request_id, entry.upstream_status) == ("amz-9", 200)
    [sent] = kiro_env.generations()
    assert detail.upstream_request_body is not None
    recorded = orjson.loads(detail.upstream_request_body)
    assert recorded["profileArn"] == "[redacted]"  # an account's ARN is kept out of the log
    assert {**recorded, "profileArn": sent["profileArn"]} == sent
    headers = dict(detail.upstream_request_headers)
    assert headers["authorization"] == "[redacted]"
    assert headers["x-amzn-kiro-agent-mode"] == "vibe"
    assert ("x-amzn-requestid", "amz-9") in detail.upstream_response_headers
    body = detail.upstream_response_body
    assert body is not None
    lines = body.splitlines()
    assert any(
        line.startswith("assistantResponseEvent {") and '"Hello from Kiro."' in line
        for line in lines
    )
    assert not any("\x00" in line for line in lines)  # frames as text, not binary

    assert_never_stored(state, kiro_env.login.access_token, kiro_env.login.refresh_token)
