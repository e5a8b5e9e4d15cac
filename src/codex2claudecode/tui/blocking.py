"""`off_loop`: run a blocking call (a file read or write, a lock, SQLite) in a daemon thread.

`asyncio.to_thread` would do, except that its threads are joined when the event loop closes:
a call still waiting for a lock another program holds (up to 30 s) kept the process alive
after Ctrl+C. A daemon thread is left behind instead; what it was doing is safe to drop, as
every credential and settings file is written atomically (a killed write leaves only a temp
file, removed at the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def off_loop(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)`, run in a daemon thread; its result or its exception."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():  # the awaiting worker was cancelled (its screen closed)
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the awaiting coroutine, raised there
            outcome: tuple[T | None, BaseException | None] = (None, exc)
        else:
            outcome = (result, None)
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
            loop.call_soon_threadsafe(settle, *outcome)

    name = getattr(fn, "__qualname__", "call")
    threading.Thread(target=run, name=f"tui-{name}", daemon=True).start()
    return await future
