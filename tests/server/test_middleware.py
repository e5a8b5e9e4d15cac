"""The `Gateway` middleware over real HTTP: the local password, CORS, request ids."""

from __future__ import annotations

import json
import re

import anthropic
import httpx
import pytest

from tests.e2e.conftest import Env
from tests.fakes.codex import Reply
from tests.fakes.responses_events import text_answer
from tests.server.conftest import PASSWORD, raw_request

COUNT_BODY = {"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}]}
MESSAGE_BODY = {**COUNT_BODY, "max_tokens": 16}
JSON = {"content-type": "application/json"}
MISSING = "an API key is required"
WRONG = "invalid API key"


@pytest.fixture(autouse=True)
def _no_ambient_anthropic_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK falls back to these; a developer's real key must not change what is sent.
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)


def assert_auth_error(response: httpx.Response, fragment: str) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == "authentication_error"
    assert fragment in body["error"]["message"]
    assert body["request_id"] == response.headers["request-id"]


# ------------------------------------------------------------------------------ password

OK = [
    {"x-api-key": PASSWORD},
    {"authorization": f"Bearer {PASSWORD}"},
    {"authorization": f"bearer {PASSWORD}"},
    {"x-api-key": "stale-key", "authorization": f"Bearer {PASSWORD}"},
]


@pytest.mark.parametrize("headers", OK, ids=lambda h: "+".join(h))
def test_the_password_is_accepted_in_either_header(protected: str, headers: dict[str, str]) -> None:
    r = httpx.post(f"{protected}/v1/messages/count_tokens", json=COUNT_BODY, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["input_tokens"] > 0


REJECTED = [
    ({}, MISSING),
    ({"x-api-key": ""}, MISSING),
    ({"authorization": "Bearer"}, MISSING),
    ({"authorization": f"Basic {PASSWORD}"}, MISSING),
    ({"x-api-key": "wrong"}, WRONG),
    ({"authorization": "Bearer wrong"}, WRONG),
    ({"x-api-key": PASSWORD[:-1]}, WRONG),
    ({"x-api-key": PASSWORD + "x"}, WRONG),
    ({"x-api-key": PASSWORD.upper()}, WRONG),
]


@pytest.mark.parametrize(("headers", "fragment"), REJECTED, ids=lambda v: repr(v))
def test_a_missing_or_wrong_password_gets_401(
    protected: str, headers: dict[str, str], fragment: str
) -> None:
    r = httpx.post(f"{protected}/v1/messages/count_tokens", json=COUNT_BODY, headers=headers)
    assert_auth_error(r, fragment)
    assert PASSWORD not in r.text


def test_an_empty_bearer_counts_as_missing_byte_for_byte(protected: str) -> None:
    status, headers, body = raw_request(
        protected,
        "POST /v1/messages HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer   \n"
        "Content-Length: 0\nConnection: close\n",
    )
    assert status == 401
    assert MISSING in json.loads(body)["error"]["message"]
    assert headers["request-id"].startswith("req_")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("HEAD", "/", 200),
        ("GET", "/", 200),
        ("GET", "/health", 200),
        ("HEAD", "/health", 200),
        ("HEAD", "/api/hello", 200),
        ("GET", "/api/hello", 200),
    ],
)
def test_probes_and_preflight_stay_open(
    protected: str, method: str, path: str, status: int
) -> None:
    r = httpx.request(method, protected + path)
    assert r.status_code == status


def test_unknown_paths_and_posts_to_open_paths_need_the_password(protected: str) -> None:
    # Authentication comes first: an unauthenticated caller learns nothing about the routes.
    assert_auth_error(httpx.get(f"{protected}/v1/nothing"), MISSING)
    assert_auth_error(httpx.post(f"{protected}/health"), MISSING)
    assert_auth_error(httpx.get(f"{protected}/health/"), MISSING)


def test_no_password_means_no_check(unprotected: str) -> None:
    r = httpx.post(f"{unprotected}/v1/messages/count_tokens", json=COUNT_BODY)
    assert r.status_code == 200


def test_sdk_with_the_right_key_works_and_the_password_never_goes_upstream(
    env: Env, protected: str
) -> None:
    env.fake.script(Reply(events=text_answer("one")), Reply(events=text_answer("two")))
    with (
        anthropic.Anthropic(base_url=protected, api_key=PASSWORD, max_retries=0) as by_key,
        anthropic.Anthropic(base_url=protected, auth_token=PASSWORD, max_retries=0) as by_token,
    ):
        answers = [c.messages.create(**MESSAGE_BODY) for c in (by_key, by_token)]  # type: ignore[call-overload]
    assert [a.content[0].text for a in answers] == ["one", "two"]

    assert len(env.fake.requests) == 2
    for recorded in env.fake.requests:
        assert "x-api-key" not in recorded.headers
        assert recorded.headers["authorization"].startswith("Bearer ey")
        for name, value in recorded.headers.items():
            assert PASSWORD not in value, name
    for form in env.oauth.forms:
        assert PASSWORD not in json.dumps(form)


def test_sdk_with_a_wrong_key_raises_authentication_error(protected: str) -> None:
    with (
        anthropic.Anthropic(base_url=protected, api_key="not-it", max_retries=0) as client,
        pytest.raises(anthropic.AuthenticationError) as caught,
    ):
        client.messages.count_tokens(**COUNT_BODY)  # type: ignore[arg-type]
    assert caught.value.status_code == 401
    assert caught.value.request_id is not None
    assert caught.value.request_id.startswith("req_")
    assert WRONG in caught.value.message


# ------------------------------------------------------------------------------ request ids


def all_kinds_of_response(url: str, env: Env) -> list[httpx.Response]:
    env.fake.script(Reply(events=text_answer("hi")))
    key = {"x-api-key": PASSWORD}
    with httpx.Client(base_url=url) as c:
        responses = [
            c.head("/"),
            c.get("/health"),
            c.options("/v1/messages", headers={"origin": "http://evil.example"}),
            c.post("/v1/messages", json=MESSAGE_BODY),
            c.get("/nowhere", headers=key),
            c.get("/v1/messages", headers=key),
            c.post("/v1/messages", content=b"{nope", headers={**key, **JSON}),
            c.post("/v1/messages/count_tokens", json=COUNT_BODY, headers=key),
        ]
        with c.stream(
            "POST", "/v1/messages", json={**MESSAGE_BODY, "stream": True}, headers=key
        ) as s:
            s.read()
            responses.append(s)
    return responses


def test_every_response_has_one_request_id_and_no_cors_headers(env: Env, protected: str) -> None:
    responses = all_kinds_of_response(protected, env)
    assert [r.status_code for r in responses] == [200, 200, 403, 401, 404, 405, 400, 200, 200]
    ids = set()
    for r in responses:
        assert not [name for name in r.headers if name.startswith("access-control-")]
        [rid] = r.headers.get_list("request-id")
        assert re.fullmatch(r"req_[0-9a-f]{24}", rid)  # the format clients have always seen
        ids.add(rid)
    assert len(ids) == len(responses)


def test_the_request_id_of_an_error_body_is_the_header(env: Env, protected: str) -> None:
    for r in all_kinds_of_response(protected, env):
        if r.status_code >= 400:
            assert r.json()["request_id"] == r.headers["request-id"]
