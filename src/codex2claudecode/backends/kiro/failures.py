"""Kiro HTTP errors -> the gateway's errors, plus what the account pool should do about them.

401/403: the token (refresh once, then sign in again). 429 is three different things (update
§5): a request rate (cool down briefly), spent credits (cool the account down until its reset)
and INSUFFICIENT_MODEL_CAPACITY (transient, per model: 529). 400 goes to the linter's
`explain_rejection`. 5xx: Kiro's side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from codex2claudecode import errors
from codex2claudecode.backends.kiro.lint import explain_rejection, redact
from codex2claudecode.backends.kiro.models import KiroModel
from codex2claudecode.backends.kiro.turns import Json

Cooldown = Literal["rate", "credits", "capacity"]
_CREDITS = (
    "throttled by the service",
    "monthly_request_count",
    "daily_request_count",
    "overage_request_limit_exceeded",
    "conversation_limit_exceeded",
    "reached the limit",
)
_LIMIT_NAMES = {
    "monthly_request_count": "the monthly request (credit) limit",
    "daily_request_count": "the daily request limit",
    "overage_request_limit_exceeded": "the overage limit",
    "conversation_limit_exceeded": "the conversation limit",
    "user_request_rate_exceeded": "the request rate limit",
}


@dataclass(frozen=True, slots=True)
class Failure:
    error: errors.GatewayError
    cooldown: Cooldown | None = None
    """What the pool should cool down: the account (`rate`, `credits`) or account+model."""
    limit: str | None = None
    """Which limit was hit, in words (`the monthly request (credit) limit`), when known."""
    retry_after: int | None = None
    """Kiro's own `retry-after` (seconds), when it sent one. Spent credits keep it here, not on
    the error: the account rests until its reset, and the client is told what Kiro said only
    when the reset is not known."""


def classify(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    payload: Json | None = None,
    model: KiroModel | None = None,
) -> Failure:
    """The failure for a non-2xx Kiro answer; `headers` keys are lower-case."""
    text = body.decode("utf-8", "replace")
    lowered = text.lower()
    detail = redact(text)
    if status in (400, 422):
        return Failure(explain_rejection(body, payload=payload, model=model))
    if "insufficient_model_capacity" in lowered or "high volume of traffic" in lowered:
        name = model.id if model else "this model"
        return Failure(
            errors.UpstreamUnavailable(
                f"Kiro has no capacity for {name} right now (high volume of traffic); retry "
                f"shortly or pick another model. Kiro said: {detail}",
                retry_after=_retry_after(headers),
            ),
            cooldown="capacity",
        )
    if status == 429:
        return _throttled(headers, lowered, detail)
    if status == 401:
        return Failure(errors.AuthenticationFailed(_SIGN_IN.format(status=status, detail=detail)))
    if status == 403:
        return Failure(errors.PermissionDenied(_SIGN_IN.format(status=status, detail=detail)))
    if status == 404:
        return Failure(errors.NotFound(f"Kiro answered 404: {detail}"))
    if status == 413:
        return Failure(errors.RequestTooLarge(f"Kiro says the request is too large: {detail}"))
    if status in (502, 503, 504):
        return Failure(
            errors.UpstreamUnavailable(
                f"Kiro is unavailable ({status}); retry later. {detail}",
                retry_after=_retry_after(headers),
            )
        )
    return Failure(
        errors.UpstreamFailed(f"Kiro failed with HTTP {status}; retry later. Kiro said: {detail}")
    )


_SIGN_IN = (
    "Kiro refused the account's access token ({status}) even after a refresh; sign in to Kiro "
    "again (Kiro IDE or kiro-cli), then run `codex2claudecode accounts import --provider kiro`. "
    "Kiro said: {detail}"
)


def _throttled(headers: Mapping[str, str], lowered: str, detail: str) -> Failure:
    limit = next((words for code, words in _LIMIT_NAMES.items() if code in lowered), None)
    if any(marker in lowered for marker in _CREDITS):
        which = limit or "the monthly credits"
        return Failure(
            errors.RateLimited(
                f"This Kiro account has used up {which}; wait for its reset or switch account. "
                f"Kiro said: {detail}"
            ),
            cooldown="credits",
            limit=which,
            retry_after=_retry_after(headers),
        )
    which = limit or "the request rate limit"
    return Failure(
        errors.RateLimited(
            f"Kiro is throttling this account ({which}); slow down and retry. Kiro said: {detail}",
            retry_after=_retry_after(headers),
        ),
        cooldown="rate",
        limit=which,
    )


def _retry_after(headers: Mapping[str, str]) -> int | None:
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0, int(float(raw)))
    except ValueError:
        return None
