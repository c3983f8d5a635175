"""Exceptions raised by the storage layer.

Messages are meant for the operator who starts the bot, so they are in Chinese and say
what to do next.
"""

from __future__ import annotations

from pathlib import Path


class StorageError(Exception):
    """Base class for every storage failure."""


class CorruptDatabaseError(StorageError):
    """A data file cannot be read. It is reported, never replaced by an empty database."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        backup = path.with_name(path.name + ".bak")
        hint = f"（上一版本保存在 {backup}）" if backup.exists() else ""
        super().__init__(
            f"数据文件已损坏：{path}\n原因：{detail}\n"
            f"请从备份恢复该文件{hint}后再启动；程序不会用空数据库代替它，也没有修改它。"
        )


class DatabaseLockedError(StorageError):
    """Another process already uses the data directory."""

    def __init__(self, root: Path, holder: str) -> None:
        self.root = root
        who = f"（进程号 {holder}）" if holder else ""
        super().__init__(
            f"数据目录 {root} 正被另一个 govbot 进程使用{who}。"
            "同一数据目录只能运行一个机器人进程，请先停止另一个进程。"
        )


class SchemaVersionError(StorageError):
    """The data directory was written by a different schema version."""

    def __init__(self, root: Path, found: object, expected: int) -> None:
        self.root = root
        self.found = found
        self.expected = expected
        if isinstance(found, int) and found > expected:
            advice = "数据由更新版本的程序写入，请升级 govbot 后再启动。"
        else:
            advice = "请先运行数据迁移，再启动新版本。"
        super().__init__(
            f"数据目录 {root} 的结构版本为 {found}，本程序需要版本 {expected}。{advice}"
        )


class NotFoundError(StorageError, KeyError):
    """No open document has this id."""

    def __init__(self, collection: str, doc_id: str) -> None:
        self.collection = collection
        self.doc_id = doc_id
        super().__init__(f"{collection} 中没有编号为 {doc_id} 的在办记录")

    def __str__(self) -> str:
        return str(self.args[0])


class ArchivedError(StorageError):
    """The document exists but has been archived and is read-only."""

    def __init__(self, collection: str, doc_id: str, year: int) -> None:
        self.collection = collection
        self.doc_id = doc_id
        self.year = year
        super().__init__(f"{collection} 中编号为 {doc_id} 的记录已归档（{year} 年），不能修改")


class DuplicateIdError(StorageError):
    """A document with this id already exists (open or archived)."""

    def __init__(self, collection: str, doc_id: str) -> None:
        self.collection = collection
        self.doc_id = doc_id
        super().__init__(f"{collection} 中已存在编号为 {doc_id} 的记录")


class NotSerializableError(StorageError):
    """A value cannot be stored as JSON (e.g. a datetime object)."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(f"无法保存到 {where}：数据含有不能写成 JSON 的值（{detail}）")
