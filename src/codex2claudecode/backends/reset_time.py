"""How a limit's reset is worded for people: local time, as Claude Code words its own notices.

Shared by the providers' "limit reached" messages (issue 11.2).
"""

from __future__ import annotations

import time


def reset_time(epoch: float, now: float) -> str:
    """`3:05pm`, or `Jan 5, 3:05pm` a day or more ahead: local time, as Claude Code words it."""
    moment = time.localtime(epoch)
    clock = time.strftime("%I:%M%p", moment).lstrip("0").lower()
    if epoch - now < 20 * 3600:
        return clock
    return f"{time.strftime('%b', moment)} {moment.tm_mday}, {clock}"
