"""The last provider chosen, `provider-config.json` in the state directory (spec app §2.5).

`{"provider": "codex" | "kiro", ...}`: read at start when neither `--provider` nor
`UPSTREAM_PROVIDER` chooses; written when the user switches provider, keeping other keys.
A missing file means Codex; a broken one is reported and means Codex too.
"""

from __future__ import annotations

import logging
from pathlib import Path

import orjson

from codex2claudecode.accounts.files import InvalidJSONFile, atomic_write, locked, read_json
from codex2claudecode.config import Config, Provider

log = logging.getLogger(__name__)

DEFAULT_PROVIDER: Provider = "codex"


def chosen_provider(config: Config) -> Provider:
    """The provider to serve: the flag or environment, else the last one chosen, else Codex."""
    if config.provider is not None:
        return config.provider
    return read_provider(config.provider_config_path)


def read_provider(path: Path) -> Provider:
    """The provider saved in `path`; Codex (with a warning) when the file says nothing usable."""
    try:
        raw = read_json(path)
    except InvalidJSONFile:
        log.warning("invalid JSON in provider config at %s; using codex", path)
        return DEFAULT_PROVIDER
    except OSError as exc:
        log.warning("cannot read provider config at %s (%s); using codex", path, exc.strerror)
        return DEFAULT_PROVIDER
    if raw is None:
        return DEFAULT_PROVIDER
    value = raw.get("provider") if isinstance(raw, dict) else None
    if value == "kiro":
        return "kiro"
    if value != "codex":
        log.warning('unrecognized provider "%s" in %s, defaulting to codex', value, path)
    return DEFAULT_PROVIDER


def save_provider(path: Path, provider: Provider) -> None:
    """Remember `provider` as the last one chosen, keeping the file's other keys.

    Raises:
        OSError: the file cannot be written (the caller warns; the switch itself stands).
    """
    with locked(path):
        try:
            raw = read_json(path)
        except InvalidJSONFile:
            raw = None
        data = raw if isinstance(raw, dict) else {}
        data["provider"] = provider
        atomic_write(path, orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n", mode=0o600)
