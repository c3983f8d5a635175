"""A data file the directory has written and that is gone refuses start-up: the flows
must not silently start empty, nor a counter start again at 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.cli_common import storage_problem
from messages.render import Messages
from storage import CorruptDatabaseError, Database, Session, StorageError


def _make(root: Path) -> None:
    db = Database.open_sync(root)

    def fill(s: Session) -> None:
        s.collection("flows").insert({"id": "QS2026-0001"})
        s.counter_next("request:2026")
        s.log("audit").append([{"flow": "QS2026-0001"}], 2026)

    db.run_sync(fill)
    db.run_sync(lambda s: s.collection("flows").update("QS2026-0001", {"step": "review"}))
    db.close_sync()


def _refusal(root: Path) -> CorruptDatabaseError:
    with pytest.raises(CorruptDatabaseError) as info:
        Database.open_sync(root)
    return info.value


def test_the_directory_lists_every_file_it_wrote(tmp_path: Path) -> None:
    _make(tmp_path)
    listed = json.loads((tmp_path / "schema.json").read_text("utf-8"))["files"]
    assert listed == ["_sys/counters.json", "flows/open.json", "logs/audit/2026.jsonl"]


@pytest.mark.parametrize("relative", ["flows/open.json", "_sys/counters.json"])
def test_a_missing_file_refuses_start_up(tmp_path: Path, relative: str) -> None:
    _make(tmp_path)
    path = tmp_path / relative
    path.unlink()
    error = _refusal(tmp_path)
    assert error.path == path
    assert "缺失" in shown(error) and "请从备份恢复" in shown(error)
    if (path.parent / f"{path.name}.bak").exists():
        assert f"{path.name}.bak" in shown(error)  # where the previous version is
    # Without its backup either: still refused, never an empty collection.
    (path.parent / f"{path.name}.bak").unlink(missing_ok=True)
    assert _refusal(tmp_path).path == path


def test_a_missing_folder_refuses_start_up(tmp_path: Path) -> None:
    _make(tmp_path)
    shutil.rmtree(tmp_path / "flows")
    (tmp_path / "_sys" / "counters.json").unlink()
    error = _refusal(tmp_path)
    assert error.path == tmp_path / "_sys" / "counters.json"
    assert "另有 1 个文件也缺失" in shown(error)


def test_a_directory_from_before_the_list_gets_one(tmp_path: Path) -> None:
    _make(tmp_path)
    (tmp_path / "schema.json").write_text('{"version": 1}', "utf-8")
    Database.open_sync(tmp_path).close_sync()
    listed = json.loads((tmp_path / "schema.json").read_text("utf-8"))["files"]
    assert "flows/open.json" in listed
    (tmp_path / "flows" / "open.json").unlink()
    assert _refusal(tmp_path).path == tmp_path / "flows" / "open.json"


def shown(error: StorageError) -> str:
    return storage_problem(Messages(), error)
