"""``govbot export information --year 2026``: the per-unit 政务信息 table (第八十二条) from
the data folder — ranked on adopted information with the organisation file's points and
unit names; misses and 严重后果 counted; other years empty."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from bot.clock import TZ
from handlers.information.model import (
    INFO_REQUESTS,
    INFORMATION,
    decide,
    flag_miss,
    mark_serious,
    new_item,
    new_request,
)
from sandbox.demo import demo_config_path
from storage import Database, Session

PROJECT = Path(__file__).resolve().parents[2]


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=TZ)


def _data(path: Path) -> Path:
    def made(number: str, unit: str, level: str | None) -> dict[str, object]:
        item = new_item(
            number=number, title="信息", category="economy", material={"text": "正文"},
            file=None, unit=unit, by="someone", request=None, now=_at(3, 2),
        )  # fmt: skip
        if level is not None:
            decide(item, level, "feng.lijuan", "" if level != "reject" else "重复", _at(3, 3))
        return item

    items = [
        made("XX2026-0001", "jyj", "province"),
        made("XX2026-0002", "jyj", "reject"),
        made("XX2026-0003", "cgz", "city"),
        made("XX2026-0004", "cgz", "city"),
        made("XX2026-0005", "czj", None),
    ]
    request = new_request(
        number="YG2026-0001", topic="春耕备耕", units=["cgz", "hkz"], deadline=date(2026, 4, 10),
        by="feng.lijuan", now=_at(4, 1),
    )  # fmt: skip
    flag_miss(request, "hkz", _at(4, 13))
    mark_serious(request, "hkz", "sun.yongming", _at(4, 14))
    database = Database.open_sync(path)

    def store(session: Session) -> None:
        for item in items:
            session.collection(INFORMATION).insert(item)
        session.collection(INFO_REQUESTS).insert(request)

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
    year = ("export", "information", "--data", str(data), "--config", config, "--year")
    result = govbot(*year, "2026")
    assert result.returncode == 0, result.stderr.decode()
    rows = list(csv.reader(io.StringIO(result.stdout.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["排名", "单位", "报送"] and rows[0][-1] == "得分"
    assert rows[1:] == [
        # rank, unit, submitted, county, city, province, adopted, not adopted,
        # asked, missed, serious, score: 2 × city (3) = 6 before 1 × province (5).
        ["1", "城关镇人民政府", "2", "0", "2", "0", "2", "0", "1", "0", "0", "6"],
        ["2", "县教育局", "2", "0", "0", "1", "1", "1", "0", "0", "0", "5"],
        ["", "县财政局", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0"],
        ["", "河口镇人民政府", "0", "0", "0", "0", "0", "0", "1", "1", "1", "0"],
    ]
    assert "政务信息单位统计" in result.stderr.decode()

    result = govbot(*year, "2026", "--format", "json")
    table = {row["unit_id"]: row for row in json.loads(result.stdout)}
    assert table["cgz"]["rank"] == 1 and table["cgz"]["unit"] == "城关镇人民政府"
    assert table["hkz"]["rank"] is None and table["hkz"]["serious"] == 1
    empty = govbot(*year, "2025")
    assert empty.returncode == 0
    assert list(csv.reader(io.StringIO(empty.stdout.decode("utf-8-sig")))) == [rows[0]]
