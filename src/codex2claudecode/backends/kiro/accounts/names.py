"""Short, stable names for Kiro accounts, for people: lists, the banner, the request log.

An entry's key (original-kiro §2.3) stays its identity in files and selectors, but the IDE's
logins carry no e-mail, so their key is a long profile ARN (social logins all share one) or a
client-id hash. A name is the entry's label, name or e-mail, else made from how it signed in,
its region and the end of its key: `kiro-google-us-east-1-rvqmuk`. Pure functions over entries.
"""

from __future__ import annotations

import re
from collections import Counter

from codex2claudecode.backends.kiro.accounts.credentials import entry_key, text

_SUFFIX = 6
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_ARN_REGION = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d+):")


def entry_name(entry: dict[str, object], index: int) -> str:
    """The entry's own short name, before names shared within its file are told apart."""
    for field in ("label", "name", "email"):
        value = text(entry.get(field))
        if value:
            return value
    key = entry_key(entry, index)
    region = text(entry.get("region")) or _arn_region(key)
    if key == f"{region or 'unknown'}:account-{index + 1}":
        return key  # already short: the entry names nothing of its own
    # The IDE records Google, Github, BuilderId or Enterprise; older files only the method.
    method = text(entry.get("provider")) or text(entry.get("authMethod")) or "login"
    tail = _NOT_ALNUM.sub("", key.lower())[-_SUFFIX:]
    parts = ("kiro", _NOT_ALNUM.sub("-", method.lower()).strip("-"), region or "unknown", tail)
    return "-".join(p for p in parts if p)


def entry_names(entries: list[dict[str, object]]) -> list[str]:
    """Each entry's short name, in order; a name taken by an earlier entry gets `-2`, `-3`..."""
    names = [entry_name(entry, i) for i, entry in enumerate(entries)]
    total = Counter(names)
    seen: Counter[str] = Counter()
    result = []
    for name in names:
        seen[name] += 1
        result.append(name if total[name] == 1 or seen[name] == 1 else f"{name}-{seen[name]}")
    return result


def _arn_region(key: str) -> str | None:
    found = _ARN_REGION.match(key)
    return found.group(1) if found else None
