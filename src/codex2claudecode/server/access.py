"""Who may reach the gateway from a browser: the `Host` it answers to, and allowed `Origin`s.

A web page the user merely visits can send requests to a loopback port; it cannot choose the
`Origin` header its browser sends, nor (short of DNS rebinding, which shows in `Host`) the host
name. Real API clients (Claude Code, the SDKs, curl) send no `Origin` at all, so refusing
foreign origins and unknown hosts costs them nothing. CORS headers go out only to an origin the
user listed in ALLOWED_ORIGINS, as Ollama does with OLLAMA_ORIGINS.
"""

from __future__ import annotations

import ipaddress

from codex2claudecode import errors
from codex2claudecode.asgi import Headers
from codex2claudecode.config import Config

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_WILDCARD_BINDS = ("0.0.0.0", "::", "[::]", "")
_EXPOSED = b"request-id, retry-after"


class AccessPolicy:
    """The Host and Origin rules for one listener, checked with set lookups per request."""

    __slots__ = ("_any_ip", "_any_origin", "_hosts", "_known", "_origins")

    def __init__(self, config: Config) -> None:
        bound = config.host.lower()
        if ":" in bound and not bound.startswith("["):
            bound = f"[{bound}]"
        names = {*_LOOPBACK_NAMES, *config.allowed_hosts}
        if bound not in _WILDCARD_BINDS:
            names.add(bound)
        self._hosts = frozenset(name.encode() for name in names)
        # Bound to every interface, the listener answers to each address of the machine; an
        # address literal cannot be rebound, so any is fine, while names must be listed.
        self._any_ip = bound in _WILDCARD_BINDS
        self._origins = frozenset(o.encode() for o in config.allowed_origins if o != "*")
        self._any_origin = "*" in config.allowed_origins
        self._known: dict[bytes, bool] = {}
        """Host header values already judged (a client repeats the same one)."""

    def host_allowed(self, host: bytes | None) -> bool:
        """Whether this listener answers to the `Host` header value (absent: HTTP/1.0)."""
        if host is None:
            return True
        known = self._known.get(host)
        if known is None:
            known = self._judge_host(host)
            if len(self._known) < 64:
                self._known[host] = known
        return known

    def origin_allowed(self, origin: bytes) -> bool:
        return self._any_origin or origin.lower() in self._origins

    def _judge_host(self, host: bytes) -> bool:
        name = _without_port(host.lower())
        if name in self._hosts:
            return True
        if not self._any_ip:
            return False
        try:
            ipaddress.ip_address(name.decode("ascii").strip("[]"))
        except (UnicodeDecodeError, ValueError):
            return False
        return True


def host_refusal(host: bytes) -> errors.PermissionDenied:
    shown = host.decode("latin-1")[:100]
    return errors.PermissionDenied(
        f"this gateway does not answer to the host name {shown!r}: only localhost, 127.0.0.1, "
        f"[::1] and the address it listens on are allowed (a page using another name may be a "
        f"DNS-rebinding attack). To reach it by another name, list it in ALLOWED_HOSTS."
    )


def origin_refusal(origin: bytes) -> errors.PermissionDenied:
    shown = origin.decode("latin-1")[:200]
    return errors.PermissionDenied(
        f"requests from web pages are refused (Origin {shown!r}): a page you visit must not be "
        f"able to use your account. To allow a web app, list its origin in ALLOWED_ORIGINS."
    )


def cors_headers(origin: bytes) -> Headers:
    """The CORS headers on a response to an allowed origin."""
    return [
        (b"access-control-allow-origin", origin),
        (b"access-control-expose-headers", _EXPOSED),
        (b"vary", b"origin"),
    ]


def preflight_headers(origin: bytes, requested: bytes | None) -> Headers:
    """The answer to an allowed origin's preflight; the requested headers are echoed because
    a wildcard never covers `Authorization` (Fetch standard, CORS-preflight fetch)."""
    return [
        *cors_headers(origin),
        (b"access-control-allow-methods", b"GET, POST, HEAD, OPTIONS"),
        (b"access-control-allow-headers", requested or b"content-type"),
        (b"access-control-max-age", b"600"),
    ]


def _without_port(host: bytes) -> bytes:
    if host.startswith(b"["):
        end = host.find(b"]")
        return host[: end + 1] if end > 0 else host
    name, colon, port = host.rpartition(b":")
    return name if colon and port.isdigit() else host
