"""Start-up checks: corrupt files, the directory lock, the schema version."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.cli_common import storage_problem
from messages.render import Messages
from storage import (
    CorruptDatabaseError,
    Database,
    DatabaseLockedError,
    SchemaVersionError,
    StorageError,
)
from storage.schema import SCHEMA_VERSION

PROJECT = Path(__file__).resolve().parents[2]

TRY_OPEN = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from bot.cli_common import storage_problem
    from messages.render import Messages
    from storage import Database, DatabaseLockedError
    try:
        Database.open_sync(Path(sys.argv[1])).close_sync()
    except DatabaseLockedError as exc:
        print(storage_problem(Messages(), exc))
        sys.exit(9)
    """
)


def shown(error: StorageError) -> str:
    """The refusal as the operator reads it (rendered by the CLI)."""
    return storage_problem(Messages(), error)


def try_open_in_other_process(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", TRY_OPEN, str(root)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def make_db(root: Path) -> None:
    db = Database.open_sync(root)

    def fill(s):  # type: ignore[no-untyped-def]
        s.collection("documents").insert_many([{"title": f"文 {i}"} for i in range(10)])
        s.log("audit").append([{"event": "x", "i": i} for i in range(5)], 2024)
        s.meta_set("k", 1)

    db.run_sync(fill)
    db.close_sync()


async def test_new_directory_is_created_with_schema(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b"
    db = await Database.open(root)
    await db.close()
    assert json.loads((root / "schema.json").read_text()) == {
        "version": SCHEMA_VERSION,
        "files": [],  # the data files it will write (storage.manifest)
    }


@pytest.mark.parametrize(
    ("relative", "garbage"),
    [
        ("documents/open.json", b'{"_default": {"1": {"title": "x"}'),  # truncated
        ("documents/open.json", b'{"_default": {}}{"_default": {}}'),  # stale tail
        ("documents/open.json", b"\xff\xfe not utf-8"),
        ("documents/open.json", b"[1, 2, 3]"),  # valid JSON, not a TinyDB file
        ("documents/open.json", b""),  # lost content: never read as an empty database
        ("_sys/meta.json", b'{"_default": {"k": 5}}'),  # a document that is not an object
        ("logs/audit/2024.jsonl", b'{"ok": 1}\n{"cut": \n'),  # bad complete last line
    ],
)
def test_corrupt_file_is_reported_and_left_untouched(
    tmp_path: Path, relative: str, garbage: bytes
) -> None:
    make_db(tmp_path)
    path = tmp_path / relative
    good = path.read_bytes()
    path.write_bytes(garbage)
    with pytest.raises(CorruptDatabaseError) as info:
        Database.open_sync(tmp_path)
    assert info.value.path == path
    message = shown(info.value)
    assert str(path) in message
    assert "请从备份恢复" in message
    assert "不会用空数据库代替" in message
    assert path.read_bytes() == garbage
    # Deleting it is no fix: a missing file is refused too...
    path.unlink()
    with pytest.raises(CorruptDatabaseError) as info:
        Database.open_sync(tmp_path)
    assert info.value.path == path and "缺失" in shown(info.value)
    # ...and the failed opens released the lock: the restored directory opens again.
    path.write_bytes(good)
    Database.open_sync(tmp_path).close_sync()


def test_corrupt_line_inside_a_log_is_found_by_the_full_check(tmp_path: Path) -> None:
    make_db(tmp_path)
    path = tmp_path / "logs" / "audit" / "2024.jsonl"
    garbage = b'{"ok": 1}\nnot json\n{"ok": 2}\n'
    path.write_bytes(garbage)
    with pytest.raises(CorruptDatabaseError) as info:
        Database.open_sync(tmp_path, full_log_check=True)
    assert info.value.path == path
    assert "第 2 行" in shown(info.value)
    assert path.read_bytes() == garbage
    # The quick start-up check only looks at the tail; reading the year still refuses.
    db = Database.open_sync(tmp_path)
    try:
        with pytest.raises(CorruptDatabaseError):
            db.run_sync(lambda s: list(s.log("audit").read(2024)))
    finally:
        db.close_sync()


async def test_corrupt_file_reported_by_async_open(tmp_path: Path) -> None:
    make_db(tmp_path)
    path = tmp_path / "documents" / "index.json"
    path.write_text('{"_default": ', encoding="utf-8")
    with pytest.raises(CorruptDatabaseError) as info:
        await Database.open(tmp_path)
    assert info.value.path == path
    assert "JSON" in shown(info.value)


def test_corrupt_message_points_to_backup(tmp_path: Path) -> None:
    make_db(tmp_path)
    db = Database.open_sync(tmp_path)
    db.run_sync(lambda s: s.meta_set("k", 2))  # second write keeps a .bak
    db.close_sync()
    path = tmp_path / "_sys" / "meta.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CorruptDatabaseError) as info:
        Database.open_sync(tmp_path)
    assert "meta.json.bak" in shown(info.value)


async def test_second_process_refuses_to_start(tmp_path: Path) -> None:
    db = await Database.open(tmp_path)
    try:
        result = try_open_in_other_process(tmp_path)
        assert result.returncode == 9, result.stderr
        assert "另一个 govbot 进程" in result.stdout
    finally:
        await db.close()
    assert try_open_in_other_process(tmp_path).returncode == 0  # released on close


def test_second_open_in_same_process_also_refused(tmp_path: Path) -> None:
    db = Database.open_sync(tmp_path)
    try:
        with pytest.raises(DatabaseLockedError):
            Database.open_sync(tmp_path)
    finally:
        db.close_sync()


def test_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    script = "import os, sys; from pathlib import Path; from storage import Database; "
    script += "Database.open_sync(Path(sys.argv[1])); os._exit(0)"
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=PROJECT, check=True)
    Database.open_sync(tmp_path).close_sync()


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, SCHEMA_VERSION - 1])
def test_schema_version_mismatch(tmp_path: Path, version: int) -> None:
    make_db(tmp_path)
    (tmp_path / "schema.json").write_text(json.dumps({"version": version}))
    with pytest.raises(SchemaVersionError) as info:
        Database.open_sync(tmp_path)
    assert str(version) in str(info.value)
    assert info.value.expected == SCHEMA_VERSION


@pytest.mark.parametrize("content", ['{"version": "1"}', "{}", "not json"])
def test_unreadable_schema_file_is_corruption(tmp_path: Path, content: str) -> None:
    make_db(tmp_path)
    (tmp_path / "schema.json").write_text(content)
    with pytest.raises(CorruptDatabaseError):
        Database.open_sync(tmp_path)


def test_missing_schema_file_with_existing_data_is_refused(tmp_path: Path) -> None:
    make_db(tmp_path)
    (tmp_path / "schema.json").unlink()
    with pytest.raises(CorruptDatabaseError) as info:
        Database.open_sync(tmp_path)
    assert info.value.path == tmp_path / "schema.json"


def test_leftover_temp_files_are_removed(tmp_path: Path) -> None:
    make_db(tmp_path)
    tmp = tmp_path / "documents" / ".open.json.abcd1234.tmp"
    tmp.write_text('{"_default": {}}')
    Database.open_sync(tmp_path).close_sync()
    assert not tmp.exists()


async def test_closed_database_refuses_work(tmp_path: Path) -> None:
    db = await Database.open(tmp_path)
    await db.close()
    await db.close()  # idempotent
    from storage import StorageError

    with pytest.raises(StorageError):
        await db.run(lambda s: s.meta_get("k"))
