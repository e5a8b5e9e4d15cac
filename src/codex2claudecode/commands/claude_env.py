"""`codex2claudecode claude-env set|unset|show`: point Claude Code's settings at this gateway."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import assert_never

import orjson

from codex2claudecode.backends.codex.models import DEFAULT_TIER_MODELS
from codex2claudecode.backends.kiro.models import TIER_FALLBACKS as KIRO_TIER_MODELS
from codex2claudecode.claude_settings import (
    API_KEY,
    AUTH_TOKEN,
    EXPLAINED,
    TLS_CHECK,
    ClaudeEnvDraft,
    ClaudeSettings,
    ClaudeSettingsError,
    EnvChange,
    Scope,
    client_token,
    default_models,
    gateway_base_url,
    mask_secret,
    plan_set,
)
from codex2claudecode.commands import parsers
from codex2claudecode.commands.gateway_flags import flags_for
from codex2claudecode.config import Config
from codex2claudecode.provider_config import chosen_provider
from codex2claudecode.server.local_key import ensure_local_key, gateway_key

_SECRETS = frozenset({AUTH_TOKEN, API_KEY})


def tier_models(config: Config) -> dict[str, str]:
    """The active provider's model for each Claude tier, user overrides applied.

    Raises:
        ClaudeSettingsError: the provider has no Claude tier models.
    """
    provider = chosen_provider(config)
    match provider:
        case "codex":
            return {**DEFAULT_TIER_MODELS, **config.model_overrides}
        case "kiro":
            return dict(KIRO_TIER_MODELS)
        case _:
            assert_never(provider)


def add_parser(subparsers: parsers.Subparsers) -> None:
    """Register `claude-env` (defined in `commands.parsers`) to call this module's `run`."""
    parsers.add_claude_env(subparsers).set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    settings = ClaudeSettings.from_config(config, cwd=Path.cwd())
    scope: Scope = args.scope
    try:
        match args.claude_env_action:
            case "set":
                key = _with_key(config) if args.with_key else None
                return _set(settings, scope, config, _model_choices(args), key)
            case "unset":
                return _unset(settings, scope, config)
            case _:
                return _show(settings, scope, config)
    except (ClaudeSettingsError, OSError) as exc:
        unchanged = "" if args.claude_env_action == "show" else "; nothing was changed"
        print(f"codex2claudecode: {exc}{unchanged}", file=sys.stderr)
        return 1


def _model_choices(args: argparse.Namespace) -> dict[str, str]:
    return {
        key: getattr(args, flag)
        for flag, key in parsers.MODEL_FLAGS.items()
        if getattr(args, flag) is not None
    }


def _with_key(config: Config) -> str | None:
    """Make the local key if needed; None when a password is set (it wins)."""
    if config.password:
        print("A password is set (--password / API_PASSWORD): it is the key; no local key made.")
        return None
    key, created = ensure_local_key(config.local_key_path)
    if created:
        print(
            f"Generated a local API key in {config.local_key_path}; restart the gateway so that "
            "it requires it."
        )
    return key


def _client_token(config: Config, key: str | None = None) -> str:
    return client_token(key or gateway_key(config.password, config.local_key_path))


def _set(
    settings: ClaudeSettings,
    scope: Scope,
    config: Config,
    models: Mapping[str, str],
    key: str | None = None,
) -> int:
    if config.port == 0:
        raise ClaudeSettingsError("claude-env set needs the gateway's fixed port, not --port 0")
    defaults = default_models(tier_models(config))
    draft = settings.load_draft(defaults)  # checks the draft before we record anything in it
    if models:
        settings.save_models(models)
        draft = settings.load_draft(defaults)
    base_url = gateway_base_url(config.host, config.port)
    change = settings.set(scope, draft, base_url=base_url, token=_client_token(config, key))
    for name, value in change.replaced.items():
        print(
            f"warning: {name} held your own value {_value(name, value)}; it is replaced now and "
            f"kept in {settings.draft_path}: `codex2claudecode claude-env unset` puts it back.",
            file=sys.stderr,
        )
    print(_heading(settings, scope))
    for key, value in change.written.items():
        print(f"  {_entry(key, value)}")
    for key in change.removed:
        print(f"  removed {key}")
    if change.made_private:
        print(
            "  made the file private (group and others can no longer read it): it holds the "
            "gateway's key"
        )
    print(
        "Saved. Start Claude Code (or restart it) to use the gateway."
        if change.saved
        else "Already up to date."
    )
    env = settings.read_env(scope) or {}
    if API_KEY in env:
        print(
            f"Note: env also holds {API_KEY}, which is not ours; Claude Code warns when it is "
            f"set beside {AUTH_TOKEN}. Remove it, or list it in unsetEnv in {settings.draft_path}."
        )
    return 0


def _unset(settings: ClaudeSettings, scope: Scope, config: Config) -> int:
    draft = settings.load_draft(default_models(tier_models(config)))
    change = settings.unset(scope, draft, token=_client_token(config))
    print(_heading(settings, scope))
    for key in change.removed:
        print(f"  removed {key}")
    for key, value in change.written.items():
        print(f"  restored your {_entry(key, value)}")
    if change.deleted_file:
        print("  removed the file: set had created it, and nothing else is in it")
    elif change.drop_env:
        print("  removed env (now empty)")
    print("Saved." if change.saved else "Nothing to remove.")
    return 0


def _show(settings: ClaudeSettings, scope: Scope, config: Config) -> int:
    draft = settings.load_draft(default_models(tier_models(config)))
    env = settings.read_env(scope)
    print(_heading(settings, scope))
    if env is None:
        print("  (no such file)")
        env = {}
    for key in (*draft.managed_keys, API_KEY, TLS_CHECK):
        if key in env:
            print(f"  {_entry(key, env[key])}")
        elif key not in (API_KEY, TLS_CHECK):
            print(f"  {key} (not set)")
        if key in EXPLAINED:
            print(f"      {EXPLAINED[key]}")
        elif key in draft.extra_env:
            print(f"      extraEnv of {settings.draft_path}")
    if draft.unset_env:
        print(f"  set deletes (unsetEnv): {', '.join(draft.unset_env)}")
    stale = _differences(env, draft, config)
    if stale:
        command = f"`codex2claudecode claude-env set --scope {scope}{flags_for(config)}`"
        print(f"{command} would change: {', '.join(stale)}")
    else:
        print("Up to date with this gateway.")
    return 0


def _differences(env: Mapping[str, object], draft: ClaudeEnvDraft, config: Config) -> list[str]:
    change: EnvChange = plan_set(
        env,
        draft,
        base_url=gateway_base_url(config.host, config.port),
        token=_client_token(config),
    )
    changed = [key for key, value in change.written.items() if env.get(key) != value]
    return changed + list(change.removed)


def _heading(settings: ClaudeSettings, scope: Scope) -> str:
    return f"Claude Code settings ({scope} scope): {settings.path(scope)}"


def _entry(key: str, value: object) -> str:
    return f"{key}={_value(key, value)}"


def _value(key: str, value: object) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return mask_secret(text) if key in _SECRETS else text
