"""规范性文件 register (第二十三、二十五条): validity periods, the evaluation day, the
declared lifecycle, search, and the register page of the website (built atomically)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ
from bot.config_schema import RuleParams
from bot.lifecycle import IllegalMove
from handlers.distribution.site_build import build_site
from handlers.distribution.site_publisher import rebuild_site
from handlers.normative.model import (
    AMENDED,
    CONTINUED,
    EXPIRED,
    NORMATIVE,
    NORMATIVE_LIFECYCLE,
    REPEALED,
    VALID,
    add_months,
    matches,
    new_record,
    remind_on,
    valid_until,
)
from storage import Database

PROJECT = Path(__file__).resolve().parents[2]
RULES = RuleParams()
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)


def record(number: str = "GF2026-0001", **changes: Any) -> dict[str, Any]:
    found = new_record(
        number=number,
        title="阳城县校外培训机构管理办法",
        doc_number="阳教发〔2026〕9号",
        unit="jyj",
        county=False,
        issuer_name="县教育局",
        issued=date(2026, 11, 20),
        trial=False,
        review="HF2026-0001",
        rules=RULES,
        by="jia.lin",
        now=NOW,
    )
    found.update(changes)
    return found


def test_months_are_calendar_months_ending_on_the_last_day_when_short() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 11, 19), -6) == date(2028, 5, 19)
    assert add_months(date(2026, 3, 31), -13) == date(2025, 2, 28)


def test_validity_five_years_trial_two_and_configurable() -> None:
    assert valid_until(RULES, date(2026, 11, 20), trial=False) == date(2031, 11, 19)
    assert valid_until(RULES, date(2026, 11, 20), trial=True) == date(2028, 11, 19)
    # Issued on 29 February: the period ends on 27 February (no 29th that year).
    assert valid_until(RULES, date(2028, 2, 29), trial=False) == date(2033, 2, 27)
    three = RuleParams(normative_valid_years=3, normative_remind_months=3)
    until = valid_until(three, date(2026, 1, 10), trial=False)
    assert until == date(2029, 1, 9)
    assert remind_on(three, until) == date(2028, 10, 9)


def test_new_record_carries_its_period_and_evaluation_day() -> None:
    found = record()
    assert found["state"] == VALID
    assert found["valid_until"] == "2031-11-19"
    assert found["remind_on"] == "2031-05-19"
    assert found["reminded_ms"] is None and found["cleanup"] is None


def test_lifecycle_clean_up_results_and_expiry() -> None:
    for result in (CONTINUED, AMENDED, REPEALED, EXPIRED):
        assert NORMATIVE_LIFECYCLE.may_move(record(), result)
    continued = record(state=CONTINUED)
    assert NORMATIVE_LIFECYCLE.may_move(continued, REPEALED)
    for final in (AMENDED, REPEALED, EXPIRED):
        with pytest.raises(IllegalMove):
            NORMATIVE_LIFECYCLE.move(record(state=final), CONTINUED)


def test_search_by_number_title_doc_number_and_unit() -> None:
    found = record()
    assert matches(found, "县教育局", "")
    assert matches(found, "县教育局", "gf2026-0001")
    assert matches(found, "县教育局", "校外培训")
    assert matches(found, "县教育局", "阳教发")
    assert matches(found, "县教育局", "教育局")
    assert not matches(found, "县教育局", "财政")


def test_register_page_lists_every_status_and_rebuilds_byte_identically(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "site"
    data.mkdir()
    rows = [record("GF2026-0002", state=REPEALED, trial=True), record()]
    report = build_site([], out, data_dir=data, county="阳城县", normative=rows)
    assert report.normative == 2
    page = (out / "normative.html").read_text(encoding="utf-8")
    assert page.index("GF2026-0001") < page.index("GF2026-0002")
    assert "<td>有效</td>" in page and "<td>废止</td>" in page and "（试行）" in page
    assert "normative.html" in (out / "index.html").read_text(encoding="utf-8")
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    build_site([], out, data_dir=data, county="阳城县", normative=list(reversed(rows)))
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == first
    # Swapped in by renames: nothing left beside the site.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.lock", "data", "site"]


def test_empty_register_page(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    build_site([], tmp_path / "site", data_dir=data, county="阳城县")
    assert "暂无登记的规范性文件" in (tmp_path / "site" / "normative.html").read_text("utf-8")
    assert "normative.html" not in (tmp_path / "site" / "index.html").read_text("utf-8")


async def test_rebuild_reads_the_register_from_storage(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    database = await Database.open(data)
    try:
        await database.run(lambda s: s.collection(NORMATIVE).insert(record()))
        report = await rebuild_site(database, tmp_path / "site", county="阳城县")
    finally:
        await database.close()
    assert report.normative == 1
    assert "阳教发〔2026〕9号" in (tmp_path / "site" / "normative.html").read_text("utf-8")


def govbot(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=PROJECT, capture_output=True, timeout=120
    )


def test_export_by_issued_date_as_csv_and_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    database = Database.open_sync(data)
    older = record("GF2026-0002", issued="2025-12-30", state=REPEALED, trial=True)
    try:
        database.run_sync(lambda s: s.collection(NORMATIVE).insert_many([record(), older]))
    finally:
        database.close_sync()
    year = ("export", "normative", "--data", str(data), "--year")
    result = govbot(*year, "2026")
    assert result.returncode == 0, result.stderr.decode()
    rows = list(csv.reader(io.StringIO(result.stdout.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["登记号", "标题", "文号"]
    assert rows[1:] == [
        [
            "GF2026-0001",
            "阳城县校外培训机构管理办法",
            "阳教发〔2026〕9号",
            "县教育局",
            "2026-11-20",
            "否",
            "2031-11-19",
            "有效",
            "HF2026-0001",
        ]
    ]
    assert "规范性文件登记目录" in result.stderr.decode()
    result = govbot(*year, "2025", "--format", "json")
    assert [(r["number"], r["state"], r["trial"]) for r in json.loads(result.stdout)] == [
        ("GF2026-0002", "repealed", True)
    ]
