"""The fault suite runs the real gateway against scripted hostile upstreams (the e2e harness)."""

from tests.e2e.conftest import env, fake_codex, fake_oauth, kiro_env, start_gateway

__all__ = ["env", "fake_codex", "fake_oauth", "kiro_env", "start_gateway"]
