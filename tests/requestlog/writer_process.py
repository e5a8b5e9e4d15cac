"""A separate process writing to a request log: `python -m tests.requestlog.writer_process`.

Arguments: DB COUNT TAG [FILE_SIZE_LIMIT]. Writes COUNT records with ids `TAG-<n>` and a 16 KiB
body each, then closes the log and prints `done`. With FILE_SIZE_LIMIT (bytes), the process
may not grow any file past it, as on a full disk.
"""

from __future__ import annotations

import logging
import resource
import signal
import sys
from pathlib import Path

from codex2claudecode.requestlog import RequestLog
from tests.requestlog.records import make_record


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    db, count, tag = Path(argv[0]), int(argv[1]), argv[2]
    if len(argv) > 3:
        limit = int(argv[3])
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    log = RequestLog(db, flush_interval=0.01, batch_size=16, busy_timeout=30.0)
    for n in range(count):
        record = make_record(log, id=f"{tag}-{n}")
        record.set_request_body(b"x" * 16384)
        log.submit(record)
    log.close()
    print("done")


if __name__ == "__main__":
    main(sys.argv[1:])
