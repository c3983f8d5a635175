"""The writer thread's view of the files, and the transaction of one ``Database.run``.

Only the writer thread touches a ``Workspace``. During a run, TinyDB writes and log
appends only change memory; when the run's function returns, ``Transaction.commit``
makes them durable in this order:

1. every changed JSON file is written to a temp file beside it and fsynced;
2. every log batch is appended to its ``.jsonl`` and fsynced;
3. the temp files are renamed over their targets, then each folder is fsynced.

A failure in steps 1-2 (or in the function itself) undoes everything: temp files are
deleted, appends are cut back, in-memory copies are dropped and re-read from disk. So a
run is all-or-nothing except for a crash during steps 2-3: a crash inside an append can
leave the first lines of that batch (the cut line itself is dropped at the next open),
and a crash or I/O error during the renames leaves some JSON files old and some new
(each file itself is always whole, old or new).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from tinydb.table import Table

from storage.atomic_json import DEFAULT_TABLE, AtomicJSONStorage
from storage.errors import StorageError
from storage.files import StagedFile, fsync_dir
from storage.jsonl import AppendMark, append_bytes
from storage.lock import DirLock

log = logging.getLogger(__name__)


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

    def commit(self) -> None:
        staged: list[tuple[AtomicJSONStorage, StagedFile]] = []
        marks: list[AppendMark] = []
        try:
            for storage in self.dirty.values():
                staged.append((storage, storage.stage()))
            for path, chunks in self.logs.items():
                marks.append(append_bytes(path, b"".join(chunks)))
        except BaseException:
            for _, item in staged:
                item.discard()
            for mark in reversed(marks):
                try:
                    mark.undo()
                except OSError:
                    log.exception("could not undo an append to %s", mark.path)
            raise
        folders: set[Path] = set()
        try:
            while staged:
                storage, item = staged[0]
                item.publish(storage.keep_backup)
                staged.pop(0)
                folders.add(item.target.parent)
        finally:
            for _, item in staged:
                item.discard()
            for folder in folders:
                fsync_dir(folder)


class Workspace:
    def __init__(self, root: Path, lock: DirLock) -> None:
        self.root = root
        self._lock: DirLock | None = lock
        self._storages: dict[Path, AtomicJSONStorage] = {}
        self._tables: dict[Path, Table] = {}
        self._kinds: dict[Path, str] = {}
        self._tx: Transaction | None = None

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
                tx.commit()
            except BaseException:
                self._forget(tx.touched)
                raise
        else:
            self._forget(tx.touched)

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

    def _forget(self, paths: set[Path]) -> None:
        """Drop in-memory copies (and TinyDB's id/query caches) of ``paths``."""
        for path in paths:
            storage = self._storages.pop(path, None)
            if storage is not None:
                storage.invalidate()
            self._tables.pop(path, None)

    def close(self) -> None:
        self._forget(set(self._storages))
        if self._lock is not None:
            lock, self._lock = self._lock, None
            with contextlib.suppress(OSError):
                lock.release()
