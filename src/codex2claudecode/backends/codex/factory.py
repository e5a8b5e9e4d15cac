"""Builds the Codex backend from the configuration: its accounts pool, tier models and fast mode."""

from __future__ import annotations

from codex2claudecode import tokens
from codex2claudecode.backends.codex.backend import CodexBackend
from codex2claudecode.backends.codex.fast_mode import FastMode
from codex2claudecode.backends.codex.pool import build_codex_pool
from codex2claudecode.backends.deadline import StreamLimits
from codex2claudecode.config import Config
from codex2claudecode.http_client import SharedSession


def build_codex_backend(config: Config, http: SharedSession) -> CodexBackend:
    """The server's Codex backend, sharing the process's HTTP session."""
    return CodexBackend(
        build_codex_pool(config, http, strategy=config.pool_strategy),
        count_tokens=tokens.count_request_tokens,
        tier_models=config.model_overrides,
        service_tier=FastMode.from_config(config).service_tier,
        limits=StreamLimits.from_config(config),
        log_body_limit=config.log_body_limit,
    )
