"""Where Kiro answers: one endpoint profile per host, and the headers each expects.

Two generation hosts are in use (kiro-2026-update §2): `q.{region}.amazonaws.com` (the
original's) and `runtime.{region}.kiro.dev`. Sources disagree on which is current, so both are
kept here, the first preferred, and the client falls back to the other when the first one
refuses the account or does not know the operation. `KIRO_BASE_URL` pins one host.
"""

from __future__ import annotations

import platform
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from codex2claudecode.config import Config

KIRO_IDE_VERSION = "1.0.27"
"""The Kiro IDE version our user agent names; below 0.6.0 Kiro caps history (update §2)."""
_SDK_VERSION = "1.0.27"


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    base_url: str

    def url(self, operation: str) -> str:
        return f"{self.base_url}/{operation}"


def endpoints(config: Config, region: str) -> tuple[Endpoint, ...]:
    """The hosts to try for an account whose API region is `region`, preferred first."""
    if config.kiro_base_url:
        return (Endpoint("configured", config.kiro_base_url.rstrip("/")),)
    return (
        Endpoint("q", f"https://q.{region}.amazonaws.com"),
        Endpoint("runtime", f"https://runtime.{region}.kiro.dev"),
    )


def machine_fingerprint() -> str:
    """12 hex digits naming this gateway process in the user agent, as the IDE does."""
    return uuid.uuid4().hex[:12]


def api_headers(
    access_token: str, *, attempt: int, fingerprint: str, external_idp: bool
) -> dict[str, str]:
    """The headers of generate, ListAvailableModels and getUsageLimits (spec §1.2).

    Args:
        attempt: 1 for the first try; `amz-sdk-request` keeps `max=3` whatever the attempt.
        external_idp: the account signed in through an external identity provider
            (update §2: such requests carry `TokenType: EXTERNAL_IDP`).
    """
    system = _platform()
    headers = {
        "authorization": f"Bearer {access_token}",
        "content-type": "application/json",
        "x-amzn-codewhisperer-optout": "true",
        "x-amzn-kiro-agent-mode": "vibe",
        "user-agent": (
            f"aws-sdk-js/{_SDK_VERSION} ua/2.1 os/{system} lang/js md/nodejs "
            f"api/codewhispererstreaming#{_SDK_VERSION} m/E "
            f"KiroIDE-{KIRO_IDE_VERSION}-{fingerprint}"
        ),
        "x-amz-user-agent": f"aws-sdk-js/{_SDK_VERSION} KiroIDE-{KIRO_IDE_VERSION}-{fingerprint}",
        "amz-sdk-invocation-id": str(uuid.uuid4()),
        "amz-sdk-request": f"attempt={attempt}; max=3",
    }
    if external_idp:
        headers["tokentype"] = "EXTERNAL_IDP"
    return headers


def mcp_headers(access_token: str) -> Mapping[str, str]:
    """The headers of `/mcp` (spec §1.3): note the opt-out is `false` here."""
    return {
        "authorization": f"Bearer {access_token}",
        "content-type": "application/json",
        "x-amzn-codewhisperer-optout": "false",
    }


def _platform() -> str:
    name = platform.system().lower()
    return {"windows": "win32"}.get(name, name or "linux")
