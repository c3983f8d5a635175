"""The schema version of a data directory, kept in ``<root>/schema.json``, with the list
of its data files (storage.manifest)."""

from __future__ import annotations

import json
from pathlib import Path

from storage.errors import CorruptDatabaseError, SchemaVersionError
from storage.files import is_temp, replace_atomically
from storage.lock import LOCK_NAME

SCHEMA_VERSION = 1
SCHEMA_FILE = "schema.json"


def check_schema(root: Path, expected: int = SCHEMA_VERSION) -> None:
    """Create the file in a new, empty directory; otherwise insist on ``expected``."""
    path = root / SCHEMA_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        others = [p for p in root.iterdir() if p.name != LOCK_NAME and not is_temp(p)]
        if others:
            raise CorruptDatabaseError(path, "schema_missing") from None
        body = json.dumps({"version": expected}).encode("utf-8")
        replace_atomically(path, body, keep_backup=False)
        return
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptDatabaseError(path, "bad_json", error=str(exc)) from exc
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise CorruptDatabaseError(path, "schema_no_version")
    if version != expected:
        raise SchemaVersionError(root, version, expected)


def _read(root: Path) -> dict[str, object]:
    path = root / SCHEMA_FILE
    data = json.loads(path.read_bytes())
    if not isinstance(data, dict):
        raise CorruptDatabaseError(path, "not_object")
    return data


def listed_files(root: Path) -> set[str] | None:
    """The data files the directory has written (None: not listed yet, an older one)."""
    files = _read(root).get("files")
    if files is None:
        return None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise CorruptDatabaseError(root / SCHEMA_FILE, "schema_bad_files")
    return set(files)


def record_files(root: Path, files: set[str]) -> None:
    data = _read(root)
    data["files"] = sorted(files)
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    replace_atomically(root / SCHEMA_FILE, body, keep_backup=False)
