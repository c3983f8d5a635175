"""What a function passed to ``Database.run`` receives: access to every partition.

A ``Session`` is only valid during its run; afterwards every call raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinydb.table import Table

from storage.applog import LOGS_DIR, AppendLog
from storage.atomic_json import AtomicJSONStorage
from storage.collection import Collection, clone
from storage.errors import StorageError
from storage.files import check_name, check_partition
from storage.workspace import Workspace

SYSTEM_DIR = "_sys"  # cannot clash with a user name: those start with a letter
_RESERVED = {LOGS_DIR}


class Session:
    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        self._closed = False

    def _workspace(self) -> Workspace:
        if self._closed:
            raise StorageError("this Session belongs to a finished Database.run()")
        return self._ws

    def close(self) -> None:
        self._closed = True

    def _user_name(self, name: str) -> str:
        check_name(name)
        if name in _RESERVED:
            raise ValueError(f"{name!r} is a reserved storage name")
        return name

    @property
    def root(self) -> Path:
        return self._ws.root

    def table(self, name: str, partition: str = "main") -> Table:
        """A plain TinyDB table stored in ``<root>/<name>/<partition>.json``."""
        ws = self._workspace()
        path = ws.root / self._user_name(name) / f"{check_partition(partition)}.json"
        return ws.table(path)

    def collection(self, name: str) -> Collection:
        return Collection(self._workspace(), self._user_name(name))

    def log(self, name: str) -> AppendLog:
        return AppendLog(self._workspace(), check_name(name))

    # -- counters and meta: small key-value files in <root>/_sys/ --

    def _system(self, name: str) -> tuple[AtomicJSONStorage, dict[str, Any]]:
        ws = self._workspace()
        storage = ws.storage(ws.root / SYSTEM_DIR / f"{name}.json", "system")
        return storage, storage.table_data()

    def counter_next(self, name: str) -> int:
        """1, 2, 3, ... per ``name``: committed with the run, so a failed run skips nothing."""
        if not isinstance(name, str) or not name:
            raise ValueError("counter name must be a non-empty string")
        storage, counters = self._system("counters")
        value = int(counters.get(name, {}).get("value", 0)) + 1
        counters[name] = {"value": value}
        storage.changed([name])
        return value

    def counter_peek(self, name: str) -> int:
        """The last value handed out (0 if none)."""
        _, counters = self._system("counters")
        return int(counters.get(name, {}).get("value", 0))

    def meta_get(self, key: str, default: Any = None) -> Any:
        _, meta = self._system("meta")
        entry = meta.get(key)
        if entry is None:
            return default
        return clone(entry)["value"]

    def meta_set(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or not key:
            raise ValueError("meta key must be a non-empty string")
        storage, meta = self._system("meta")
        meta[key] = clone({"value": value}, "meta")
        storage.changed([key])
