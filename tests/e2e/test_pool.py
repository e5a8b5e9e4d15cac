"""The account pool end to end: two accounts in the array auth file, the fake Codex backend
refusing one of them, the real gateway on loopback and the official SDK as the client."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import anthropic
import httpx
import pytest

from codex2claudecode import tokens
from codex2claudecode.accounts.pool import Strategy
from codex2claudecode.backends.base import Providers
from codex2claudecode.backends.codex.backend import CodexBackend
from codex2claudecode.backends.codex.pool import CodexPool
from codex2claudecode.config import Config
from codex2claudecode.frontends.anthropic.routes import AnthropicRoutes
from codex2claudecode.http_client import SharedSession
from codex2claudecode.router import Router
from codex2claudecode.server.app import create_app
from tests.e2e.conftest import Env
from tests.e2e.grammar import check
from tests.fakes.codex import Recorded, Reply
from tests.fakes.responses_events import ResponseScript, text_answer
from tests.fakes.server import run_app

ACCOUNTS = ("acct-a", "acct-b")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def usage_limit(resets_in: int) -> Reply:
    """The real 429 body (protocols §5c)."""
    return Reply(
        status=429,
        body={
            "error": {
                "type": "usage_limit_reached",
                "message": "The usage limit has been reached",
                "plan_type": "plus",
                "resets_at": int(time.time()) + resets_in,
                "eligible_promo": None,
                "resets_in_seconds": resets_in,
            }
        },
    )


@dataclass
class Pool:
    """The gateway over two accounts, and the fake's behaviour per account."""

    env: Env
    url: str
    clock: Clock
    token: dict[str, str]
    """Account id -> its access token."""
    refusing: dict[str, Reply] = field(default_factory=dict)
    """Account id -> the reply its requests get instead of an answer."""
    answering: dict[str, Reply] = field(default_factory=dict)
    """Account id -> a successful reply other than the default one."""

    def served_by(self) -> list[str]:
        """The account of every generation request the fake received, in order."""
        account = {token: key for key, token in self.token.items()}
        return [
            account[r.headers["authorization"].removeprefix("Bearer ")]
            for r in self.env.fake.requests
            if r.path.endswith("/codex/responses")
        ]

    def respond(self, recorded: Recorded) -> Reply:
        bearer = recorded.headers["authorization"]
        key = next(k for k, t in self.token.items() if bearer == f"Bearer {t}")
        if key in self.refusing:
            return self.refusing[key]
        return self.answering.get(key) or Reply(events=text_answer(f"answered by {key}"))


def write_accounts(env: Env) -> dict[str, str]:
    entries, token = [], {}
    for key in ACCOUNTS:
        issued = env.oauth.login(account_id=key, email=f"{key}@example.com")
        token[key] = issued.access_token
        entries.append(
            {
                "type": "oauth",
                "access": issued.access_token,
                "refresh": issued.refresh_token,
                "expires": int((time.time() + 3600) * 1000),
                "accountId": key,
                "email": f"{key}@example.com",
            }
        )
    path = env.state / "auth-codex.json"
    path.write_text(json.dumps(entries))
    path.chmod(0o600)
    return token


PoolFactory = Callable[..., Pool]


@pytest.fixture
def start_pool(env: Env) -> Iterator[PoolFactory]:
    stack: list[object] = []

    def start(strategy: Strategy = "sticky", **extra: str) -> Pool:
        clock = Clock()
        config = Config.load(env.env(**extra))
        http = SharedSession()
        accounts = CodexPool(config, http, strategy=strategy, clock=clock, recheck_interval=0)
        backend = CodexBackend(accounts, count_tokens=tokens.count_request_tokens)
        router = Router(Providers({"codex": lambda: backend}, active="codex"))
        routes = AnthropicRoutes(
            router.generate,
            count_tokens=router.count_tokens,
            estimate_tokens=tokens.estimate_request_tokens,
            ping_interval=config.ping_interval,
        )
        cm = run_app(create_app(config, [routes.dialect()], on_shutdown=[http.close]))
        url = cm.__enter__()
        stack.append(cm)
        pool = Pool(env, url, clock, write_accounts(env))
        env.fake.responder = pool.respond
        return pool

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)  # type: ignore[attr-defined]


def ask(pool: Pool, session: str = "session-1", *, stream: bool = False) -> str:
    """One request through the SDK; the answer's text."""
    messages: list[anthropic.types.MessageParam] = [{"role": "user", "content": "hi"}]
    headers = {"x-claude-code-session-id": session}
    message: anthropic.types.Message
    with anthropic.Anthropic(base_url=pool.url, api_key="x", max_retries=0) as sdk:
        if stream:
            with sdk.messages.stream(
                model="gpt-5.4", max_tokens=50, messages=messages, extra_headers=headers
            ) as events:
                message = events.get_final_message()
        else:
            message = sdk.messages.create(
                model="gpt-5.4", max_tokens=50, messages=messages, extra_headers=headers
            )
    block = message.content[0]
    assert block.type == "text"
    return block.text


# ---------------------------------------------------------------------- failover


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_usage_limit_fails_over_to_the_next_account(start_pool: PoolFactory, stream: bool) -> None:
    pool = start_pool()
    pool.refusing["acct-a"] = usage_limit(resets_in=3600)
    assert ask(pool, stream=stream) == "answered by acct-b"
    assert pool.served_by() == ["acct-a", "acct-b"]
    # The limited account rests: the next request goes straight to the other one.
    assert ask(pool, "session-2", stream=stream) == "answered by acct-b"
    assert pool.served_by() == ["acct-a", "acct-b", "acct-b"]


def test_failover_reuses_the_request_and_the_session(start_pool: PoolFactory) -> None:
    pool = start_pool()
    pool.refusing["acct-a"] = usage_limit(resets_in=3600)
    ask(pool, "session-x")
    first, second = pool.env.fake.requests
    assert first.body == second.body
    assert second.body["prompt_cache_key"] == "session-x"
    assert second.headers["chatgpt-account-id"] == "acct-b"
    assert second.headers["session_id"] == "session-x"


def test_limit_error_inside_the_stream_handshake_fails_over(start_pool: PoolFactory) -> None:
    pool = start_pool()
    refused = ResponseScript().failed("usage_limit_reached", "The usage limit has been reached")
    # Separate reads: the announcement is held back until the error comes.
    pool.refusing["acct-a"] = Reply(events=refused, delay=0.05)
    raw = httpx.post(
        f"{pool.url}/v1/messages",
        json={
            "model": "gpt-5.4",
            "max_tokens": 50,
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
        timeout=10,
    )
    assert raw.status_code == 200
    frames = check(raw.content)
    text = "".join(data["delta"]["text"] for name, data in frames if name == "content_block_delta")
    assert text == "answered by acct-b"
    assert pool.served_by() == ["acct-a", "acct-b"]


def test_a_window_at_100_percent_moves_the_next_request(start_pool: PoolFactory) -> None:
    pool = start_pool()
    pool.answering["acct-a"] = Reply(
        events=text_answer("answered by acct-a"),
        headers={
            "x-codex-primary-used-percent": "100",
            "x-codex-primary-window-minutes": "300",
            "x-codex-primary-reset-at": str(int(pool.clock.now) + 600),
        },
    )
    assert ask(pool) == "answered by acct-a"  # the answer that used the last of it arrives
    assert ask(pool, "session-2") == "answered by acct-b"
    pool.clock.now += 601
    pool.answering.clear()
    assert ask(pool, "session-3") == "answered by acct-a"


def test_a_rate_limits_event_at_100_percent_moves_the_next_request(start_pool: PoolFactory) -> None:
    pool = start_pool()
    events = ResponseScript().rate_limits(used_percent=100).text("answered by acct-a").completed()
    reading = next(e for e in events if e["type"] == "codex.rate_limits")
    reading["rate_limits"]["primary"]["reset_at"] = int(pool.clock.now) + 600
    pool.answering["acct-a"] = Reply(events=events)
    assert ask(pool, stream=True) == "answered by acct-a"
    assert ask(pool, "session-2") == "answered by acct-b"


def test_limit_after_the_answer_began_is_an_error_event_and_rests_the_account(
    start_pool: PoolFactory,
) -> None:
    pool = start_pool()
    events = ResponseScript().text("partial").failed("usage_limit_reached", "limit reached")
    pool.answering["acct-a"] = Reply(events=events, delay=0.02)
    raw = httpx.post(
        f"{pool.url}/v1/messages",
        json={
            "model": "gpt-5.4",
            "max_tokens": 50,
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
        timeout=10,
    )
    frames = check(raw.content)
    assert frames[-1][0] == "error"
    assert frames[-1][1]["error"]["type"] == "rate_limit_error"
    assert pool.served_by() == ["acct-a"]  # too late to move: the client saw text
    assert ask(pool, "session-2") == "answered by acct-b"


# ---------------------------------------------------------------------- everyone limited


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_all_limited_is_429_with_the_soonest_reset(start_pool: PoolFactory, stream: bool) -> None:
    pool = start_pool()
    pool.refusing["acct-a"] = usage_limit(resets_in=7200)
    pool.refusing["acct-b"] = usage_limit(resets_in=300)
    with pytest.raises(anthropic.RateLimitError) as caught:
        ask(pool, stream=stream)
    assert caught.value.response.headers["retry-after"] == "300"
    assert "All 2 Codex accounts" in caught.value.message
    assert pool.served_by() == ["acct-a", "acct-b"]
    # A cool-down only steers (issue 10): the account that resets soonest is asked again,
    # and the upstream says it is still limited.
    pool.clock.now += 100
    with pytest.raises(anthropic.RateLimitError) as caught:
        ask(pool, "session-2", stream=stream)
    assert caught.value.response.headers["retry-after"] == "300"
    assert pool.served_by() == ["acct-a", "acct-b", "acct-b"]


def test_an_account_that_recovers_early_is_used_at_once(start_pool: PoolFactory) -> None:
    pool = start_pool()
    pool.refusing["acct-a"] = usage_limit(resets_in=7200)
    pool.refusing["acct-b"] = usage_limit(resets_in=7200)
    with pytest.raises(anthropic.RateLimitError):
        ask(pool)
    pool.refusing.clear()  # credits bought: the upstream serves again long before the reset
    assert ask(pool, "session-2") in ("answered by acct-a", "answered by acct-b")


def test_a_cooled_down_account_returns_after_its_reset(start_pool: PoolFactory) -> None:
    pool = start_pool()
    pool.refusing["acct-a"] = usage_limit(resets_in=60)
    assert ask(pool, "session-1") == "answered by acct-b"
    pool.refusing.clear()
    pool.clock.now += 59
    assert ask(pool, "session-2") == "answered by acct-b"
    pool.clock.now += 1
    assert ask(pool, "session-3") == "answered by acct-a"
    # Sticky: the session that moved stays where its prompt cache is.
    assert ask(pool, "session-1") == "answered by acct-b"
    assert pool.served_by() == ["acct-a", "acct-b", "acct-b", "acct-a", "acct-b"]


# ---------------------------------------------------------------------- strategies


def test_sticky_sessions_stay_on_their_account(start_pool: PoolFactory) -> None:
    pool = start_pool()
    pool.refusing["acct-a"] = usage_limit(resets_in=60)
    assert ask(pool, "moved") == "answered by acct-b"
    pool.refusing.clear()
    pool.clock.now += 60
    assert [ask(pool, s) for s in ("moved", "new", "moved", "new")] == [
        "answered by acct-b",
        "answered by acct-a",
        "answered by acct-b",
        "answered by acct-a",
    ]


def test_round_robin_alternates(start_pool: PoolFactory) -> None:
    pool = start_pool("round-robin")
    assert [ask(pool) for _ in range(3)] == [
        "answered by acct-a",
        "answered by acct-b",
        "answered by acct-a",
    ]


def test_manual_uses_the_chosen_account_and_never_fails_over(start_pool: PoolFactory) -> None:
    pool = start_pool("manual", CODEX_AUTH_ACCOUNT="acct-b@example.com")
    assert ask(pool) == "answered by acct-b"
    pool.refusing["acct-b"] = usage_limit(resets_in=1234)
    with pytest.raises(anthropic.RateLimitError) as caught:
        ask(pool)
    assert caught.value.response.headers["retry-after"] == "1234"
    assert pool.served_by() == ["acct-b", "acct-b"]


def test_the_active_account_of_the_account_info_file_comes_first(start_pool: PoolFactory) -> None:
    pool = start_pool()
    info = pool.env.state / ".account-info.json"
    info.write_text(json.dumps({"activeAccount": "acct-b", "accounts": {}}))
    assert ask(pool, "new-1") == "answered by acct-b"
    info.write_text(json.dumps({"activeAccount": "acct-a", "accounts": {}}))
    assert ask(pool, "new-2") == "answered by acct-a"


# ---------------------------------------------------------------------- one account


def test_one_account_limited_keeps_the_upstream_answer(start_pool: PoolFactory) -> None:
    pool = start_pool()
    path = pool.env.state / "auth-codex.json"
    path.write_text(json.dumps(json.loads(path.read_text())[:1]))
    pool.refusing["acct-a"] = usage_limit(resets_in=1234)
    with pytest.raises(anthropic.RateLimitError) as caught:
        ask(pool)
    assert caught.value.response.headers["retry-after"] == "1234"
    # Issue 11.2: the account by its e-mail, not its key, and when it resets.
    assert "The ChatGPT account acct-a@example.com has reached its usage limit · resets " in (
        caught.value.message
    )
    # Issue 10: no local refusal until the reset; the upstream is asked and answers again.
    pool.clock.now += 34
    with pytest.raises(anthropic.RateLimitError) as caught:
        ask(pool)
    assert caught.value.response.headers["retry-after"] == "1234"
    assert pool.served_by() == ["acct-a", "acct-a"]
    pool.refusing.clear()  # it recovered early
    assert ask(pool) == "answered by acct-a"


def test_a_cookie_one_account_was_set_never_rides_with_another(
    start_pool: PoolFactory, env: Env
) -> None:
    # By name: a cookie jar takes no cookies from an IP address, and chatgpt.com is a name.
    by_name = env.fake_url.replace("127.0.0.1", "localhost")
    pool = start_pool("round-robin", CHATGPT_BASE_URL=by_name)
    cookie = Reply(events=text_answer("with a cookie"), headers={"set-cookie": "cf_bm=acct-a-only"})
    pool.answering[ACCOUNTS[0]] = cookie
    for _ in range(4):
        ask(pool)
    assert set(pool.served_by()) == set(ACCOUNTS)
    sent = [r.headers for r in pool.env.fake.requests if r.path.endswith("/codex/responses")]
    assert all("cookie" not in headers for headers in sent)
