"""A Kiro token file in any of its three shapes (original-kiro §2.1): the IDE's single object,
an array of such objects, or our managed `{"activeAccount", "accounts": [...]}` document. Reads
keep every field; writes keep the shape, atomically with mode 0600.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import orjson

from codex2claudecode.accounts.files import atomic_write, read_json
from codex2claudecode.backends.kiro.accounts.credentials import entry_aliases, entry_key
from codex2claudecode.backends.kiro.accounts.names import entry_names
from codex2claudecode.errors import NoAccount

Shape = Literal["single", "array", "managed"]


@dataclass(slots=True)
class TokenFile:
    """The parsed content of one token file; `document` holds a managed file's other keys."""

    path: Path
    entries: list[dict[str, object]]
    shape: Shape
    document: dict[str, object] = field(default_factory=dict)

    @property
    def active(self) -> str | None:
        value = self.document.get("activeAccount")
        return value if isinstance(value, str) and value else None

    def keys(self) -> list[str]:
        return [entry_key(entry, i) for i, entry in enumerate(self.entries)]

    def names(self) -> list[str]:
        """Each entry's short name for people (see `names`), in file order."""
        return entry_names(self.entries)

    def find(self, selector: str) -> int | None:
        """The first entry `selector` names by any alias (spec §2.3), else the entry whose
        short name it is (in any case), or None."""
        for index, entry in enumerate(self.entries):
            if selector in entry_aliases(entry, index):
                return index
        wanted = selector.strip().casefold()
        for index, name in enumerate(self.names()):
            if name.casefold() == wanted:
                return index
        return None

    def select(self, selector: str | None, *, hint: str) -> int:
        """The entry requests use: the one `selector` names, else the active one, else the
        first (an `activeAccount` that names none falls back to the first silently).

        Raises:
            NoAccount: the file holds no entry, or `selector` names none (`hint` says what to do).
        """
        if not self.entries:
            raise NoAccount(f"The Kiro token file {self.path} does not hold any account.")
        if selector is None:
            active = self.active
            found = None if active is None else self.find(active)
            return found or 0
        found = self.find(selector)
        if found is None:
            available = ", ".join(self.names())
            raise NoAccount(
                f"The Kiro token file {self.path} holds no account {selector!r} "
                f"(available: {available}); {hint}"
            )
        return found

    def dumps(self) -> bytes:
        body: object
        if self.shape == "single":
            body = self.entries[0]
        elif self.shape == "array":
            body = self.entries
        else:
            body = {**self.document, "accounts": self.entries}
        return orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n"


def read_token_file(path: Path) -> TokenFile | None:
    """The token file at `path`, or None if it does not exist.

    Raises:
        NoAccount: the file cannot be read, is not JSON, or is not one of the three shapes;
            the message names the file (and says nothing of what to do: callers know).
    """
    try:
        raw = read_json(path)
    except ValueError as exc:  # InvalidJSONFile: "{path} is not valid JSON (...)"
        raise NoAccount(f"The Kiro token file {exc}.") from exc
    except OSError as exc:
        raise NoAccount(
            f"The Kiro token file {path} cannot be read ({exc.strerror or exc})."
        ) from exc
    if raw is None:
        return None
    if isinstance(raw, dict) and isinstance(raw.get("accounts"), list):
        document = {k: v for k, v in raw.items() if k != "accounts"}
        return TokenFile(path, _objects(path, raw["accounts"]), "managed", document)
    if isinstance(raw, dict):
        return TokenFile(path, [raw], "single")
    if isinstance(raw, list):
        return TokenFile(path, _objects(path, raw), "array")
    raise NoAccount(f"The Kiro token file {path} does not hold a JSON object.")


def write_token_file(token_file: TokenFile) -> None:
    """Replace the file with `token_file`, atomically, mode 0600 (parents created 0700)."""
    atomic_write(token_file.path, token_file.dumps())


def _objects(path: Path, items: list[object]) -> list[dict[str, object]]:
    entries = []
    for item in items:
        if not isinstance(item, dict):
            raise NoAccount(f"The Kiro token file {path} does not hold a JSON object per account.")
        entries.append(item)
    return entries
