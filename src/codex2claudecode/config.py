"""The configuration contract (DESIGN §3): every part reads its settings from `Config`.

`Config.load(env, **flags)` resolves command-line flags over environment variables over
defaults. Nothing else in the package reads `os.environ`.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

Provider = Literal["codex", "kiro"]
PoolStrategy = Literal["sticky", "round-robin", "manual"]
POOL_STRATEGIES: tuple[PoolStrategy, ...] = ("sticky", "round-robin", "manual")

DEFAULT_PORT = 8787
DEFAULT_HOST = "127.0.0.1"
DEFAULT_CHATGPT_BASE_URL = "https://chatgpt.com/backend-api"
DEFAULT_OPENAI_AUTH_URL = "https://auth.openai.com"
DEFAULT_KIRO_REGION = "us-east-1"
DEFAULT_KIRO_PAYLOAD_LIMIT = 1_200_000
DEFAULT_STREAM_IDLE_TIMEOUT = 300.0
DEFAULT_PING_INTERVAL = 10.0
DEFAULT_STREAM_FIRST_EVENT_TIMEOUT = 90.0
DEFAULT_STREAM_DEADLINE = 3600.0
DEFAULT_REQUEST_LOG_MAX_ROWS = 10_000
DEFAULT_REQUEST_LOG_MAX_DAYS = 7.0
DEFAULT_MAX_REQUEST_BODY_BYTES = 32 * 1024 * 1024
"""Anthropic's own request size limit for the Messages API (32 MB)."""
LOG_BODY_LIMIT = 64 * 1024
"""Bytes of each body the request log keeps (LOG_BODY on): client and upstream, both ways."""


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the setting."""


@dataclass(frozen=True, slots=True)
class Proxies:
    https: str | None = None
    http: str | None = None
    no_proxy: tuple[str, ...] = ()

    def for_url(self, url: str) -> str | None:
        """The proxy URL to reach `url` through, or None for a direct connection."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
        if _bypassed(host, port, self.no_proxy):
            return None
        return self.https if parts.scheme == "https" else self.http


_DEFAULT_PORTS = {"http": 80, "https": 443}
_USERINFO = re.compile(r"(?<=://)[^/@\s'\"]+@")


def redact_userinfo(text: str) -> str:
    """`text` with the user and password of every URL in it (a proxy's) replaced by `***`."""
    return _USERINFO.sub("***@", text)


def _bypassed(host: str, port: int | None, no_proxy: tuple[str, ...]) -> bool:
    """Whether NO_PROXY exempts `host`: `*`, a domain (`.` or `*.` prefix optional, subdomains
    included), an IP address or CIDR network (IPv6 bare or in brackets), each with optional
    `:port`."""
    for entry in no_proxy:
        if entry == "*":
            return True
        name, entry_port = _split_no_proxy_entry(entry.lower())
        if entry_port and entry_port != str(port):
            continue
        name = name.removeprefix("*").lstrip(".")
        if not name:
            continue
        if host == name or host.endswith("." + name):
            return True
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(name, strict=False):
                return True
        except ValueError:
            continue
    return False


def _split_no_proxy_entry(entry: str) -> tuple[str, str | None]:
    if entry.startswith("["):  # [v6 address]:port
        name, _, rest = entry[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else None
    if entry.count(":") == 1:  # name:port or v4:port; more colons mean a bare IPv6 address
        name, _, port = entry.partition(":")
        return name, port
    return entry, None


@dataclass(frozen=True, slots=True)
class Config:
    port: int = DEFAULT_PORT
    host: str = DEFAULT_HOST
    password: str | None = None
    headless: bool = False
    provider: Provider | None = None
    """None means: the last provider used (provider-config.json), else codex."""
    home: Path = field(default_factory=lambda: Path.home() / ".codex2claudecode")
    codex_auth_file: Path | None = None
    codex_auth_account: str | None = None
    kiro_auth_account: str | None = None
    codex_home: Path = field(default_factory=lambda: Path.home() / ".codex")
    chatgpt_base_url: str = DEFAULT_CHATGPT_BASE_URL
    openai_auth_url: str = DEFAULT_OPENAI_AUTH_URL
    kiro_auth_file: Path = field(
        default_factory=lambda: Path.home() / ".aws" / "sso" / "cache" / "kiro-auth-token.json"
    )
    kiro_api_region: str = DEFAULT_KIRO_REGION
    kiro_base_url: str | None = None
    kiro_auth_url: str | None = None
    kiro_oidc_url: str | None = None
    kiro_profile_file: Path | None = None
    """The Kiro IDE's profile.json (`{"arn": ...}`), the profile ARN of IdC and external-IdP
    logins (KIRO_PROFILE_FILE; default in the IDE's globalStorage). None: not looked up."""
    kiro_payload_limit: int = DEFAULT_KIRO_PAYLOAD_LIMIT
    kiro_first_token_timeout: float = 20.0
    """Seconds Kiro may take to send the first byte before the request is sent again."""
    kiro_first_token_retries: int = 1
    claude_config_dir: Path = field(default_factory=lambda: Path.home() / ".claude")
    proxies: Proxies = field(default_factory=Proxies)
    log_body: bool = True
    stream_idle_timeout: float = DEFAULT_STREAM_IDLE_TIMEOUT
    """Seconds without an upstream event (pings and unknown events do not count) before a
    stream is failed; 0 disables."""
    ping_interval: float = DEFAULT_PING_INTERVAL
    """Seconds of upstream silence after which a client stream gets a keep-alive event."""
    pool_strategy: PoolStrategy = "sticky"
    """How requests pick among several Codex accounts (CODEX_POOL_STRATEGY)."""
    model_overrides: Mapping[str, str] = field(default_factory=dict)
    """Claude tier (`opus`, `sonnet`, `haiku`) -> GPT model, from CODEX_{TIER}_MODEL."""
    request_log_max_rows: int = DEFAULT_REQUEST_LOG_MAX_ROWS
    """The request log keeps at most this many requests (REQUEST_LOG_MAX_ROWS)."""
    request_log_max_days: float = DEFAULT_REQUEST_LOG_MAX_DAYS
    """The request log forgets requests older than this many days (REQUEST_LOG_MAX_DAYS)."""
    allowed_hosts: tuple[str, ...] = ()
    """Extra `Host` names the gateway answers to (ALLOWED_HOSTS), lower-case, without port."""
    allowed_origins: tuple[str, ...] = ()
    """Browser origins allowed to call the gateway (ALLOWED_ORIGINS); `*` allows any."""
    max_request_body_bytes: int = DEFAULT_MAX_REQUEST_BODY_BYTES
    max_connections: int | None = None
    """Open client connections at most (MAX_CONNECTIONS); None: derived from the file limit."""
    stream_first_event_timeout: float = DEFAULT_STREAM_FIRST_EVENT_TIMEOUT
    """Seconds the upstream may take to send its first event (STREAM_FIRST_EVENT_TIMEOUT_MS);
    0 disables."""
    stream_deadline: float = DEFAULT_STREAM_DEADLINE
    """Seconds a whole upstream answer may take (STREAM_MAX_DURATION_MS); 0 disables."""

    # ------------------------------------------------------------------ derived paths

    @property
    def codex_auth_path(self) -> Path:
        return self.codex_auth_file or self.home / "auth-codex.json"

    @property
    def codex_cli_auth_path(self) -> Path:
        return self.codex_home / "auth.json"

    @property
    def state_dir(self) -> Path:
        """Our state directory: provider choice, Claude env draft, request log."""
        return self.home

    @property
    def codex_state_dir(self) -> Path:
        """Where the Codex sidecar files live, beside the Codex accounts file (spec app §2):
        `.account-info.json` and the fast-mode `.codex-config.json`."""
        return self.codex_auth_path.parent

    @property
    def local_key_path(self) -> Path:
        """The generated local API key (`claude-env set --with-key`), if one was made."""
        return self.home / "local-api-key"

    @property
    def provider_config_path(self) -> Path:
        return self.home / "provider-config.json"

    @property
    def log_body_limit(self) -> int:
        """Bytes of each body the request log keeps; 0 with LOG_BODY off."""
        return LOG_BODY_LIMIT if self.log_body else 0

    @property
    def request_log_path(self) -> Path:
        """The SQLite request log (`requests.db` in the state directory)."""
        return self.state_dir / "requests.db"

    @property
    def codex_responses_url(self) -> str:
        return self.chatgpt_base_url.rstrip("/") + "/codex/responses"

    @property
    def openai_token_url(self) -> str:
        return self.openai_auth_url.rstrip("/") + "/oauth/token"

    @property
    def kiro_api_url(self) -> str:
        return self.kiro_base_url or f"https://q.{self.kiro_api_region}.amazonaws.com"

    def kiro_auth_base(self, region: str | None = None) -> str:
        return (
            self.kiro_auth_url
            or f"https://prod.{region or self.kiro_api_region}.auth.desktop.kiro.dev"
        )

    def kiro_oidc_base(self, region: str | None = None) -> str:
        return self.kiro_oidc_url or f"https://oidc.{region or self.kiro_api_region}.amazonaws.com"

    @property
    def is_loopback(self) -> bool:
        return _is_loopback_host(self.host)

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        port: int | None = None,
        host: str | None = None,
        password: str | None = None,
        headless: bool | None = None,
        provider: str | None = None,
    ) -> Config:
        """Resolve flags (the keyword arguments) over `env` (default `os.environ`) over defaults.

        Raises:
            ConfigError: a value is malformed, or a non-loopback host has no password.
        """
        env = os.environ if env is None else env
        home = _home(env)
        state = _path(env.get("CODEX2CLAUDECODE_HOME"), home) or home / ".codex2claudecode"
        region = env.get("KIRO_API_REGION") or DEFAULT_KIRO_REGION
        cfg = cls(
            port=_port(str(port)) if port is not None else _port(env.get("PORT")),
            host=host or env.get("HOST") or DEFAULT_HOST,
            password=(password if password is not None else env.get("API_PASSWORD")) or None,
            headless=bool(headless) or _truthy(env.get("CODEX_NO_UI")),
            provider=_provider(provider or env.get("UPSTREAM_PROVIDER")),
            home=state,
            codex_auth_file=_path(env.get("CODEX_AUTH_FILE"), home),
            codex_auth_account=env.get("CODEX_AUTH_ACCOUNT") or None,
            kiro_auth_account=env.get("KIRO_AUTH_ACCOUNT") or None,
            codex_home=_path(env.get("CODEX_HOME"), home) or home / ".codex",
            chatgpt_base_url=_url(env, "CHATGPT_BASE_URL") or DEFAULT_CHATGPT_BASE_URL,
            openai_auth_url=_url(env, "OPENAI_AUTH_URL") or DEFAULT_OPENAI_AUTH_URL,
            kiro_auth_file=_path(env.get("KIRO_AUTH_FILE"), home)
            or home / ".aws" / "sso" / "cache" / "kiro-auth-token.json",
            kiro_api_region=_region(region),
            kiro_base_url=_url(env, "KIRO_BASE_URL"),
            kiro_auth_url=_url(env, "KIRO_AUTH_URL"),
            kiro_oidc_url=_url(env, "KIRO_OIDC_URL"),
            kiro_profile_file=_path(env.get("KIRO_PROFILE_FILE"), home)
            or _kiro_profile_default(env, home),
            kiro_payload_limit=_payload_limit(env),
            kiro_first_token_timeout=_seconds_from_ms(env, "KIRO_FIRST_TOKEN_TIMEOUT_MS")
            if env.get("KIRO_FIRST_TOKEN_TIMEOUT_MS")
            else 20.0,
            kiro_first_token_retries=_count(env, "KIRO_FIRST_TOKEN_MAX_RETRIES", 1),
            claude_config_dir=_path(env.get("CLAUDE_CONFIG_DIR"), home) or home / ".claude",
            proxies=Proxies(
                https=_proxy(env, "HTTPS_PROXY") or _proxy(env, "ALL_PROXY"),
                http=_proxy(env, "HTTP_PROXY") or _proxy(env, "ALL_PROXY"),
                no_proxy=tuple(
                    p.strip() for p in (_env_any(env, "NO_PROXY") or "").split(",") if p.strip()
                ),
            ),
            log_body=_switch(env, "LOG_BODY", default=True),
            stream_idle_timeout=_seconds_from_ms(env, "STREAM_IDLE_TIMEOUT_MS")
            if env.get("STREAM_IDLE_TIMEOUT_MS")
            else DEFAULT_STREAM_IDLE_TIMEOUT,
            ping_interval=_seconds(env, "CODEX2CLAUDECODE_PING_INTERVAL", DEFAULT_PING_INTERVAL),
            pool_strategy=_pool_strategy(env.get("CODEX_POOL_STRATEGY")),
            model_overrides={
                tier: env[f"CODEX_{tier.upper()}_MODEL"]
                for tier in ("opus", "sonnet", "haiku")
                if env.get(f"CODEX_{tier.upper()}_MODEL")
            },
            request_log_max_rows=int(
                _positive(env, "REQUEST_LOG_MAX_ROWS", DEFAULT_REQUEST_LOG_MAX_ROWS, whole=True)
            ),
            request_log_max_days=_positive(
                env, "REQUEST_LOG_MAX_DAYS", DEFAULT_REQUEST_LOG_MAX_DAYS
            ),
            allowed_hosts=_allowed_hosts(env.get("ALLOWED_HOSTS")),
            allowed_origins=_allowed_origins(env.get("ALLOWED_ORIGINS")),
            max_request_body_bytes=_positive_int(env, "MAX_REQUEST_BODY_BYTES")
            or DEFAULT_MAX_REQUEST_BODY_BYTES,
            max_connections=_positive_int(env, "MAX_CONNECTIONS"),
            stream_first_event_timeout=_seconds_from_ms(env, "STREAM_FIRST_EVENT_TIMEOUT_MS")
            if env.get("STREAM_FIRST_EVENT_TIMEOUT_MS")
            else DEFAULT_STREAM_FIRST_EVENT_TIMEOUT,
            stream_deadline=_seconds_from_ms(env, "STREAM_MAX_DURATION_MS")
            if env.get("STREAM_MAX_DURATION_MS")
            else DEFAULT_STREAM_DEADLINE,
        )
        if not cfg.is_loopback and not cfg.password:
            raise ConfigError(
                f"a gateway on {cfg.host} needs a password: anyone on the network could use "
                "your account. Set --password (or API_PASSWORD), or use 127.0.0.1."
            )
        return cfg

    def with_(self, **changes: object) -> Config:
        return replace(self, **changes)  # type: ignore[arg-type]  # dataclass field names


def _home(env: Mapping[str, str]) -> Path:
    if env.get("HOME"):
        return Path(env["HOME"])
    if env.get("USERPROFILE"):
        return Path(env["USERPROFILE"])
    return Path.home()


def _path(value: str | None, home: Path) -> Path | None:
    if not value:
        return None
    if value == "~" or value.startswith(("~/", "~\\")):
        return home / value[2:]
    return Path(value)


def _kiro_profile_default(env: Mapping[str, str], home: Path) -> Path:
    """Where the Kiro IDE (a VS Code build) keeps its agent's profile.json on this platform."""
    if sys.platform == "win32":
        base = _path(env.get("APPDATA"), home) or home / "AppData" / "Roaming"
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = _path(env.get("XDG_CONFIG_HOME"), home) or home / ".config"
    return base / "Kiro" / "User" / "globalStorage" / "kiro.kiroagent" / "profile.json"


def _env_any(env: Mapping[str, str], name: str) -> str | None:
    return (env.get(name) or env.get(name.lower()) or "").strip() or None


def _proxy(env: Mapping[str, str], name: str) -> str | None:
    """A proxy URL; `host:port` alone means an http proxy, as curl reads it."""
    value = _env_any(env, name)
    if value is None:
        return None
    if "://" not in value:
        value = "http://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{name} must be an http:// or https:// proxy URL, got {redact_userinfo(value)!r} "
            "(SOCKS proxies are not supported)"
        )
    return value


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _port(value: str | None) -> int:
    if not value:
        return DEFAULT_PORT
    try:
        port = int(value)
    except ValueError:
        raise ConfigError(f"PORT must be a number from 0 to 65535, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"PORT must be a number from 0 to 65535, got {value!r}")
    return port


def _provider(value: str | None) -> Provider | None:
    if not value:
        return None
    lowered = value.strip().lower()
    if lowered == "kiro":
        return "kiro"
    if lowered == "codex":
        return "codex"
    raise ConfigError(f"provider must be 'codex' or 'kiro', got {value!r}")


def _url(env: Mapping[str, str], name: str) -> str | None:
    value = (env.get(name) or "").strip()
    if not value:
        return None
    if not value.startswith(("http://", "https://")) or not urlsplit(value).hostname:
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _region(value: str) -> str:
    # The region becomes part of host names (KIRO_BASE_URL and friends): keep it a DNS label.
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]+", value):
        raise ConfigError(f"KIRO_API_REGION must be an AWS region such as us-east-1, got {value!r}")
    return value


def _payload_limit(env: Mapping[str, str]) -> int:
    raw = env.get("KIRO_PAYLOAD_SIZE_LIMIT_BYTES")
    if raw:
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if limit <= 0:
            raise ConfigError(
                f"KIRO_PAYLOAD_SIZE_LIMIT_BYTES must be a positive whole number, got {raw!r}"
            )
        return limit
    raw = env.get("KIRO_MAX_PAYLOAD_SIZE_MB")
    if raw:
        try:
            megabytes = float(raw)
        except ValueError:
            megabytes = 0.0
        if not 0 < megabytes < math.inf or int(megabytes * 1_000_000) <= 0:
            raise ConfigError(f"KIRO_MAX_PAYLOAD_SIZE_MB must be a positive number, got {raw!r}")
        return int(megabytes * 1_000_000)  # decimal megabytes, floored (spec: 1.25 → 1250000)
    return DEFAULT_KIRO_PAYLOAD_LIMIT


def _seconds_from_ms(env: Mapping[str, str], name: str) -> float:
    raw = env.get(name, "")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < math.inf:
        raise ConfigError(
            f"{name} must be a number of milliseconds (0 turns the limit off), got {raw!r}"
        )
    return value / 1000.0


def _switch(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be on or off (1/0, true/false, yes/no), got {env[name]!r}")


def _pool_strategy(value: str | None) -> PoolStrategy:
    name = (value or "sticky").strip().lower().replace("_", "-")
    for strategy in POOL_STRATEGIES:
        if name == strategy:
            return strategy
    raise ConfigError(
        f"CODEX_POOL_STRATEGY must be one of {', '.join(POOL_STRATEGIES)}, got {value!r}"
    )


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigError(f"{name} must be a whole number (0 or more), got {raw!r}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None


def _positive(env: Mapping[str, str], name: str, default: float, *, whole: bool = False) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    kind = "whole number" if whole else "number"
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = 0
    if not 0 < value < math.inf:
        raise ConfigError(f"{name} must be a positive {kind}, got {raw!r}")
    return value


def _list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _allowed_hosts(value: str | None) -> tuple[str, ...]:
    hosts = []
    for entry in _list(value):
        host = entry.lower()
        if "://" in host or "/" in host or (":" in host and not host.startswith("[")):
            raise ConfigError(
                f"ALLOWED_HOSTS lists host names without scheme or port (such as "
                f"gateway.lan or [fd00::1]), got {entry!r}"
            )
        hosts.append(host)
    return tuple(hosts)


def _allowed_origins(value: str | None) -> tuple[str, ...]:
    origins = []
    for entry in _list(value):
        origin = entry.lower().rstrip("/")
        parts = urlsplit(origin)
        if origin != "*" and (
            parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query
        ):
            raise ConfigError(
                f"ALLOWED_ORIGINS lists browser origins such as http://localhost:3000 "
                f"(scheme, host and port only), or *; got {entry!r}"
            )
        origins.append(origin)
    return tuple(origins)


def _positive_int(env: Mapping[str, str], name: str) -> int | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigError(f"{name} must be a positive whole number, got {raw!r}")
    return value


def _is_loopback_host(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
