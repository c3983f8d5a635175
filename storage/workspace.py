"""The writer thread's view of the files, and the transaction of one ``Database.run``.

Only the writer thread touches a ``Workspace``. During a run, TinyDB writes and log
appends only change memory; when the run's function returns, ``Transaction`` commits
them as one record of the write-ahead journal (storage.journal): every changed document
of every file and every log line, appended and fsynced once. That append is the commit
point: a crash before it leaves nothing of the run, a crash after it leaves all of it
(recovered at the next start). The log lines are then written to their files.

The data files themselves are written by a *checkpoint* (each changed file whole, by
temp file + rename, every log fsynced, then the journal emptied): when the journal
passes :data:`CHECKPOINT_BYTES`, when the database closes, and after
:data:`CHECKPOINT_IDLE_S` without one. Until then the memory and the journal are ahead
of the files, which is safe because only this process reads them while it holds the
lock, and the next opening replays the journal first.

A failure in the function or before the commit point undoes everything in memory: the
changed documents get their committed version back (AtomicJSONStorage.rollback).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
from pathlib import Path

from tinydb.table import Table

from storage.atomic_json import DEFAULT_TABLE, AtomicJSONStorage
from storage.backup import open_checkpoint_lock
from storage.errors import StorageError
from storage.files import fsync_dir, replace_atomically
from storage.journal import Journal, ensure_log_text, fsync_file
from storage.lock import DirLock
from storage.schema import record_files

log = logging.getLogger(__name__)

# A checkpoint when the journal grows past this, or this long after the last one.
CHECKPOINT_BYTES = 4 * 1024 * 1024
CHECKPOINT_IDLE_S = 5.0


class Transaction:
    def __init__(self) -> None:
        self.dirty: dict[Path, AtomicJSONStorage] = {}
        self.touched: set[Path] = set()
        self.logs: dict[Path, list[bytes]] = {}

    def add_log(self, path: Path, data: bytes) -> None:
        if data:
            self.logs.setdefault(path, []).append(data)

    def pending_log(self, path: Path) -> bytes:
        return b"".join(self.logs.get(path, ()))


class Workspace:
    def __init__(self, root: Path, lock: DirLock, known_files: set[str] | None = None) -> None:
        self.root = root
        self._known_files = set(known_files or ())  # listed in schema.json (storage.manifest)
        self._lock: DirLock | None = lock
        self._storages: dict[Path, AtomicJSONStorage] = {}
        self._tables: dict[Path, Table] = {}
        self._kinds: dict[Path, str] = {}
        self._tx: Transaction | None = None
        self._journal = Journal(root)
        self._unflushed: dict[Path, AtomicJSONStorage] = {}
        self._log_sizes: dict[Path, int] = {}
        self._log_entries: list[tuple[Path, int, bytes]] = []  # since the last checkpoint
        self._log_failed = False
        self._last_checkpoint = time.monotonic()
        # Held (exclusive) while a checkpoint writes files; a backup holds it shared.
        self._checkpoint_lock = open_checkpoint_lock(root)

    # -- transaction lifecycle (called by Database on the writer thread) --

    def begin(self) -> Transaction:
        if self._lock is None:
            raise StorageError("the database is closed")
        if self._tx is not None:
            raise StorageError("Database.run() cannot be nested")
        self._tx = Transaction()
        return self._tx

    def end(self, success: bool) -> None:
        tx, self._tx = self._tx, None
        if tx is None:
            return
        if success:
            try:
                self._commit(tx)
            except BaseException:
                self._rollback(tx)
                raise
        else:
            self._rollback(tx)

    def _commit(self, tx: Transaction) -> None:
        if not tx.dirty and not tx.logs:
            return
        files = []
        for path, storage in tx.dirty.items():
            files.append(
                b'{"path":'
                + _json(self._relative(path))
                + b',"tables":'
                + storage.take_delta()
                + b"}"
            )
        logs = []
        entries = []
        for path, chunks in tx.logs.items():
            data = b"".join(chunks)
            at = self._log_size(path)
            entries.append((path, at, data))
            text = json.dumps(data.decode("utf-8"), ensure_ascii=False).encode("utf-8")
            logs.append(
                b'{"path":'
                + _json(self._relative(path))
                + b',"at":'
                + str(at).encode()
                + b',"text":'
                + text
                + b"}"
            )
        body = b'{"files":[' + b",".join(files) + b'],"logs":[' + b",".join(logs) + b"]}"
        self._journal.append(body)  # the commit point
        for storage in tx.dirty.values():
            storage.committed()
        self._unflushed.update(tx.dirty)
        for path, at, data in entries:
            self._log_sizes[path] = at + len(data)
            self._log_entries.append((path, at, data))
            try:
                ensure_log_text(path, at, data)
            except OSError:  # committed in the journal: written again at the checkpoint
                log.exception("could not append to %s yet; kept in the journal", path)
                self._log_failed = True
        try:
            self.maybe_checkpoint()
        except Exception:  # past the commit point: never a reason to roll the run back
            log.exception("checkpoint failed; the journal keeps every change")

    def _rollback(self, tx: Transaction) -> None:
        for path in tx.touched:
            storage = self._storages.get(path)
            if storage is not None:
                storage.rollback()
            self._tables.pop(path, None)  # TinyDB's id and query caches

    def _log_size(self, path: Path) -> int:
        size = self._log_sizes.get(path)
        if size is None:
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                size = 0
            self._log_sizes[path] = size
        return size

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # -- checkpoints --

    def maybe_checkpoint(self) -> None:
        due = time.monotonic() - self._last_checkpoint >= CHECKPOINT_IDLE_S
        if self._journal.size and (self._journal.size >= CHECKPOINT_BYTES or due):
            self.checkpoint()

    def checkpoint(self) -> None:
        """Write every file the journal is ahead of, fsync the logs, empty the journal.
        A failure (a full disk) leaves the journal as it is: nothing is lost, the next
        checkpoint tries again."""
        if self._tx is not None:
            raise StorageError("checkpoint inside a transaction")
        self._last_checkpoint = time.monotonic()
        if not self._journal.size:
            return
        try:
            fcntl.flock(self._checkpoint_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a backup is copying the files: the journal waits
            log.info("checkpoint postponed: a backup is running")
            return
        try:
            written = {self._relative(path) for path in self._unflushed}
            for path, storage in list(self._unflushed.items()):
                replace_atomically(path, storage.encode(), storage.keep_backup)
                del self._unflushed[path]
            if self._log_failed:
                for path, at, data in self._log_entries:
                    ensure_log_text(path, at, data)
                self._log_failed = False
            for path in {path for path, _, _ in self._log_entries}:
                fsync_file(path)
                fsync_dir(path.parent)  # a log created since the last checkpoint
                written.add(self._relative(path))
            if written - self._known_files:  # listed before the journal lets go of them
                self._known_files |= written
                record_files(self.root, self._known_files)
            self._log_entries.clear()
            self._journal.reset()
        except OSError:
            log.exception("checkpoint failed; the journal keeps every change")
        finally:
            fcntl.flock(self._checkpoint_lock, fcntl.LOCK_UN)

    @property
    def tx(self) -> Transaction:
        if self._tx is None:
            raise StorageError("storage objects are only usable inside Database.run()")
        return self._tx

    # -- file access --

    def storage(self, path: Path, kind: str) -> AtomicJSONStorage:
        """The cached storage of ``path``; ``kind`` stops one file serving two roles."""
        tx = self.tx
        known = self._kinds.setdefault(path, kind)
        if known != kind:
            raise StorageError(f"{path} is used both as {known} and as {kind}")
        storage = self._storages.get(path)
        if storage is None:
            storage = AtomicJSONStorage(path, on_change=self._changed)
            self._storages[path] = storage
        tx.touched.add(path)
        return storage

    def table(self, path: Path) -> Table:
        storage = self.storage(path, "table")
        table = self._tables.get(path)
        if table is None:
            table = Table(storage, DEFAULT_TABLE)
            self._tables[path] = table
        return table

    def _changed(self, storage: AtomicJSONStorage) -> None:
        tx = self.tx
        tx.dirty[storage.path] = storage
        tx.touched.add(storage.path)

    def close(self) -> None:
        if self._lock is not None:
            self.checkpoint()
        for storage in self._storages.values():
            storage.invalidate()
        self._storages.clear()
        self._tables.clear()
        self._journal.close()
        with contextlib.suppress(OSError):
            os.close(self._checkpoint_lock)
        if self._lock is not None:
            lock, self._lock = self._lock, None
            with contextlib.suppress(OSError):
                lock.release()


def _json(value: str) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")
