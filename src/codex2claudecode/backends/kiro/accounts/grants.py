"""The three Kiro refresh grants on the wire (original-kiro §2.6, kiro-2026-update §2), as
pure functions: the request for an account's login kind, the credentials in a successful
answer, and what a refusal means.

- social: POST `{KIRO_AUTH_URL}/refreshToken`, JSON `{"refreshToken"}`, camelCase answer that
  may carry a new `profileArn`;
- IdC and Builder ID: POST `{KIRO_OIDC_URL}/token`, camelCase JSON with clientId, clientSecret,
  grantType and refreshToken (AWS SSO OIDC CreateToken), camelCase answer;
- external IdP: POST to the login's own token endpoint, form-encoded RFC 6749 refresh grant
  without a client secret, snake_case answer.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from typing import assert_never
from urllib.parse import urlencode, urlsplit

import orjson

from codex2claudecode.backends.kiro.accounts.credentials import KiroCredentials, text
from codex2claudecode.errors import (
    AuthenticationFailed,
    GatewayError,
    UpstreamFailed,
    UpstreamUnavailable,
)

DEFAULT_LIFETIME = 3600.0
"""Seconds an access token is taken to live when the answer has no `expiresIn`."""
RELOGIN = (
    "Sign in again with the Kiro IDE, then run `codex2claudecode accounts import --provider "
    "kiro` (a running gateway picks up the new login by itself)."
)
_RELOGIN_CODES = {
    "invalidgrant": "the token server rejected its refresh token",
    "expiredtoken": "its refresh token has expired",
    "invalidtoken": "the token server rejected its refresh token",
    "invalidclient": "its client registration is no longer valid (they expire after a while)",
    "unauthorizedclient": "its client registration is not allowed to refresh",
    "accessdenied": "the token server denied the refresh",
}
_WHAT = {
    "social": "Kiro Desktop Auth",
    "idc": "Kiro SSO OIDC",
    "builder_id": "Kiro SSO OIDC",
    "external_idp": "Kiro external identity provider",
}


@dataclass(frozen=True, slots=True)
class GrantRequest:
    url: str
    body: bytes
    headers: dict[str, str]


def grant_request(
    creds: KiroCredentials, *, auth_base: str, oidc_base: str, user_agent: str
) -> GrantRequest:
    """The refresh request for `creds`' login kind.

    Args:
        auth_base: the social-login host for the login's region (KIRO_AUTH_URL).
        oidc_base: the AWS SSO OIDC host for the login's region (KIRO_OIDC_URL).
        user_agent: `KiroIDE-{version}-{machine id}`, sent on social refreshes.

    Raises:
        AuthenticationFailed: the login lacks what its refresh needs (a client registration,
            a token endpoint), so only a new login helps.
    """
    json_type = {"Content-Type": "application/json", "Accept": "application/json"}
    match creds.kind:
        case "social":
            body = orjson.dumps({"refreshToken": creds.refresh_token})
            return GrantRequest(
                f"{auth_base}/refreshToken", body, {**json_type, "User-Agent": user_agent}
            )
        case "idc" | "builder_id":
            if not creds.client_id or not creds.client_secret:
                raise _relogin(
                    creds,
                    "its AWS SSO client registration (the <clientIdHash>.json file beside the "
                    "Kiro token cache) is missing or incomplete",
                )
            payload = {
                "clientId": creds.client_id,
                "clientSecret": creds.client_secret,
                "grantType": "refresh_token",
                "refreshToken": creds.refresh_token,
            }
            return GrantRequest(f"{oidc_base}/token", orjson.dumps(payload), json_type)
        case "external_idp":
            endpoint = creds.token_endpoint
            if not endpoint or not creds.client_id or not _safe_endpoint(endpoint):
                raise _relogin(
                    creds, "its token cache names no usable https tokenEndpoint and clientId"
                )
            form = {
                "grant_type": "refresh_token",
                "client_id": creds.client_id,
                "refresh_token": creds.refresh_token,
            }
            if creds.scopes:  # RFC 6749 §6: optional; some providers (Entra v2) want it
                form["scope"] = " ".join(creds.scopes)
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            }
            return GrantRequest(endpoint, urlencode(form).encode(), headers)
        case _:
            assert_never(creds.kind)


def refreshed_credentials(creds: KiroCredentials, body: bytes, *, now: float) -> KiroCredentials:
    """The credentials in a successful refresh answer; a missing refresh token keeps the old
    one (spec §2.6 [rec]), and a social answer's `profileArn` replaces the stored one.

    Raises:
        UpstreamFailed: the answer holds no access token.
    """
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = None
    snake = creds.kind == "external_idp"
    fields = ("access_token", "refresh_token", "expires_in") if snake else (
        "accessToken", "refreshToken", "expiresIn"
    )  # fmt: skip
    answer = payload if isinstance(payload, dict) else {}
    access = text(answer.get(fields[0]))
    if access is None:
        raise UpstreamFailed(
            f"The {_WHAT[creds.kind]} token endpoint answered without an access token."
        )
    lifetime = answer.get(fields[2])
    if isinstance(lifetime, str) and lifetime.isdigit():
        lifetime = int(lifetime)
    if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
        lifetime = DEFAULT_LIFETIME
    arn = text(answer.get("profileArn")) if creds.kind == "social" else None
    return replace(
        creds,
        access_token=access,
        refresh_token=text(answer.get(fields[1])) or creds.refresh_token,
        expires_at=now + float(lifetime),
        profile_arn=arn or creds.profile_arn,
    )


def grant_error(creds: KiroCredentials, status: int, body: bytes) -> GatewayError:
    """What a refused refresh means: a new login (`AuthenticationFailed`), a passing failure
    (`UpstreamUnavailable`: 429, 5xx) or another failure (`UpstreamFailed`). Tokens echoed in
    the body are redacted."""
    code, detail = _error_fields(body)
    for secret in (creds.refresh_token, creds.access_token, creds.client_secret):
        if secret:
            detail = detail.replace(secret, "[redacted]")
    normalized = re.sub(r"[^a-z]", "", (code or "").rsplit("#", 1)[-1].lower())
    normalized = normalized.removesuffix("exception")
    if status in (400, 401, 403) and normalized in _RELOGIN_CODES:
        return _relogin(creds, _RELOGIN_CODES[normalized])
    if status in (400, 401) and "invalid refresh token" in detail.lower():
        return _relogin(creds, "the token server rejected its refresh token")
    if status == 401:
        return _relogin(creds, "the token server refused its refresh token (HTTP 401)")
    message = f"{_WHAT[creds.kind]} refresh failed: HTTP {status}" + (
        f" ({detail})" if detail else ""
    )
    if status == 429 or status >= 500:
        return UpstreamUnavailable(message + "; try again in a minute.")
    return UpstreamFailed(message + ".")


def _relogin(creds: KiroCredentials, reason: str) -> AuthenticationFailed:
    return AuthenticationFailed(
        f"The Kiro login for account {creds.key} needs to be renewed: {reason}. {RELOGIN}"
    )


def _error_fields(body: bytes) -> tuple[str | None, str]:
    """The error code and a short description of an OAuth, AWS or Kiro error body."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None, body[:200].decode("utf-8", "replace").strip()
    if not isinstance(payload, dict):
        return None, ""
    error = payload.get("error")
    if isinstance(error, dict):
        code = text(error.get("code")) or text(error.get("type"))
        detail = text(error.get("message"))
    else:
        code = text(error) or text(payload.get("__type")) or text(payload.get("code"))
        code = code or text(payload.get("reason"))
        detail = text(payload.get("error_description")) or text(payload.get("message"))
    return code, (detail or code or "")[:200]


def _safe_endpoint(url: str) -> bool:
    # The refresh token goes there: https only, plain http to this machine (tests, tunnels).
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False
