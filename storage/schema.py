"""The schema version of a data directory, kept in ``<root>/schema.json``."""

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
            raise CorruptDatabaseError(
                path, "缺少结构版本文件，但目录中已有数据，无法确认数据格式"
            ) from None
        body = json.dumps({"version": expected}).encode("utf-8")
        replace_atomically(path, body, keep_backup=False)
        return
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptDatabaseError(path, f"不是有效的 JSON（{exc}）") from exc
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise CorruptDatabaseError(path, '缺少整数字段 "version"')
    if version != expected:
        raise SchemaVersionError(root, version, expected)
