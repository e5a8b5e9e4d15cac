"""The real Claude Code CLI in print mode, through the gateway in Kiro mode, against the fake
Kiro upstream (binary event-stream frames) with `tests.fakes.kiro_model` playing the model.

The harness (`tests.e2e.claude_cli`) skips without a CLI, records what the CLI sent and fails a
run that reached past loopback.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex2claudecode.cli import build_gateway
from codex2claudecode.config import Config
from tests.e2e.claude_cli import (
    COMMAND,
    COMMAND_OUTPUT,
    Claude,
    assistant_blocks,
    claude_binary,
    running_claude,
)
from tests.e2e.conftest import KiroEnv
from tests.fakes.kiro import KiroReply
from tests.fakes.kiro_model import KiroModel, ToolCall


def start_claude(kiro_env: KiroEnv, tmp_path: Path, **settings: str) -> Any:
    app = build_gateway(Config.load(kiro_env.env(**settings))).app
    return running_claude(claude_binary(), app, tmp_path)


@pytest.fixture
def claude(kiro_env: KiroEnv, tmp_path: Path) -> Iterator[Claude]:
    with start_claude(kiro_env, tmp_path) as cli:
        yield cli


def current(body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = body["conversationState"]["currentMessage"]["userInputMessage"]
    return message


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = (
        current(body).get("userInputMessageContext", {}).get("toolResults", [])
    )
    return results


def history_roles(body: dict[str, Any]) -> list[str]:
    return [next(iter(entry)) for entry in body["conversationState"].get("history", [])]


def test_plain_answer(claude: Claude, kiro_env: KiroEnv) -> None:
    kiro_env.kiro.responder = KiroModel(answer="Hello from the fake Kiro model!")
    done = claude.run("-p", "say hello")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello from the fake Kiro model!\n"

    [sent] = claude.messages
    [recorded] = kiro_env.kiro.generations()
    body = recorded.body
    assert sent.status == 200
    assert sent.body["model"].startswith("claude-opus-")
    assert current(body)["modelId"] == "claude-opus-4.8"  # the newest opus the account offers
    assert recorded.headers["authorization"] == f"Bearer {kiro_env.login.access_token}"
    # One conversation id per Claude Code session.
    state = body["conversationState"]
    assert state["conversationId"] != sent.headers["x-claude-code-session-id"]
    assert "history" not in state
    # The system prompt leads the only user turn (R5), the billing header stays out of it.
    content = current(body)["content"]
    system = [block["text"] for block in sent.body["system"]]
    assert system[-1].strip()[:200] in content
    assert "x-anthropic-billing-header" not in content
    assert "say hello" in content
    offered = [
        t["toolSpecification"]["name"] for t in current(body)["userInputMessageContext"]["tools"]
    ]
    loaded = [t["name"] for t in sent.body["tools"] if not t.get("defer_loading")]
    assert "Bash" in offered and set(loaded) <= set(offered)


def test_bash_tool_loop(claude: Claude, kiro_env: KiroEnv) -> None:
    model = KiroModel(call=ToolCall("Bash", {"command": COMMAND}))
    kiro_env.kiro.responder = model
    done = claude.run("-p", "run the command", "--allowedTools", "Bash", "--output-format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["subtype"] == "success" and result["num_turns"] == 2
    assert result["result"] == f"The tool said: {COMMAND_OUTPUT}"

    first, second = kiro_env.generations()
    assert (
        first["conversationState"]["conversationId"]
        == (second["conversationState"]["conversationId"])
    )
    assert tool_results(first) == []
    assert history_roles(second) == ["userInputMessage", "assistantResponseMessage"]
    [use] = second["conversationState"]["history"][1]["assistantResponseMessage"]["toolUses"]
    assert (use["toolUseId"], use["name"], use["input"]) == (
        model.call_ids[0],
        "Bash",
        {"command": COMMAND},
    )
    [tool_result] = tool_results(second)
    assert tool_result["toolUseId"] == model.call_ids[0]
    assert tool_result["status"] == "success"
    assert COMMAND_OUTPUT in json.dumps(tool_result["content"])


@pytest.mark.parametrize(
    ("flags", "model_id", "native"),
    [([], "claude-opus-4.8", True), (["--model", "sonnet"], "claude-sonnet-4.5", False)],
)
def test_thinking(
    claude: Claude, kiro_env: KiroEnv, flags: list[str], model_id: str, native: bool
) -> None:
    thought = "I should run the command first."
    model = KiroModel(call=ToolCall("Bash", {"command": COMMAND}), thinking=thought)
    kiro_env.kiro.responder = model
    done = claude.run(
        "-p",
        "run the command",
        "--allowedTools",
        "Bash",
        "--output-format",
        "stream-json",
        "--verbose",
        *flags,
    )
    assert done.returncode == 0, done.stderr
    assert [e.status for e in claude.messages] == [200, 200]
    blocks = assistant_blocks(done.stdout)
    assert [b["type"] for b in blocks] == ["thinking", "tool_use", "thinking", "text"]
    assert blocks[0]["thinking"] == blocks[2]["thinking"] == thought
    # Kiro's models put a blank line after `</thinking>`; the gateway keeps it (original-kiro §4.4).
    assert blocks[3]["text"].lstrip("\n") == f"The tool said: {COMMAND_OUTPUT}"

    first, second = kiro_env.generations()
    assert current(first)["modelId"] == model_id
    if native:
        # The model's schema declares `thinking`: asked natively, the signature is Kiro's.
        assert first["additionalModelRequestFields"]["thinking"]["type"] == "adaptive"
        assert blocks[0]["signature"] == model.signatures[0]
    else:
        # Otherwise the current message asks for it in prompt tags, each turn.
        assert "additionalModelRequestFields" not in first
        assert current(first)["content"].startswith("<thinking_mode>enabled</thinking_mode>")
        assert current(second)["content"].startswith("<thinking_mode>enabled</thinking_mode>")
    # The tags never reach the client's text.
    assert "<thinking>" not in done.stdout


def test_over_the_size_limit_claude_code_compacts_and_succeeds(
    kiro_env: KiroEnv, tmp_path: Path
) -> None:
    """Issue 6: a request over KIRO_PAYLOAD_SIZE_LIMIT_BYTES is refused before it is sent, as
    `prompt is too long: N tokens > M`; Claude Code compacts the conversation and goes on."""
    # Three calls of ~12 KB of output each: the third turn's request is over the limit.
    model = KiroModel(call=ToolCall("Bash", {"command": "seq 100000 101700"}), calls=3)
    kiro_env.kiro.responder = model
    with start_claude(kiro_env, tmp_path, KIRO_PAYLOAD_SIZE_LIMIT_BYTES="66000") as claude:
        done = claude.run("-p", "run it", "--allowedTools", "Bash", "--output-format", "json")
        exchanges = claude.messages
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["subtype"] == "success" and result["is_error"] is False
    assert result["result"].startswith("The tool said: 100000\n")

    refused = [e for e in exchanges if e.status == 400]
    assert refused and exchanges[-1].status == 200
    error = json.loads(refused[0].response)["error"]
    assert error["type"] == "invalid_request_error"
    # Claude Code reads N and M with /prompt is too long[^0-9]*(\d+)\s*tokens?\s*>\s*(\d+)/.
    match = re.match(r"prompt is too long: (\d+) tokens > (\d+) maximum", error["message"])
    assert match is not None, error["message"]
    assert int(match[1]) > int(match[2]) == 1_000_000  # claude-opus-4.8's input window
    # The refused requests never reached Kiro; the summary did, and the work went on after it.
    compacting = [e for e in exchanges if model_summary_asked(e.body)]
    assert compacting and compacting[-1].status == 200
    bodies = [json.dumps(body) for body in kiro_env.generations()]
    assert len(bodies) == len(exchanges) - len(refused)
    assert any("Ran them." in body for body in bodies[-2:])
    assert len(model.call_ids) == 3


def model_summary_asked(body: dict[str, Any]) -> bool:
    return "<summary> block" in json.dumps(body["messages"][-1])


def test_spent_credits_stop_at_once(claude: Claude, kiro_env: KiroEnv) -> None:
    """Issue 11.2: no retries for minutes; the account and its reset, right away."""
    reset = int(time.time()) + 5 * 3600
    kiro_env.kiro.usage["usageBreakdownList"][0]["nextDateReset"] = reset
    kiro_env.kiro.responder = lambda request: KiroReply(
        status=429,
        body={"message": "Throttled by the service", "reason": "MONTHLY_REQUEST_COUNT"},
    )
    done = claude.run("-p", "say hello")
    assert done.returncode == 1
    assert [e.status for e in claude.messages] == [429]
    assert len(kiro_env.kiro.generations()) == 1
    assert "The Kiro account kiro@example.com has used up" in done.stdout
    assert " · resets " in done.stdout
