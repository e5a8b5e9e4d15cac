"""Builds one complete answer from an `ir.Event` stream, for non-streaming clients.

Every frontend renders its JSON response from an `Answer`, so streaming and non-streaming
answers come from the same backend events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from codex2claudecode import ir


@dataclass(slots=True)
class TextBlock:
    text: str = ""
    citations: list[ir.Citation] = field(default_factory=list)


@dataclass(slots=True)
class ThinkingBlock:
    text: str = ""
    signature: str = ""


@dataclass(slots=True)
class RedactedThinkingBlock:
    data: str


@dataclass(slots=True)
class ToolCallBlock:
    id: str
    name: str
    arguments_json: str = ""


Block = (
    TextBlock
    | ThinkingBlock
    | RedactedThinkingBlock
    | ToolCallBlock
    | ir.ServerToolCall
    | ir.WebResult
)


@dataclass(slots=True)
class Answer:
    response_id: str = ""
    model: str = ""
    blocks: list[Block] = field(default_factory=list)
    usage: ir.Usage = field(default_factory=lambda: ir.Usage(input_tokens=0))
    stop: ir.Stop | None = None

    def server_tool_counts(self) -> tuple[int, int]:
        """(web searches, web fetches) the provider ran for this answer."""
        calls = [block.name for block in self.blocks if isinstance(block, ir.ServerToolCall)]
        return calls.count("web_search"), calls.count("web_fetch")


class Accumulator:
    """Feed events in order with `add`; read the result from `answer`."""

    def __init__(self) -> None:
        self.answer = Answer()
        self._text: TextBlock | None = None
        self._thinking: ThinkingBlock | None = None
        self._tool: ToolCallBlock | None = None

    def add(self, event: ir.Event) -> None:
        answer = self.answer
        match event:
            case ir.Started(response_id=rid, model=model):
                answer.response_id, answer.model = rid, model
            case ir.TextStart():
                self._text = TextBlock()
                answer.blocks.append(self._text)
            case ir.TextDelta(text=text):
                if self._text is None:
                    self.add(ir.TextStart())
                assert self._text is not None
                self._text.text += text
            case ir.TextEnd():
                self._text = None
            case ir.ThinkingStart():
                self._thinking = ThinkingBlock()
                answer.blocks.append(self._thinking)
            case ir.ThinkingDelta(text=text):
                if self._thinking is None:
                    self.add(ir.ThinkingStart())
                assert self._thinking is not None
                self._thinking.text += text
            case ir.ThinkingEnd(signature=signature):
                if self._thinking is not None:
                    self._thinking.signature = signature
                self._thinking = None
            case ir.RedactedThinking(data=data):
                answer.blocks.append(RedactedThinkingBlock(data))
            case ir.ToolCallStart(id=call_id, name=name):
                self._tool = ToolCallBlock(call_id, name)
                answer.blocks.append(self._tool)
            case ir.ToolCallDelta(arguments_json=fragment):
                if self._tool is not None:
                    self._tool.arguments_json += fragment
            case ir.ToolCallEnd():
                self._tool = None
            case ir.ServerToolCall() | ir.WebResult():
                self._text = self._thinking = self._tool = None
                answer.blocks.append(event)
            case ir.Citation():
                if self._text is not None:
                    self._text.citations.append(event)
            case ir.Usage():
                answer.usage = event
            case ir.Stop():
                answer.stop = event
            case _:
                assert_never(event)
