"""The gateway's one listener, served by uvicorn inside the TUI's event loop.

The socket is bound before the UI starts (so a taken port is reported before the screen
changes) and is never re-bound: switching provider or account changes what the router
serves, not the listener.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from codex2claudecode.server.run import server_for

_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class Listener:
    def __init__(self, app: Any, sock: socket.socket) -> None:
        self._app = app
        self._sock = sock
        self._server = server_for(app)
        # uvicorn logs to stderr, which would draw over the screen; its records go to the
        # root logger instead, where the TUI shows warnings and errors in words.
        for name in _UVICORN_LOGGERS:
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
        self.stopping = False

    @property
    def started(self) -> bool:
        return bool(self._server.started)

    async def serve(self) -> None:
        """Serve until `stop`; returns after open requests finished or were ended (uvicorn's
        graceful shutdown) and the app's shutdown hooks ran."""
        try:
            await self._server.serve(sockets=[self._sock])
        finally:
            self._sock.close()

    def stop(self) -> None:
        self.stopping = True
        self._server.should_exit = True

    @property
    def open_connections(self) -> int:
        return len(self._server.server_state.connections)
