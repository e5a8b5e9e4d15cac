"""What the gateway bench sets up: a home with a signed-in Codex account, ports, RSS, and a
large Claude Code conversation for count_tokens."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "claude-code" / "messages_main_interactive.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_ns(pid: int) -> int:
    """Nanoseconds on CPU of every thread of `pid` so far (Linux: /proc/<pid>/task/*/schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread ended
            total += int((task / "schedstat").read_text().split()[0])
    return total


def rss_mib(pid: int, field: str) -> float:
    """`field` of /proc/<pid>/status (VmRSS: now, VmHWM: the peak) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _jwt(claims: dict[str, object]) -> str:
    def enc(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(obj)).rstrip(b"=").decode()

    return f"{enc({'alg': 'none'})}.{enc(claims)}.sig"


def bench_home(fake_port: int) -> dict[str, str]:
    """The environment of a gateway signed in to the fake at `fake_port`, in a fresh home."""
    home = Path(tempfile.mkdtemp(prefix="c2c-bench-"))
    (home / "state").mkdir()
    claims = {
        "exp": int(time.time()) + 86400,
        "https://api.openai.com/auth": {"chatgpt_account_id": "acct-bench"},
    }
    account = {
        "type": "oauth",
        "access": _jwt(claims),
        "refresh": "rt",
        "expires": (time.time() + 86400) * 1000,
        "accountId": "acct-bench",
    }
    (home / "state" / "auth-codex.json").write_bytes(orjson.dumps(account))
    return {
        **os.environ,
        "HOME": str(home),
        "CODEX2CLAUDECODE_HOME": str(home / "state"),
        "CHATGPT_BASE_URL": f"http://127.0.0.1:{fake_port}",
        "OPENAI_AUTH_URL": f"http://127.0.0.1:{fake_port}",
        "CODEX_HOME": str(home / "codex"),
    }


def conversation(target_bytes: int = 1_200_000, salt: str = "") -> bytes:
    """A count_tokens body: Claude Code's system prompt and tools, then turns up to ~1.2 MB.

    Every turn's text differs, so no count comes from the cache on the first call; another
    `salt` gives other turns (the same system prompt and tools).
    """
    request = orjson.loads(FIXTURE.read_bytes())
    body = request["request"]["body"]
    messages = []
    size, n = 0, 0
    while size < target_bytes:
        text = f"turn {n}{salt}: " + " ".join(f"word{n}x{i} fn_{i * n}()" for i in range(300))
        reply = f"answer {n}: " + " ".join(f"line {i} of {n} is done." for i in range(250))
        messages += [{"role": "user", "content": text}, {"role": "assistant", "content": reply}]
        size += len(text) + len(reply)
        n += 1
    messages.append({"role": "user", "content": "summarise"})
    out = {key: body[key] for key in ("model", "system", "tools") if key in body}
    return orjson.dumps({**out, "messages": messages})
