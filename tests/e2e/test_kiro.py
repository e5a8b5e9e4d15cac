"""Claude and OpenAI clients through the real gateway in Kiro mode, against the fake Kiro
upstream (binary event-stream frames) and the fake Kiro token endpoints."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest

from codex2claudecode.cli import build_gateway
from codex2claudecode.config import Config
from tests.e2e.conftest import KiroEnv
from tests.e2e.grammar import check
from tests.fakes.kiro import KiroReply
from tests.fakes.kiro_oauth import SOCIAL_ARN
from tests.fakes.kiro_stream import (
    assistant_text,
    exception_frame,
    flip_byte,
    message_metadata,
    metadata,
    reasoning,
    text_answer,
    tool_answer,
    usage,
)
from tests.fakes.server import run_app

BASH: Any = {
    "name": "Bash",
    "description": "Run a shell command",
    "input_schema": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"command": {"type": "string"}},
        "required": ["command"],
        "additionalProperties": False,
    },
}


@pytest.fixture
def start(kiro_env: KiroEnv) -> Iterator[Any]:
    stack: list[Any] = []

    def start(**extra: str) -> str:
        cm = run_app(build_gateway(Config.load(kiro_env.env(**extra))).app)
        stack.append(cm)
        return cm.__enter__()

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


@pytest.fixture
def client(start: Any) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=start(), api_key="x", max_retries=0) as sdk:
        yield sdk


def hi(client: anthropic.Anthropic, **extra: Any) -> anthropic.types.Message:
    message: anthropic.types.Message = client.messages.create(
        model="claude-sonnet-4-5-20250929",
        max_tokens=200,
        messages=[{"role": "user", "content": "hi"}],
        **extra,
    )
    return message


# ------------------------------------------------------------------------------ answers


def test_plain_answer_and_the_upstream_request(
    kiro_env: KiroEnv, client: anthropic.Anthropic
) -> None:
    kiro_env.kiro.script(KiroReply([text_answer("Hello ", "from Kiro.", token_usage=usage(30, 4))]))
    message = hi(client, system="Be brief.")
    assert message.content[0].type == "text" and message.content[0].text == "Hello from Kiro."
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 30 and message.usage.output_tokens == 4
    recorded = kiro_env.kiro.generations()[-1]
    assert recorded.headers["authorization"] == f"Bearer {kiro_env.login.access_token}"
    assert recorded.headers["x-amzn-kiro-agent-mode"] == "vibe"
    body = recorded.body
    assert body["profileArn"] == SOCIAL_ARN
    state = body["conversationState"]
    current = state["currentMessage"]["userInputMessage"]
    assert current["modelId"] == "claude-sonnet-4.5"
    assert "hi" in current["content"] and "Be brief." in json.dumps(state)


def test_stream_grammar_with_frames_split_across_reads(kiro_env: KiroEnv, start: Any) -> None:
    kiro_env.kiro.script(KiroReply([text_answer("one ", "two ", "three")], split=7))
    url = start()
    with httpx.stream(
        "POST",
        url + "/v1/messages",
        json={
            "model": "claude-sonnet-4-5",
            "max_tokens": 50,
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        },
    ) as r:
        raw = r.read()
    events = check(raw)
    text = "".join(d["delta"]["text"] for name, d in events if name == "content_block_delta")
    assert text == "one two three"


def test_tool_loop_keeps_history_alternating(
    kiro_env: KiroEnv, client: anthropic.Anthropic
) -> None:
    kiro_env.kiro.script(
        KiroReply(
            [
                message_metadata()
                + tool_answer([("tooluse_1", "Bash", '{"command": "ls"}')], text="Let me look.")
            ]
        ),
        KiroReply([text_answer("Two files.")]),
    )
    first = client.messages.create(
        model="claude-opus-4-8",
        max_tokens=100,
        tools=[BASH],
        messages=[{"role": "user", "content": "list"}],
    )
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert (call.name, call.input) == ("Bash", {"command": "ls"})
    second = client.messages.create(
        model="claude-opus-4-8",
        max_tokens=100,
        tools=[BASH],
        messages=[
            {"role": "user", "content": "list"},
            {"role": "assistant", "content": first.content},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "a b"}],
            },
        ],
    )
    assert second.content[0].text == "Two files."  # type: ignore[union-attr]
    state = kiro_env.generations()[-1]["conversationState"]
    roles = [next(iter(turn)) for turn in state["history"]]
    assert roles == ["userInputMessage", "assistantResponseMessage"]
    context = state["currentMessage"]["userInputMessage"]["userInputMessageContext"]
    assert context["toolResults"][0]["toolUseId"] == call.id
    spec = context["tools"][0]["toolSpecification"]
    assert "$schema" not in json.dumps(spec)


def test_native_thinking_passes_kiro_signature(
    kiro_env: KiroEnv, client: anthropic.Anthropic
) -> None:
    frames = (
        message_metadata()
        + reasoning("Let me think.")
        + reasoning(signature="kiro-sig-1")
        + assistant_text("42")
        + metadata("END_TURN", usage())
    )
    kiro_env.kiro.script(KiroReply([frames]))
    message = client.messages.create(
        model="claude-opus-4-8",
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "answer"}],
    )
    thinking = message.content[0]
    assert thinking.type == "thinking"
    assert (thinking.thinking, thinking.signature) == ("Let me think.", "kiro-sig-1")
    assert message.content[1].text == "42"  # type: ignore[union-attr]
    assert "additionalModelRequestFields" in kiro_env.generations()[-1]


def thinking_frames(text: str, signature: str) -> bytes:
    return (
        message_metadata()
        + reasoning(text)
        + reasoning(signature=signature)
        + assistant_text("42")
        + metadata("END_TURN", usage())
    )


def ask(client: anthropic.Anthropic, messages: Any, **extra: Any) -> anthropic.types.Message:
    message: anthropic.types.Message = client.messages.create(
        model="claude-opus-4-8", max_tokens=2000, messages=messages, **extra
    )
    return message


def test_no_thinking_blocks_unless_thinking_was_asked(
    kiro_env: KiroEnv, client: anthropic.Anthropic
) -> None:
    """Issue 11.3: Kiro may think on its own; the client that did not ask sees only the answer."""
    kiro_env.kiro.script(KiroReply([thinking_frames("Hidden.", "kiro-sig-1")]))
    message = ask(client, [{"role": "user", "content": "answer"}])
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "42"  # type: ignore[union-attr]


def test_display_omitted_keeps_the_signature_only(
    kiro_env: KiroEnv, client: anthropic.Anthropic
) -> None:
    kiro_env.kiro.script(KiroReply([thinking_frames("Secret steps.", "kiro-sig-1")]))
    message = ask(
        client,
        [{"role": "user", "content": "answer"}],
        thinking={"type": "enabled", "budget_tokens": 1024, "display": "omitted"},
    )
    thinking = message.content[0]
    assert thinking.type == "thinking"
    assert (thinking.thinking, thinking.signature) == ("", "kiro-sig-1")
    assert message.content[1].text == "42"  # type: ignore[union-attr]


def test_kiro_signatures_are_replayed_in_later_turns(
    kiro_env: KiroEnv, client: anthropic.Anthropic
) -> None:
    """Issue 11.3: reasoning continuity: the reasoning Kiro signed goes back to it natively;
    a signature Kiro never issued is left out of the history rather than refused."""
    thinking: Any = {"type": "enabled", "budget_tokens": 1024}
    kiro_env.kiro.script(
        KiroReply([thinking_frames("Let me think.", "kiro-sig-1")]),
        KiroReply([thinking_frames("Again.", "kiro-sig-2")]),
    )
    first = ask(client, [{"role": "user", "content": "answer"}], thinking=thinking)
    forged = {"type": "thinking", "thinking": "Not Kiro's.", "signature": "forged-sig"}
    ask(
        client,
        [
            {"role": "user", "content": "answer"},
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": "and again"},
            {"role": "assistant", "content": [forged, {"type": "text", "text": "7"}]},
            {"role": "user", "content": "once more"},
        ],
        thinking=thinking,
    )
    history = kiro_env.generations()[-1]["conversationState"]["history"]
    replies = [
        turn["assistantResponseMessage"] for turn in history if "assistantResponseMessage" in turn
    ]
    assert replies[0]["reasoningContent"] == {
        "reasoningText": {"text": "Let me think.", "signature": "kiro-sig-1"}
    }
    assert "reasoningContent" not in replies[1]


def test_a_full_context_window_ends_the_answer_as_anthropic_and_openai_say_it(
    kiro_env: KiroEnv, start: Any
) -> None:
    cut = text_answer("Half an ans", stop_reason="MODEL_CONTEXT_WINDOW_EXCEEDED")
    kiro_env.kiro.script(KiroReply([cut]), KiroReply([cut]), KiroReply([cut]))
    url = start()
    with anthropic.Anthropic(base_url=url, api_key="x", max_retries=0) as sdk:
        assert hi(sdk).stop_reason == "model_context_window_exceeded"
    with openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0) as sdk:
        chat = sdk.chat.completions.create(
            model="claude-sonnet-4.5", messages=[{"role": "user", "content": "hi"}]
        )
        assert chat.choices[0].finish_reason == "length"
        response = sdk.responses.create(model="claude-sonnet-4.5", input="hi")
        assert response.status == "incomplete"
        assert response.incomplete_details is not None
        assert response.incomplete_details.reason == "max_output_tokens"


LONG = ("Hello", " there, this answer", " is much longer than one token.")


@pytest.mark.parametrize("stream", [False, True])
def test_max_tokens_cuts_the_answer_on_kiro(
    kiro_env: KiroEnv, client: anthropic.Anthropic, stream: bool
) -> None:
    """Issue 11.4: Kiro takes no output limit; the gateway stops at `max_tokens` itself."""
    kiro_env.kiro.script(KiroReply([text_answer(*LONG)], frame_delay=0.01))
    request: Any = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "hi"}],
    }
    if stream:
        with client.messages.stream(**request) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**request)
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "Hello"  # type: ignore[union-attr]
    assert (message.stop_reason, message.usage.output_tokens) == ("max_tokens", 1)


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens", "max_output_tokens"])
def test_openai_output_limits_cut_the_answer_on_kiro(
    kiro_env: KiroEnv, start: Any, field: str
) -> None:
    kiro_env.kiro.script(KiroReply([text_answer(*LONG)], frame_delay=0.01))
    with openai.OpenAI(base_url=start() + "/v1", api_key="x", max_retries=0) as sdk:
        if field == "max_output_tokens":
            response = sdk.responses.create(
                model="claude-sonnet-4.5", input="hi", max_output_tokens=1
            )
            assert response.output_text == "Hello"
            assert response.status == "incomplete"
            assert response.incomplete_details is not None
            assert response.incomplete_details.reason == "max_output_tokens"
            assert response.usage is not None and response.usage.output_tokens == 1
            return
        limit: dict[str, Any] = {field: 1}
        chat = sdk.chat.completions.create(
            model="claude-sonnet-4.5",
            messages=[{"role": "user", "content": "hi"}],
            **limit,
        )
    assert chat.choices[0].message.content == "Hello"
    assert chat.choices[0].finish_reason == "length"
    assert chat.usage is not None and chat.usage.completion_tokens == 1


# ------------------------------------------------------------------------------ failures


def test_a_refused_token_is_refreshed_once(kiro_env: KiroEnv, client: anthropic.Anthropic) -> None:
    stale = kiro_env.login.access_token
    kiro_env.kiro.accepts = lambda token: token != stale
    kiro_env.kiro.script(KiroReply([text_answer("after refresh")]))
    assert hi(client).content[0].text == "after refresh"  # type: ignore[union-attr]
    assert kiro_env.oauth.grants == 1
    saved = json.loads(kiro_env.ide.read_text())
    assert saved["accessToken"] != stale


def test_over_the_size_limit_claude_code_gets_the_compaction_error(
    kiro_env: KiroEnv, start: Any
) -> None:
    url = start(KIRO_PAYLOAD_SIZE_LIMIT_BYTES="2000")
    with (
        anthropic.Anthropic(base_url=url, api_key="x", max_retries=0) as sdk,
        pytest.raises(anthropic.BadRequestError) as caught,
    ):
        sdk.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=10,
            messages=[{"role": "user", "content": "word " * 2000}],
        )
    message = caught.value.body["error"]["message"]  # type: ignore[index]
    assert message.startswith("prompt is too long:")
    numbers = [int(word) for word in message.replace(":", " ").split() if word.isdigit()]
    assert numbers[0] > numbers[1]  # N > M: Claude Code compacts by the right amount
    assert kiro_env.kiro.generations() == []


OVERFLOWS = [
    KiroReply(status=400, body={"message": "x", "reason": "PROMPT_TOO_LONG"}),
    KiroReply(
        status=400,
        body={"message": "Input is too long.", "reason": "CONTENT_LENGTH_EXCEEDS_THRESHOLD"},
    ),
    KiroReply([message_metadata() + metadata("MODEL_CONTEXT_WINDOW_EXCEEDED", usage())]),
]


@pytest.mark.parametrize("reply", OVERFLOWS, ids=["PROMPT_TOO_LONG", "input", "stop"])
@pytest.mark.parametrize("words", [2000, 1])
def test_overflow_numbers_are_counted_not_invented(
    kiro_env: KiroEnv, start: Any, reply: KiroReply, words: int
) -> None:
    """Issue 11.5: Kiro gives no numbers; the gateway's own count, said as 'about', raised
    above the window only when below it (so Claude Code still compacts)."""
    kiro_env.kiro.models[0]["tokenLimits"]["maxInputTokens"] = 1000
    kiro_env.kiro.script(reply)
    url = start()
    request: Any = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "word " * words}],
    }
    with (
        anthropic.Anthropic(base_url=url, api_key="x", max_retries=0) as sdk,
        pytest.raises(anthropic.BadRequestError) as caught,
    ):
        sdk.messages.create(**request)
    counted = httpx.post(url + "/v1/messages/count_tokens", json=request).json()["input_tokens"]
    message = caught.value.body["error"]["message"]  # type: ignore[index]
    if counted > 1000:
        assert message == f"prompt is too long: about {counted} tokens > 1000 maximum"
    else:
        assert message.startswith("prompt is too long: about 1001 tokens > 1000 maximum (")
        assert message.endswith(f"; the gateway counts about {counted} tokens)")


def test_throttling_is_a_429_with_retry_after(
    kiro_env: KiroEnv, client: anthropic.Anthropic
) -> None:
    for _ in range(4):
        kiro_env.kiro.script(
            KiroReply(
                status=429,
                body={"message": "Too many requests", "reason": "USER_REQUEST_RATE_EXCEEDED"},
                headers={"retry-after": "0"},
            )
        )
    with pytest.raises(anthropic.RateLimitError):
        hi(client)


SPENT = KiroReply(
    status=429, body={"message": "Throttled by the service", "reason": "MONTHLY_REQUEST_COUNT"}
)


def test_spent_credits_stop_the_client_naming_the_account_and_reset(
    kiro_env: KiroEnv, client: anthropic.Anthropic
) -> None:
    """Issue 11.2: spent credits read like a usage limit: the account, its reset in local
    time (from getUsageLimits' nextDateReset), and no retries."""
    reset = int(time.time()) + 3 * 3600
    kiro_env.kiro.usage["nextDateReset"] = reset
    kiro_env.kiro.usage["usageBreakdownList"][0]["nextDateReset"] = reset
    kiro_env.kiro.script(SPENT)
    with pytest.raises(anthropic.RateLimitError) as caught:
        hi(client)
    assert len(kiro_env.kiro.generations()) == 1  # spent credits are not retried
    headers = caught.value.response.headers
    assert headers["x-should-retry"] == "false"
    assert headers["anthropic-ratelimit-unified-status"] == "rejected"
    assert headers["anthropic-ratelimit-unified-reset"] == str(reset)
    assert abs(int(headers["retry-after"]) - 3 * 3600) < 60
    local = time.strftime("%I:%M%p", time.localtime(reset)).lstrip("0").lower()
    message = caught.value.body["error"]["message"]  # type: ignore[index]
    assert message == (
        "The Kiro account kiro@example.com has used up the monthly request (credit) limit "
        f"· resets {local}"
    )


def test_spent_credits_without_a_known_reset_invent_no_wait(
    kiro_env: KiroEnv, client: anthropic.Anthropic
) -> None:
    kiro_env.kiro.usage_status = 500
    kiro_env.kiro.script(SPENT)
    with pytest.raises(anthropic.RateLimitError) as caught:
        hi(client)
    assert "retry-after" not in caught.value.response.headers
    assert "monthly" in str(caught.value)


def test_mid_stream_exception_and_corrupt_frame_end_the_stream_with_an_error(
    kiro_env: KiroEnv, start: Any
) -> None:
    good = message_metadata() + assistant_text("partial")
    kiro_env.kiro.script(
        KiroReply([good, exception_frame("ThrottlingException", "slow down")], frame_delay=0.1),
        KiroReply([good, flip_byte(assistant_text("more"), 20)], frame_delay=0.1),
    )
    url = start()
    for _ in range(2):
        with httpx.stream(
            "POST",
            url + "/v1/messages",
            json={
                "model": "claude-sonnet-4-5",
                "max_tokens": 50,
                "stream": True,
                "messages": [{"role": "user", "content": "hi"}],
            },
        ) as r:
            raw = r.read().decode()
        assert r.status_code == 200
        assert "event: error" in raw and "message_stop" not in raw


# ------------------------------------------------------------------------------ around


def test_openai_chat_models_usage_and_count_tokens(kiro_env: KiroEnv, start: Any) -> None:
    url = start()
    kiro_env.kiro.script(KiroReply([text_answer("Hi from chat")]))
    with openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0) as sdk:
        completion = sdk.chat.completions.create(
            model="claude-sonnet-4.5", messages=[{"role": "user", "content": "hi"}]
        )
        assert completion.choices[0].message.content == "Hi from chat"
        ids = [m.id for m in sdk.models.list()]
    assert ids == ["claude-sonnet-4.5", "claude-opus-4.8", "claude-haiku-4.5"]  # three pages
    usage_reply = httpx.get(url + "/usage").json()
    assert usage_reply["subscriptionInfo"]["subscriptionTitle"] == "KIRO PRO"
    counted = httpx.post(
        url + "/v1/messages/count_tokens",
        json={
            "model": "claude-sonnet-4-5",
            "messages": [{"role": "user", "content": "hello world"}],
        },
    ).json()
    assert counted["input_tokens"] > 0
    assert httpx.get(url + "/environments").status_code == 404


def test_no_kiro_account_says_how_to_add_one(kiro_env: KiroEnv, start: Any) -> None:
    kiro_env.ide.unlink()
    with (
        anthropic.Anthropic(base_url=start(), api_key="x", max_retries=0) as sdk,
        pytest.raises(anthropic.APIStatusError) as caught,
    ):
        hi(sdk)
    assert caught.value.status_code == 503
    assert "accounts import --provider kiro" in str(caught.value)


def test_health_and_banner_speak_of_kiro(kiro_env: KiroEnv, start: Any) -> None:
    from codex2claudecode.cli import account_summary, banner

    health = httpx.get(start() + "/health").json()
    assert health["ready"] is True and health["provider"] == "kiro"
    config = Config.load(kiro_env.env())
    account, problem = account_summary(config)
    assert problem is None
    text = banner(config, 8787, account=account)
    assert "Provider:         Kiro" in text and "Kiro account:" in text
    assert str(kiro_env.ide) in text
    kiro_env.ide.unlink()
    account, problem = account_summary(config)
    assert account == "none" and problem is not None
    assert "accounts import --provider kiro" in problem
    warned = banner(config, 8787, problem=problem)
    assert "no usable Kiro account" in warned
    # The suggested commands look at Kiro too, not the saved (Codex) provider.
    assert "accounts list --provider kiro`" in warned and "limits --provider kiro`" in warned
    health = httpx.get(start() + "/health").json()
    assert health["ready"] is False and "Kiro" in health["reason"]
