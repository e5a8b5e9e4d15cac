"""The o200k encoder behind `tokens`: built on first use, on a thread of its own, and dropped
after `IDLE_SECONDS` unused.

Built, it holds ~50 MiB of native memory, so it is dropped when idle and the C allocator is asked
to hand freed memory back (after a build as after a drop): a gateway that stops counting returns
to its idle footprint. Importing this module loads nothing (start-up budget, DESIGN §2).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from codex2claudecode.memory import release_memory

if TYPE_CHECKING:
    from concurrent.futures import Future

IDLE_SECONDS = 600.0
"""Unused this long (no count), the encoder is dropped; the next count builds it again."""

_T = TypeVar("_T")


class Encoder(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...
    def decode_bytes(self, tokens: list[int]) -> bytes: ...


_Job = tuple[Callable[[Encoder], object], "Future[Any]"]


class LazyEncoder:
    """An encoder made by `build` on first use and dropped once unused for `idle_seconds`.

    Every use runs on one daemon thread, started with the build and ended by the drop. tiktoken's
    encoder is ~1.5x faster on the first thread that encodes with it than on any other, and
    threads sharing it slow each other down, so one thread serves all counts, in turn. Being a
    daemon, it never delays the process's exit. Thread-safe.
    """

    def __init__(self, build: Callable[[], Encoder], idle_seconds: float = IDLE_SECONDS) -> None:
        self._build = build
        self.idle_seconds = idle_seconds
        """Read at each wait: a change applies from the next use on."""
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[_Job] | None = None
        self._encoder: Encoder | None = None
        self._used = 0.0
        """`time.monotonic()` of the last use on a caller's thread (`current`)."""

    @property
    def loaded(self) -> bool:
        """Whether the encoder is built and held."""
        return self._encoder is not None

    def current(self) -> Encoder | None:
        """The encoder if it is built, for a short use on the caller's thread: no build, no wait
        behind a long count, no hop to the encoder's thread (at the price of the slower thread;
        see the class). A use here keeps the encoder from being dropped as idle."""
        encoder = self._encoder
        if encoder is not None:
            self._used = time.monotonic()
        return encoder

    def run(self, work: Callable[[Encoder], _T]) -> _T:
        """`work(encoder)` on the encoder's thread; the first call builds it (0.15-0.3 s).

        Blocks until it is done: call from a worker thread when the texts are long. Raises what
        `work` or the build raised.
        """
        from concurrent.futures import Future  # asyncio has it anyway; ~7 ms at import

        done: Future[_T] = Future()
        with self._lock:
            if self._jobs is None:
                self._jobs = queue.SimpleQueue()
                threading.Thread(
                    target=self._serve,
                    args=(self._jobs,),
                    name="codex2claudecode-tokens",
                    daemon=True,
                ).start()
            self._jobs.put((work, done))
        return done.result()

    def _serve(self, jobs: queue.SimpleQueue[_Job]) -> None:
        try:
            encoder = self._build()
        except BaseException as exc:
            self._stop(jobs, exc)  # the callers raise it; the next use tries again
            return
        release_memory()  # what the build was made from (~25 MiB of Python objects)
        encoder.encode_ordinary("")  # from now on this thread is the fast one (see the class)
        self._encoder = encoder
        while True:
            try:
                work, done = jobs.get(timeout=self.idle_seconds)
            except queue.Empty:
                # Idle here, but perhaps used meanwhile on callers' threads (`current`).
                if time.monotonic() - self._used >= self.idle_seconds and self._stop(jobs, None):
                    break
                continue
            try:
                done.set_result(work(encoder))
            except BaseException as exc:
                done.set_exception(exc)
            del work, done
        del encoder
        self._encoder = None
        release_memory()

    def _stop(self, jobs: queue.SimpleQueue[_Job], error: BaseException | None) -> bool:
        """End this thread's turn unless a job came in meanwhile; fail waiting jobs on `error`."""
        with self._lock:
            if error is None and not jobs.empty():
                return False
            self._jobs = None  # the next use starts a new thread (and build)
        while error is not None and not jobs.empty():
            jobs.get()[1].set_exception(error)
        return True
