"""Read the claims of OpenAI's JWTs (no signature check: we only hold our own tokens).

The ChatGPT account id, e-mail and plan live in the id and access tokens (spec §2.2, §2.6).
"""

from __future__ import annotations

import base64
import binascii

import orjson

AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"


def claims(token: str | None) -> dict[str, object]:
    """The payload of `token` as a dict; {} when it is not a decodable JWT."""
    if not token:
        return {}
    parts = token.split(".")
    if len(parts) < 2:
        return {}
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        decoded = orjson.loads(raw)
    except (binascii.Error, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def expiry(token: str | None) -> float | None:
    """The `exp` claim of `token` in epoch seconds, or None."""
    exp = claims(token).get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        return float(exp)
    return None


def chatgpt_account_id(id_token: str | None, access_token: str | None) -> str | None:
    """The ChatGPT account id carried by the id token, else by the access token."""
    for token in (id_token, access_token):
        found = _account_id(claims(token))
        if found:
            return found
    return None


def email(id_token: str | None, access_token: str | None) -> str | None:
    """The user's e-mail from the id token, else from the access token."""
    for token in (id_token, access_token):
        payload = claims(token)
        found = _str(payload.get("email")) or _str(_obj(payload.get(PROFILE_CLAIM)).get("email"))
        if found:
            return found
    return None


def plan(id_token: str | None, access_token: str | None) -> str | None:
    """The ChatGPT plan (`plus`, `pro`, ...) from the id token, else from the access token."""
    for token in (id_token, access_token):
        found = _str(_obj(claims(token).get(AUTH_CLAIM)).get("chatgpt_plan_type"))
        if found:
            return found
    return None


def _account_id(payload: dict[str, object]) -> str | None:
    found = _str(_obj(payload.get(AUTH_CLAIM)).get("chatgpt_account_id")) or _str(
        payload.get("chatgpt_account_id")
    )
    if found:
        return found
    orgs = payload.get("organizations")
    if isinstance(orgs, list) and orgs:
        return _str(_obj(orgs[0]).get("id"))
    return None


def _obj(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
