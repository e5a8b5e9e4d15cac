"""An upstream refusal in the request log, through the real server and the fake upstreams: an
HTTP error before any stream keeps the whole exchange (URL, request id, what was sent, the
upstream's headers and error body), for Codex, the Responses passthrough and Kiro, after the
retries and the failover (the last attempt's)."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from codex2claudecode.requestlog import LogDetail
from tests.e2e.conftest import Env, GatewayFactory, KiroEnv
from tests.e2e.test_pool import usage_limit, write_accounts
from tests.e2e.test_request_log_upstream import ASK, assert_never_stored, detail_of
from tests.fakes.codex import Recorded, Reply
from tests.fakes.kiro import KiroReply
from tests.fakes.responses_events import failed_answer

INVALID = {
    "error": {
        "message": "Unsupported parameter: 'temperature'",
        "type": "invalid_request_error",
        "param": "temperature",
        "code": "unsupported_parameter",
    }
}
USAGE_LIMIT = {
    "error": {
        "type": "usage_limit_reached",
        "message": "The usage limit has been reached",
        "plan_type": "plus",
        "resets_in_seconds": 3 * 3600,
    }
}


def response_header(detail: LogDetail, name: str) -> str:
    return dict(detail.upstream_response_headers)[name]


def test_a_codex_400_keeps_what_was_sent_and_the_error_body(env: Env, gateway: str) -> None:
    env.fake.script(Reply(status=400, body=INVALID, headers={"x-request-id": "req_refused_400"}))
    response = httpx.post(gateway + "/v1/messages", json=ASK)
    assert response.status_code == 400
    detail = detail_of(env.state)
    entry = detail.entry

    assert entry.status == 400 and entry.error is not None and "temperature" in entry.error
    assert entry.upstream_url == env.fake_url + "/codex/responses"
    assert (entry.upstream_status, entry.upstream_request_id) == (400, "req_refused_400")
    assert entry.account is not None
    assert entry.provider == "codex"  # named though no answer named it
    sent = env.fake.requests[-1]
    assert detail.upstream_request_body is not None
    assert orjson.loads(detail.upstream_request_body) == sent.body
    headers = dict(detail.upstream_request_headers)
    assert headers["authorization"] == "[redacted]"
    assert headers["session_id"] == sent.headers["session_id"]
    assert response_header(detail, "x-request-id") == "req_refused_400"
    assert response_header(detail, "content-type") == "application/json"
    assert detail.upstream_response_body is not None
    assert orjson.loads(detail.upstream_response_body) == INVALID
    assert not detail.upstream_response_body_truncated


def test_a_request_refused_before_any_provider_names_none(env: Env, gateway: str) -> None:
    response = httpx.post(gateway + "/v1/messages", json={**ASK, "messages": []})
    assert response.status_code == 400
    entry = detail_of(env.state).entry
    assert entry.provider is None and entry.upstream_status is None


def test_an_answer_that_fails_before_its_first_byte_keeps_its_exchange(
    env: Env, gateway: str
) -> None:
    # HTTP 200, then `response.failed` before anything reached the client: an HTTP error to
    # the client, and the log shows what the upstream said.
    env.fake.script(
        Reply(events=failed_answer(message="model overloaded"), headers={"x-request-id": "r1"})
    )
    response = httpx.post(gateway + "/v1/messages", json=ASK)
    assert response.status_code >= 500
    detail = detail_of(env.state)

    assert detail.entry.upstream_url == env.fake_url + "/codex/responses"
    assert (detail.entry.upstream_status, detail.entry.upstream_request_id) == (200, "r1")
    assert detail.upstream_response_body is not None
    assert "model overloaded" in detail.upstream_response_body


def test_a_codex_usage_limit_keeps_its_exchange_when_retold(env: Env, gateway: str) -> None:
    """The 429 is retold with the account and its reset: the record still shows the upstream's
    own answer, and the account it came from."""
    env.fake.script(Reply(status=429, body=USAGE_LIMIT, headers={"x-oai-request-id": "oai-429"}))
    response = httpx.post(gateway + "/v1/messages", json=ASK)
    assert response.status_code == 429
    assert "resets" in response.json()["error"]["message"]  # retold, not the upstream's words
    detail = detail_of(env.state)
    entry = detail.entry

    assert (entry.status, entry.upstream_status) == (429, 429)
    assert entry.upstream_request_id == "oai-429"
    assert entry.upstream_url == env.fake_url + "/codex/responses"
    assert entry.account is not None
    assert detail.upstream_response_body is not None
    assert orjson.loads(detail.upstream_response_body) == USAGE_LIMIT
    assert detail.upstream_request_body is not None
    assert orjson.loads(detail.upstream_request_body) == env.fake.requests[-1].body


def test_every_account_limited_keeps_the_last_accounts_refusal(
    env: Env, start_gateway: GatewayFactory
) -> None:
    """After the failover, the retold 429 ("All 2 accounts ...") shows the last one's answer."""
    write_accounts(env)  # acct-a and acct-b

    def refuse(recorded: Recorded) -> Reply:
        reply = usage_limit(
            resets_in=7200 if recorded.headers["chatgpt-account-id"] == "acct-a" else 300
        )
        return Reply(
            status=429,
            body=reply.body,
            headers={"x-request-id": "req-" + recorded.headers["chatgpt-account-id"]},
        )

    env.fake.responder = refuse
    gateway = start_gateway()
    response = httpx.post(gateway + "/v1/messages", json=ASK)
    assert response.status_code == 429
    assert "All 2 Codex accounts" in response.json()["error"]["message"]
    detail = detail_of(env.state)

    assert [r.headers["chatgpt-account-id"] for r in env.fake.requests] == ["acct-a", "acct-b"]
    assert (detail.entry.account, detail.entry.upstream_request_id) == ("acct-b", "req-acct-b")
    assert dict(detail.upstream_request_headers)["chatgpt-account-id"] == "acct-b"
    assert detail.upstream_response_body is not None
    assert orjson.loads(detail.upstream_response_body)["error"]["resets_in_seconds"] == 300


def test_a_codex_401_after_the_refresh_keeps_the_second_answer(env: Env, gateway: str) -> None:
    refused = {"error": {"message": "token revoked", "code": "token_revoked"}}
    env.fake.script(
        Reply(status=401, body={"error": {"message": "expired"}}, headers={"x-request-id": "r1"}),
        Reply(status=401, body=refused, headers={"x-request-id": "r2"}),
    )
    assert httpx.post(gateway + "/v1/messages", json=ASK).status_code == 401
    detail = detail_of(env.state)

    assert len(env.fake.requests) == 2  # the refresh happened in between
    assert (detail.entry.upstream_status, detail.entry.upstream_request_id) == (401, "r2")
    assert detail.upstream_response_body is not None
    assert orjson.loads(detail.upstream_response_body) == refused


def test_a_refused_passthrough_responses_request_keeps_its_exchange(env: Env, gateway: str) -> None:
    env.fake.script(Reply(status=500, body="upstream exploded", headers={"x-request-id": "r5"}))
    asked = {"model": "gpt-5.4", "input": "hi", "stream": False}
    assert httpx.post(gateway + "/v1/responses", json=asked).status_code == 502
    detail = detail_of(env.state)

    assert (detail.entry.upstream_status, detail.entry.upstream_request_id) == (500, "r5")
    assert detail.upstream_request_body is not None
    assert orjson.loads(detail.upstream_request_body) == env.fake.requests[-1].body
    assert detail.upstream_response_body == "upstream exploded"


def test_a_refusal_without_log_body_keeps_the_url_status_and_id(
    env: Env, start_gateway: GatewayFactory
) -> None:
    env.fake.script(Reply(status=400, body=INVALID, headers={"x-request-id": "req_nobody"}))
    gateway = start_gateway(LOG_BODY="0")
    assert httpx.post(gateway + "/v1/messages", json=ASK).status_code == 400
    detail = detail_of(env.state)

    assert detail.entry.upstream_url == env.fake_url + "/codex/responses"
    assert (detail.entry.upstream_status, detail.entry.upstream_request_id) == (400, "req_nobody")
    assert detail.upstream_request_body is None and detail.upstream_response_body is None
    assert dict(detail.upstream_request_headers)["authorization"] == "[redacted]"
    assert response_header(detail, "x-request-id") == "req_nobody"


def test_no_secret_of_a_refusal_is_stored(env: Env, start_gateway: GatewayFactory) -> None:
    tokens = env.oauth.login(account_id="acct-e2e-1", email="e2e@example.com")
    env.write_account(tokens.access_token, refresh="rt-refusal-plant-0123456789")
    gateway = start_gateway(API_PASSWORD="gw-pass-refusal-7a1b2c")
    echo = "sk-proj-EchoedInTheRefusal0123456"
    env.fake.script(
        Reply(
            status=400,
            body={"error": {"message": f"bad key {echo} (Bearer {tokens.access_token})"}},
            headers={"set-cookie": "__cf_bm=planted-refusal-cookie; path=/"},
        )
    )
    response = httpx.post(
        gateway + "/v1/messages", json=ASK, headers={"x-api-key": "gw-pass-refusal-7a1b2c"}
    )
    assert response.status_code == 400
    detail = detail_of(env.state)
    assert detail.upstream_response_body is not None  # the scan below reads what was written
    assert env.fake.requests[-1].headers["authorization"] == f"Bearer {tokens.access_token}"

    assert_never_stored(
        env.state,
        tokens.access_token,
        "rt-refusal-plant-0123456789",
        "gw-pass-refusal-7a1b2c",
        echo,
        "planted-refusal-cookie",
    )


# ------------------------------------------------------------------------------ Kiro


KIRO_ASK: dict[str, Any] = {**ASK, "model": "claude-sonnet-4.5"}


def test_a_kiro_refusal_after_the_retry_keeps_the_last_attempt(
    kiro_env: KiroEnv, kiro_gateway: str
) -> None:
    """A 403 refreshes the token and tries once more; the record shows the second answer."""
    kiro_env.kiro.script(
        KiroReply(status=403, body={"message": "first"}, headers={"x-amzn-requestid": "amz-1"}),
        KiroReply(status=403, body={"message": "last"}, headers={"x-amzn-requestid": "amz-2"}),
    )
    assert httpx.post(kiro_gateway + "/v1/messages", json=KIRO_ASK).status_code == 403
    state = kiro_env.root / "state"
    detail = detail_of(state)
    entry = detail.entry

    assert len(kiro_env.generations()) == 2
    assert entry.account is not None
    assert entry.upstream_url == kiro_env.kiro_url + "/generateAssistantResponse"
    assert (entry.upstream_status, entry.upstream_request_id) == (403, "amz-2")
    assert detail.upstream_response_body is not None
    assert orjson.loads(detail.upstream_response_body) == {"message": "last"}
    assert detail.upstream_request_body is not None
    recorded = orjson.loads(detail.upstream_request_body)
    sent = kiro_env.generations()[-1]
    assert {**recorded, "profileArn": sent["profileArn"]} == sent
    assert dict(detail.upstream_request_headers)["authorization"] == "[redacted]"

    assert_never_stored(state, kiro_env.login.access_token, kiro_env.login.refresh_token)


def test_a_kiro_400_keeps_its_exchange(kiro_env: KiroEnv, kiro_gateway: str) -> None:
    rejected = {"message": "Improperly formed request.", "reason": None}
    kiro_env.kiro.script(
        KiroReply(status=400, body=rejected, headers={"x-amzn-requestid": "amz-400"})
    )
    assert httpx.post(kiro_gateway + "/v1/messages", json=KIRO_ASK).status_code == 400
    detail = detail_of(kiro_env.root / "state")

    assert len(kiro_env.generations()) == 1  # a 400 is not retried
    assert detail.entry.provider == "kiro"
    assert (detail.entry.upstream_status, detail.entry.upstream_request_id) == (400, "amz-400")
    assert detail.upstream_response_body is not None
    assert orjson.loads(detail.upstream_response_body) == rejected


def test_spent_kiro_credits_keep_the_exchange_when_retold(
    kiro_env: KiroEnv, kiro_gateway: str
) -> None:
    spent = {"message": "Throttled by the service", "reason": "MONTHLY_REQUEST_COUNT"}
    kiro_env.kiro.script(KiroReply(status=429, body=spent, headers={"x-amzn-requestid": "a-9"}))
    response = httpx.post(kiro_gateway + "/v1/messages", json=KIRO_ASK)
    assert response.status_code == 429
    assert "kiro@example.com" in response.json()["error"]["message"]  # retold
    detail = detail_of(kiro_env.root / "state")

    assert (detail.entry.upstream_status, detail.entry.upstream_request_id) == (429, "a-9")
    assert detail.entry.account is not None
    assert detail.upstream_response_body is not None
    assert orjson.loads(detail.upstream_response_body) == spent
