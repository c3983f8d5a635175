"""Backups of a data directory, consistent while the bot runs, and their restore.

Between two checkpoints (storage.workspace) the data files do not change: every commit
is an append to the journal. A backup holds ``.checkpoint-lock`` (shared) so that no
checkpoint runs while it copies, takes the data files first and the journal last. The
copy therefore holds every transaction committed before the journal was read; one being
appended at that very moment is cut short in the copy and dropped at restore, exactly
as after a crash. ``.bak`` copies, temp files and the locks are left out.

A restore unpacks into a new, empty data directory and opens it once (journal applied,
every file checked), so a bad archive is refused before the bot ever sees it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from storage.errors import StorageError
from storage.files import BAK_SUFFIX, fsync_dir, is_temp
from storage.journal import JOURNAL_FILE
from storage.lock import LOCK_NAME
from storage.schema import SCHEMA_FILE

CHECKPOINT_LOCK = ".checkpoint-lock"
ARCHIVE_ROOT = "govbot-data"
_SKIP = {LOCK_NAME, CHECKPOINT_LOCK, JOURNAL_FILE}


class BackupError(StorageError):
    """A backup or restore that cannot be done: ``reason`` names the case and
    ``context`` its details; the text is messages/templates/cli_backup_error.txt.j2."""

    def __init__(self, reason: str, **context: object) -> None:
        super().__init__(f"{reason}: {context}")
        self.reason = reason
        self.context = context


@dataclass(frozen=True)
class BackupReport:
    files: int
    bytes: int
    journal_bytes: int


def open_checkpoint_lock(root: Path) -> int:
    return os.open(root / CHECKPOINT_LOCK, os.O_RDWR | os.O_CREAT, 0o644)


def backup(root: Path, out: Path, *, wait_s: float = 30.0) -> BackupReport:
    """Write a ``.tar.gz`` of data directory ``root`` to ``out`` (replaced atomically)."""
    if not (root / SCHEMA_FILE).is_file():
        raise BackupError("not_data", path=str(root))
    fd = open_checkpoint_lock(root)
    try:
        _lock_shared(fd, root, wait_s)
        tmp = out.with_name(f".{out.name}.tmp")
        files = size = 0
        with tarfile.open(tmp, "w:gz") as archive:
            for path in sorted(root.rglob("*")):
                if not path.is_file() or _skipped(root, path):
                    continue
                archive.add(path, arcname=f"{ARCHIVE_ROOT}/{path.relative_to(root).as_posix()}")
                files += 1
                size += path.stat().st_size
            journal = root / JOURNAL_FILE
            journal_bytes = journal.stat().st_size if journal.exists() else 0
            if journal_bytes:  # last: everything committed up to now
                archive.add(journal, arcname=f"{ARCHIVE_ROOT}/{JOURNAL_FILE}")
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        tmp.replace(out)
        fsync_dir(out.parent)
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    return BackupReport(files, size, journal_bytes)


def _lock_shared(fd: int, root: Path, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise BackupError("busy", path=str(root), seconds=round(wait_s)) from None
            time.sleep(0.05)


def _skipped(root: Path, path: Path) -> bool:
    relative = path.relative_to(root)
    return (
        (len(relative.parts) == 1 and relative.name in _SKIP)
        or is_temp(path)
        or path.name.endswith(BAK_SUFFIX)
    )


def restore(archive: Path, root: Path) -> int:
    """Unpack ``archive`` into the new data directory ``root``; returns its file count.
    The caller then opens the database once to check it."""
    if root.exists() and any(root.iterdir()):
        raise BackupError("not_empty", path=str(root))
    staging = root.with_name(f".{root.name}.restoring")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        count = _unpack(archive, staging)
    except BackupError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except (OSError, tarfile.TarError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError("not_backup", path=str(archive), detail=str(exc)) from exc
    for folder in sorted({p.parent for p in staging.rglob("*") if p.is_file()}):
        fsync_dir(folder)
    if not (staging / SCHEMA_FILE).is_file():
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError("not_backup", path=str(archive), detail="")
    if root.exists():
        root.rmdir()
    staging.replace(root)
    fsync_dir(root.parent)
    return count


def _unpack(archive: Path, staging: Path) -> int:
    """Extract the data files of ``archive`` into ``staging`` (regular files under the
    archive's root folder only: nothing can land outside it)."""
    count = 0
    with tarfile.open(archive, "r:gz") as handle:
        members = handle.getmembers()
        for member in members:
            parts = Path(member.name).parts
            if member.isdir():
                continue
            if not member.isfile() or len(parts) < 2 or parts[0] != ARCHIVE_ROOT or ".." in parts:
                raise BackupError("foreign_entry", path=str(archive), entry=member.name)
        staging.mkdir(parents=True)
        for member in members:
            if not member.isfile():
                continue
            target = staging.joinpath(*Path(member.name).parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            source = handle.extractfile(member)
            if source is None:
                raise BackupError("unreadable_entry", path=str(archive), entry=member.name)
            with source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
                out.flush()
                os.fsync(out.fileno())
            count += 1
    return count
