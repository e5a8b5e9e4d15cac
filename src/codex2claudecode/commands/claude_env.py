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
    SCOPES,
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
from codex2claudecode.commands.gateway_flags import add_gateway_flags, flags_for
from codex2claudecode.config import Config
from codex2claudecode.provider_config import chosen_provider

_SECRETS = frozenset({AUTH_TOKEN, API_KEY})
_MODEL_FLAGS = {
    "model": "ANTHROPIC_MODEL",
    "opus": "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "sonnet": "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "haiku": "ANTHROPIC_DEFAULT_HAIKU_MODEL",
}
_SCOPE_HELP = (
    "user: $CLAUDE_CONFIG_DIR/settings.json (default ~/.claude), for all your projects; "
    "project: ./.claude/settings.json, shared with collaborators; "
    "local: ./.claude/settings.local.json, you only, in this project (default: user)"
)


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


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "claude-env",
        help="point Claude Code at this gateway (the env of its settings.json)",
        description=(
            "Write, remove or show the env entries of a Claude Code settings file that make "
            "Claude Code use this gateway. Every other setting is left exactly as it is. Use the "
            "same --host/--port/--password as the gateway."
        ),
    )
    actions = parser.add_subparsers(dest="claude_env_action", required=True, metavar="ACTION")
    set_parser = actions.add_parser(
        "set",
        help="write the gateway's URL, token and models",
        description=(
            "Write ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN (the gateway password, else a "
            "placeholder), the model keys and the extraEnv entries of the draft file "
            "(.claude-env.json in the state directory), and delete the keys its unsetEnv lists."
        ),
    )
    for flag, key in _MODEL_FLAGS.items():
        set_parser.add_argument(
            f"--{flag}",
            metavar="MODEL",
            help=f'{key}; remembered in the draft file ("" returns to the default)',
        )
    unset_parser = actions.add_parser(
        "unset",
        help="remove the managed entries",
        description="Remove the entries `set` writes; every other key is kept.",
    )
    show_parser = actions.add_parser(
        "show",
        help="show the managed entries of a settings file",
        description=(
            "Show the entries `set` manages in a Claude Code settings file, what each is for, "
            "and whether they point at this gateway (give the gateway's --host/--port/--password). "
            "Reads only; never changes a file."
        ),
    )
    for action in (set_parser, unset_parser, show_parser):
        action.add_argument("--scope", choices=SCOPES, default="user", help=_SCOPE_HELP)
        add_gateway_flags(action)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    settings = ClaudeSettings.from_config(config, cwd=Path.cwd())
    scope: Scope = args.scope
    try:
        match args.claude_env_action:
            case "set":
                return _set(settings, scope, config, _model_choices(args))
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
        for flag, key in _MODEL_FLAGS.items()
        if getattr(args, flag) is not None
    }


def _set(settings: ClaudeSettings, scope: Scope, config: Config, models: Mapping[str, str]) -> int:
    if config.port == 0:
        raise ClaudeSettingsError("claude-env set needs the gateway's fixed port, not --port 0")
    defaults = default_models(tier_models(config))
    draft = settings.load_draft(defaults)  # checks the draft before we record anything in it
    if models:
        settings.save_models(models)
        draft = settings.load_draft(defaults)
    base_url = gateway_base_url(config.host, config.port)
    change = settings.set(scope, draft, base_url=base_url, token=client_token(config.password))
    for key, value in change.replaced.items():
        print(
            f"warning: {key} held your own value {_value(key, value)}; it is replaced now and "
            f"kept in {settings.draft_path}: `codex2claudecode claude-env unset` puts it back.",
            file=sys.stderr,
        )
    print(_heading(settings, scope))
    for key, value in change.written.items():
        print(f"  {_entry(key, value)}")
    for key in change.removed:
        print(f"  removed {key}")
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
    change = settings.unset(scope, draft, token=client_token(config.password))
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
        token=client_token(config.password),
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
