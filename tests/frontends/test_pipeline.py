"""What the pipeline notes in the request log about the upstream, from `Started` or a failure."""

from __future__ import annotations

from codex2claudecode import errors, ir
from codex2claudecode.frontends.pipeline import failed, observe
from codex2claudecode.requestlog import RequestRecord
from tests.requestlog.records import make_exchange


def fresh() -> RequestRecord:
    return RequestRecord("req_1", "POST", "/v1/messages")


def test_a_refusal_notes_its_exchange_as_started_does() -> None:
    exchange = make_exchange(status=429, request_id="req_up_429")
    refusal = errors.RateLimited("limit reached", retry_after=60)
    refusal.account, refusal.upstream_status, refusal.upstream = "acct-a", 429, exchange
    refused, answered = fresh(), fresh()

    failed(refused, refusal)
    observe(answered, [ir.Started(response_id="r", model="m", upstream=exchange)])

    assert refused.upstream is exchange and answered.upstream is exchange
    for record in (refused, answered):
        assert (record.upstream_url, record.upstream_request_id, record.upstream_status) == (
            "https://chatgpt.example/backend-api/codex/responses",
            "req_up_429",
            429,
        )
    assert (refused.error, refused.account) == ("limit reached", "acct-a")


def test_without_an_exchange_only_the_status_is_noted() -> None:
    refusal = errors.UpstreamFailed("Kiro failed with HTTP 500")
    refusal.upstream_status = 500
    record = fresh()
    failed(record, refusal)
    assert (record.upstream_status, record.upstream, record.upstream_url) == (500, None, None)

    unanswered = fresh()
    failed(unanswered, errors.UpstreamUnreachable("no route to host"))
    assert (unanswered.upstream_status, unanswered.upstream) == (None, None)


def test_a_failure_mid_stream_keeps_the_exchange_that_answered() -> None:
    exchange = make_exchange()
    record = fresh()
    observe(record, [ir.Started(response_id="r", model="m", upstream=exchange)])
    failed(record, errors.UpstreamFailed("the stream was cut"), "upstream error: cut")
    assert record.upstream is exchange and record.upstream_status == 200
    assert record.error == "upstream error: cut"


def test_restating_an_error_keeps_the_account_and_the_upstream_answer() -> None:
    first = errors.RateLimited("The usage limit has been reached", retry_after=60)
    first.account, first.upstream_status, first.upstream = "acct-b", 429, make_exchange()
    told = errors.RateLimited("All 2 accounts are limited", retry_after=60).restating(first)
    assert (told.account, told.upstream_status, told.upstream) == (
        "acct-b",
        429,
        first.upstream,
    )
    assert told.message == "All 2 accounts are limited"
