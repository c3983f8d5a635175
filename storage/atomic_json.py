"""A crash-safe TinyDB storage with a write-through in-memory copy.

TinyDB's own ``JSONStorage`` overwrites the file in place and truncates afterwards, so a
crash or a full disk mid-write leaves unreadable JSON (see failure-modes B.12). This
storage always writes a temp file in the same folder, fsyncs it, renames it over the
target with ``os.replace`` and fsyncs the folder.

It keeps the parsed data in memory. That is safe because exactly one thread (the
database's writer thread) ever reads or writes a storage, and it spares every operation
a re-read and re-parse of the file, which is what dominates TinyDB's cost.

It also keeps each document's encoded JSON (its *piece*), which is always the committed
version of the document. Code that changes documents in place says which ones
(``changed(doc_ids)``, used by ``Collection``, counters and meta); only those are
re-encoded, and the file is assembled from the cached pieces, so a write costs one
document's encoding plus a memory copy instead of encoding the whole file (``json.dumps``
runs at only ~35 MB/s here and holds the GIL, stalling the event loop). A plain TinyDB
``write(data)`` marks every table changed, so the generic path stays correct.

Two modes:

* standalone (``on_change`` is None): ``write`` replaces the file before returning;
* transactional: ``write`` and ``changed`` only update memory, note what changed and
  call ``on_change(self)``. When the unit of work succeeds, :meth:`take_delta` gives
  the changes as one journal entry (storage.journal) and makes them the committed
  version; the file itself is written later by a checkpoint (:meth:`encode`). When it
  fails, :meth:`rollback` puts the committed documents back from their pieces.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from storage.errors import CorruptDatabaseError, NotSerializableError
from storage.files import StagedFile, replace_atomically, stage_bytes

Tables = dict[str, dict[str, Any]]
DEFAULT_TABLE = "_default"


def _dumps(value: Any, where: Path) -> bytes:
    """Compact JSON: no indent, UTF-8 as is (faster and smaller than escaped ASCII)."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise NotSerializableError(str(where), str(exc)) from exc
    return text.encode("utf-8")


def encode_tables(data: Tables, where: Path) -> bytes:
    return _dumps(data, where)


def decode_tables(path: Path, raw: bytes) -> Tables:
    """Parse a TinyDB file and check its shape; any problem is a CorruptDatabaseError."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CorruptDatabaseError(path, "not_utf8", error=str(exc)) from exc
    except json.JSONDecodeError as exc:
        raise CorruptDatabaseError(
            path, "json_syntax", line=exc.lineno, column=exc.colno, error=exc.msg
        ) from exc
    if not isinstance(data, dict):
        raise CorruptDatabaseError(path, "not_tables")
    for table_name, table in data.items():
        if not isinstance(table, dict):
            raise CorruptDatabaseError(path, "table_not_object", table=table_name)
        for doc_id, doc in table.items():
            if not isinstance(doc, dict):
                raise CorruptDatabaseError(
                    path, "record_not_object", table=table_name, record=doc_id
                )
    return data


def load_tables(path: Path) -> Tables | None:
    """None for a missing or empty file (TinyDB's convention for a new database)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    if not raw.strip():
        return None
    return decode_tables(path, raw)


def _decode_pieces(pieces: Iterable[bytes], where: Path) -> dict[str, Any]:
    value = json.loads(b"{" + b",".join(pieces) + b"}")
    if not isinstance(value, dict):
        raise CorruptDatabaseError(where, "memory_restore")
    return value


class AtomicJSONStorage(Storage):
    def __init__(
        self,
        path: str | Path,
        on_change: Callable[[AtomicJSONStorage], None] | None = None,
        keep_backup: bool = True,
    ) -> None:
        self.path = Path(path)
        self._on_change = on_change
        self._keep_backup = keep_backup
        self._data: Tables | None = None
        self._loaded = False
        # table name -> document id -> encoded '"id":{...}' of that document
        self._pieces: dict[str, dict[str, bytes]] = {}
        # What the current transaction changed: table -> document ids (None: any).
        self._tx_changes: dict[str, set[str] | None] = {}
        # take_delta's new pieces, kept until committed(): table -> (whole table?,
        # id -> piece or None for a removed document).
        self._prepared: dict[str, tuple[bool, dict[str, bytes | None]]] = {}

    def read(self) -> Tables | None:
        if not self._loaded:
            self._data = load_tables(self.path)
            self._loaded = True
            if self._on_change is not None and self._data:
                self.encode()  # every committed document has its piece (for rollback)
        return self._data

    def write(self, data: Tables) -> None:
        """TinyDB's entry point: any document may have changed."""
        if self._on_change is None:
            self._pieces.clear()
        else:
            for name in set(data) | set(self._pieces):
                self._tx_changes[name] = None
        self._store(data)

    def _store(self, data: Tables) -> None:
        self._data = data
        self._loaded = True
        if self._on_change is not None:
            self._on_change(self)
            return
        try:
            replace_atomically(self.path, self.encode(), self._keep_backup)
        except BaseException:
            self.invalidate()  # memory must never run ahead of the disk
            raise

    def table_data(self, table: str = DEFAULT_TABLE) -> dict[str, Any]:
        """The mutable dict of one table (created if missing); call ``changed()`` after."""
        data = self.read()
        if data is None:
            data = {}
            self._data = data
        return data.setdefault(table, {})

    def changed(self, doc_ids: Iterable[str] | None = None, table: str = DEFAULT_TABLE) -> None:
        """Report in-place changes made through ``table_data``.

        ``doc_ids``: the documents added, modified or removed (a removed one is simply
        absent from the table); None means any document of ``table`` may have changed.
        """
        if self._on_change is not None:  # pieces stay committed until take_delta
            current = self._tx_changes.get(table, set())
            if doc_ids is None or current is None:
                self._tx_changes[table] = None
            else:
                self._tx_changes[table] = current | set(doc_ids)
        else:
            pieces = self._pieces.get(table)
            if pieces is not None:
                if doc_ids is None:
                    del self._pieces[table]
                else:
                    for doc_id in doc_ids:
                        pieces.pop(doc_id, None)
        data = self.read()
        self._store(data if data is not None else {})

    def encode(self) -> bytes:
        """The file's bytes, re-encoding only documents whose piece is not cached."""
        data = self._data or {}
        for name in set(self._pieces) - set(data):
            del self._pieces[name]
        parts = []
        for name, docs in data.items():
            old = self._pieces.get(name, {})
            new = {}
            for doc_id, doc in docs.items():
                piece = old.get(doc_id)
                if piece is None:
                    piece = _dumps(doc_id, self.path) + b":" + _dumps(doc, self.path)
                new[doc_id] = piece
            self._pieces[name] = new
            parts.append(_dumps(name, self.path) + b":{" + b",".join(new.values()) + b"}")
        return b"{" + b",".join(parts) + b"}"

    def stage(self) -> StagedFile:
        return stage_bytes(self.path, self.encode())

    # -- transactions (journal mode) --

    def take_delta(self) -> bytes:
        """The current transaction's changes as the ``tables`` object of a journal entry
        (storage.journal). Nothing changes until :meth:`committed` (the journal has the
        record) or :meth:`rollback`."""
        data = self._data or {}
        parts = []
        updates: dict[str, tuple[bool, dict[str, bytes | None]]] = {}
        for name, ids in self._tx_changes.items():
            docs = data.get(name, {})
            key = _dumps(name, self.path)
            if ids is None:
                new = {doc_id: self._piece(doc_id, doc) for doc_id, doc in docs.items()}
                updates[name] = (True, dict(new))
                body = b'{"all":true,"set":{' + b",".join(new.values()) + b"}}"
            else:
                changes: dict[str, bytes | None] = {}
                for doc_id in sorted(ids):
                    changes[doc_id] = self._piece(doc_id, docs[doc_id]) if doc_id in docs else None
                updates[name] = (False, changes)
                sets = [piece for piece in changes.values() if piece is not None]
                dels = [doc_id for doc_id, piece in changes.items() if piece is None]
                body = (
                    b'{"all":false,"set":{'
                    + b",".join(sets)
                    + b'},"del":'
                    + _dumps(dels, self.path)
                    + b"}"
                )
            parts.append(key + b":" + body)
        self._prepared = updates
        return b"{" + b",".join(parts) + b"}"

    def committed(self) -> None:
        """The journal holds the transaction: its documents are the committed version."""
        for name, (whole, changes) in self._prepared.items():
            if whole:
                self._pieces[name] = {d: p for d, p in changes.items() if p is not None}
                continue
            pieces = self._pieces.setdefault(name, {})
            for doc_id, piece in changes.items():
                if piece is None:
                    pieces.pop(doc_id, None)
                else:
                    pieces[doc_id] = piece
        self._prepared = {}
        self._tx_changes.clear()

    def rollback(self) -> None:
        """Throw the current transaction's changes away: the changed documents get
        their committed version back (from their pieces)."""
        data = self._data
        if data is not None:
            for name, ids in self._tx_changes.items():
                pieces = self._pieces.get(name)
                if pieces is None:
                    data.pop(name, None)  # a table this transaction created
                    continue
                if ids is None:
                    data[name] = _decode_pieces(pieces.values(), self.path)
                    continue
                table = data.setdefault(name, {})
                for doc_id in ids:
                    piece = pieces.get(doc_id)
                    if piece is None:
                        table.pop(doc_id, None)
                    else:
                        table.update(_decode_pieces([piece], self.path))
        self._tx_changes.clear()
        self._prepared = {}

    def _piece(self, doc_id: str, doc: Any) -> bytes:
        return _dumps(doc_id, self.path) + b":" + _dumps(doc, self.path)

    @property
    def keep_backup(self) -> bool:
        return self._keep_backup

    def invalidate(self) -> None:
        """Forget the in-memory copy; the next read parses the file again."""
        self._data = None
        self._loaded = False
        self._pieces.clear()
        self._tx_changes.clear()

    def close(self) -> None:
        self.invalidate()
