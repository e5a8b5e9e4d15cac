"""`codex2claudecode accounts list|import|add|use|remove --provider kiro`: the Kiro accounts.

`accounts` manages the provider `--provider` names after the action; without it, the provider
the gateway serves (`codex2claudecode --provider`, UPSTREAM_PROVIDER, else the last one chosen,
else Codex). The Codex actions stay in `commands.accounts`; this module adds the Kiro options to
the same parsers and runs the Kiro side.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo

from codex2claudecode.backends.kiro.accounts.credentials import (
    KiroCredentials,
    clean_token,
    format_expiry,
    is_region,
)
from codex2claudecode.backends.kiro.accounts.store import KiroAccountStore
from codex2claudecode.backends.kiro.accounts.summary import KiroAccountSummary
from codex2claudecode.config import Config
from codex2claudecode.errors import GatewayError, InvalidRequest
from codex2claudecode.provider_config import chosen_provider

_KIRO_ONLY = (
    "label", "region", "profile_arn", "kind", "client_id", "client_secret", "token_endpoint",
    "scopes",
)  # fmt: skip
_METHODS: Mapping[str, dict[str, str]] = {
    "social": {"authMethod": "social"},
    "idc": {"authMethod": "IdC", "provider": "Enterprise"},
    "builder_id": {"authMethod": "IdC", "provider": "BuilderId"},
    "external_idp": {"authMethod": "external_idp"},
}
"""How the Kiro IDE records each login kind in its token cache."""


def wanted(args: argparse.Namespace, config: Config) -> bool:
    """Whether this `accounts` run is about Kiro accounts."""
    provider = getattr(args, "accounts_provider", None) or chosen_provider(config)
    return provider == "kiro"


def codex_misuse(args: argparse.Namespace) -> str | None:
    """The complaint when Kiro-only options are given to a Codex `accounts` action."""
    given = [name for name in _KIRO_ONLY if getattr(args, name, None) is not None]
    if not given:
        return None
    options = ", ".join("--" + name.replace("_", "-") for name in given)
    return f"{options} only apply to Kiro accounts; add --provider kiro."


def run(args: argparse.Namespace, config: Config) -> int:
    store = KiroAccountStore.from_config(config)
    try:
        if args.accounts_action != "import":  # an import that fails says why itself
            warn_foreign(store)
        return _ACTIONS[args.accounts_action](args, config, store)
    except GatewayError as exc:
        print(f"codex2claudecode: {exc.message}", file=sys.stderr)
    except OSError as exc:
        print(f"codex2claudecode: cannot update the Kiro accounts: {exc}", file=sys.stderr)
    return 1


def warn_foreign(store: KiroAccountStore) -> bool:
    """Say on stderr that the Kiro IDE's login is skipped, if it is; returns whether it is."""
    problem = store.foreign_problem()
    if problem is not None:
        print(f"warning: skipped the Kiro IDE's login. {problem}", file=sys.stderr)
    return problem is not None


# ---------------------------------------------------------------------- actions


def _list(args: argparse.Namespace, config: Config, store: KiroAccountStore) -> int:
    summaries = store.summaries()
    if not summaries:
        print(
            f"No Kiro accounts yet (looked for {store.path} and {store.ide_path})."
            + (
                ""
                if store.foreign_problem()
                else " Sign in with the Kiro IDE, then run `codex2claudecode accounts import "
                "--provider kiro`; or add one from its tokens with `codex2claudecode accounts add "
                "--provider kiro --region REGION`."
            )
        )
        return 0
    now = time.time()
    print(render_table(summaries, now=now))
    print()
    print("\n".join(_list_notes(summaries, config, store, now)))
    return 0


def _import(args: argparse.Namespace, config: Config, store: KiroAccountStore) -> int:
    saved = store.import_ide(args.source)
    print(_added(saved, config, how=f"Imported from {args.source or store.ide_path}:"))
    print("Its tokens stay in sync with the Kiro IDE: whichever refreshes them, the other adopts.")
    return 0


def _add(args: argparse.Namespace, config: Config, store: KiroAccountStore) -> int:
    kind = getattr(args, "kind", "social").replace("-", "_")
    region = (args.region or "").strip().strip("'\"")
    if not region:
        raise InvalidRequest("--region is required (the login's AWS region, e.g. us-east-1).")
    if not is_region(region):
        raise InvalidRequest(
            f"--region must be a valid AWS region such as us-east-1, got {region!r}."
        )
    entry: dict[str, object] = {
        "accessToken": _read_token(args.access_token or "-", "Access token"),
        "refreshToken": _read_token(args.refresh_token, "Refresh token"),
        # Expired on purpose: the first use refreshes and so checks the tokens (spec §2.8).
        "expiresAt": format_expiry(0),
        "region": region,
        **_METHODS[kind],
    }
    for name, value in (
        ("label", args.label), ("profileArn", args.profile_arn), ("accountId", args.account_id)
    ):  # fmt: skip
        if value and value.strip().strip("'\""):
            entry[name] = value.strip().strip("'\"")
    entry.update(_client_fields(args, kind))
    saved = store.upsert(entry)
    print(_added(saved, config, how="Added"))
    print("Its access token is refreshed (and so checked) on first use.")
    return 0


def _client_fields(args: argparse.Namespace, kind: str) -> dict[str, object]:
    fields: dict[str, object] = {}
    if kind in ("idc", "builder_id"):
        if not args.client_id or not args.client_secret:
            raise InvalidRequest(
                f"A {kind.replace('_', ' ')} login needs --client-id and --client-secret (its "
                "AWS SSO client registration)."
            )
        fields["clientId"] = args.client_id.strip()
        fields["clientSecret"] = _read_token(args.client_secret, "Client secret")
    elif kind == "external_idp":
        if not args.client_id or not args.token_endpoint:
            raise InvalidRequest("An external-idp login needs --client-id and --token-endpoint.")
        fields["clientId"] = args.client_id.strip()
        fields["tokenEndpoint"] = args.token_endpoint.strip()
        if args.scopes:
            fields["scopes"] = args.scopes.split()
    return fields


def _use(args: argparse.Namespace, config: Config, store: KiroAccountStore) -> int:
    key = store.set_active(args.key)
    name = store.name_of(args.key)
    if not store.path.exists():
        print(f"{name} is the Kiro IDE's own login, the only account there is; it is in use.")
    else:
        print(f"{name} is now the active Kiro account; a running gateway switches by itself.")
    print("\n".join(_override_note(config, key, name)))
    return 0


def _remove(args: argparse.Namespace, config: Config, store: KiroAccountStore) -> int:
    name = store.name_of(args.key)
    store.remove(args.key)
    print(f"Removed Kiro account {name} (the Kiro IDE's own login, if any, is untouched).")
    active = next((s for s in store.summaries() if s.active), None)
    if active is not None:
        print(f"Active Kiro account: {active.name}.")
    else:
        print("No Kiro accounts left; `codex2claudecode accounts import --provider kiro` adds one.")
    return 0


_ACTIONS: dict[str, Callable[[argparse.Namespace, Config, KiroAccountStore], int]] = {
    "list": _list,
    "import": _import,
    "add": _add,
    "use": _use,
    "remove": _remove,
}


# ---------------------------------------------------------------------- output


def render_table(
    summaries: Sequence[KiroAccountSummary], *, now: float, tz: tzinfo | None = None
) -> str:
    """The Kiro `accounts list` table, the active account marked `*`; no secrets.

    Args:
        now: epoch seconds, to tell expired tokens.
        tz: the time zone of the expiry column (default: local time).
    """
    header = ("", "NAME", "EMAIL", "KIND", "REGION", "TOKEN EXPIRES", "STATE")
    rows = [header] + [
        (
            "*" if s.active else "",
            s.name or s.key,
            s.email or "-",
            (s.kind or "?").replace("_", "-"),
            s.region or "-",
            _local_time(s.expires_at, tz),
            s.state(now),
        )
        for s in summaries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def _list_notes(
    summaries: Sequence[KiroAccountSummary], config: Config, store: KiroAccountStore, now: float
) -> list[str]:
    notes = [
        "* = the account requests use; switch with "
        "`codex2claudecode accounts use NAME --provider kiro`."
    ]
    for summary in summaries:
        if summary.problem is not None:
            notes.append(f"{summary.name}: {summary.problem}")
    if any(s.state(now) == "needs login" for s in summaries):
        notes.append(
            "Sign in to those accounts again with the Kiro IDE, then run `codex2claudecode "
            "accounts import --provider kiro` (or `accounts remove NAME --provider kiro`)."
        )
    if any(s.state(now) == "expired" for s in summaries):
        notes.append("Expired access tokens are refreshed on the next request.")
    if not store.path.exists():
        notes.append(
            f"This is the Kiro IDE's own login ({store.ide_path}); `codex2claudecode accounts "
            "import --provider kiro` adds it here to manage it with other accounts."
        )
    active = next((s for s in summaries if s.active), None)
    if active is None and config.kiro_auth_account:
        notes.append(
            f"KIRO_AUTH_ACCOUNT={config.kiro_auth_account} matches no account: Kiro requests "
            "fail until you change or unset it."
        )
    elif active is not None:
        notes.extend(_override_note(config, active.key, active.name))
    return notes


def _added(saved: KiroCredentials, config: Config, *, how: str) -> str:
    who = " / ".join(x for x in (saved.label, saved.email) if x and x != saved.name)
    details = f"{saved.kind.replace('_', '-')}, {saved.region}"
    lines = [f"{how} Kiro account {saved.name}{f' ({who})' if who else ''}, {details}; it is now "
             "the active Kiro account."]  # fmt: skip
    if chosen_provider(config) != "kiro":
        lines.append(
            "The gateway serves Codex by default: start it with `codex2claudecode --provider "
            "kiro` to use this account."
        )
    return "\n".join(lines + _override_note(config, saved.key, saved.name))


def _override_note(config: Config, key: str, name: str) -> list[str]:
    chosen = config.kiro_auth_account
    if not chosen or chosen in (key, name):
        return []
    return [
        f"Note: KIRO_AUTH_ACCOUNT={chosen} is set and takes precedence; unset it to use the "
        "active account."
    ]


def _local_time(epoch: float | None, tz: tzinfo | None) -> str:
    if epoch is None:
        return "-"
    if epoch <= 0:
        return "expired"
    return datetime.fromtimestamp(epoch, tz).strftime("%Y-%m-%d %H:%M")


def _read_token(value: str, label: str) -> str:
    """A secret given on the command line, or with `-` typed hidden (a TTY) or read as the
    next line of stdin."""
    if value == "-":
        value = (
            getpass.getpass(f"{label} (hidden): ") if sys.stdin.isatty() else sys.stdin.readline()
        )
    token = clean_token(value)
    if not token:
        raise InvalidRequest(f"{label} is empty.")
    return token
