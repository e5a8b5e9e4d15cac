"""Both providers' accounts behind one face for the screens: rows to list, connect, switch.

The work is done by the account stores the `accounts` and `login` commands use
(`backends/<provider>/accounts/`); this module only picks the provider's store and turns its
summaries into rows. Store calls read and write small files: callers run them off the UI
thread (`tui.blocking.off_loop`). The sign-in flows that need the network are coroutines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import assert_never

from codex2claudecode.backends.codex.accounts.credentials import clean_token
from codex2claudecode.backends.codex.accounts.pasted import add_pasted
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.backends.kiro.accounts.credentials import format_expiry, is_region
from codex2claudecode.backends.kiro.accounts.store import KiroAccountStore
from codex2claudecode.config import Config, Provider
from codex2claudecode.errors import InvalidRequest


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One account as the account list shows it; holds no secret."""

    key: str
    name: str
    """What the user knows the account by: Codex, its e-mail else key; Kiro, its short name
    (label, e-mail, else made from its login, region and key)."""
    plan: str
    """Codex: the ChatGPT plan; Kiro: the login kind and region."""
    state: str
    active: bool
    problem: str | None


@dataclass(frozen=True, slots=True)
class Field:
    """One input of the manual connect form."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    default: str = ""


MANUAL_FIELDS: Mapping[Provider, tuple[Field, ...]] = {
    "codex": (
        Field("refresh_token", "Refresh token", secret=True),
        Field("account_id", "Account id", required=False),
    ),
    "kiro": (
        Field("access_token", "Access token", secret=True),
        Field("refresh_token", "Refresh token", secret=True),
        Field("region", "Region", default="us-east-1"),
        Field("label", "Label", required=False),
        Field("profile_arn", "Profile ARN", required=False),
        Field("client_id", "OIDC client id (IAM Identity Center only)", required=False),
        Field(
            "client_secret",
            "OIDC client secret (IAM Identity Center only)",
            secret=True,
            required=False,
        ),
    ),
}


def import_source(config: Config, provider: Provider) -> str:
    """Where `import_login` reads from, for the menu."""
    match provider:
        case "codex":
            return f"the Codex CLI ({config.codex_cli_auth_path})"
        case "kiro":
            return f"the Kiro IDE ({KiroAccountStore.from_config(config).ide_path})"
        case _:
            assert_never(provider)


def rows(config: Config, provider: Provider, now: float) -> list[AccountRow]:
    """Every account of `provider`, in file order."""
    match provider:
        case "codex":
            return [
                AccountRow(
                    key=s.key,
                    name=s.email or s.name or s.key,
                    plan=s.plan or "-",
                    state=s.state(now),
                    active=s.active,
                    problem=s.problem,
                )
                for s in CodexAccountStore.from_config(config).summaries()
            ]
        case "kiro":
            return [
                AccountRow(
                    key=s.key,
                    name=s.name or s.key,
                    plan=" · ".join(x for x in (s.kind, s.region) if x) or "-",
                    state=s.state(now),
                    active=s.active,
                    problem=s.problem,
                )
                for s in KiroAccountStore.from_config(config).summaries()
            ]
        case _:
            assert_never(provider)


def import_login(config: Config, provider: Provider) -> str:
    """Adopt the Codex CLI's or Kiro IDE's login as the active account; says what happened.

    Raises:
        NoAccount: there is no login to import; OSError: the files cannot be written.
    """
    match provider:
        case "codex":
            saved = CodexAccountStore.from_config(config).import_codex_cli()
            return f"Imported {saved.email or saved.key}; it is now the active Codex account."
        case "kiro":
            kiro = KiroAccountStore.from_config(config).import_ide()
            return f"Imported {kiro.name}; it is now the active Kiro account."
        case _:
            assert_never(provider)


def use(config: Config, provider: Provider, key: str) -> str:
    """Make `key` the active account; the next request runs on it. Returns its key."""
    match provider:
        case "codex":
            return CodexAccountStore.from_config(config).set_active(key)
        case "kiro":
            return KiroAccountStore.from_config(config).set_active(key)
        case _:
            assert_never(provider)


def override_note(config: Config, provider: Provider, key: str, name: str = "") -> str | None:
    """Why choosing `key` (called `name`) changes nothing: an environment variable picks
    another account."""
    chosen = config.codex_auth_account if provider == "codex" else config.kiro_auth_account
    if chosen and chosen not in (key, name):
        variable = "CODEX_AUTH_ACCOUNT" if provider == "codex" else "KIRO_AUTH_ACCOUNT"
        return f"{variable}={chosen} is set and takes precedence; unset it to use {name or key}."
    return None


async def add_codex_tokens(config: Config, values: Mapping[str, str]) -> str:
    """Add a Codex account from a pasted refresh token, checked by spending it once.

    Raises:
        InvalidRequest: a field is missing; AuthenticationFailed: the token was refused;
        OSError: the state directory takes no files (nothing spent), or the new login could
            not be saved (its message names the rescue file).
    """
    refresh = clean_token(values.get("refresh_token", ""))
    if not refresh:
        raise InvalidRequest("The refresh token is required.")
    chosen = clean_token(values.get("account_id", "")) or None
    saved = await add_pasted(config, refresh, account_id=chosen, access_token=None)
    return f"Added {saved.email or saved.key}; it is now the active Codex account."


def add_kiro_tokens(config: Config, values: Mapping[str, str]) -> str:
    """Add a Kiro account from pasted tokens: a social login, or an IAM Identity Center one
    when its OIDC client id and secret are given too; checked on first use.

    Raises:
        InvalidRequest: a field is missing or the region is not an AWS region.
    """
    access = clean_token(values.get("access_token", ""))
    refresh = clean_token(values.get("refresh_token", ""))
    region = values.get("region", "").strip().strip("'\"")
    if not access or not refresh:
        raise InvalidRequest("Both the access token and the refresh token are required.")
    if not is_region(region):
        raise InvalidRequest(f"The region must be an AWS region such as us-east-1, not {region!r}.")
    client_id = clean_token(values.get("client_id", ""))
    client_secret = clean_token(values.get("client_secret", ""))
    if bool(client_id) != bool(client_secret):
        raise InvalidRequest(
            "An IAM Identity Center login needs both the OIDC client id and its secret; "
            "leave both empty for a social login."
        )
    entry: dict[str, object] = {
        "accessToken": access,
        "refreshToken": refresh,
        # Expired on purpose: the first use refreshes, and so checks, the tokens.
        "expiresAt": format_expiry(0),
        "region": region,
        "authMethod": "IdC" if client_id else "social",
    }
    if client_id:
        entry.update(clientId=client_id, clientSecret=client_secret)
    for name, key in (("label", "label"), ("profile_arn", "profileArn")):
        value = values.get(name, "").strip().strip("'\"")
        if value:
            entry[key] = value
    saved = KiroAccountStore.from_config(config).upsert(entry)
    return f"Added {saved.name}; it is now the active Kiro account."
