"""AtomicJSONStorage used directly as a TinyDB storage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tinydb import TinyDB

from bot.cli_common import storage_problem
from messages.render import Messages
from storage import AtomicJSONStorage, CorruptDatabaseError


def test_new_and_empty_files_read_as_none(tmp_path: Path) -> None:
    assert AtomicJSONStorage(tmp_path / "new.json").read() is None
    assert not (tmp_path / "new.json").exists()  # reading creates nothing
    (tmp_path / "empty.json").write_bytes(b"")
    assert AtomicJSONStorage(tmp_path / "empty.json").read() is None


def test_decode_error_raises_and_never_returns_empty(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    path.write_text('{"_default": {"1": {"a": 1}}}{"x"', encoding="utf-8")  # stale tail
    with pytest.raises(CorruptDatabaseError) as info:
        AtomicJSONStorage(path).read()
    assert info.value.path == path
    assert info.value.reason == "json_syntax"
    shown = storage_problem(Messages(), info.value)
    assert "JSON 格式错误" in shown and "不会用空数据库代替" in shown


def test_tinydb_round_trip_with_atomic_writes(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "db.json"
    db = TinyDB(path, storage=AtomicJSONStorage)
    db.insert_multiple({"n": i, "名": "值"} for i in range(10))
    db.remove(lambda d: d["n"] < 5)
    db.close()
    raw = path.read_text(encoding="utf-8")
    assert "名" in raw and "\n" not in raw  # compact, UTF-8 as is
    assert sorted(d["n"] for d in json.loads(raw)["_default"].values()) == [5, 6, 7, 8, 9]
    assert (tmp_path / "sub" / "db.json.bak").exists()  # previous version kept
    assert [p.name for p in path.parent.iterdir() if p.suffix == ".tmp"] == []
    again = TinyDB(path, storage=AtomicJSONStorage)
    assert len(again) == 5
    again.close()


def test_failed_write_leaves_memory_in_step_with_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.json"
    db = TinyDB(path, storage=AtomicJSONStorage)
    db.insert({"n": 1})

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        db.insert({"n": 2})
    monkeypatch.undo()
    assert [d["n"] for d in db.all()] == [1]  # re-read from disk, not the lost write
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    db.close()
