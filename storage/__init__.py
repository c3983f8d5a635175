"""Storage: the only code that touches the data files.

TinyDB files behind a small repository interface, written atomically by one writer
thread; see ``storage.database`` for the entry point.
"""

from storage.applog import AppendLog
from storage.atomic_json import AtomicJSONStorage
from storage.collection import Collection
from storage.database import Database
from storage.errors import (
    ArchivedError,
    CorruptDatabaseError,
    DatabaseLockedError,
    DuplicateIdError,
    NotFoundError,
    NotSerializableError,
    SchemaVersionError,
    StorageError,
)
from storage.schema import SCHEMA_VERSION
from storage.session import Session

__all__ = [
    "SCHEMA_VERSION",
    "AppendLog",
    "ArchivedError",
    "AtomicJSONStorage",
    "Collection",
    "CorruptDatabaseError",
    "Database",
    "DatabaseLockedError",
    "DuplicateIdError",
    "NotFoundError",
    "NotSerializableError",
    "SchemaVersionError",
    "Session",
    "StorageError",
]
