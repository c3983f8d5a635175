"""Low-level file helpers: directory fsync, crash-safe replacement, name checks.

A file is replaced in two phases so that several files can be committed together:
``stage`` writes the new bytes to a temp file in the same folder and fsyncs it (nothing
visible changes yet, and it can still be discarded); ``publish`` keeps the previous
version as ``<name>.bak`` (a hard link, no copy) and renames the temp file over the
target with ``os.replace``. The caller then fsyncs each touched folder once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

TMP_SUFFIX = ".tmp"
BAK_SUFFIX = ".bak"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_PARTITION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def check_name(name: str) -> str:
    """A collection, table or log name: lower-case identifier, safe as a folder name."""
    if not _NAME_RE.match(name):
        raise ValueError(f"invalid storage name {name!r}: use [a-z][a-z0-9_]*")
    return name


def check_partition(partition: str) -> str:
    if not _PARTITION_RE.match(partition):
        raise ValueError(f"invalid partition name {partition!r}: use [A-Za-z0-9_-]+")
    return partition


def fsync_dir(path: Path) -> None:
    """Make renames and new entries in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(path: Path) -> None:
    """Create ``path`` (and parents) if missing, fsyncing each parent that gained an entry."""
    if path.is_dir():
        return
    ensure_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        path.mkdir()
    fsync_dir(path.parent)


@dataclass
class StagedFile:
    """New content for ``target``, durable in a temp file, not yet visible."""

    target: Path
    tmp: Path

    def publish(self, keep_backup: bool = True) -> None:
        if keep_backup:
            _link_backup(self.target)
        os.replace(self.tmp, self.target)  # noqa: PTH105 (the documented primitive)

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


def stage_bytes(target: Path, data: bytes) -> StagedFile:
    """Write ``data`` to a fresh temp file beside ``target`` and fsync it."""
    ensure_dir(target.parent)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}{TMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return StagedFile(target, tmp)


def replace_atomically(target: Path, data: bytes, keep_backup: bool = True) -> None:
    """Temp file in the same folder, fsync, ``os.replace``, fsync the folder."""
    staged = stage_bytes(target, data)
    try:
        staged.publish(keep_backup)
    except BaseException:
        staged.discard()
        raise
    fsync_dir(target.parent)


def _link_backup(target: Path) -> None:
    """Keep the current version of ``target`` as ``target.bak`` (hard link, no copy)."""
    bak = target.with_name(target.name + BAK_SUFFIX)
    with contextlib.suppress(FileNotFoundError):
        bak.unlink()
    try:
        os.link(target, bak)
    except FileNotFoundError:
        pass  # first write of this file: nothing to keep
    except OSError as exc:  # e.g. a file system without hard links
        log.debug("no backup link for %s: %s", target, exc)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def is_temp(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(TMP_SUFFIX)
