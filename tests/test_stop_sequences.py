import itertools
from collections.abc import AsyncIterator, Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode import ir
from codex2claudecode.stop_sequences import (
    StopSequenceFilter,
    apply_stop_sequences,
    apply_stop_sequences_to_batches,
)

START = ir.Started("resp_1", "gpt-5.4")
END_TURN = ir.Stop("end_turn")
USAGE = ir.Usage(input_tokens=10, output_tokens=5)


def text_block(*deltas: str) -> list[ir.Event]:
    return [ir.TextStart(), *(ir.TextDelta(d) for d in deltas), ir.TextEnd()]


def stop_at(sequence: str) -> list[ir.Event]:
    return [ir.TextEnd(), ir.Stop("stop_sequence", stop_sequence=sequence)]


def run(stop_sequences: tuple[str, ...], events: Iterable[ir.Event]) -> list[ir.Event]:
    stop = StopSequenceFilter(stop_sequences)
    return [out for event in events for out in stop.feed(event)]


def merge_text(events: list[ir.Event]) -> list[ir.Event]:
    """Join adjacent text deltas, so transcripts do not depend on where the filter split them."""
    merged: list[ir.Event] = []
    for event in events:
        if isinstance(event, ir.TextDelta) and merged and isinstance(merged[-1], ir.TextDelta):
            merged[-1] = ir.TextDelta(merged[-1].text + event.text)
        else:
            merged.append(event)
    return merged


TOOL: list[ir.Event] = [
    ir.ToolCallStart("call_1", "Bash"),
    ir.ToolCallDelta('{"c":"STOP"}'),
    ir.ToolCallEnd(),
]
THINKING: list[ir.Event] = [
    ir.ThinkingStart(),
    ir.ThinkingDelta("STOP here"),
    ir.ThinkingEnd("sig"),
]


@pytest.mark.parametrize(
    ("stop_sequences", "events", "expected"),
    [
        pytest.param(
            ("STOP",),
            [START, *text_block("Hello ", "ST", "OP after"), USAGE, END_TURN],
            [START, ir.TextStart(), ir.TextDelta("Hello "), *stop_at("STOP")],
            id="split-across-deltas",
        ),
        pytest.param(
            ("STOP",),
            [START, *text_block("STOP"), END_TURN],
            [START, ir.TextStart(), *stop_at("STOP")],
            id="match-at-start-emits-no-empty-delta",
        ),
        pytest.param(
            ("STOP",),
            [START, *text_block("Hello ST", "ORM"), USAGE, END_TURN],
            [START, *text_block("Hello STORM"), USAGE, END_TURN],
            id="partial-match-released",
        ),
        pytest.param(
            ("STOP",),
            [START, *text_block("it ends in ST"), USAGE, END_TURN],
            [START, *text_block("it ends in ST"), USAGE, END_TURN],
            id="held-tail-released-at-text-end",
        ),
        pytest.param(
            ("STOP",),
            [START, *THINKING, *TOOL, *text_block("a", "STOP", "b"), END_TURN],
            [START, *THINKING, *TOOL, ir.TextStart(), ir.TextDelta("a"), *stop_at("STOP")],
            id="thinking-and-tool-arguments-not-searched",
        ),
        pytest.param(
            ("ab",),
            [START, *text_block("xa"), *TOOL, *text_block("b"), END_TURN],
            [START, *text_block("xa"), *TOOL, *text_block("b"), END_TURN],
            id="no-match-across-blocks",
        ),
        pytest.param(
            ("abcd", "bc"),
            [START, *text_block("ab", "cd"), END_TURN],
            [START, ir.TextStart(), ir.TextDelta("a"), *stop_at("bc")],
            id="first-to-complete-wins",
        ),
        pytest.param(
            ("b", "ab"),
            [START, *text_block("xab"), END_TURN],
            [START, ir.TextStart(), ir.TextDelta("x"), *stop_at("ab")],
            id="same-end-longest-wins",
        ),
        pytest.param(
            ("", "Z"),
            [START, *text_block("abc"), END_TURN],
            [START, *text_block("abc"), END_TURN],
            id="empty-sequence-ignored",
        ),
    ],
)
def test_transcript(
    stop_sequences: tuple[str, ...], events: list[ir.Event], expected: list[ir.Event]
) -> None:
    assert merge_text(run(stop_sequences, events)) == expected


def test_nothing_passes_after_a_match() -> None:
    stop = StopSequenceFilter(("END",))
    before: list[ir.Event] = [START, ir.TextStart(), ir.TextDelta("done END")]
    after: list[ir.Event] = [ir.TextDelta("more"), ir.TextEnd(), END_TURN]
    for event in before:
        stop.feed(event)
    assert stop.matched == "END"
    assert [stop.feed(event) for event in after] == [[], [], []]


# --------------------------------------------------------------------------- properties


def first_stop(text: str, sequences: tuple[str, ...]) -> tuple[int, str] | None:
    """Reference: the occurrence that ends first; on equal ends, the longest."""
    found = [(text.find(s) + len(s), -len(s), s) for s in sequences if s and s in text]
    if not found:
        return None
    end, _, sequence = min(found)
    return end - len(sequence), sequence


def check_grammar(events: list[ir.Event]) -> None:
    assert events[0] == START
    assert isinstance(events[-1], ir.Stop)
    assert sum(isinstance(e, ir.Stop) for e in events) == 1
    open_block: type | None = None
    closes: dict[type, type] = {
        ir.TextStart: ir.TextEnd,
        ir.ThinkingStart: ir.ThinkingEnd,
        ir.ToolCallStart: ir.ToolCallEnd,
    }
    for event in events[1:-1]:
        if type(event) in closes:
            assert open_block is None
            open_block = closes[type(event)]
        elif isinstance(event, ir.TextEnd | ir.ThinkingEnd | ir.ToolCallEnd):
            assert open_block is type(event)
            open_block = None
        elif isinstance(event, ir.TextDelta):
            assert open_block is ir.TextEnd
            assert event.text  # never an empty delta
    assert open_block is None


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    return [text[a:b] for a, b in itertools.pairwise(points)]


alphabet = st.sampled_from("abx")
sequences = st.lists(st.text(alphabet, min_size=1, max_size=4), min_size=1, max_size=3)
blocks = st.lists(
    st.tuples(st.text(alphabet, max_size=30), st.lists(st.integers(0, 40), max_size=8)),
    min_size=1,
    max_size=3,
)


@given(blocks=blocks, stop_sequences=sequences)
def test_text_is_cut_at_the_first_stop_however_it_is_split(
    blocks: list[tuple[str, list[int]]], stop_sequences: list[str]
) -> None:
    stops = tuple(stop_sequences)
    events: list[ir.Event] = [START]
    for text, cuts in blocks:
        events += [*text_block(*split(text, cuts)), *TOOL]
    events += [USAGE, END_TURN]

    out = run(stops, events)

    check_grammar(out)
    texts: list[str] = []
    expected_stop: ir.Stop = END_TURN
    for text, _ in blocks:
        found = first_stop(text, stops)
        if found is not None:
            texts.append(text[: found[0]])
            expected_stop = ir.Stop("stop_sequence", stop_sequence=found[1])
            break
        texts.append(text)
    emitted = [e for e in merge_text(out) if isinstance(e, ir.TextDelta | ir.TextEnd)]
    assert "".join(e.text if isinstance(e, ir.TextDelta) else "|" for e in emitted) == (
        "|".join(texts) + "|"
    )
    assert out[-1] == expected_stop


# --------------------------------------------------------------------------- async wrapper


class Source:
    """An upstream event stream that records how far it was read and whether it was closed."""

    def __init__(self, events: list[ir.Event]) -> None:
        self.events = events
        self.pulled = 0
        self.closed = False

    async def stream(self) -> AsyncIterator[ir.Event]:
        try:
            for event in self.events:
                self.pulled += 1
                yield event
        finally:
            self.closed = True


async def collect(events: AsyncIterator[ir.Event]) -> list[ir.Event]:
    return [event async for event in events]


@pytest.mark.parametrize("stop_sequences", [(), ("",)])
def test_without_stop_sequences_the_source_is_returned_itself(
    stop_sequences: tuple[str, ...],
) -> None:
    source = Source([START, END_TURN]).stream()
    assert apply_stop_sequences(source, stop_sequences) is source


async def test_match_closes_the_source_without_reading_further() -> None:
    source = Source([START, *text_block("one", "two STOP", "three"), USAGE, END_TURN])

    out = await collect(apply_stop_sequences(source.stream(), ("STOP",)))

    assert out == [
        START,
        ir.TextStart(),
        ir.TextDelta("one"),
        ir.TextDelta("two "),
        *stop_at("STOP"),
    ]
    assert source.pulled == 4
    assert source.closed


async def test_no_match_passes_everything_through() -> None:
    events = [START, *text_block("one", "two"), USAGE, END_TURN]
    source = Source(events)

    out = await collect(apply_stop_sequences(source.stream(), ("STOP",)))

    assert merge_text(out) == [START, *text_block("onetwo"), USAGE, END_TURN]
    assert source.closed


async def test_consumer_closing_early_closes_the_source() -> None:
    source = Source([START, *text_block("one", "two"), END_TURN])
    filtered = apply_stop_sequences(source.stream(), ("STOP",))

    assert await anext(filtered) == START
    await filtered.aclose()  # type: ignore[attr-defined]

    assert source.closed


class BatchSource:
    def __init__(self, batches: list[list[ir.Event]]) -> None:
        self.batches = batches
        self.pulled = 0
        self.closed = False

    async def stream(self) -> ir.EventBatches:
        try:
            for batch in self.batches:
                self.pulled += 1
                yield batch
        finally:
            self.closed = True


async def collect_batches(batches: ir.EventBatches) -> list[list[ir.Event]]:
    return [batch async for batch in batches]


def test_batches_without_stop_sequences_are_returned_themselves() -> None:
    source = BatchSource([[START, END_TURN]]).stream()
    assert apply_stop_sequences_to_batches(source, ()) is source


async def test_batch_cut_at_a_match_ends_with_the_stop() -> None:
    source = BatchSource(
        [
            [START, ir.TextStart(), ir.TextDelta("one ST")],  # "ST" is held back
            [ir.TextDelta("OP two"), ir.TextDelta("three")],
            [ir.TextEnd(), USAGE, END_TURN],
        ]
    )

    out = await collect_batches(apply_stop_sequences_to_batches(source.stream(), ("STOP",)))

    assert out == [
        [START, ir.TextStart(), ir.TextDelta("one ")],
        [*stop_at("STOP")],
    ]
    assert source.pulled == 2
    assert source.closed


async def test_batches_emptied_by_holding_back_are_not_yielded() -> None:
    source = BatchSource([[START, ir.TextStart()], [ir.TextDelta("S")], [ir.TextDelta("x")]])
    stream = source.stream()

    out = await collect_batches(apply_stop_sequences_to_batches(stream, ("STOP",)))

    assert out == [[START, ir.TextStart()], [ir.TextDelta("Sx")]]
    assert source.closed
