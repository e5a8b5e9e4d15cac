"""The ChatGPT backend's `GET /wham/usage` and `GET /wham/environments`, per account.

Wraps a `FakeCodex` (everything else goes to it) and answers these two paths for the account
named by the `chatgpt-account-id` header; with `accepts` set, a token it rejects gets a 401.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codex2claudecode.config import Config
from tests.fakes.codex import FakeCodex, Recorded
from tests.fakes.oauth import FakeOAuth
from tests.fakes.server import run_app


@dataclass
class WhamReply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class FakeWham:
    def __init__(self, codex: FakeCodex) -> None:
        self.codex = codex
        self.replies: dict[tuple[str, str], WhamReply] = {}
        """(`usage` or `environments`, account id) -> the answer; 404 when missing."""
        self.requests: list[Recorded] = []
        self.accepts: Callable[[str], bool] | None = None

    def answer(self, name: str, account_id: str, reply: WhamReply) -> None:
        self.replies[(name, account_id)] = reply

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        name = path.rsplit("/", 1)[-1]
        if scope["type"] != "http" or "/wham/" not in path or name not in ("usage", "environments"):
            await self.codex(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(Recorded(scope["method"], path, headers, None))
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if self.accepts is not None and not self.accepts(token):
            reply = WhamReply({"detail": "token expired"}, 401)
        else:
            account = headers.get("chatgpt-account-id", "")
            reply = self.replies.get((name, account), WhamReply({"detail": "Not Found"}, 404))
        data = json.dumps(reply.body).encode()
        hdrs = [(b"content-type", b"application/json")]
        hdrs += [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": hdrs})
        await send({"type": "http.response.body", "body": data})


class WhamUpstream:
    """A throwaway home whose accounts live at a fake OAuth server and use a `FakeWham`."""

    def __init__(self, home: Path, wham: FakeWham, url: str, oauth: FakeOAuth, oauth_url: str):
        self.home = home
        self.wham = wham
        self.url = url
        self.oauth = oauth
        self.oauth_url = oauth_url
        self.token: dict[str, str] = {}
        """Account id -> the access token written for it."""

    def write_accounts(self, *keys: str) -> None:
        entries = []
        for key in keys:
            issued = self.oauth.login(account_id=key, email=f"{key}@example.com")
            self.token[key] = issued.access_token
            entries.append(
                {
                    "type": "oauth",
                    "access": issued.access_token,
                    "refresh": issued.refresh_token,
                    "expires": int((time.time() + 3600) * 1000),
                    "accountId": key,
                }
            )
        # Private, as a login writes them (the gateway tidies looser modes at start, loudly).
        (self.home / "state").mkdir(mode=0o700, exist_ok=True)
        path = self.home / "state" / "auth-codex.json"
        path.write_text(json.dumps(entries))
        path.chmod(0o600)

    def config(self, **extra: str) -> Config:
        return Config.load(
            {
                "HOME": str(self.home),
                "CODEX2CLAUDECODE_HOME": str(self.home / "state"),
                "CHATGPT_BASE_URL": self.url,
                "OPENAI_AUTH_URL": self.oauth_url,
                **extra,
            }
        )


@contextmanager
def wham_upstream(home: Path) -> Iterator[WhamUpstream]:
    """Serve a `FakeWham` and a `FakeOAuth` on loopback for the duration of the block."""
    wham, oauth = FakeWham(FakeCodex()), FakeOAuth()
    with run_app(wham) as url, run_app(oauth.app) as oauth_url:
        yield WhamUpstream(home, wham, url, oauth, oauth_url)
