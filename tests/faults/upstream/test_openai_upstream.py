"""Issue 10's upstream refusals on the OpenAI routes, through the official `openai` SDK: a 401
for ever, a proxy asking 407, rate limits with and without `retry-after`, a usage limit; and a
stalled Kiro stream. Each in OpenAI's error shape, the SDK raising its own class for it."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import openai
import pytest

from tests.e2e.conftest import Env, GatewayFactory, KiroEnv, kiro_env
from tests.fakes.codex import Reply
from tests.fakes.kiro import KiroReply
from tests.fakes.kiro_stream import assistant_text
from tests.fakes.proxy407 import ProxyAsking407
from tests.faults.test_openai_faults import ROUTES, create, error_of
from tests.faults.upstream.test_codex_faults import FAST, intact

__all__ = ["intact", "kiro_env"]  # fixtures shared with other suites


@pytest.fixture
def sdk(start_gateway: GatewayFactory) -> Iterator[openai.OpenAI]:
    url = start_gateway(**FAST)
    with openai.OpenAI(base_url=url + "/v1", api_key="any", max_retries=0, timeout=30) as client:
        yield client


@pytest.mark.parametrize("route", ROUTES)
def test_a_401_for_ever_spends_one_grant_at_most(env: Env, sdk: openai.OpenAI, route: str) -> None:
    env.fake.accepts = lambda token: False
    refusals = []
    for _ in range(3):
        with pytest.raises(openai.AuthenticationError) as caught:
            create(sdk, route, stream=True)
        refusals.append(error_of(caught))
    assert [(e["type"], e["param"], e["code"]) for e in refusals] == [
        ("invalid_request_error", None, "invalid_api_key")
    ] * 3
    assert env.oauth.grants == 1
    assert "freshly refreshed token" in refusals[-1]["message"]


@pytest.mark.parametrize("route", ROUTES)
def test_a_proxy_407_is_an_authentication_problem_without_its_password(
    env: Env, start_gateway: GatewayFactory, proxy407: ProxyAsking407, route: str
) -> None:
    proxy = f"http://alice:s3cret-pw@127.0.0.1:{proxy407.port}"
    url = start_gateway(**FAST, HTTP_PROXY=proxy, HTTPS_PROXY=proxy)
    with (
        openai.OpenAI(base_url=url + "/v1", api_key="any", max_retries=0) as sdk,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        create(sdk, route, stream=True)
    assert error_of(caught) == {
        "message": f"The proxy http://***@127.0.0.1:{proxy407.port} refused the request: "
        "407 Proxy Authentication Required. Check the user name and password in "
        "HTTPS_PROXY / HTTP_PROXY (http://user:password@host:port).",
        "type": "invalid_request_error",
        "param": None,
        "code": None,  # not `invalid_api_key`: the client's key is not what was refused
    }


@pytest.mark.parametrize("route", ROUTES)
def test_an_unreachable_proxy_names_it_without_its_password(
    env: Env, start_gateway: GatewayFactory, route: str
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proxy = f"http://alice:s3cret-pw@127.0.0.1:{port}"
    url = start_gateway(**FAST, HTTP_PROXY=proxy, HTTPS_PROXY=proxy)
    with (
        openai.OpenAI(base_url=url + "/v1", api_key="any", max_retries=0) as sdk,
        pytest.raises(openai.InternalServerError) as caught,
    ):
        create(sdk, route)
    assert caught.value.status_code == 502
    assert "s3cret-pw" not in caught.value.response.text
    assert f"proxy 127.0.0.1:{port}" in error_of(caught)["message"]


USAGE_LIMIT = {
    "error": {
        "type": "usage_limit_reached",
        "message": "The usage limit has been reached",
        "resets_in_seconds": 120,
    }
}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("route", ROUTES)
def test_a_usage_limit_is_a_429_with_its_reset(
    env: Env, sdk: openai.OpenAI, route: str, stream: bool
) -> None:
    env.fake.script(Reply(status=429, body=USAGE_LIMIT))
    with pytest.raises(openai.RateLimitError) as caught:
        create(sdk, route, stream=stream)
    assert caught.value.response.headers["retry-after"] == "120"
    error = error_of(caught)
    assert (error["type"], error["param"], error["code"]) == (
        "requests",
        None,
        "rate_limit_exceeded",
    )
    assert error["message"].startswith("The ChatGPT account e2e@example.com has reached its usage")
    assert error["message"].endswith(". Please try again in 120s.")
    # The upstream is asked again (issue 10): a limit lifted early is not kept locally.
    env.fake.script(Reply(status=429, body=USAGE_LIMIT))
    with pytest.raises(openai.RateLimitError):
        create(sdk, route, stream=stream)
    assert len(env.fake.requests) == 2


@pytest.mark.parametrize("route", ROUTES)
def test_a_429s_retry_after_is_kept_and_none_is_invented(
    env: Env, sdk: openai.OpenAI, route: str
) -> None:
    slow_down = {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}
    env.fake.script(
        Reply(status=429, body=slow_down, headers={"retry-after": "7"}),
        Reply(status=429, body=slow_down),
    )
    with pytest.raises(openai.RateLimitError) as caught:
        create(sdk, route)
    assert caught.value.response.headers["retry-after"] == "7"
    message = error_of(caught)["message"]
    assert message.endswith("Please try again in 7s.")
    # The upstream's own words: a request rate, not the account's usage limit.
    assert "Rate limit reached" in message and "usage limit" not in message
    with pytest.raises(openai.RateLimitError) as caught:
        create(sdk, route)
    assert "retry-after" not in caught.value.response.headers
    assert "try again in" not in error_of(caught)["message"]


# ---------------------------------------------------------------------- Kiro


@pytest.fixture
def kiro_sdk(kiro_env: KiroEnv, start_gateway: GatewayFactory) -> Iterator[openai.OpenAI]:
    url = start_gateway(**kiro_env.env(**FAST))
    with openai.OpenAI(base_url=url + "/v1", api_key="any", max_retries=0, timeout=30) as client:
        yield client


def test_a_stalled_kiro_stream_ends_in_a_chat_error_chunk(
    kiro_env: KiroEnv, kiro_sdk: openai.OpenAI
) -> None:
    kiro_env.kiro.script(
        KiroReply(frames=[assistant_text("Hello"), assistant_text(" there")], stall_after=1)
    )
    stream = kiro_sdk.chat.completions.create(
        model="claude-sonnet-4.5", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    with pytest.raises(openai.APIError) as caught:
        list(stream)
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["type"] == "server_error"
    assert caught.value.message.endswith("the stream was aborted")


def test_a_stalled_kiro_stream_ends_in_response_failed(
    kiro_env: KiroEnv, kiro_sdk: openai.OpenAI
) -> None:
    kiro_env.kiro.script(
        KiroReply(frames=[assistant_text("Hello"), assistant_text(" there")], stall_after=1)
    )
    events = list(kiro_sdk.responses.create(model="claude-sonnet-4.5", input="hi", stream=True))
    assert events[-1].type == "response.failed"
    assert events[-1].response.error is not None
    assert events[-1].response.error.code == "server_error"
    assert events[-1].response.error.message.endswith("the stream was aborted")
    assert json.loads(events[-1].model_dump_json())["response"]["status"] == "failed"
