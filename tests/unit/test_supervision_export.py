"""``govbot export supervision --year 2026``: the per-unit annual table (第八十六条) from
the data folder, with the organisation file's unit names and holidays."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.clock import TZ, to_epoch_ms
from handlers.supervision.model import SUPERVISION, Due, new_item
from sandbox.demo import demo_config_path
from storage import Database, Session

PROJECT = Path(__file__).resolve().parents[2]


def _item(number: str, unit: str, due: str, **changes: Any) -> dict[str, Any]:
    item = new_item(
        number=number,
        state="open",
        source="leader",
        title="事项",
        text="内容",
        lead=unit,
        co_units=[],
        leader="",
        due=Due(date.fromisoformat(due), True, False),
        opened_by="feng.lijuan",
        now=datetime(2026, 9, 28, 9, 0, tzinfo=TZ),
    )
    item.update({"state": "signed", **changes})
    return item


def _closed(number: str, unit: str, due: str, closed: datetime, grade: str) -> dict[str, Any]:
    return _item(number, unit, due, state="closed", closed_ms=to_epoch_ms(closed), grade=grade)


def _data(path: Path) -> Path:
    on_time = datetime(2026, 10, 8, 17, 0, tzinfo=TZ)  # a deadline on 国庆 runs to Oct 8
    items = [
        _closed("DB2026-0001", "jyj", "2026-10-03", on_time, "excellent"),
        _closed("DB2026-0002", "jyj", "2026-10-09", datetime(2026, 10, 12, tzinfo=TZ), "pass"),
        _item("DB2026-0003", "jyj", "2026-10-20"),  # overdue by now
        _item("DB2026-0004", "czj", "2099-12-31"),  # open, not due yet
        _item("DB2026-0005", "czj", "2026-10-20", state="pending"),  # never opened
    ]
    database = Database.open_sync(path)

    def store(session: Session) -> None:
        for item in items:
            session.collection(SUPERVISION).insert(item)

    try:
        database.run_sync(store)
    finally:
        database.close_sync()
    return path


def govbot(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=PROJECT, capture_output=True, timeout=120
    )


def test_the_annual_table_as_csv_and_json(tmp_path: Path) -> None:
    data = _data(tmp_path / "data")
    config = str(demo_config_path())
    year = ("export", "supervision", "--data", str(data), "--config", config, "--year")
    result = govbot(*year, "2026")
    assert result.returncode == 0, result.stderr.decode()
    rows = list(csv.reader(io.StringIO(result.stdout.decode("utf-8-sig"), newline="")))
    assert rows[0] == [
        *("单位", "交办事项", "按期办结", "逾期办结", "在办未到期", "逾期未办结"),
        *("优秀", "良好", "合格", "不合格"),
    ]
    assert rows[1:] == [
        ["县教育局", "3", "1", "1", "0", "1", "1", "0", "1", "0"],
        ["县财政局", "1", "0", "0", "1", "0", "0", "0", "0", "0"],
    ]
    assert "督办事项单位统计" in result.stderr.decode()

    result = govbot(*year, "2026", "--format", "json")
    table = {row["unit"]: row for row in json.loads(result.stdout)}
    assert table["县教育局"]["late"] == 1 and table["县教育局"]["unit_id"] == "jyj"
    empty = govbot(
        "export", "supervision", "--year", "2025", "--data", str(data), "--config", config
    )
    assert empty.returncode == 0
    assert list(csv.reader(io.StringIO(empty.stdout.decode("utf-8-sig")))) == [rows[0]]
