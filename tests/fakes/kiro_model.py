"""A fake model behind the fake Kiro upstream: each reply is decided from the request it answers.

The Kiro twin of `tests.fakes.codex_model`: install a `KiroModel` as `FakeKiro.responder` and it
plays a small agent a real client (the Claude Code CLI) can run its whole loop against:

    model = KiroModel(call=ToolCall("Bash", {"command": "echo hi"}), thinking="Plan the call")
    fake.responder = model

It calls the tool of `call` (when the request offers it) until it has made `calls` calls, then
answers with text built from the last call's result, or `answer` when the request holds none.
Asked for a conversation summary (Claude Code compacting), it writes one. With `thinking`
set, every turn opens with reasoning: native `reasoningContentEvent`s with a fresh signature when
the request carries `additionalModelRequestFields`, else a leading `<thinking>` block of text, as
Kiro's models answer prompt-tag thinking.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from tests.fakes.codex import Recorded
from tests.fakes.codex_model import ToolCall, quote_output
from tests.fakes.kiro import KiroReply
from tests.fakes.kiro_stream import (
    assistant_text,
    message_metadata,
    metadata,
    metering,
    reasoning,
    tool_call,
    usage,
)

__all__ = ["KiroModel", "ToolCall"]


@dataclass
class KiroModel:
    answer: str = "Hello from the fake Kiro model."
    """The text of a turn with nothing to call and no tool result to report."""
    call: ToolCall | None = None
    """The tool to call, when the request offers it."""
    calls: int = 1
    """How many times to call it in a conversation."""
    after_call: Callable[[str], str] = quote_output
    """The answer once the call's result is in the request (given that result as text)."""
    thinking: str | None = None
    """When set, the reasoning opening every turn."""
    call_ids: list[str] = field(default_factory=list)
    """The tool use ids it has issued, in order."""
    signatures: list[str] = field(default_factory=list)
    """The native reasoning signatures it has sent, in order."""
    turns: int = 0

    def __call__(self, request: Recorded) -> KiroReply:
        body: dict[str, Any] = request.body
        self.turns += 1
        frames = message_metadata(f"conv-{self.turns}")
        if self.thinking is not None:
            frames += self._reasoning(native="additionalModelRequestFields" in body)
        result = self._result_of_own_call(body)
        current = body["conversationState"]["currentMessage"]["userInputMessage"]
        if _asks_for_summary(current["content"]):
            frames += _text(SUMMARY)
            stop = "END_TURN"
        elif (
            self.call is not None
            and len(self.call_ids) < self.calls
            and self.call.name in _offered(current)
        ):
            call_id = f"tooluse_fake{self.turns:04d}"
            self.call_ids.append(call_id)
            frames += tool_call(call_id, self.call.name, orjson.dumps(self.call.arguments).decode())
            stop = "TOOL_USE"
        elif result is not None:
            frames += _text(self.after_call(result))
            stop = "END_TURN"
        else:
            frames += _text(self.answer)
            stop = "END_TURN"
        frames += metering(0.05) + metadata(stop, usage(len(orjson.dumps(body)) // 4, 20))
        return KiroReply([frames])

    def _reasoning(self, *, native: bool) -> bytes:
        assert self.thinking is not None
        if not native:
            return assistant_text(f"<thinking>{self.thinking}</thinking>\n\n")
        signature = f"kiro-sig-{self.turns}"
        self.signatures.append(signature)
        return reasoning(self.thinking) + reasoning(signature=signature)

    def _result_of_own_call(self, body: dict[str, Any]) -> str | None:
        for message in reversed(list(_user_messages(body))):
            context = message.get("userInputMessageContext", {})
            for result in context.get("toolResults", []):
                if result["toolUseId"] in self.call_ids:
                    return "".join(part.get("text", "") for part in result["content"])
        return None


SUMMARY = "<analysis>The user asked to run commands.</analysis>\n<summary>Ran them.</summary>"


def _asks_for_summary(content: str) -> bool:
    # Claude Code's compaction prompt ends by asking for these two blocks.
    return "<analysis> block followed by a <summary> block" in content


def _user_messages(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    state = body["conversationState"]
    for entry in state.get("history", []):
        if "userInputMessage" in entry:
            yield entry["userInputMessage"]
    yield state["currentMessage"]["userInputMessage"]


def _offered(message: dict[str, Any]) -> list[str]:
    tools = message.get("userInputMessageContext", {}).get("tools", [])
    return [tool["toolSpecification"]["name"] for tool in tools]


def _text(text: str) -> bytes:
    """`text` as a few `assistantResponseEvent`s, as Kiro streams it."""
    words = text.split(" ")
    return b"".join(assistant_text(word + " ") for word in words[:-1]) + assistant_text(words[-1])
