"""Exceptions raised by the storage layer.

Each refusal the operator may meet carries a ``reason`` code and its ``context``; the CLI
renders them in Chinese (messages/templates/storage_error.txt.j2) with what to do next.
``str()`` is a short English line for logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class StorageError(Exception):
    """Base class for every storage failure."""

    reason = "storage"
    context: dict[str, Any] = {}  # noqa: RUF012 - replaced per instance, never mutated


class CorruptDatabaseError(StorageError):
    """A data file cannot be read. It is reported, never replaced by an empty database.
    ``reason`` says what is wrong (e.g. ``json_syntax``), ``context`` the particulars."""

    def __init__(self, path: Path, reason: str, **context: Any) -> None:
        self.path = path
        self.reason = reason
        backup = path.with_name(path.name + ".bak")
        self.context = {
            "path": str(path),
            "backup": str(backup) if backup.exists() else "",
            **context,
        }
        super().__init__(f"corrupt data file {path}: {reason} {context or ''}".rstrip())


class DatabaseLockedError(StorageError):
    """Another process already uses the data directory."""

    reason = "locked"

    def __init__(self, root: Path, holder: str) -> None:
        self.root = root
        self.context = {"root": str(root), "holder": holder}
        super().__init__(f"data directory {root} is in use by another process {holder}")


class SchemaVersionError(StorageError):
    """The data directory was written by a different schema version."""

    reason = "schema_version"

    def __init__(self, root: Path, found: object, expected: int) -> None:
        self.root = root
        self.found = found
        self.expected = expected
        newer = isinstance(found, int) and found > expected
        self.context = {"root": str(root), "found": found, "expected": expected, "newer": newer}
        super().__init__(f"data directory {root} has schema version {found}, need {expected}")


class NotFoundError(StorageError, KeyError):
    """No open document has this id."""

    def __init__(self, collection: str, doc_id: str) -> None:
        self.collection = collection
        self.doc_id = doc_id
        super().__init__(f"no open document {doc_id!r} in {collection}")

    def __str__(self) -> str:
        return str(self.args[0])


class ArchivedError(StorageError):
    """The document exists but has been archived and is read-only."""

    def __init__(self, collection: str, doc_id: str, year: int) -> None:
        self.collection = collection
        self.doc_id = doc_id
        self.year = year
        super().__init__(f"{collection} {doc_id!r} is archived ({year}) and read-only")


class DuplicateIdError(StorageError):
    """A document with this id already exists (open or archived)."""

    def __init__(self, collection: str, doc_id: str) -> None:
        self.collection = collection
        self.doc_id = doc_id
        super().__init__(f"{collection} already holds {doc_id!r}")


class NotSerializableError(StorageError):
    """A value cannot be stored as JSON (e.g. a datetime object)."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"cannot store in {where}: a value is not JSON ({detail})")
