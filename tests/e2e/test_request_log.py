"""The request log through the real server: every request recorded with its facts and
outcome, bodies only with LOG_BODY, no secret ever stored, an unusable log never failing a
request, and the readers (`logs`, `GET /usage`) seeing what was written."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
import orjson
import pytest

from codex2claudecode.cli import main
from codex2claudecode.requestlog import LogEntry, LogReader
from tests.e2e.conftest import Env, GatewayFactory
from tests.e2e.test_request_log_upstream import assert_never_stored, stored_bytes
from tests.fakes.codex import Reply
from tests.fakes.responses_events import ResponseScript, make_usage, text_answer

ASK = {"model": "gpt-5.4", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}
STREAM = {**ASK, "stream": True}
CHAT = {"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]}


def rows(state: Path, n: int) -> list[LogEntry]:
    """The first `n` requests once they are written (the writer flushes every 0.1 s; the
    per-test timeout ends a wait that never succeeds)."""
    while True:
        # A fresh reader each time: the file may not exist yet.
        with LogReader(state / "requests.db") as reader:
            found = reader.recent(1000) if reader.exists else []
        if len(found) >= n:
            return found
        time.sleep(0.01)


def one_answer(env: Env, **usage: int) -> None:
    env.fake.script(Reply(events=ResponseScript().text("Hello").completed(make_usage(**usage))))


def test_each_request_is_recorded_with_its_facts(env: Env, gateway: str) -> None:
    one_answer(env, input_tokens=30, cached_tokens=10, output_tokens=7, reasoning_tokens=2)
    one_answer(env)
    one_answer(env)
    assert httpx.post(gateway + "/v1/messages", json=ASK).status_code == 200
    assert httpx.post(gateway + "/v1/messages?beta=true", json=STREAM).status_code == 200
    assert httpx.post(gateway + "/v1/chat/completions", json=CHAT).status_code == 200
    plain, streamed, chat = rows(env.state, 3)

    assert (plain.dialect, plain.method, plain.path) == ("anthropic", "POST", "/v1/messages")
    assert (plain.model_requested, plain.model_used) == ("gpt-5.4", "gpt-5.4")
    assert (plain.provider, plain.account) == ("codex", "acct-e2e-1")
    assert (plain.status, plain.upstream_status) == (200, 200)
    assert plain.duration_ms is not None and plain.ttfb_ms is not None
    assert 0 < plain.ttfb_ms <= plain.duration_ms
    assert (plain.input_tokens, plain.cached_tokens) == (30, 10)
    assert (plain.output_tokens, plain.reasoning_tokens) == (7, 2)
    assert (plain.stop_reason, plain.error) == ("end_turn", None)

    assert streamed.path == "/v1/messages?beta=true"
    assert (streamed.status, streamed.stop_reason, streamed.error) == (200, "end_turn", None)
    assert streamed.output_tokens == 5 and streamed.ttfb_ms is not None
    assert chat.dialect == "openai_chat" and chat.stop_reason == "end_turn"


def test_failures_are_recorded_with_their_outcome(env: Env, gateway: str) -> None:
    env.fake.script(Reply(status=400, body={"error": {"message": "Unsupported parameter: x"}}))
    env.fake.script(Reply(events=ResponseScript().text("Hel", "lo").completed(), cut_after=6))
    env.fake.script(Reply(events=text_answer("Hel", "lo"), stall_after=5))
    assert httpx.post(gateway + "/v1/messages", json=ASK).status_code == 400
    httpx.post(gateway + "/v1/messages", json=STREAM)
    with httpx.stream("POST", gateway + "/v1/messages", json=STREAM) as response:
        next(response.iter_bytes())
    refused, broken, cancelled = rows(env.state, 3)

    assert (refused.status, refused.upstream_status) == (400, 400)
    assert refused.error is not None and "Unsupported parameter" in refused.error
    assert refused.ttfb_ms is not None and refused.account == "acct-e2e-1"
    assert broken.status == 200
    assert broken.error is not None and broken.error.startswith("upstream error: ")
    assert broken.stop_reason is None
    assert cancelled.status == 200 and cancelled.error == "client cancelled"


def test_bodies_are_kept_only_with_log_body(env: Env, start_gateway: GatewayFactory) -> None:
    one_answer(env)
    gateway = start_gateway(LOG_BODY="0")
    httpx.post(gateway + "/v1/messages", json=ASK)
    [entry] = rows(env.state, 1)
    with LogReader(env.state / "requests.db") as reader:
        detail = reader.get(entry.id)
    assert detail is not None
    assert detail.request_body is None and detail.response_body is None
    assert ("content-type", "application/json") in detail.request_headers


def test_bodies_are_kept_by_default(env: Env, gateway: str) -> None:
    one_answer(env)
    httpx.post(gateway + "/v1/messages", json=ASK)
    [entry] = rows(env.state, 1)
    with LogReader(env.state / "requests.db") as reader:
        detail = reader.get(entry.id)
    assert detail is not None and detail.request_body is not None
    assert orjson.loads(detail.request_body) == ASK
    assert detail.response_body is not None and "Hello" in detail.response_body


PASSWORD = "gw-pass-4f1c9e27b8d3a650"
BEARER = "sk-ant-oat01-Zq8xW2vN5mR7tY1uI3oP9aS4dF6gH0jK"
API_KEY = "sk-proj-Lm3Nb5Vc7Xz9Qw1Er3Ty5Ui7Op9As2Df"
BODY_SECRET = "ghp_bodySecretThatMustNotBeStored0123"


def test_no_secret_is_ever_stored(env: Env, start_gateway: GatewayFactory) -> None:
    env.write_account(env.oauth.login(account_id="acct-e2e-1").access_token, refresh="rt-plant")
    upstream_access = (env.state / "auth-codex.json").read_text()
    planted = [PASSWORD, BEARER, API_KEY, BODY_SECRET, "rt-plant"]
    for _ in range(4):
        one_answer(env)
    gateway = start_gateway(API_PASSWORD=PASSWORD)
    leaky = {
        **ASK,
        "metadata": {"user_id": "u1"},
        "messages": [
            {"role": "user", "content": orjson.dumps({"api_key": BODY_SECRET}).decode()},
        ],
    }
    sent = [
        httpx.post(gateway + "/v1/messages", json=leaky, headers={"x-api-key": PASSWORD}),
        httpx.post(
            gateway + "/v1/messages",
            json={**leaky, "stream": True},
            headers={"authorization": f"Bearer {PASSWORD}", "x-api-key": PASSWORD},
        ),
        httpx.post(
            gateway + f"/v1/chat/completions?api_key={API_KEY}",
            json=CHAT,
            headers={"authorization": f"Bearer {PASSWORD}", "x-goog-api-key": BEARER},
        ),
        httpx.post(
            gateway + "/v1/messages",
            json={**ASK, "messages": [{"role": "user", "content": f"use {API_KEY} and {BEARER}"}]},
            headers={"x-api-key": PASSWORD, "anthropic-beta": "oauth-2025-04-20"},
        ),
    ]
    assert [r.status_code for r in sent] == [200, 200, 200, 200]
    rows(env.state, 4)
    token = orjson.loads(upstream_access)["access"]
    assert env.fake.requests[-1].headers["authorization"] == f"Bearer {token}"
    planted.append(token)

    assert b"content-type" in stored_bytes(env.state)  # the scan reads what was written
    assert_never_stored(env.state, *planted)


def test_an_unusable_log_warns_once_and_serves(
    env: Env, start_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    (env.state / "requests.db").mkdir()  # not a file: SQLite cannot open it
    for _ in range(3):
        one_answer(env)
    gateway = start_gateway()
    for _ in range(3):
        assert httpx.post(gateway + "/v1/messages", json=ASK).status_code == 200
    # The first write is attempted within the writer's flush interval; the warning is the sign.
    while not warnings(caplog):
        time.sleep(0.01)
    assert len(warnings(caplog)) == 1
    assert str(env.state / "requests.db") in warnings(caplog)[0]


def test_a_foreign_file_in_place_of_the_log_is_kept_aside_once(
    env: Env, start_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    foreign = b"not a database, just some bytes\n" * 200
    (env.state / "requests.db").write_bytes(foreign)
    one_answer(env)
    one_answer(env)
    gateway = start_gateway()
    assert httpx.post(gateway + "/v1/messages", json=ASK).status_code == 200
    assert httpx.post(gateway + "/v1/messages", json=STREAM).status_code == 200
    while not warnings(caplog):
        time.sleep(0.01)
    assert [row.path for row in rows(env.state, 2)] == ["/v1/messages"] * 2  # both recorded
    (warning,) = warnings(caplog)
    (kept,) = env.state.glob("requests.db.broken-*")
    assert kept.read_bytes() == foreign
    assert kept.name in warning and "started a new log" in warning


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "codex2claudecode.requestlog" and r.levelno == logging.WARNING
    ]


def test_logs_and_usage_read_what_was_written(
    env: Env,
    gateway: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one_answer(env, input_tokens=20, output_tokens=4)
    one_answer(env, input_tokens=30, output_tokens=6)
    httpx.post(gateway + "/v1/messages", json=ASK)
    httpx.post(gateway + "/v1/messages", json=STREAM)
    written = rows(env.state, 2)

    for name, value in env.env().items():
        monkeypatch.setenv(name, value)
    assert main(["logs", "--json"]) == 0
    printed = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["id"] for p in printed] == [e.id for e in written]
    assert [p["output_tokens"] for p in printed] == [4, 6]
    assert main(["logs", "-n", "1"]) == 0
    table = capsys.readouterr().out
    assert "gpt-5.4" in table and "/v1/messages" in table and written[0].id not in table

    env.fake.usage_body = {"plan_type": "plus"}
    usage = httpx.get(gateway + "/usage").json()
    [totals] = usage["gateway"]["tokens_by_model"]
    assert totals["model"] == "gpt-5.4"
    assert (totals["requests"], totals["input_tokens"], totals["output_tokens"]) == (2, 50, 10)
