"""The write-ahead journal: one append and one fsync make a whole transaction durable.

A transaction may change several data files (a flow, the outbox, a counter) and append
to logs. Renaming the files one by one cannot make that atomic: a crash between two
renames leaves the flow new and the outbox old. So a commit appends one record to
``<root>/journal.wal`` describing every change, fsyncs it once (the commit point), and
only later writes the data files themselves (a *checkpoint*: each file written whole by
temp file + rename, every log fsynced, then the journal emptied).

A record is ``MAGIC | length (u32 LE) | crc32 (u32 LE) | body``; the body is JSON::

    {"files": [{"path": "flows/open.json",
                "tables": {"_default": {"all": false, "set": {id: doc, ...}, "del": [id]}}}],
     "logs": [{"path": "audit/2026.jsonl", "at": 1234, "text": "...lines..."}]}

``all`` replaces the whole table by ``set``; otherwise the documents in ``set`` are
written and those in ``del`` removed. A log entry says its text starts at byte ``at``.

At start-up, before anything reads the files, :func:`recover` applies every whole
record to the files (a record cut short by a crash was never committed and is dropped),
then empties the journal. Applying a record twice gives the same files, so a crash
during recovery or a checkpoint is harmless.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.atomic_json import Tables, encode_tables, load_tables
from storage.errors import CorruptDatabaseError
from storage.files import ensure_dir, replace_atomically, write_all

log = logging.getLogger(__name__)

JOURNAL_FILE = "journal.wal"
MAGIC = b"GBJ1"
_HEADER = struct.Struct("<4sII")


def frame(body: bytes) -> bytes:
    return _HEADER.pack(MAGIC, len(body), zlib.crc32(body)) + body


def read_records(raw: bytes) -> tuple[list[dict[str, Any]], int]:
    """The whole records at the start of ``raw`` and the length they cover (a torn or
    damaged tail is left out)."""
    records: list[dict[str, Any]] = []
    offset = 0
    while offset + _HEADER.size <= len(raw):
        magic, length, crc = _HEADER.unpack_from(raw, offset)
        start = offset + _HEADER.size
        body = raw[start : start + length]
        if magic != MAGIC or len(body) != length or zlib.crc32(body) != crc:
            break
        try:
            record = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            break
        records.append(record)
        offset = start + length
    return records, offset


def apply_tables(tables: Tables, changes: dict[str, Any]) -> None:
    """Apply one file's changes of a record to its parsed ``tables`` (in place)."""
    for name, change in changes.items():
        docs = change.get("set") or {}
        if change.get("all"):
            tables[name] = dict(docs)
            continue
        table = tables.setdefault(name, {})
        table.update(docs)
        for doc_id in change.get("del") or ():
            table.pop(doc_id, None)


def ensure_log_text(path: Path, at: int, data: bytes) -> bool:
    """Make sure ``data`` sits at byte ``at`` of the log ``path``; True if it had to be
    (re)written. The caller fsyncs."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = 0
    if size >= at + len(data):
        with path.open("rb") as handle:
            handle.seek(at)
            if handle.read(len(data)) == data:
                return False
    if size < at:
        raise CorruptDatabaseError(path, "log_shorter", size=size, expected=at)
    ensure_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.ftruncate(fd, at)
        os.lseek(fd, at, os.SEEK_SET)
        write_all(fd, data)
    finally:
        os.close(fd)
    return True


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class RecoveryReport:
    records: int = 0
    files: int = 0
    logs: int = 0
    dropped_bytes: int = 0
    paths: set[str] = field(default_factory=set)


def recover(root: Path) -> RecoveryReport:
    """Apply the journal of ``root`` to its files and empty it (start-up, under lock)."""
    report = RecoveryReport()
    path = root / JOURNAL_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return report
    records, good = read_records(raw)
    report.records = len(records)
    report.dropped_bytes = len(raw) - good
    if report.dropped_bytes:
        log.warning(
            "%s: dropping %d bytes of a transaction cut short (never committed)",
            path,
            report.dropped_bytes,
        )
    files: dict[str, Tables] = {}
    logs: set[str] = set()
    for record in records:
        for change in record.get("files", ()):
            rel = _relative(change["path"])
            if rel not in files:
                files[rel] = load_tables(root / rel) or {}
            apply_tables(files[rel], change.get("tables") or {})
        for entry in record.get("logs", ()):
            rel = _relative(entry["path"])
            ensure_log_text(root / rel, int(entry["at"]), str(entry["text"]).encode("utf-8"))
            logs.add(rel)
    for rel, tables in files.items():
        replace_atomically(root / rel, encode_tables(tables, root / rel))
    for rel in logs:
        fsync_file(root / rel)
    report.files, report.logs = len(files), len(logs)
    report.paths = set(files) | logs
    if records:
        log.info(
            "journal: %d committed transactions applied to %d files and %d logs",
            len(records),
            len(files),
            len(logs),
        )
    Journal.empty(path)
    return report


def _relative(rel: str) -> str:
    parts = Path(rel).parts
    if not parts or Path(rel).is_absolute() or ".." in parts:
        raise CorruptDatabaseError(Path(rel), "journal_path_outside")
    return rel


class Journal:
    """The open journal file of a running database (writer thread only)."""

    def __init__(self, root: Path) -> None:
        self.path = root / JOURNAL_FILE
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.size = os.fstat(self._fd).st_size

    @staticmethod
    def empty(path: Path) -> None:
        """Truncate ``path`` to nothing, durably."""
        with contextlib.suppress(FileNotFoundError):
            fd = os.open(path, os.O_WRONLY)
            try:
                os.ftruncate(fd, 0)
                os.fsync(fd)
            finally:
                os.close(fd)

    def append(self, body: bytes) -> None:
        """Append one record and fsync: the commit point. On failure the journal is cut
        back, so nothing of the record remains."""
        data = frame(body)
        try:
            write_all(self._fd, data)
            os.fsync(self._fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self.size)
            raise
        self.size += len(data)

    def reset(self) -> None:
        """Empty the journal once every change it holds is in the files."""
        os.ftruncate(self._fd, 0)
        os.fsync(self._fd)
        self.size = 0

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)
