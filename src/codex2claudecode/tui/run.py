"""`run_tui`: start the TUI with the gateway served inside it; returns the exit status."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from codex2claudecode.backends.codex.accounts.login import open_in_browser
from codex2claudecode.config import Config
from codex2claudecode.server.run import bound_port
from codex2claudecode.tui.session import Session, TierModels

if TYPE_CHECKING:
    from codex2claudecode.router import Router


def run_tui(
    config: Config, app: object, router: Router, sock: socket.socket, tier_models: TierModels
) -> int:
    """Run the UI until /quit or Ctrl+C; `sock` is the gateway's listener, already bound."""
    from codex2claudecode.tui.app import GatewayApp
    from codex2claudecode.tui.listener import Listener

    session = Session(
        config=config,
        router=router,
        port=bound_port(sock),
        tier_models=tier_models,
        open_browser=open_in_browser,
    )
    code = GatewayApp(session, Listener(app, sock)).run()
    return code if code is not None else 0
