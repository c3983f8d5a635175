"""A collection of documents with string ids: one hot "open" file plus one per year.

Layout under ``<root>/<name>/``:

* ``open.json``  – documents still in progress (kept small: this is the file every
  write rewrites, so its size, not the history, sets the cost of a write);
* ``<year>.json`` – closed documents archived for that year (read-only afterwards);
* ``index.json``  – archived id → year, so ``get`` finds an archived document by
  reading one year's file. Only archiving rewrites it.

Documents are TinyDB tables keyed by our string id (the files stay in TinyDB's format).
Everything handed in or out is deep-copied, so a caller mutating a returned dict can
never change the cached data behind the storage's back.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, NoReturn

from storage.atomic_json import AtomicJSONStorage
from storage.errors import (
    ArchivedError,
    DuplicateIdError,
    NotFoundError,
    NotSerializableError,
)
from storage.files import check_name
from storage.workspace import Workspace

Doc = dict[str, Any]
Predicate = Callable[[Doc], bool]
OPEN = "open"
INDEX = "index"
_KIND = "collection"


def clone(doc: Doc, where: str = "") -> Doc:
    """A deep copy through JSON: also proves the value can be stored."""
    try:
        text = json.dumps(doc, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise NotSerializableError(where, str(exc)) from exc
    copy: Doc = json.loads(text)
    return copy


class Collection:
    def __init__(self, workspace: Workspace, name: str) -> None:
        self._ws = workspace
        self.name = check_name(name)
        self._dir = workspace.root / name

    # -- partitions --

    def _file(self, partition: str) -> AtomicJSONStorage:
        return self._ws.storage(self._dir / f"{partition}.json", _KIND)

    def _open(self) -> tuple[AtomicJSONStorage, dict[str, Doc]]:
        storage = self._file(OPEN)
        return storage, storage.table_data()

    def _index(self) -> tuple[AtomicJSONStorage, dict[str, Doc]]:
        storage = self._file(INDEX)
        return storage, storage.table_data()

    def _year(self, year: int) -> tuple[AtomicJSONStorage, dict[str, Doc]]:
        if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 9999:
            raise ValueError(f"invalid archive year {year!r}")
        storage = self._file(str(year))
        return storage, storage.table_data()

    # -- writes --

    def _prepare(self, doc: Doc, docs: dict[str, Doc], index: dict[str, Doc]) -> Doc:
        stored = clone(doc, self.name)
        doc_id = stored.get("id") or uuid.uuid4().hex
        if not isinstance(doc_id, str):
            raise TypeError(f"document id must be a string, got {type(doc_id).__name__}")
        if doc_id in docs or doc_id in index:
            raise DuplicateIdError(self.name, doc_id)
        stored["id"] = doc_id
        return stored

    def insert(self, doc: Doc) -> str:
        return self.insert_many([doc])[0]

    def insert_many(self, docs: list[Doc]) -> list[str]:
        """Insert into the open partition with a single file write."""
        storage, open_docs = self._open()
        _, index = self._index()
        prepared: dict[str, Doc] = {}
        for doc in docs:
            stored = self._prepare(doc, open_docs, index)
            if stored["id"] in prepared:
                raise DuplicateIdError(self.name, stored["id"])
            prepared[stored["id"]] = stored
        if prepared:
            open_docs.update(prepared)
            storage.changed(prepared)
        return list(prepared)

    def update(self, id: str, changes: Doc) -> Doc:
        """Apply ``changes`` (top-level keys) to an open document; returns the new one."""
        if "id" in changes and changes["id"] != id:
            raise ValueError("a document's id cannot change")
        storage, open_docs = self._open()
        doc = open_docs.get(id)
        if doc is None:
            self._raise_missing(id)
        doc.update(clone(changes, self.name))
        storage.changed([id])
        return clone(doc)

    def archive(self, id: str, year: int) -> None:
        """Move an open document to the archive of ``year``; it is read-only afterwards."""
        storage, open_docs = self._open()
        if id not in open_docs:
            self._raise_missing(id)
        year_storage, year_docs = self._year(year)
        index_storage, index = self._index()
        year_docs[id] = open_docs.pop(id)
        index[id] = {"year": year}
        storage.changed([id])  # gone from the open partition
        year_storage.changed([id])
        index_storage.changed([id])

    def _raise_missing(self, id: str) -> NoReturn:
        _, index = self._index()
        entry = index.get(id)
        if entry is not None:
            raise ArchivedError(self.name, id, int(entry["year"]))
        raise NotFoundError(self.name, id)

    # -- reads --

    def get(self, id: str) -> Doc | None:
        _, open_docs = self._open()
        doc = open_docs.get(id)
        if doc is None:
            _, index = self._index()
            entry = index.get(id)
            if entry is None:
                return None
            _, year_docs = self._year(int(entry["year"]))
            doc = year_docs.get(id)
            if doc is None:
                return None
        return clone(doc)

    def find(self, predicate: Predicate) -> list[Doc]:
        """Open documents matching ``predicate`` (which must not modify its argument)."""
        _, open_docs = self._open()
        return [clone(doc) for doc in open_docs.values() if predicate(doc)]

    def all_open(self) -> list[Doc]:
        _, open_docs = self._open()
        return [clone(doc) for doc in open_docs.values()]

    def find_archived(self, year: int, predicate: Predicate) -> list[Doc]:
        _, year_docs = self._year(year)
        return [clone(doc) for doc in year_docs.values() if predicate(doc)]

    def archived_years(self) -> list[int]:
        _, index = self._index()
        return sorted({int(entry["year"]) for entry in index.values()})

    def __repr__(self) -> str:
        return f"Collection({self.name!r})"
