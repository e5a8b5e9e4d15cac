"""One request in full (from /logs): summary, headers, pretty-printed bodies and the upstream
exchange; c copies it all."""

from __future__ import annotations

from datetime import datetime, tzinfo

import orjson
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from codex2claudecode.requestlog import LogDetail, LogReader, LogUnreadable
from codex2claudecode.tui import render
from codex2claudecode.tui.blocking import off_loop
from codex2claudecode.tui.screens.panel import Panel
from codex2claudecode.tui.session import Session


class LogDetailScreen(Panel):
    heading = "Request"
    keys = "↑/↓ PgUp/PgDn scroll · c copy · Esc back"
    BINDINGS = [Binding("c", "copy", "Copy")]
    DEFAULT_CSS = """
    LogDetailScreen > #panel { height: 100%; }
    LogDetailScreen #detail-scroll { height: 1fr; }
    """

    def __init__(self, session: Session, request_id: str) -> None:
        super().__init__(session)
        self.request_id = request_id
        self.text = ""

    def body(self) -> ComposeResult:
        with VerticalScroll(id="detail-scroll"):
            yield Static(id="detail", markup=False)

    def on_mount(self) -> None:
        self.query_one("#detail-scroll").focus()
        self._load()

    @work(exclusive=True)
    async def _load(self) -> None:
        try:
            detail = await off_loop(_read, self.session, self.request_id)
        except LogUnreadable as exc:
            self.note(str(exc), error=True)
            return
        if detail is None:
            self.note(f"Request {self.request_id} is no longer in the log.", error=True)
            return
        self.text = detail_text(detail, self.session.tz)
        shown = Text(self.text)
        shown.highlight_regex(f"(?m)^{SECTION}.*$", "bold")
        self.query_one("#detail", Static).update(shown)
        self.query_one("#panel-title", Static).update(
            f"Request {detail.entry.id} · {detail.entry.method} {detail.entry.path}"
        )

    def action_copy(self) -> None:
        if not self.text:
            return
        self.app.copy_to_clipboard(self.text)
        self.note("Copied this request (the terminal's clipboard, OSC 52).", done=True)


def _read(session: Session, request_id: str) -> LogDetail | None:
    with LogReader(session.log_path) as reader:
        return reader.get(request_id)


def detail_text(detail: LogDetail, tz: tzinfo | None) -> str:
    """The whole request as plain text: what the screen shows and `c` copies.

    Sections in the order things happened: the client's request, the exchange with the
    upstream, the response the client got.
    """
    e = detail.entry
    when = datetime.fromtimestamp(e.started_at, tz).strftime("%Y-%m-%d %H:%M:%S")
    lines = [
        f"{e.method} {e.path}",
        f"id {e.id} · {when} · status {e.status} · {render.duration_text(e.duration_ms)}"
        f" (first byte {render.duration_text(e.ttfb_ms)})",
        f"model asked {e.model_requested or '-'} · used {e.model_used or '-'} · "
        f"{e.provider or '-'} account {e.account or '-'}",
        f"tokens in {_n(e.input_tokens)} (cached {_n(e.cached_tokens)}) · out "
        f"{_n(e.output_tokens)} (reasoning {_n(e.reasoning_tokens)}) · stop {e.stop_reason or '-'}",
    ]
    if e.error:
        lines.append(f"error: {e.error}")
    lines += _section("Request", detail.request_headers)
    lines += ["", *_body(detail.request_body, detail.request_body_truncated)]
    lines += ["", SECTION + "Upstream exchange", *_upstream(detail)]
    lines += _section(f"Response · {e.status or '---'}", detail.response_headers)
    lines += ["", *_body(detail.response_body, detail.response_body_truncated)]
    return "\n".join(lines)


SECTION = "── "
"""How a section's title line starts (the screen shows those lines in bold)."""


def _section(title: str, headers: list[tuple[str, str]]) -> list[str]:
    return ["", SECTION + title, *_headers(headers)]


def _upstream(detail: LogDetail) -> list[str]:
    e = detail.entry
    if not (e.upstream_url or e.upstream_status is not None):
        return ["no upstream call (answered locally)"]
    lines = [
        f"{e.upstream_url or '(URL not recorded)'} → {e.upstream_status or '-'}",
        f"upstream request id {e.upstream_request_id or '-'}",
    ]
    if not (detail.upstream_request_headers or detail.upstream_response_headers):
        return [*lines, "(headers and bodies not recorded: logged by an older version)"]
    return [
        *lines,
        "",
        "sent:",
        *_headers(detail.upstream_request_headers),
        "",
        *_body(detail.upstream_request_body, detail.upstream_request_body_truncated),
        "",
        "received:",
        *_headers(detail.upstream_response_headers),
        "",
        *_body(detail.upstream_response_body, detail.upstream_response_body_truncated),
    ]


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


def _headers(headers: list[tuple[str, str]]) -> list[str]:
    return [f"{name}: {value}" for name, value in headers] or ["(none)"]


def _body(body: str | None, truncated: bool) -> list[str]:
    if body is None:
        return ["(not kept)"]
    try:
        text = orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        text = body
    return [*text.splitlines(), *(["… (cut: the log keeps the start only)"] if truncated else [])]
