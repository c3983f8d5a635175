"""JSON-lines files for append-only logs (audit trail, distribution receipts).

Logs are kept out of TinyDB: an append costs one ``write`` + ``fsync`` whatever the size
of the file, instead of a rewrite of the whole history.

A crash in the middle of an append can leave an incomplete last line. That line was
never acknowledged to anyone (the append had not returned), so ``check_tail`` drops it
with a warning; anything else that does not parse is reported as corruption.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.errors import CorruptDatabaseError, NotSerializableError
from storage.files import ensure_dir, fsync_dir, write_all

log = logging.getLogger(__name__)

_TAIL_CHUNK = 64 * 1024
_CHECK_CHUNK = 4 * 1024 * 1024


def encode_records(records: Iterable[dict[str, Any]], where: str) -> bytes:
    lines = []
    for record in records:
        if not isinstance(record, dict):
            raise TypeError(f"log records must be dicts, got {type(record).__name__}")
        try:
            lines.append(
                json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            )
        except (TypeError, ValueError) as exc:
            raise NotSerializableError(where, str(exc)) from exc
    if not lines:
        return b""
    return ("\n".join(lines) + "\n").encode("utf-8")


def _parse_line(path: Path, line: bytes, lineno: int) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptDatabaseError(path, "line_bad_json", line=lineno, error=str(exc)) from exc
    if not isinstance(value, dict):
        raise CorruptDatabaseError(path, "line_not_object", line=lineno)
    return value


def _is_record(fragment: bytes) -> bool:
    try:
        return isinstance(json.loads(fragment), dict)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False


def check_tail(path: Path) -> None:
    """Check the last line of ``path``; repair an append that a crash cut short.

    * a complete record that only lacks its newline gets the newline;
    * an incomplete last line is cut off (logged as a warning with what was dropped);
    * a newline-terminated last line that does not parse is corruption.
    """
    with path.open("r+b") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return
        start = size
        tail = b""
        # Read backwards until the tail holds the start of the last line (or the file).
        while start > 0:
            step = min(_TAIL_CHUNK, start)
            start -= step
            fh.seek(start)
            tail = fh.read(step) + tail
            body = tail[:-1] if tail.endswith(b"\n") else tail
            if b"\n" in body:
                break
        if tail.endswith(b"\n"):
            body = tail[:-1]
            last = body.rsplit(b"\n", 1)[-1]
            _check_complete_last(path, last)
            return
        cut = tail.rfind(b"\n")
        fragment = tail[cut + 1 :]
        if _is_record(fragment):
            fh.write(b"\n")
            fh.flush()
            os.fsync(fh.fileno())
            log.warning("%s: last record lacked its newline; newline added", path)
            return
        keep = start + cut + 1
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
        log.warning(
            "%s: dropped an incomplete last line left by an interrupted append (%d bytes: %r)",
            path,
            size - keep,
            fragment[:200],
        )


def _check_complete_last(path: Path, line: bytes) -> None:
    if not _is_record(line):
        raise CorruptDatabaseError(path, "last_line_not_object")


def check_all(path: Path) -> int:
    """Parse every line (after ``check_tail``); returns the number of records.

    Lines are parsed in chunks of about 4 MB turned into one JSON array each, which
    keeps the work in the C parser (several times faster than a ``json.loads`` per
    line) with bounded memory; only a chunk that fails is re-read line by line to name
    the bad line.
    """
    check_tail(path)
    count = 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(_CHECK_CHUNK)
            if not chunk:
                break
            if not chunk.endswith(b"\n"):
                chunk += fh.readline()
            if not _chunk_is_valid(chunk):
                first = count + 1
                for offset, line in enumerate(chunk.split(b"\n")[:-1]):
                    _parse_line(path, line, first + offset)
            count += chunk.count(b"\n")
    return count


def _chunk_is_valid(chunk: bytes) -> bool:
    try:
        values = json.loads(b"[" + chunk[:-1].replace(b"\n", b",") + b"]")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    # One value per line: catches a blank line or two objects on one line.
    return len(values) == chunk.count(b"\n") and all(type(v) is dict for v in values)


def read_records(path: Path) -> list[dict[str, Any]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    if raw and not raw.endswith(b"\n"):
        raise CorruptDatabaseError(path, "last_line_incomplete")
    return [_parse_line(path, line, n) for n, line in enumerate(raw.split(b"\n")[:-1], 1)]


@dataclass
class AppendMark:
    """Where a file ended before an append, so the append can be undone."""

    path: Path
    size: int

    def undo(self) -> None:
        with self.path.open("r+b") as fh:
            fh.truncate(self.size)
            fh.flush()
            os.fsync(fh.fileno())


def append_bytes(path: Path, data: bytes) -> AppendMark:
    """One write + fsync. On failure the file is cut back to its old length."""
    ensure_dir(path.parent)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        try:
            write_all(fd, data)
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)
    return AppendMark(path, size)
