"""The ChatGPT backend's `GET /wham/usage` and `GET /wham/environments`, per account.

Wraps a `FakeCodex` (everything else goes to it) and answers these two paths for the account
named by the `chatgpt-account-id` header; with `accepts` set, a token it rejects gets a 401.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.codex import FakeCodex, Recorded


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
