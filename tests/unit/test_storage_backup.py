"""Backups taken while the database is in use, and restores into a new directory."""

from __future__ import annotations

import fcntl
import io
import os
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from messages.render import Messages
from storage import Database, Session
from storage.backup import BackupError, backup, open_checkpoint_lock, restore
from storage.journal import JOURNAL_FILE


@contextmanager
def _refused(reason: str, text: str) -> Iterator[None]:
    """A BackupError of ``reason`` whose Chinese text (as the CLI shows it) says ``text``."""
    with pytest.raises(BackupError) as info:
        yield
    assert info.value.reason == reason
    assert text in Messages().text("cli_backup_error", reason=reason, **info.value.context)


def _titles(db: Database) -> list[str]:
    return db.run_sync(lambda s: sorted(d["title"] for d in s.collection("flows").all_open()))


def _add(db: Database, title: str) -> None:
    def add(s: Session) -> None:
        s.collection("flows").insert({"title": title})
        s.log("audit").append([{"title": title}], 2026)

    db.run_sync(add)


def test_a_backup_while_in_use_holds_everything_committed_before_it(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "govbot.tar.gz"
    db = Database.open_sync(data)
    try:
        _add(db, "已写入数据文件")
        db.checkpoint_sync()
        _add(db, "只在预写日志中")  # committed, not checkpointed yet
        assert (data / JOURNAL_FILE).stat().st_size > 0
        report = backup(data, out)
        _add(db, "备份之后")
    finally:
        db.close_sync()
    assert report.journal_bytes > 0 and report.files >= 3
    restored = tmp_path / "restored"
    assert restore(out, restored) >= 3
    again = Database.open_sync(restored)
    try:
        assert _titles(again) == ["只在预写日志中", "已写入数据文件"]
        audit = again.run_sync(lambda s: [r["title"] for r in s.log("audit").read(2026)])
        assert audit == ["已写入数据文件", "只在预写日志中"]
    finally:
        again.close_sync()


def test_checkpoints_wait_while_a_backup_copies(tmp_path: Path) -> None:
    db = Database.open_sync(tmp_path)
    fd = open_checkpoint_lock(tmp_path)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # as a running backup holds it
        _add(db, "甲")
        db.checkpoint_sync()
        assert (tmp_path / JOURNAL_FILE).stat().st_size > 0  # postponed, nothing lost
        assert not (tmp_path / "flows" / "open.json").exists()
        fcntl.flock(fd, fcntl.LOCK_UN)
        db.checkpoint_sync()
        assert (tmp_path / JOURNAL_FILE).stat().st_size == 0
        assert (tmp_path / "flows" / "open.json").exists()
    finally:
        os.close(fd)
        db.close_sync()


def test_restore_refuses_what_it_must_not_do(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "b.tar.gz"
    db = Database.open_sync(data)
    _add(db, "甲")
    db.close_sync()
    backup(data, out)
    with _refused("not_empty", "不是空目录"):
        restore(out, data)  # never over live data
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not a backup")
    with _refused("not_backup", "不是政务助手的备份文件"):
        restore(garbage, tmp_path / "new1")
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as archive:
        info = tarfile.TarInfo("govbot-data/../../escaped.txt")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"hi"))
    with _refused("foreign_entry", "不属于数据目录"):
        restore(evil, tmp_path / "new2")
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "new1").exists() and not (tmp_path / "new2").exists()
    with _refused("not_data", "不是政务助手的数据目录"):
        backup(tmp_path / "new3", tmp_path / "x.tar.gz")
