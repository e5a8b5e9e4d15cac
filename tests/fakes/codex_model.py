"""A fake model behind the fake Codex backend: each reply is decided from the request it answers.

Install a `CodexModel` as `FakeCodex.responder` and it plays a small agent, so a real client (the
Claude Code CLI) can run its whole loop against it:

    model = CodexModel(call=ToolCall("Bash", {"command": "echo hi"}), thinking="Plan the call")
    fake.responder = model

A request holding the output of a call it made gets text built from that output; otherwise, when
the request offers the tool of `call`, it calls it; otherwise it answers `answer`. With `thinking`
set, every turn opens with a reasoning item whose encrypted content is fresh (see `encrypted`).
Usage reports the input tokens the real backend would bill for the request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.codex import Recorded, Reply, upstream_input_tokens
from tests.fakes.responses_events import ResponseScript, make_usage


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]


def quote_output(output: str) -> str:
    return f"The tool said: {output.strip()}"


@dataclass
class CodexModel:
    answer: str = "Hello from the fake model."
    """The text of a turn with nothing to call and no tool output to report."""
    call: ToolCall | None = None
    """The function to call once per conversation, when the request offers it."""
    after_call: Callable[[str], str] = quote_output
    """The answer once the call's output is in the request (given that output as text)."""
    thinking: str | None = None
    """When set, the reasoning summary opening every turn."""
    call_ids: list[str] = field(default_factory=list)
    """The call ids it has issued, in order."""
    encrypted: list[str] = field(default_factory=list)
    """The encrypted reasoning contents it has sent, in order."""
    usages: list[dict[str, Any]] = field(default_factory=list)
    """The usage it reported for each turn, in order."""
    turns: int = 0

    def __call__(self, request: Recorded) -> Reply:
        body: dict[str, Any] = request.body
        self.turns += 1
        script = ResponseScript(response_id=f"resp_fake{self.turns:04d}", model=body["model"])
        if self.thinking is not None:
            encrypted = f"gAAAAB-fake-state-{self.turns}"
            self.encrypted.append(encrypted)
            script.reasoning(self.thinking, encrypted_content=encrypted)
        output = self._output_of_own_call(body)
        if output is not None:
            script.text(*_chunks(self.after_call(output)))
        elif self.call is not None and self._offered(body, self.call.name):
            call_id = f"call_fake{self.turns:04d}"
            self.call_ids.append(call_id)
            script.function_call(self.call.name, self.call.arguments, call_id=call_id)
        else:
            script.text(*_chunks(self.answer))
        usage = make_usage(input_tokens=upstream_input_tokens(body), output_tokens=20)
        self.usages.append(usage)
        return Reply(events=script.completed(usage))

    def _output_of_own_call(self, body: dict[str, Any]) -> str | None:
        for item in reversed(body.get("input", [])):
            if item.get("type") == "function_call_output" and item["call_id"] in self.call_ids:
                output = item["output"]
                if isinstance(output, str):
                    return output
                return "".join(part.get("text", "") for part in output)
        return None

    @staticmethod
    def _offered(body: dict[str, Any], name: str) -> bool:
        return any(tool.get("name") == name for tool in body.get("tools", []))


def _chunks(text: str) -> list[str]:
    """`text` as a few deltas, as a model streams it."""
    words = text.split(" ")
    return [word + " " for word in words[:-1]] + [words[-1]]
