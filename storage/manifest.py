"""Which data files a data directory must have.

A data file that goes missing (deleted by hand, half a restore, a disk fault) must not
look like an empty collection: the bot would start with the flows gone, or hand out a
number it had already used. So ``schema.json`` (whose loss already refuses start-up)
lists every data file the database has written; at start-up a listed file that is
missing refuses start-up like a corrupt one, naming the file and its ``.bak`` copy if
there is one. The list grows at every checkpoint (storage.workspace) and at start-up.
"""

from __future__ import annotations

from pathlib import Path

from storage.errors import CorruptDatabaseError
from storage.files import BAK_SUFFIX, is_temp
from storage.schema import SCHEMA_FILE, listed_files, record_files


def data_files(root: Path) -> set[str]:
    """The TinyDB files and logs now in ``root`` (relative, with ``/``)."""
    found = set()
    for path in root.rglob("*"):
        if not path.is_file() or is_temp(path) or path == root / SCHEMA_FILE:
            continue
        if path.suffix in (".json", ".jsonl"):
            found.add(path.relative_to(root).as_posix())
    return found


def check_files(root: Path) -> set[str]:
    """Refuse a data directory that lost a listed file; returns the files it has (and
    lists them, for a directory written before the list existed)."""
    present = data_files(root)
    listed = listed_files(root)
    if listed is not None:
        missing = sorted(listed - present)
        if missing:
            path = root / missing[0]
            backup = path.with_name(path.name + BAK_SUFFIX)
            raise CorruptDatabaseError(
                path,
                "missing",
                others=len(missing) - 1,
                previous=backup.name if backup.exists() else "",
            )
    if listed is None or present - listed:
        record_files(root, present | (listed or set()))
    return present
