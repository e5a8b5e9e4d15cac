"""The gateway's error tree; each frontend renders these in its own dialect.

    GatewayError (500)
    ├── InvalidRequest (400)            bad client input; `param` names the field path
    │   └── ContextTooLong (400)        the prompt exceeds the model's window
    ├── AuthenticationFailed (401)      gateway password wrong, or upstream rejected our token
    ├── PermissionDenied (403)
    ├── NotFound (404)
    ├── RequestTooLarge (413)
    ├── RateLimited (429)               carries `retry_after` seconds
    ├── NoAccount (503)                 no usable credentials are configured
    ├── UpstreamUnavailable (529)       upstream overloaded: it answered, asking us to wait
    ├── UpstreamUnreachable (502)       no connection: DNS, refused, TLS, proxy, connect timeout
    └── UpstreamFailed (502)            upstream broke: bad status, cut stream, idle timeout

An error holds data, never a dialect's JSON. `status` is the HTTP status to answer with.
"""

from __future__ import annotations

from typing import ClassVar, Self


class GatewayError(Exception):
    status: ClassVar[int] = 500
    account: str | None = None
    """The account the upstream refused with, when one was used (for the request log)."""
    upstream_status: int | None = None
    """The upstream's HTTP status, when it answered one (for the request log)."""
    upstream: object | None = None
    """The exchange the upstream refused, an `ir.UpstreamExchange` (for the request log's
    detail view). Typed loosely: `errors` and `ir` are independent siblings in the layers."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status  # type: ignore[misc]  # per-instance override of the class default

    def restating(self, other: GatewayError) -> Self:
        """This error, naming the account and upstream answer of `other`, which it restates in
        other words (a refusal retold with its reset time, say)."""
        self.account = other.account
        self.upstream_status = other.upstream_status
        self.upstream = other.upstream
        return self


class InvalidRequest(GatewayError):
    status: ClassVar[int] = 400

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class ContextTooLong(InvalidRequest):
    """The conversation does not fit; clients such as Claude Code compact on this."""

    def __init__(
        self,
        message: str,
        *,
        tokens: int | None = None,
        limit: int | None = None,
        approximate: bool = False,
    ):
        super().__init__(message)
        self.tokens = tokens
        self.limit = limit
        self.approximate = approximate
        """`tokens` is the gateway's own count (or raised to just above `limit`), not the
        upstream's: say "about"."""


class AuthenticationFailed(GatewayError):
    status: ClassVar[int] = 401


class PermissionDenied(GatewayError):
    status: ClassVar[int] = 403


class NotFound(GatewayError):
    status: ClassVar[int] = 404


class RequestTooLarge(GatewayError):
    status: ClassVar[int] = 413


class RateLimited(GatewayError):
    status: ClassVar[int] = 429

    def __init__(
        self,
        message: str,
        *,
        retry_after: int | None = None,
        resets_at: float | None = None,
        usage_limit: bool = True,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.resets_at = resets_at
        """When the limit lifts, in epoch seconds, if known."""
        self.usage_limit = usage_limit
        """The account's usage quota is spent (False: too many requests for a moment, which the
        message, the upstream's own, says)."""


class NoAccount(GatewayError):
    status: ClassVar[int] = 503


class UpstreamUnavailable(GatewayError):
    status: ClassVar[int] = 529

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds the upstream asked us to wait (its `retry-after`), if it said."""


class UpstreamFailed(GatewayError):
    status: ClassVar[int] = 502


class UpstreamUnreachable(GatewayError):
    """No connection to the upstream at all: the network, DNS, TLS or a proxy, not overload."""

    status: ClassVar[int] = 502


class ShuttingDown(GatewayError):
    """The gateway stopped before this request could finish (its graceful shutdown ran out)."""

    status: ClassVar[int] = 503

    def __init__(self) -> None:
        super().__init__(
            "the gateway is shutting down and could not finish this request; retry once it is "
            "running again"
        )
