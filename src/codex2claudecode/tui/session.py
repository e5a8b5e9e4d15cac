"""What every screen of the TUI works with: the configuration, the live router, the bound
port, and the seams tests replace (clock, time zone, browser, working directory).

Built once by `run_tui` and handed to each screen; it holds no business logic of its own.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from codex2claudecode.backends.base import PROVIDER_NAMES
from codex2claudecode.claude_settings import (
    ClaudeSettings,
    client_token,
    gateway_base_url,
    mask_secret,
)
from codex2claudecode.config import Config, Provider
from codex2claudecode.router import Router

TierModels = Callable[[Config], Mapping[str, str]]
"""The model each Claude tier maps to, for the provider `config.provider` names."""


@dataclass
class Session:
    config: Config
    router: Router
    port: int
    """The port actually bound (the listener's, never re-bound)."""
    tier_models: TierModels
    open_browser: Callable[[str], bool]
    cwd: Path = field(default_factory=Path.cwd)
    clock: Callable[[], float] = time.time
    tz: tzinfo | None = None
    """None: local time."""

    @property
    def provider(self) -> Provider:
        return self.router.providers.active_name

    @property
    def provider_name(self) -> str:
        return PROVIDER_NAMES[self.provider]

    @property
    def base_url(self) -> str:
        return gateway_base_url(self.config.host, self.port)

    @property
    def token(self) -> str:
        """What Claude Code presents as its key: the password, else the placeholder."""
        return client_token(self.config.password)

    def export_lines(self, *, masked: bool = False) -> list[str]:
        """The shell lines that point Claude Code at this gateway; `masked` hides a password
        (for the screen; the clipboard gets it whole)."""
        token = mask_secret(self.token) if masked and self.config.password else self.token
        return [
            f"export ANTHROPIC_BASE_URL={self.base_url}",
            f"export ANTHROPIC_AUTH_TOKEN={shlex.quote(token)}",
        ]

    def accounts_changed(self) -> None:
        """An account was switched to or added: the next request reads the accounts again."""
        self.router.providers.reload_accounts(self.provider)

    def settings(self) -> ClaudeSettings:
        return ClaudeSettings.from_config(self.config, cwd=self.cwd)

    def models(self) -> Mapping[str, str]:
        """The active provider's tier models (`opus`, `sonnet`, `haiku` -> model)."""
        return self.tier_models(self.config.with_(provider=self.provider))

    @property
    def log_path(self) -> Path:
        return self.config.request_log_path
