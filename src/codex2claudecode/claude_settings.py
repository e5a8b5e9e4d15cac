"""Claude Code's settings files: point Claude Code at this gateway through their `env` object.

`ClaudeSettings` merges the managed keys (spec original-app §4.1) into the `env` of one scope's
settings.json and removes them again. Edits are spliced into the file's text, so every byte
outside the changed `env` entries stays as it was. `.claude-env.json` in the state directory
holds the user's model choices, `extraEnv` and `unsetEnv` (§2.7).

Where we differ from the original:
- `NODE_TLS_REJECT_UNAUTHORIZED` is never written (DESIGN §4.1). `set` and `unset` delete it only
  where a local gateway left it: value "0" beside an `ANTHROPIC_BASE_URL` on a loopback http
  address, the pair the original wrote. Anywhere else it is the user's (`unsetEnv` can list it).
- `ANTHROPIC_API_KEY` is never written: Claude Code reports a conflict when it is set beside
  `ANTHROPIC_AUTH_TOKEN`. One holding a gateway token is removed; anyone else's key is kept.
- `unset` deletes `env` itself when it removed its last entry, so set→unset restores the file.
- A default extra can be dropped by listing it in `unsetEnv` (the original could not).
- `set` remembers, in the draft's `originalEnv` (per settings file), the value each key had
  before we first wrote or deleted it; `unset` puts those values back, and deletes a settings
  file `set` created once nothing else is left in it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Literal, assert_never
from urllib.parse import urlsplit

import orjson

from codex2claudecode import json_edit
from codex2claudecode.accounts.files import InvalidJSONFile, atomic_write, locked, read_json
from codex2claudecode.config import Config

Scope = Literal["user", "project", "local"]
SCOPES: tuple[Scope, ...] = ("user", "project", "local")

PLACEHOLDER_TOKEN = "codex2claudecode"
"""What Claude Code sends as its API key when the gateway has no password (it needs one)."""

DRAFT_FILE = ".claude-env.json"

BASE_URL = "ANTHROPIC_BASE_URL"
AUTH_TOKEN = "ANTHROPIC_AUTH_TOKEN"
API_KEY = "ANTHROPIC_API_KEY"
TLS_CHECK = "NODE_TLS_REJECT_UNAUTHORIZED"

MODEL_TIERS: Mapping[str, str] = MappingProxyType(
    {
        "ANTHROPIC_MODEL": "opus",
        "ANTHROPIC_DEFAULT_OPUS_MODEL": "opus",
        "ANTHROPIC_DEFAULT_SONNET_MODEL": "sonnet",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "haiku",
    }
)
"""Claude Code's model keys, in write order, and the tier whose model each one defaults to."""
MODEL_KEYS = tuple(MODEL_TIERS)

DEFAULT_EXTRA_ENV: Mapping[str, str] = MappingProxyType(
    {"CLAUDE_CODE_DISABLE_1M_CONTEXT": "1", "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "64"}
)

ORIGINALS = "originalEnv"
"""The draft key under which `set` keeps the values it replaced, per settings file path."""

EXPLAINED: Mapping[str, str] = MappingProxyType(
    {
        BASE_URL: "where Claude Code sends its requests: this gateway",
        AUTH_TOKEN: "the key Claude Code presents: the gateway password, else a placeholder",
        "ANTHROPIC_MODEL": "the model a session starts with",
        "ANTHROPIC_DEFAULT_OPUS_MODEL": "the model behind Claude Code's opus choice",
        "ANTHROPIC_DEFAULT_SONNET_MODEL": "the model behind Claude Code's sonnet choice",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "the model behind haiku (background tasks, titles)",
        "CLAUDE_CODE_DISABLE_1M_CONTEXT": (
            "no 1M-token context variants: the models behind the gateway (GPT on Codex, Kiro's "
            "Claude) have smaller windows than Claude's 1M variants"
        ),
        "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": (
            "compact the conversation once this percentage of the window is used, early enough "
            "for the upstream model's smaller window"
        ),
    }
)
"""Why `set` writes each of its keys (shown by `claude-env show` and in the README)."""

_OWN_KEYS = frozenset({BASE_URL, AUTH_TOKEN, *MODEL_KEYS})
_NEVER_WRITTEN = frozenset({API_KEY, TLS_CHECK})


class ClaudeSettingsError(ValueError):
    """The settings cannot be changed as asked; the message says why. Nothing was written."""


class SettingsFileError(ClaudeSettingsError):
    """A settings or draft file cannot be used; the message names it."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path


# ---------------------------------------------------------------------------- what gets written


@dataclass(frozen=True, slots=True)
class ClaudeEnvDraft:
    models: Mapping[str, str]
    """The four model keys, in `MODEL_KEYS` order."""
    extra_env: Mapping[str, str]
    """Further entries `set` writes and `unset` removes, the defaults included."""
    unset_env: tuple[str, ...]
    """Keys `set` deletes from `env`; never one of the keys it writes."""

    @property
    def managed_keys(self) -> tuple[str, ...]:
        """Every key `unset` removes (besides leftovers of a gateway, see the module doc)."""
        extras = dict.fromkeys([*self.extra_env, *DEFAULT_EXTRA_ENV])
        return (BASE_URL, AUTH_TOKEN, *MODEL_KEYS, *extras)


def default_models(tier_models: Mapping[str, str]) -> dict[str, str]:
    """The model keys when the draft does not choose them, from the provider's tier models
    (`opus`, `sonnet`, `haiku` -> a model the provider serves)."""
    return {key: tier_models[tier] for key, tier in MODEL_TIERS.items()}


def parse_draft(raw: Mapping[str, object], defaults: Mapping[str, str]) -> ClaudeEnvDraft:
    """Normalise the content of `.claude-env.json` (spec §2.7, with our rules for the rest).

    Blank or missing models take `defaults`. `extraEnv` is the default extras less those named
    in `unsetEnv`, then the file's string entries; keys we write ourselves or never write are
    dropped from it. `unsetEnv` is trimmed, de-duplicated, and never names a written key.
    """
    models = {key: _text(raw.get(key)) or defaults[key] for key in MODEL_KEYS}
    unset = list(dict.fromkeys(_text(k) for k in _list(raw.get("unsetEnv"))))
    extra = {k: v for k, v in DEFAULT_EXTRA_ENV.items() if k not in unset}
    for key, value in _dict(raw.get("extraEnv")).items():
        key = key.strip()
        if key and isinstance(value, str) and key not in _OWN_KEYS | _NEVER_WRITTEN:
            extra[key] = value
    written = _OWN_KEYS | extra.keys()
    return ClaudeEnvDraft(models, extra, tuple(k for k in unset if k and k not in written))


def gateway_base_url(host: str, port: int) -> str:
    """The URL a local client reaches a gateway bound to `host`:`port` at."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"  # a wildcard bind is reachable on loopback
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{port}"


def client_token(password: str | None) -> str:
    """The token Claude Code should present: the gateway password, else the placeholder."""
    return password or PLACEHOLDER_TOKEN


def mask_secret(value: str) -> str:
    """`value` hidden but for its last 4 characters (all of it when it is short)."""
    return "****" + value[-4:] if len(value) > 8 else "****"


# ---------------------------------------------------------------------------- planning changes


@dataclass(frozen=True, slots=True)
class EnvChange:
    written: Mapping[str, object]
    """`set`: every managed entry, in write order (entries already equal are left as they
    are); `unset`: the user's own values it puts back."""
    removed: tuple[str, ...]
    """Keys deleted from `env`, present before the change."""
    drop_env: bool = False
    """`env` itself is deleted: the change removed all of it."""
    saved: bool = False
    """The file was rewritten (False: it had these values already, or it does not exist)."""
    replaced: Mapping[str, object] = field(default_factory=dict)
    """`set`: the user's own values it overwrote or deleted (kept for `unset` to restore)."""
    deleted_file: bool = False
    """`unset`: the settings file `set` had created was removed, nothing else being in it."""
    made_private: bool = False
    """`set`: the file, readable by other users, now holds a real key and was made 0600."""


def plan_set(
    env: Mapping[str, object], draft: ClaudeEnvDraft, *, base_url: str, token: str
) -> EnvChange:
    """What `set` does to `env`: write the managed entries, delete `unsetEnv` and leftovers."""
    written = {BASE_URL: base_url, AUTH_TOKEN: token, **draft.models, **draft.extra_env}
    stale = _leftovers(env, token)
    removed = [k for k in dict.fromkeys([*draft.unset_env, *stale]) if k in env]
    return EnvChange(written, tuple(removed))


def plan_unset(
    env: Mapping[str, object],
    draft: ClaudeEnvDraft,
    *,
    token: str,
    originals: Mapping[str, object] | None = None,
) -> EnvChange:
    """What `unset` does to `env`: put back the user's values `set` replaced (`originals`, key
    -> value before, None where there was none), delete the other managed keys and a
    gateway's leftovers."""
    originals = originals or {}
    restore = {k: v for k, v in originals.items() if v is not None}
    keys = dict.fromkeys([*draft.managed_keys, *_leftovers(env, token), *originals])
    removed = [k for k in keys if k in env and k not in restore]
    drop_env = bool(env) and not restore and len(removed) == len(env)
    return EnvChange(restore, tuple(removed), drop_env=drop_env)


def _is_ours(key: str, value: object, token: str) -> bool:
    """Whether `value` in `key` looks written by a gateway, not chosen by the user."""
    if key == BASE_URL:
        return _is_local_http(value)
    if key == AUTH_TOKEN:
        return value in (token, PLACEHOLDER_TOKEN)
    return DEFAULT_EXTRA_ENV.get(key) == value


def _leftovers(env: Mapping[str, object], token: str) -> list[str]:
    found = []
    api_key = env.get(API_KEY)
    if api_key is not None and api_key in (token, PLACEHOLDER_TOKEN, env.get(AUTH_TOKEN)):
        found.append(API_KEY)
    if str(env.get(TLS_CHECK)) == "0" and _is_local_http(env.get(BASE_URL)):
        found.append(TLS_CHECK)
    return found


def _is_local_http(url: object) -> bool:
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return parts.scheme == "http" and (
            host == "localhost" or ipaddress.ip_address(host).is_loopback
        )
    except ValueError:
        return False


# ---------------------------------------------------------------------------- the service


class ClaudeSettings:
    """Claude Code's settings files of each scope, and our draft of what goes into them."""

    __slots__ = ("_claude_config_dir", "_cwd", "_lock", "draft_path")

    def __init__(self, *, claude_config_dir: Path, cwd: Path, state_dir: Path) -> None:
        self._claude_config_dir = claude_config_dir
        self._cwd = cwd
        # Our own processes (CLI, TUI) take turns; the lock lives in our state directory so that
        # no lock file appears beside a project's committed .claude/settings.json.
        self._lock = state_dir / "claude-settings"
        self.draft_path = state_dir / DRAFT_FILE

    @classmethod
    def from_config(cls, config: Config, *, cwd: Path) -> ClaudeSettings:
        return cls(claude_config_dir=config.claude_config_dir, cwd=cwd, state_dir=config.state_dir)

    def path(self, scope: Scope) -> Path:
        match scope:
            case "user":
                return self._claude_config_dir / "settings.json"
            case "project":
                return self._cwd / ".claude" / "settings.json"
            case "local":
                return self._cwd / ".claude" / "settings.local.json"
            case _:
                assert_never(scope)

    def load_draft(self, defaults: Mapping[str, str]) -> ClaudeEnvDraft:
        """The normalised draft; `defaults` fill the model keys it does not choose.

        Raises:
            SettingsFileError: the draft file is not a JSON object.
        """
        return parse_draft(_read_object(self.draft_path), defaults)

    def save_models(self, models: Mapping[str, str]) -> None:
        """Record model choices in the draft; a blank value returns a key to its default.

        Other content of the draft file is kept.
        """
        with locked(self.draft_path):
            data = dict(_read_object(self.draft_path))
            for key, value in models.items():
                if value.strip():
                    data[key] = value.strip()
                else:
                    data.pop(key, None)
            _write_draft(self.draft_path, data)

    def read_env(self, scope: Scope) -> Mapping[str, object] | None:
        """The `env` object of the scope's file ({} if it has none), or None if there is no file.

        Raises:
            SettingsFileError: the file is unreadable or not a JSON object.
        """
        text, doc = _load_settings(self.path(scope))
        return None if text is None else _env_of(doc)

    def set(self, scope: Scope, draft: ClaudeEnvDraft, *, base_url: str, token: str) -> EnvChange:
        """Write the managed entries into the scope's `env`, creating the file (0600) if needed.

        The values the user had in the keys it changes are first kept in the draft file.

        Raises:
            SettingsFileError: the file is unreadable or not a JSON object (it is not touched).
        """
        with locked(self._lock):
            path = self.path(scope)
            text, doc = _load_settings(path)
            env = _env_of(doc)
            change = plan_set(env, draft, base_url=base_url, token=token)
            new_text = _apply(text or "{}\n", doc, change)
            replaced = self._remember(path, env, change, token=token, created=text is None)
            private = token != PLACEHOLDER_TOKEN
            loose = private and _readable_by_others(path)
            saved = _save_settings(path, text, new_text, private=private)
        return replace(change, saved=saved, replaced=replaced, made_private=loose)

    def unset(self, scope: Scope, draft: ClaudeEnvDraft, *, token: str) -> EnvChange:
        """Remove the managed keys from the scope's `env`, putting back the user's own values;
        a missing file stays missing, and a file `set` created goes once it is empty.

        Raises:
            SettingsFileError: the file is unreadable or not a JSON object (it is not touched).
        """
        with locked(self._lock):
            path = self.path(scope)
            text, doc = _load_settings(path)
            record = self._records().get(str(path.absolute()))
            env = _env_of(doc)
            before = _dict(record.get("env")) if record else {}
            change = plan_unset(env, draft, token=token, originals=before)
            if text is None:
                self._forget(path)
                return change
            new_text = _apply(text, doc, change)
            if record and record.get("created") is True and orjson.loads(new_text) == {}:
                path.unlink()
                if record.get("created_dir") is True:
                    with contextlib.suppress(OSError):  # not empty: something else lives there
                        path.parent.rmdir()
                self._forget(path)
                return replace(change, saved=True, deleted_file=True)
            saved = _save_settings(path, text, new_text)
            self._forget(path)
        return replace(change, saved=saved)

    # ------------------------------------------------------------------ the originals record

    def _records(self) -> dict[str, dict[str, object]]:
        records = _dict(_read_object(self.draft_path).get(ORIGINALS))
        return {k: v for k, v in records.items() if isinstance(v, dict)}

    def _remember(
        self,
        path: Path,
        env: Mapping[str, object],
        change: EnvChange,
        *,
        token: str,
        created: bool,
    ) -> dict[str, object]:
        """Keep, once per key, what `change` overwrites or deletes in `path`'s env; returns the
        user's own values among them (a gateway's earlier values are not the user's)."""
        name = str(path.absolute())
        with locked(self.draft_path):
            data = dict(_read_object(self.draft_path))
            records = _dict(data.get(ORIGINALS))
            record = dict(_dict(records.get(name)))
            if not record:
                record = {"created": created, "created_dir": created and not path.parent.exists()}
            kept = dict(_dict(record.get("env")))
            replaced: dict[str, object] = {}
            for key in [*change.written, *change.removed]:
                if key in kept:
                    continue
                value = env.get(key)
                if value is not None and _is_ours(key, value, token):
                    value = None
                kept[key] = value
                if value is not None and value != change.written.get(key):
                    replaced[key] = value
            record["env"] = kept
            if records.get(name) != record:
                data[ORIGINALS] = {**records, name: record}
                _write_draft(self.draft_path, data)
        return replaced

    def _forget(self, path: Path) -> None:
        name = str(path.absolute())
        with locked(self.draft_path):
            data = dict(_read_object(self.draft_path))
            records = dict(_dict(data.get(ORIGINALS)))
            if records.pop(name, None) is None:
                return
            if records:
                data[ORIGINALS] = records
            else:
                data.pop(ORIGINALS)
            _write_draft(self.draft_path, data)


def _write_draft(path: Path, data: Mapping[str, object]) -> None:
    # The draft may hold a token the user had in ANTHROPIC_AUTH_TOKEN: private by default.
    atomic_write(path, orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n", mode=_mode_of(path))


def _load_settings(path: Path) -> tuple[str | None, dict[str, object]]:
    """The file's text and content; `(None, {})` for a missing or blank file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, {}
    except OSError as exc:
        raise SettingsFileError(path, f"cannot read it ({exc.strerror})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsFileError(path, "it is not UTF-8 text") from exc
    if not text.strip():
        return None, {}
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SettingsFileError(path, f"it is not valid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise SettingsFileError(path, "its top level is not a JSON object")
    return text, doc


def _save_settings(path: Path, old: str | None, new: str, *, private: bool = False) -> bool:
    """Write `new` unless it is `old`; `private`: it holds a real key (the gateway password or
    local key), so group and others lose every permission on the file, even an unchanged one."""
    # Write through a symlink (dotfile managers link settings.json) instead of replacing it.
    target = path.resolve() if path.is_symlink() else path
    mode = _mode_of(target)
    if private:
        mode &= ~0o077
    if new == old:
        if private and _readable_by_others(target):
            os.chmod(target, mode)
        return False
    atomic_write(target, new.encode(), mode=mode)
    return True


def _readable_by_others(path: Path) -> bool:
    """Whether group or others have any permission on `path` (False if it does not exist)."""
    return os.name == "posix" and path.exists() and bool(_mode_of(path) & 0o077)


def _read_object(path: Path) -> Mapping[str, object]:
    try:
        raw = read_json(path)
    except InvalidJSONFile as exc:
        raise SettingsFileError(path, f"it is not valid JSON ({exc.__cause__})") from exc
    except OSError as exc:
        raise SettingsFileError(path, f"cannot read it ({exc.strerror})") from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SettingsFileError(path, "its top level is not a JSON object")
    return raw


def _mode_of(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o600  # settings hold a token


def _env_of(doc: Mapping[str, object]) -> Mapping[str, object]:
    env = doc.get("env")
    return env if isinstance(env, dict) else {}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------------------- editing the text


def _apply(text: str, doc: Mapping[str, object], change: EnvChange) -> str:
    """`text` with `change` spliced into its `env`; all other bytes are kept.

    Raises:
        RuntimeError: the result would not parse to the intended content (never written).
    """
    if change.drop_env:
        text = json_edit.delete(text, (), "env")
    elif change.written or change.removed:
        env = doc.get("env")
        if not isinstance(env, dict):
            env = {}
            text = json_edit.put(text, (), "env", {})
        for key in change.removed:
            text = json_edit.delete(text, ("env",), key)
        for key, value in change.written.items():
            if env.get(key) != value:  # an equal value keeps its bytes
                text = json_edit.put(text, ("env",), key, value)
    if orjson.loads(text) != _expected(doc, change):
        raise RuntimeError("settings edit went wrong; the file was left unchanged")
    return text


def _expected(doc: Mapping[str, object], change: EnvChange) -> dict[str, object]:
    result = dict(doc)
    if change.drop_env:
        del result["env"]
    elif change.written or change.removed:
        env = dict(_env_of(doc))
        for key in change.removed:
            del env[key]
        result["env"] = env | dict(change.written)
    return result
