"""`codex2claudecode logs`: print or follow the request log, or show one request in full."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import datetime, tzinfo

import orjson

from codex2claudecode.commands import parsers
from codex2claudecode.config import Config
from codex2claudecode.requestlog import LogDetail, LogEntry, LogReader, LogUnreadable

POLL_SECONDS = 0.5
_COLUMNS = (  # title, width (None: the rest of the line)
    ("TIME", 14),
    ("STATUS", 6),
    ("METHOD", 6),
    ("PATH", 24),
    ("MODEL (ASKED -> USED)", 34),
    ("ACCOUNT", 22),
    ("DURATION", 8),
    ("TTFB", 8),
    ("TOKENS IN/CACHED/OUT", 20),
    ("STOP OR ERROR", None),
)


def add_parser(subparsers: parsers.Subparsers) -> None:
    """Register `logs` (defined in `commands.parsers`) to call this module's `run`."""
    parsers.add_logs(subparsers).set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    with LogReader(config.request_log_path) as reader:
        try:
            if args.request_id is not None:
                return _show_one(reader, args.request_id, as_json=args.json)
            if args.follow:
                return _follow(reader, args.n, as_json=args.json)
            return _show_recent(reader, args.n, as_json=args.json)
        except LogUnreadable as exc:
            print(f"codex2claudecode: {exc}", file=sys.stderr)
            return 1


def _show_recent(reader: LogReader, n: int, *, as_json: bool) -> int:
    entries = reader.recent(n)
    if not entries:
        print(empty_message(reader), file=sys.stderr if as_json else sys.stdout)
        return 0
    _print_entries(entries, as_json=as_json, header=True)
    return 0


def _follow(reader: LogReader, n: int, *, as_json: bool) -> int:
    entries = reader.recent(n)
    if not entries:
        print(empty_message(reader) + "\nWaiting for requests (Ctrl+C ends)...", file=sys.stderr)
    _print_entries(entries, as_json=as_json, header=True)
    last = entries[-1].seq if entries else 0
    try:
        while True:
            time.sleep(POLL_SECONDS)
            entries = reader.after(last)
            if entries:
                _print_entries(entries, as_json=as_json, header=False)
                last = entries[-1].seq
    except KeyboardInterrupt:
        return 0


def _show_one(reader: LogReader, request_id: str, *, as_json: bool) -> int:
    detail = reader.get(request_id)
    if detail is None:
        print(
            f"codex2claudecode: no request {request_id!r} in {reader.path} (it may have been "
            "pruned); `codex2claudecode logs` lists the ids still there",
            file=sys.stderr,
        )
        return 1
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(detail) + b"\n")
        sys.stdout.flush()
    else:
        print(render_detail(detail))
    return 0


def empty_message(reader: LogReader) -> str:
    state = "is empty" if reader.exists else "does not exist yet"
    return (
        f"No requests logged: {reader.path} {state}.\n"
        "Start the gateway (`codex2claudecode`, or `codex2claudecode --headless`) and send it "
        "a request; every request it serves is recorded there."
    )


def _print_entries(entries: Sequence[LogEntry], *, as_json: bool, header: bool) -> None:
    if as_json:
        sys.stdout.buffer.write(b"".join(orjson.dumps(e) + b"\n" for e in entries))
        sys.stdout.flush()
        return
    lines = [render_row(e) for e in entries]
    if header and entries:
        lines.insert(0, render_header())
    if lines:
        print("\n".join(lines), flush=True)


# ---------------------------------------------------------------------- rendering


def render_header() -> str:
    return _line([title for title, _ in _COLUMNS])


def render_row(entry: LogEntry, tz: tzinfo | None = None) -> str:
    """One aligned table row; `tz` is the zone for the time (default: the local one)."""
    return _line(
        [
            datetime.fromtimestamp(entry.started_at, tz).strftime("%m-%d %H:%M:%S"),
            str(entry.status) if entry.status else "---",
            entry.method,
            entry.path,
            _models(entry),
            entry.account or "-",
            _ms(entry.duration_ms),
            _ms(entry.ttfb_ms),
            _tokens(entry),
            entry.error or entry.stop_reason or "",
        ]
    )


def render_detail(detail: LogDetail, tz: tzinfo | None = None) -> str:
    """Everything stored about one request, bodies pretty-printed when they are JSON."""
    e = detail.entry
    facts = [
        ("Request", f"{e.id} (#{e.seq})"),
        ("Time", datetime.fromtimestamp(e.started_at, tz).strftime("%Y-%m-%d %H:%M:%S")),
        ("Request line", f"{e.method} {e.path}"),
        ("Client dialect", e.dialect or "-"),
        ("Status", f"{e.status or '---'} (upstream {e.upstream_status or '-'})"),
        ("Model", _models(e)),
        ("Provider", e.provider or "-"),
        ("Account", e.account or "-"),
        ("Upstream", " ".join(filter(None, [e.upstream_url, e.upstream_request_id])) or "-"),
        ("Duration", f"{_ms(e.duration_ms)} (first byte after {_ms(e.ttfb_ms)})"),
        ("Tokens", _token_line(e)),
        ("Stop reason", e.stop_reason or "-"),
        ("Error", e.error or "-"),
    ]
    width = max(len(name) for name, _ in facts)
    lines = [f"{name + ':':<{width + 1}} {value}" for name, value in facts]
    headers = [
        ("Request headers", detail.request_headers),
        ("Response headers", detail.response_headers),
    ]
    bodies = [
        ("Request body", detail.request_body, detail.request_body_truncated),
        ("Response body", detail.response_body, detail.response_body_truncated),
    ]
    if detail.upstream_request_headers or detail.upstream_response_headers:
        headers += [
            ("Upstream request headers", detail.upstream_request_headers),
            ("Upstream response headers", detail.upstream_response_headers),
        ]
        bodies += [
            (
                "Upstream request body",
                detail.upstream_request_body,
                detail.upstream_request_body_truncated,
            ),
            (
                "Upstream response body",
                detail.upstream_response_body,
                detail.upstream_response_body_truncated,
            ),
        ]
    for title, pairs in headers:
        shown = [f"  {name}: {value}" for name, value in pairs] or ["  (none recorded)"]
        lines += ["", f"{title}:", *shown]
    for title, body, truncated in bodies:
        note = " (truncated)" if truncated else ""
        lines += ["", f"{title}{note}:", _pretty(body).rstrip() if body else "  (not recorded)"]
    return "\n".join(lines)


def _line(cells: Sequence[str]) -> str:
    parts = []
    for (_, width), cell in zip(_COLUMNS, cells, strict=True):
        if width is None:
            parts.append(cell)
        else:
            parts.append(_fit(cell, width).ljust(width))
    return "  ".join(parts).rstrip()


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _models(entry: LogEntry) -> str:
    asked, used = entry.model_requested, entry.model_used
    if asked and used and asked != used:
        return f"{asked} -> {used}"
    return asked or used or "-"


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.1f}ms"
    return f"{value:.0f}ms" if value < 10_000 else f"{value / 1000:.1f}s"


def _tokens(entry: LogEntry) -> str:
    if entry.input_tokens is None and entry.output_tokens is None:
        return "-"
    return f"{entry.input_tokens or 0}/{entry.cached_tokens or 0}/{entry.output_tokens or 0}"


def _token_line(entry: LogEntry) -> str:
    if entry.input_tokens is None and entry.output_tokens is None:
        return "-"
    return (
        f"{entry.input_tokens or 0} in ({entry.cached_tokens or 0} cached), "
        f"{entry.output_tokens or 0} out ({entry.reasoning_tokens or 0} reasoning)"
    )


def _pretty(body: str) -> str:
    try:
        return orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return body
