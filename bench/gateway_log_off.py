"""`codex2claudecode` with the console line and the request log off, for bench_gateway.py.

Measurement only: the middleware gets no request log, and the console logger drops INFO, so
the difference to the shipped gateway is what logging costs a request.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from codex2claudecode import cli
from codex2claudecode.server import middleware

_init = middleware.Gateway.__init__


def _without_log(self: middleware.Gateway, app: Any, **kwargs: Any) -> None:
    kwargs["request_log"] = None
    _init(self, app, **kwargs)


if __name__ == "__main__":
    middleware.Gateway.__init__ = _without_log  # type: ignore[method-assign]
    logging.getLogger("codex2claudecode.http").disabled = True
    sys.exit(cli.main(sys.argv[1:]))
