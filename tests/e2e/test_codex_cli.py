"""The real OpenAI Codex CLI (`codex exec`) through the gateway's `/v1/responses`, against the
fake Codex backend and the fake Kiro upstream: a plain answer, and a shell call that completes.

The harness (`tests.e2e.codex_cli`) skips without a CLI, records what it sent and fails a run
that reached past loopback; `tests.fakes.codex_model` and `tests.fakes.kiro_model` play the model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from codex2claudecode.cli import build_gateway
from codex2claudecode.config import Config
from tests.e2e.claude_cli import COMMAND, COMMAND_OUTPUT
from tests.e2e.codex_cli import Codex, codex_binary, running_codex
from tests.e2e.conftest import Env, KiroEnv
from tests.fakes.codex_model import CodexModel, ToolCall
from tests.fakes.kiro_model import KiroModel


@pytest.fixture
def codex(env: Env) -> Iterator[Codex]:
    app = build_gateway(Config.load(env.env())).app
    with running_codex(codex_binary(), app, "gpt-5.4") as cli:
        yield cli


@pytest.fixture
def codex_on_kiro(kiro_env: KiroEnv) -> Iterator[Codex]:
    app = build_gateway(Config.load(kiro_env.env())).app
    with running_codex(codex_binary(), app, "claude-sonnet-4.5") as cli:
        yield cli


def codex_upstream(env: Env) -> list[dict[str, Any]]:
    return [r.body for r in env.fake.requests if r.path == "/codex/responses"]


def items_of(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [item for item in body["input"] if item.get("type") == kind]


SHELL = ToolCall("exec_command", {"cmd": COMMAND})


# ------------------------------------------------------------------------------ Codex


def test_plain_answer_on_codex(codex: Codex, env: Env) -> None:
    env.fake.responder = CodexModel(answer="Hello from the fake model!")
    done = codex.run("say hello")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello from the fake model!\n"
    [sent] = codex.responses
    [body] = codex_upstream(env)
    assert sent.status == 200 and sent.body["stream"] is True
    assert body["model"] == "gpt-5.4"
    assert body["prompt_cache_key"] == sent.body["prompt_cache_key"] == sent.headers["session-id"]
    # The CLI's developer messages become the instructions or stay in the input, never lost.
    developer = [m for m in sent.body["input"] if m.get("role") == "developer"]
    texts = [body.get("instructions", "")] + [
        part.get("text", "") for item in items_of(body, "message") for part in item["content"]
    ]
    assert developer and developer[0]["content"][0]["text"] in "\n".join(texts)
    assert body["input"][-1]["content"][-1]["text"] == "say hello"
    offered = [tool.get("name") for tool in body["tools"]]
    assert "exec_command" in offered


def test_shell_call_completes_on_codex(codex: Codex, env: Env) -> None:
    model = CodexModel(call=SHELL)
    env.fake.responder = model
    done = codex.run("run the command")
    assert done.returncode == 0, done.stderr
    # The CLI's shell tool reports a header (chunk id, wall time, exit code) before the output.
    assert done.stdout.startswith("The tool said: Chunk ID: ")
    assert "\nProcess exited with code 0\n" in done.stdout
    assert done.stdout.endswith(f"\nOutput:\n{COMMAND_OUTPUT}\n")
    first, second = codex_upstream(env)
    assert first["prompt_cache_key"] == second["prompt_cache_key"]
    [call] = items_of(second, "function_call")
    [output] = items_of(second, "function_call_output")
    assert call["call_id"] == output["call_id"] == model.call_ids[0]
    assert (call["name"], json.loads(call["arguments"])) == ("exec_command", {"cmd": COMMAND})
    assert COMMAND_OUTPUT in json.dumps(output["output"])


# ------------------------------------------------------------------------------ Kiro


def test_plain_answer_on_kiro(codex_on_kiro: Codex, kiro_env: KiroEnv) -> None:
    kiro_env.kiro.responder = KiroModel(answer="Hello from the fake Kiro model!")
    done = codex_on_kiro.run("say hello")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello from the fake Kiro model!\n"
    [sent] = codex_on_kiro.responses
    [body] = kiro_env.generations()
    assert sent.status == 200
    current = body["conversationState"]["currentMessage"]["userInputMessage"]
    assert current["modelId"] == "claude-sonnet-4.5"
    assert current["content"].rstrip().endswith("say hello")
    tools = [t["toolSpecification"]["name"] for t in current["userInputMessageContext"]["tools"]]
    assert "exec_command" in tools


def test_shell_call_completes_on_kiro(codex_on_kiro: Codex, kiro_env: KiroEnv) -> None:
    model = KiroModel(call=SHELL)
    kiro_env.kiro.responder = model
    done = codex_on_kiro.run("run the command")
    assert done.returncode == 0, done.stderr
    # The CLI's shell tool reports a header (chunk id, wall time, exit code) before the output.
    assert done.stdout.startswith("The tool said: Chunk ID: ")
    assert "\nProcess exited with code 0\n" in done.stdout
    assert done.stdout.endswith(f"\nOutput:\n{COMMAND_OUTPUT}\n")
    first, second = kiro_env.generations()
    state = second["conversationState"]
    assert state["conversationId"] == first["conversationState"]["conversationId"]
    [use] = state["history"][-1]["assistantResponseMessage"]["toolUses"]
    assert (use["toolUseId"], use["name"], use["input"]) == (
        model.call_ids[0],
        "exec_command",
        {"cmd": COMMAND},
    )
    [result] = state["currentMessage"]["userInputMessage"]["userInputMessageContext"]["toolResults"]
    assert result["toolUseId"] == model.call_ids[0]
    assert COMMAND_OUTPUT in json.dumps(result["content"])
