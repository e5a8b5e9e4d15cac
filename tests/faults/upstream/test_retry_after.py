"""An overloaded upstream's `retry-after` reaches the client, in both dialects (issue 10)."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Env, GatewayFactory
from tests.fakes.codex import Reply

OVERLOADED = {"error": {"message": "Our servers are busy", "code": "server_is_overloaded"}}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/messages", {"model": "gpt-5.4", "max_tokens": 64, "messages": []}),
        ("/v1/chat/completions", {"model": "gpt-5.4", "messages": []}),
        ("/v1/responses", {"model": "gpt-5.4", "input": "hi"}),
    ],
)
@pytest.mark.parametrize("upstream_status", [503, 529])
def test_the_upstreams_retry_after_is_kept(
    env: Env,
    start_gateway: GatewayFactory,
    path: str,
    body: dict[str, object],
    upstream_status: int,
) -> None:
    env.fake.script(Reply(status=upstream_status, body=OVERLOADED, headers={"retry-after": "17"}))
    message = {"role": "user", "content": "hi"}
    sent = {**body, "messages": [message]} if "messages" in body else body
    with httpx.Client(timeout=30) as client:
        response = client.post(start_gateway() + path, json=sent)

    assert response.status_code == (529 if path == "/v1/messages" else 503)
    assert response.headers["retry-after"] == "17"
    assert "Our servers are busy" in response.text


def test_without_a_retry_after_none_is_made_up(env: Env, start_gateway: GatewayFactory) -> None:
    env.fake.script(Reply(status=503, body=OVERLOADED))
    body = {"model": "gpt-5.4", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
    with httpx.Client(timeout=30) as client:
        response = client.post(start_gateway() + "/v1/messages", json=body)

    assert response.status_code == 529
    assert "retry-after" not in response.headers
