"""Handing memory the process freed back to the operating system.

Python returns large freed blocks to the C allocator, which keeps them for later; only glibc can
be asked to let them go (`malloc_trim`). Called after the tokenizer is built or dropped, and by the
server once a burst of requests is over.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable


def release_memory() -> None:
    """Have the C allocator return its free pages to the OS (glibc's `malloc_trim`); elsewhere
    (macOS, Windows, musl) this does nothing. Takes a few ms on a fragmented heap of ~100 MiB and
    releases the GIL meanwhile."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if sys.platform == "win32":
        return None
    import ctypes  # on first use, not at start-up (start-up budget)

    try:
        # The process's own symbols, libc's among them: `ctypes.util.find_library("c")` would
        # run `ldconfig -p` (~4 ms), on the first count's path among others.
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc: macOS, musl
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim
