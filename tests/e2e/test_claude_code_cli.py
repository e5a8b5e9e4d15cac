"""The real Claude Code CLI in print mode, through the gateway, against the fake Codex backend.

The harness (`tests.e2e.claude_cli`) skips without a CLI, records what the CLI sent and fails a
run that reached past loopback; `tests.fakes.codex_model` plays the model.
"""

from __future__ import annotations

import json
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
from tests.e2e.conftest import Env
from tests.fakes.codex import Reply
from tests.fakes.codex_model import CodexModel, ToolCall
from tests.fakes.responses_events import ResponseScript, url_citation

TIER_MODELS = {"opus": "gpt-5.5", "sonnet": "gpt-5.4", "haiku": "gpt-5.4-mini"}


@pytest.fixture
def claude(env: Env, tmp_path: Path) -> Iterator[Claude]:
    binary = claude_binary()
    with running_claude(binary, build_gateway(Config.load(env.env())).app, tmp_path) as cli:
        yield cli


def upstream(env: Env) -> list[dict[str, Any]]:
    """The bodies of the Codex requests the fake backend received, in order."""
    return [r.body for r in env.fake.requests if r.path == "/codex/responses"]


def items_of(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [item for item in body["input"] if item.get("type") == kind]


def tier_of(model: str) -> str:
    return next(tier for tier in TIER_MODELS if tier in model)


# ------------------------------------------------------------------------------ tests


def test_plain_answer(claude: Claude, env: Env) -> None:
    env.fake.responder = CodexModel(answer="Hello from the fake model!")
    done = claude.run("-p", "say hello")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello from the fake model!\n"

    [sent] = claude.messages
    [body] = upstream(env)
    assert sent.status == 200
    assert sent.body["model"].startswith("claude-")
    assert body["model"] == TIER_MODELS[tier_of(sent.body["model"])]
    # Print mode asks for adaptive thinking with `display: omitted`: no summary is asked for,
    # but the reasoning state is, to keep it across turns.
    assert sent.body["thinking"] == {"type": "adaptive", "display": "omitted"}
    assert body["reasoning"] == {"effort": sent.body["output_config"]["effort"]}
    assert body["stream"] is True and body["store"] is False
    assert body["include"] == ["reasoning.encrypted_content"]

    session = sent.headers["x-claude-code-session-id"]
    assert body["prompt_cache_key"] == session
    assert env.fake.requests[0].headers["session_id"] == session

    system = [block["text"] for block in sent.body["system"]]
    assert system[0].startswith("x-anthropic-billing-header:")
    assert "x-anthropic-billing-header" not in body["instructions"]
    assert system[-1] in body["instructions"]

    cli_tools = {tool["name"]: tool for tool in sent.body["tools"]}
    assert "Bash" in cli_tools
    assert all(
        tool["type"] == "function" and tool["parameters"] == cli_tools[tool["name"]]["input_schema"]
        for tool in body["tools"]
    )
    # Deferred tools (`defer_loading`) are Anthropic's to hide until loaded; the rest must all go.
    loaded = [name for name, tool in cli_tools.items() if not tool.get("defer_loading")]
    assert [tool["name"] for tool in body["tools"] if tool["name"] in loaded] == loaded

    roles = [item["role"] for item in items_of(body, "message")]
    assert roles == ["user" if m["role"] == "user" else "developer" for m in sent.body["messages"]]
    assert body["input"][0]["content"][-1] == {"type": "input_text", "text": "say hello"}
    for rejected in ("max_tokens", "max_output_tokens", "metadata", "thinking", "temperature"):
        assert rejected not in body


def test_bash_tool_loop(claude: Claude, env: Env) -> None:
    model = CodexModel(call=ToolCall("Bash", {"command": COMMAND}))
    env.fake.responder = model
    done = claude.run("-p", "run the command", "--allowedTools", "Bash", "--output-format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["subtype"] == "success" and result["num_turns"] == 2
    assert result["result"] == f"The tool said: {COMMAND_OUTPUT}"

    first, second = upstream(env)
    assert first["prompt_cache_key"] == second["prompt_cache_key"] == result["session_id"]
    assert not items_of(first, "function_call")
    [call] = items_of(second, "function_call")
    [output] = items_of(second, "function_call_output")
    assert call["call_id"] == output["call_id"] == model.call_ids[0]
    assert call["name"] == "Bash"
    assert json.loads(call["arguments"]) == {"command": COMMAND}
    assert output["output"] == COMMAND_OUTPUT
    assert second["input"].index(call) + 1 == second["input"].index(output)

    # The usage the fake billed reaches the CLI: input per turn summed, cache reads apart.
    assert result["usage"]["input_tokens"] == sum(u["input_tokens"] for u in model.usages)
    assert result["usage"]["output_tokens"] == sum(u["output_tokens"] for u in model.usages)


def test_thinking_round_trip(claude: Claude, env: Env) -> None:
    thought = "I should run the command first."
    model = CodexModel(call=ToolCall("Bash", {"command": COMMAND}), thinking=thought)
    env.fake.responder = model
    done = claude.run(
        "-p",
        "run the command",
        "--allowedTools",
        "Bash",
        "--output-format",
        "stream-json",
        "--verbose",
    )
    assert done.returncode == 0, done.stderr
    assert [e.status for e in claude.messages] == [200, 200]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    blocks = assistant_blocks(done.stdout)
    assert [b["type"] for b in blocks] == ["thinking", "tool_use", "thinking", "text"]
    # With stream-json output the CLI asks for `display: updates`: the text is shown.
    assert claude.messages[0].body["thinking"]["display"] == "updates"
    assert blocks[0]["thinking"] == blocks[2]["thinking"] == thought
    assert blocks[0]["signature"] and blocks[0]["signature"] != blocks[2]["signature"]
    assert blocks[3]["text"] == f"The tool said: {COMMAND_OUTPUT}"
    assert lines[-1]["type"] == "result" and lines[-1]["subtype"] == "success"

    # The CLI echoes the thinking block as it got it...
    echoed = claude.messages[1].body["messages"][2]["content"][0]
    assert echoed == {"type": "thinking", "thinking": thought, "signature": blocks[0]["signature"]}
    # ...and the model gets its reasoning item back, before the call it led to.
    second = upstream(env)[1]
    [reasoning] = items_of(second, "reasoning")
    assert reasoning["encrypted_content"] == model.encrypted[0]
    assert reasoning["summary"] == [{"type": "summary_text", "text": thought}]
    [call] = items_of(second, "function_call")
    assert second["input"].index(reasoning) + 1 == second["input"].index(call)


@pytest.mark.parametrize(
    ("flags", "model", "effort"),
    [
        (["--model", "sonnet", "--effort", "low"], "gpt-5.4", "low"),
        (["--model", "haiku"], "gpt-5.4-mini", "medium"),
        (["--model", "gpt-5.4_xhigh", "--effort", "low"], "gpt-5.4", "xhigh"),
    ],
)
def test_model_and_effort_flags(
    claude: Claude, env: Env, flags: list[str], model: str, effort: str
) -> None:
    env.fake.responder = CodexModel()
    done = claude.run("-p", "say hello", *flags)
    assert done.returncode == 0, done.stderr
    [body] = upstream(env)
    assert body["model"] == model
    assert body["reasoning"]["effort"] == effort


def test_denied_tool_reaches_the_model_as_an_error(claude: Claude, env: Env) -> None:
    # Print mode cannot ask for permission, so a command that writes a file is refused.
    model = CodexModel(call=ToolCall("Bash", {"command": "touch made-by-tool"}))
    env.fake.responder = model
    done = claude.run("-p", "make a file")
    assert done.returncode == 0, done.stderr
    assert not (claude.workdir / "made-by-tool").exists()
    result = claude.messages[1].body["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and result["is_error"] is True
    [output] = items_of(upstream(env)[1], "function_call_output")
    assert output["output"] == f"Error: {result['content']}"
    assert done.stdout.startswith("The tool said: Error: ")


def test_upstream_refusal_reaches_the_user(claude: Claude, env: Env) -> None:
    detail = "The 'gpt-5.5' model is not supported when using Codex with a ChatGPT account."
    env.fake.responder = lambda request: Reply(status=400, body={"detail": detail})
    done = claude.run("-p", "say hello")
    assert done.returncode == 1
    assert detail in done.stdout
    # On a 400 the CLI retries a few times, shedding a beta feature each time (6 tries in
    # 2.1.331); the gateway itself passes each one on exactly once.
    assert [e.status for e in claude.messages] == [400] * len(claude.messages)
    assert len(upstream(env)) == len(claude.messages)


def test_tool_search_loads_deferred_tools(claude: Claude, env: Env) -> None:
    search = ToolCall("ToolSearch", {"query": "select:WebFetch", "max_results": 5})
    env.fake.responder = CodexModel(call=search)
    done = claude.run("-p", "fetch a page")
    assert done.returncode == 0, done.stderr
    assert [e.status for e in claude.messages] == [200, 200]
    first, second = upstream(env)
    assert "WebFetch" not in [tool["name"] for tool in first["tools"]]
    assert "WebFetch" in [tool["name"] for tool in second["tools"]]
    [output] = items_of(second, "function_call_output")
    assert "WebFetch" in json.dumps(output["output"])


def test_usage_limit_resetting_in_hours_stops_at_once(claude: Claude, env: Env) -> None:
    """Issue 11.2: no ten retries over six minutes; the account and its reset, right away."""
    limit = {
        "type": "usage_limit_reached",
        "message": "The usage limit has been reached",
        "resets_in_seconds": 5 * 3600,
    }
    env.fake.responder = lambda request: Reply(status=429, body={"error": limit})
    done = claude.run("-p", "say hello")
    assert done.returncode == 1
    assert [e.status for e in claude.messages] == [429]
    assert "e2e@example.com" in done.stdout
    assert "has reached its usage limit · resets " in done.stdout


SEARCH_URL = "https://www.python.org/downloads/release/python-3140/"


def search_model(request: Any) -> Reply:
    """The model of a web search session: it calls WebSearch, searches when the WebSearch tool
    asks it to (the hosted `web_search` tool), and answers from the tool's output."""
    body: dict[str, Any] = request.body
    script = ResponseScript(model=body["model"])
    outputs = items_of(body, "function_call_output")
    if any(tool["type"] == "web_search" for tool in body["tools"]):
        text = "Python 3.14.0 is the newest release."
        citation = url_citation(text, "Python 3.14.0", SEARCH_URL, "Python Release 3.14.0")
        script.web_search("latest python release", SEARCH_URL)
        script.text(text, annotations=[citation])
    elif outputs:
        script.text(f"From the search: {outputs[-1]['output']}")
    else:
        script.function_call("WebSearch", {"query": "latest python release"}, call_id="call_ws1")
    return Reply(events=script.completed())


def test_web_search_tool_gets_the_fakes_results(claude: Claude, env: Env) -> None:
    """Issue 11.1: Claude Code's WebSearch tool runs its search through the gateway."""
    env.fake.responder = search_model
    done = claude.run(
        "-p", "search the web for the latest python release", "--allowedTools", "WebSearch"
    )
    assert done.returncode == 0, done.stderr
    assert SEARCH_URL in done.stdout

    search = next(
        e
        for e in claude.messages
        if any(t.get("type", "").startswith("web_search_") for t in e.body.get("tools", []))
    )
    assert search.status == 200
    sent = next(b for b in upstream(env) if any(t["type"] == "web_search" for t in b["tools"]))
    assert "web_search_call.action.sources" in sent["include"]
    # The WebSearch tool result the main conversation got back holds the fake's source.
    final = claude.messages[-1].body["messages"][-1]["content"]
    result = next(block for block in final if block["type"] == "tool_result")
    assert SEARCH_URL in json.dumps(result)
