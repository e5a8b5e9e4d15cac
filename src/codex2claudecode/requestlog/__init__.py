"""The SQLite request log: records filled by the pipeline, one writer thread, readers."""

from codex2claudecode.requestlog.queries import (
    LogDetail,
    LogEntry,
    LogReader,
    LogUnreadable,
    TokenTotals,
)
from codex2claudecode.requestlog.record import RequestRecord
from codex2claudecode.requestlog.writer import RequestLog

__all__ = [
    "LogDetail",
    "LogEntry",
    "LogReader",
    "LogUnreadable",
    "RequestLog",
    "RequestRecord",
    "TokenTotals",
]
