"""Append-only logs: ``<root>/logs/<name>/<year>.jsonl``, one JSON object per line.

Appends are buffered in the run's transaction and written at commit with one write +
fsync per file, so a batch of 200 receipts costs the same as one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from storage.files import check_name
from storage.jsonl import encode_records, read_records
from storage.workspace import Workspace

LOGS_DIR = "logs"


class AppendLog:
    def __init__(self, workspace: Workspace, name: str) -> None:
        self._ws = workspace
        self.name = check_name(name)
        self._dir = workspace.root / LOGS_DIR / name

    def _path(self, year: int) -> Path:
        if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 9999:
            raise ValueError(f"invalid log year {year!r}")
        return self._dir / f"{year}.jsonl"

    def append(self, records: list[dict[str, Any]], year: int) -> None:
        path = self._path(year)
        data = encode_records(records, f"{self.name}/{year}")
        self._ws.tx.add_log(path, data)

    def read(self, year: int) -> Iterator[dict[str, Any]]:
        """All records of ``year`` in order, including this run's pending appends.

        The file is read completely here, on the writer thread; the iterator does no I/O.
        """
        path = self._path(year)
        records = read_records(path)
        pending = self._ws.tx.pending_log(path)
        records.extend(json.loads(line) for line in pending.splitlines())
        return iter(records)

    def years(self) -> list[int]:
        found = {int(p.stem) for p in self._dir.glob("*.jsonl") if p.stem.isdigit()}
        found.update(int(path.stem) for path in self._ws.tx.logs if path.parent == self._dir)
        return sorted(found)
