"""Transcripts: events in, events out of the gateway's `max_tokens` cut (issue 11.4)."""

from collections.abc import AsyncGenerator, Iterable

from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode import ir
from codex2claudecode.max_tokens import MaxTokensFilter, apply_max_tokens_to_batches
from codex2claudecode.tokens import count_text, head_tokens

START = ir.Started("resp_1", "gpt-5.4")
USAGE = ir.Usage(input_tokens=10, output_tokens=5)
END = ir.Stop("end_turn")


def run(max_tokens: int, events: Iterable[ir.Event]) -> list[ir.Event]:
    limit = MaxTokensFilter(max_tokens)
    return [out for event in events for out in limit.feed(event)]


def cut(spent: int) -> list[ir.Event]:
    return [ir.Usage(input_tokens=0, output_tokens=spent), ir.Stop("max_tokens")]


def test_answer_within_the_limit_passes_unchanged() -> None:
    events: list[ir.Event] = [
        START,
        ir.TextStart(),
        ir.TextDelta("Hello"),
        ir.TextEnd(),
        USAGE,
        END,
    ]
    assert run(2, events) == events


def test_one_token_answer() -> None:
    events: list[ir.Event] = [
        START,
        ir.TextStart(),
        ir.TextDelta("Hello world, how are you?"),
        ir.TextEnd(),
        END,
    ]
    assert run(1, events) == [
        START,
        ir.TextStart(),
        ir.TextDelta("Hello"),
        ir.TextEnd(),
        *cut(1),
    ]


def test_cut_between_deltas_drops_the_rest() -> None:
    events: list[ir.Event] = [
        START,
        ir.TextStart(),
        ir.TextDelta("Hello"),
        ir.TextDelta(" world"),
        USAGE,
        END,
    ]
    assert run(1, events) == [START, ir.TextStart(), ir.TextDelta("Hello"), ir.TextEnd(), *cut(1)]


def test_implicitly_opened_text_block_is_closed() -> None:
    assert run(1, [START, ir.TextDelta("Hello world")]) == [
        START,
        ir.TextDelta("Hello"),
        ir.TextEnd(),
        *cut(1),
    ]


def test_thinking_counts_and_a_cut_thinking_block_has_no_signature() -> None:
    events: list[ir.Event] = [
        START,
        ir.ThinkingStart(),
        ir.ThinkingDelta("Let me think hard"),
        ir.ThinkingEnd("s"),
    ]
    assert run(2, events) == [
        START,
        ir.ThinkingStart(),
        ir.ThinkingDelta("Let me"),
        ir.ThinkingEnd(""),
        *cut(2),
    ]


def test_tool_call_arguments_count() -> None:
    events: list[ir.Event] = [
        START,
        ir.TextStart(),
        ir.TextDelta("Hi"),
        ir.TextEnd(),
        ir.ToolCallStart("call_1", "Bash"),
        ir.ToolCallDelta('{"command":"ls -la"}'),
        ir.ToolCallEnd(),
        ir.Stop("tool_use"),
    ]
    out = run(3, events)
    assert out[:5] == events[:5]
    assert out[5] == ir.ToolCallDelta(head_tokens('{"command":"ls -la"}', 2))
    assert out[6:] == [ir.ToolCallEnd(), *cut(3)]


def test_after_the_cut_nothing_passes() -> None:
    limit = MaxTokensFilter(1)
    limit.feed(ir.TextDelta("Hello world"))
    assert limit.cut
    assert limit.feed(ir.TextDelta("more")) == []
    assert limit.feed(END) == []


def test_head_tokens_never_splits_a_character() -> None:
    text = "日本語のテキスト"
    for n in range(count_text(text) + 1):
        head = head_tokens(text, n)
        assert text.startswith(head)
        assert count_text(head) <= n


@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=8), st.integers(1, 30))
def test_emitted_text_is_a_prefix_within_the_budget(deltas: list[str], max_tokens: int) -> None:
    events: list[ir.Event] = [START, ir.TextStart(), *(ir.TextDelta(d) for d in deltas)]
    out = run(max_tokens, [*events, ir.TextEnd(), END])
    sent = "".join(e.text for e in out if isinstance(e, ir.TextDelta))
    assert "".join(deltas).startswith(sent)
    assert sum(count_text(e.text) for e in out if isinstance(e, ir.TextDelta)) <= max_tokens
    expected = "end_turn" if sent == "".join(deltas) else "max_tokens"
    assert isinstance(out[-1], ir.Stop) and out[-1].reason == expected


async def test_batches_stop_at_the_cut_and_close_the_source() -> None:
    closed = False

    async def source() -> ir.EventBatches:
        nonlocal closed
        try:
            yield [START, ir.TextStart(), ir.TextDelta("Hello")]
            yield [ir.TextDelta(" world"), ir.TextEnd()]
            yield [USAGE, END]
        finally:
            closed = True

    batches = [batch async for batch in apply_max_tokens_to_batches(source(), 1)]
    assert batches == [[START, ir.TextStart(), ir.TextDelta("Hello")], [ir.TextEnd(), *cut(1)]]
    assert closed


async def test_no_limit_is_the_stream_itself() -> None:
    async def source() -> AsyncGenerator[list[ir.Event]]:
        yield [START]

    stream = source()
    assert apply_max_tokens_to_batches(stream, None) is stream
    await stream.aclose()


def test_deltas_whose_bytes_fit_the_budget_are_never_counted() -> None:
    counted: list[str] = []

    def count(text: str) -> int:
        counted.append(text)
        return count_text(text)

    limit = MaxTokensFilter(12, count=count)
    for piece in ["Hello", " wörld"]:  # 12 bytes: fits whatever the count
        assert limit.feed(ir.TextDelta(piece)) == [ir.TextDelta(piece)]
    assert counted == []
    # The next delta could reach the budget: every earlier one is counted first, then it.
    assert limit.feed(ir.TextDelta(" again")) == [ir.TextDelta(" again")]
    assert counted == ["Hello", " wörld", " again"]


@given(st.lists(st.text(min_size=1, max_size=12), max_size=12), st.integers(0, 40))
def test_lazy_counting_cuts_where_counting_every_delta_does(
    deltas: list[str], max_tokens: int
) -> None:
    events: list[ir.Event] = [ir.TextStart(), *(ir.TextDelta(d) for d in deltas), ir.TextEnd(), END]
    eager = _EagerFilter(max_tokens)
    assert run(max_tokens, events) == [out for e in events for out in eager.feed(e)]


class _EagerFilter(MaxTokensFilter):
    """Counts every delta as it comes, as the filter did before issue 10's memory target."""

    def feed(self, event: ir.Event) -> list[ir.Event]:
        self._uncounted_bytes = self._left + 1  # never take the uncounted path
        return super().feed(event)


_EVENT = st.one_of(
    st.text(min_size=1, max_size=8).map(ir.TextDelta),
    st.text(min_size=1, max_size=8).map(ir.ThinkingDelta),
    st.text(min_size=1, max_size=8).map(ir.ToolCallDelta),
    st.sampled_from([ir.TextStart(), ir.TextEnd(), ir.ThinkingStart(), ir.ToolCallEnd(), USAGE]),
)


@given(st.lists(st.lists(_EVENT, max_size=6), max_size=8), st.integers(0, 30))
def test_a_batch_at_a_time_passes_what_one_event_at_a_time_does(
    batches: list[list[ir.Event]], max_tokens: int
) -> None:
    by_batch = MaxTokensFilter(max_tokens)
    passed = [out for batch in batches for out in by_batch.feed_batch(batch)]
    assert passed == run(max_tokens, [event for batch in batches for event in batch])
