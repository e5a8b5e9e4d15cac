"""Builds the Kiro backend from the configuration: its accounts pool and model catalog."""

from __future__ import annotations

from codex2claudecode import tokens
from codex2claudecode.backends.kiro.backend import KiroBackend
from codex2claudecode.backends.kiro.catalog import ModelCatalog
from codex2claudecode.backends.kiro.pool import KiroPool
from codex2claudecode.config import Config
from codex2claudecode.http_client import SharedSession


def build_kiro_backend(config: Config, http: SharedSession) -> KiroBackend:
    """The server's Kiro backend, sharing the process's HTTP session."""
    return KiroBackend(
        config,
        KiroPool(config, http, strategy=config.pool_strategy),
        ModelCatalog(),
        count_tokens=tokens.count_request_tokens,
    )
