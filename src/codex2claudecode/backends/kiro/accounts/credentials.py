"""Kiro credentials and the entries of the token files that hold them (original-kiro §2.1-2.5,
kiro-2026-update §2). Pure functions over parsed JSON: the store reads and writes the files;
these name and match entries, tell their login kind, and turn them into `KiroCredentials`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

AuthKind = Literal["social", "idc", "builder_id", "external_idp"]
"""How the account signed in: Kiro's own social login (Google, GitHub), AWS IAM Identity Center,
AWS Builder ID (both refreshed at AWS SSO OIDC), or an external identity provider (Entra, Okta)."""

AUTH_KINDS: tuple[AuthKind, ...] = ("social", "idc", "builder_id", "external_idp")
REQUIRED_FIELDS = ("accessToken", "refreshToken", "expiresAt")
SOURCE_FIELDS = ("sourceAuthFile", "sourceAccountIndex", "sourceAccountKey")
"""Our link from a managed entry to the IDE file it was imported from; never written there."""

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
_ARN_REGION = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d+):")
_WHITESPACE = re.compile(r"\s+")
_KEY_FIELDS = ("accountId", "profileArn", "email", "label", "name", "clientIdHash")


class InvalidEntry(ValueError):
    """An entry of a Kiro token file cannot be used; the message says why (no secret in it)."""


@dataclass(frozen=True, slots=True)
class KiroCredentials:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    """When the access token expires, in epoch seconds; 0 when the file does not say (a
    missing or unparsable `expiresAt` counts as expired, spec §2.5)."""
    kind: AuthKind
    region: str
    """The login's AWS region: where its token endpoint is (not the API region)."""
    profile_arn: str | None
    """The CodeWhisperer profile to send upstream; None when none is known (Builder ID has
    none). Never invented: from the entry, a refresh answer or the IDE's profile.json."""
    key: str
    """The entry's key (spec §2.3): accountId, profileArn, email, label, name, clientIdHash,
    else `{region}:account-{n}`."""
    client_id: str | None = None
    """The OIDC client registration (IdC, Builder ID) or the external IdP's client id."""
    client_secret: str | None = field(default=None, repr=False)
    token_endpoint: str | None = None
    """The external IdP's token endpoint."""
    scopes: tuple[str, ...] = ()
    label: str | None = None
    email: str | None = None
    name: str = ""
    """The account's short name for people (`names`); the key when it has none."""

    @property
    def is_external_idp(self) -> bool:
        """Whether upstream requests carry `TokenType: EXTERNAL_IDP` (kiro-2026-update §2)."""
        return self.kind == "external_idp"

    @property
    def arn_region(self) -> str | None:
        """The region of the profile ARN: the API region this account must use, if known."""
        found = _ARN_REGION.match(self.profile_arn or "")
        return found.group(1) if found else None


def is_region(value: str) -> bool:
    """Whether `value` looks like an AWS region (`us-east-1`); it becomes part of host names."""
    return _REGION.fullmatch(value) is not None


def clean_token(value: object) -> str | None:
    """A pasted token without surrounding quotes or any whitespace (spec §2.8 manual connect)."""
    if not isinstance(value, str):
        return None
    token = value.strip()
    if token[:1] in ("'", '"'):
        token = token[1:]
    if token[-1:] in ("'", '"'):
        token = token[:-1]
    return _WHITESPACE.sub("", token) or None


def parse_expiry(value: object) -> float:
    """`expiresAt` as epoch seconds: an ISO-8601 string (the IDE's), or epoch milliseconds.

    Anything else gives 0: treated as expired, so the first use refreshes (spec §2.5).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1000 if math.isfinite(value) else 0.0
    if not isinstance(value, str):
        return 0.0
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def format_expiry(epoch: float) -> str:
    """Epoch seconds as the IDE writes `expiresAt`: `2025-01-01T00:00:00.000Z`."""
    moment = datetime.fromtimestamp(max(epoch, 0.0), UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entry_key(entry: dict[str, object], index: int) -> str:
    """The entry's key (spec §2.3)."""
    for name in _KEY_FIELDS:
        value = text(entry.get(name))
        if value:
            return value
    return f"{text(entry.get('region')) or 'unknown'}:account-{index + 1}"


def entry_aliases(entry: dict[str, object], index: int) -> set[str]:
    """Every name a selector (KIRO_AUTH_ACCOUNT, `accounts use`) may give the entry (§2.3)."""
    names = {
        entry_key(entry, index),
        f"{text(entry.get('region')) or 'unknown'}:account-{index + 1}",
    }
    names.update(v for name in _KEY_FIELDS if (v := text(entry.get(name))))
    return names


def entry_kind(entry: dict[str, object], registration: dict[str, object] | None) -> AuthKind:
    """How the entry's account signed in (spec §2.4, kiro-2026-update §2).

    `registration` is the OIDC client registration (`<clientIdHash>.json`) if one was found.
    """
    method = (text(entry.get("authMethod")) or "").lower().replace("-", "_")
    if method == "external_idp":
        return "external_idp"
    has_client = _client_pair(entry) is not None or _client_pair(registration or {}) is not None
    if has_client or method == "idc":
        provider = (text(entry.get("provider")) or "").lower().replace("_", "").replace(" ", "")
        return "builder_id" if provider == "builderid" else "idc"
    return "social"


def entry_credentials(
    entry: dict[str, object],
    index: int,
    *,
    registration: dict[str, object] | None = None,
    profile_arn: str | None = None,
    default_region: str | None = None,
) -> KiroCredentials:
    """The credentials of the `index`th entry of a Kiro token file.

    Args:
        registration: the `<clientIdHash>.json` OIDC client registration beside the token
            cache, used when the entry has no client id and secret of its own.
        profile_arn: the IDE's profile.json ARN, used for IdC and external-IdP entries that
            carry none.
        default_region: for an external-IdP entry without a region (its refresh needs none).

    Raises:
        InvalidEntry: a required field is missing, or the region is not an AWS region.
    """
    key = entry_key(entry, index)
    for name in REQUIRED_FIELDS:
        if not isinstance(entry.get(name), str | int | float) or entry.get(name) == "":
            raise InvalidEntry(f"missing string field {name}")
    access, refresh = clean_token(entry["accessToken"]), clean_token(entry["refreshToken"])
    if not access or not refresh:
        missing = "accessToken" if not access else "refreshToken"
        raise InvalidEntry(f"missing string field {missing}")
    kind = entry_kind(entry, registration)
    own_arn = text(entry.get("profileArn"))
    arn = own_arn or (profile_arn if kind in ("idc", "external_idp") else None)
    region = text(entry.get("region")) or (default_region if kind == "external_idp" else None)
    if region is None:
        raise InvalidEntry("missing string field region")
    if not is_region(region):
        raise InvalidEntry("invalid AWS region")
    client = _client_pair(entry) or _client_pair(registration or {})
    client_id, client_secret = client if client else (text(entry.get("clientId")), None)
    return KiroCredentials(
        access_token=access,
        refresh_token=refresh,
        expires_at=parse_expiry(entry.get("expiresAt")),
        kind=kind,
        region=region,
        profile_arn=arn,
        key=key,
        client_id=client_id,
        client_secret=client_secret if kind in ("idc", "builder_id") else None,
        token_endpoint=text(entry.get("tokenEndpoint")),
        scopes=_scopes(entry.get("scopes")),
        label=text(entry.get("label")) or text(entry.get("name")),
        email=text(entry.get("email")),
        name=key,
    )


def merged_entry(entry: dict[str, object], creds: KiroCredentials) -> dict[str, object]:
    """A copy of `entry` holding the tokens of `creds` (spec §2.7); its other fields are kept.

    The profile ARN is written when the entry had one or the login is social (its ARN comes
    from the refresh answer), so an ARN read from the IDE's profile.json stays out of files
    that had none.
    """
    merged = dict(entry)
    merged["accessToken"] = creds.access_token
    merged["refreshToken"] = creds.refresh_token
    merged["expiresAt"] = format_expiry(creds.expires_at)
    if creds.profile_arn and ("profileArn" in entry or creds.kind == "social"):
        merged["profileArn"] = creds.profile_arn
    merged.pop("needsLogin", None)
    return merged


def text(value: object) -> str | None:
    """`value` if it is a non-blank string, else None."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def _client_pair(entry: dict[str, object]) -> tuple[str, str] | None:
    client_id, secret = text(entry.get("clientId")), text(entry.get("clientSecret"))
    return (client_id, secret) if client_id and secret else None


def _scopes(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(s for s in value if isinstance(s, str) and s)
    return ()
