"""Supervision items: deadlines on the working-day calendar (第八十五条), the traffic
light, the reminder ladder, the lifecycle and the annual per-unit table (第八十六条)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ, to_epoch_ms
from bot.lifecycle import IllegalMove
from bot.services import Services
from handlers.supervision.chase import rungs
from handlers.supervision.export import annual_table
from handlers.supervision.model import (
    CLOSED,
    CLOSING,
    DUE_SOON,
    ON_TIME,
    OPEN,
    OVERDUE,
    SIGNED,
    SUPERVISION_LIFECYCLE,
    Due,
    due_for,
    light,
    new_item,
)
from tests.unit.fakes import make_services

EDU = "jyj"
EDU_HEAD = "cai.wenbin"
ZHANG = "zhang.lihua"  # the deputy in charge of 教育局
DIRECTOR = "sun.yongming"


@pytest.fixture
async def services(tmp_path: Path) -> Any:
    made = await make_services(tmp_path)
    yield made
    await made.db.close()


def _item(due: str, state: str = OPEN, **extra: Any) -> dict[str, Any]:
    item = new_item(
        number="DB2026-0001",
        state=OPEN,
        source="leader",
        title="校舍改造",
        text="完成校舍改造方案",
        lead=EDU,
        co_units=[],
        leader=ZHANG,
        due=Due(date.fromisoformat(due), True, False),
        opened_by="feng.lijuan",
        now=datetime(2026, 9, 28, 9, 0, tzinfo=TZ),
    )
    item["state"] = state
    item.update(extra)
    return item


def test_no_deadline_is_ten_working_days_across_national_day(services: Services) -> None:
    # 国庆 2026: Oct 1–7 off, Sat Oct 10 a working day.
    due = due_for(services.calendar, date(2026, 9, 28), None, 10)
    assert (due.day, due.given) == (date(2026, 10, 16), False)


def test_no_deadline_over_a_weekend(services: Services) -> None:
    due = due_for(services.calendar, date(2026, 11, 27), None, 10)  # a Friday
    assert due.day == date(2026, 12, 11)


def test_a_given_deadline_is_kept(services: Services) -> None:
    due = due_for(services.calendar, date(2026, 11, 27), date(2026, 12, 31), 10)
    assert (due.day, due.given) == (date(2026, 12, 31), True)


def test_traffic_light(services: Services) -> None:
    item = _item("2026-10-09")
    calendar = services.calendar
    assert light(calendar, item, date(2026, 9, 29)) == ON_TIME
    # The last working day before the deadline is Sep 30 (Oct 1–8 are 国庆, Oct 8 works).
    assert light(calendar, item, date(2026, 10, 8)) == DUE_SOON
    assert light(calendar, item, date(2026, 10, 9)) == DUE_SOON
    assert light(calendar, item, date(2026, 10, 10)) == OVERDUE


def test_a_deadline_on_a_rest_day_runs_to_the_next_working_day(services: Services) -> None:
    item = _item("2026-10-03")  # 国庆
    assert light(services.calendar, item, date(2026, 10, 8)) == DUE_SOON
    assert rungs(services, item, date(2026, 10, 8)) == [("today", [EDU_HEAD])]


def test_reminder_ladder_on_working_days(services: Services) -> None:
    item = _item("2026-10-09")
    by_day = {d: rungs(services, item, date(2026, 10, d)) for d in (8, 9, 10, 12, 13, 14, 15)}
    assert by_day[8] == [("before", [EDU_HEAD])]
    assert by_day[9] == [("today", [EDU_HEAD])]
    # Overdue: the head and the leader in charge from the next working morning (Sat Oct
    # 10 is a 调休 working day); the office director after three more working days.
    assert by_day[10] == [("overdue", [EDU_HEAD, ZHANG])]
    assert by_day[12] == by_day[13] == [("overdue", [EDU_HEAD, ZHANG])]
    assert by_day[14] == [("overdue", [EDU_HEAD, ZHANG]), ("escalated", [DIRECTOR])]
    assert by_day[15] == by_day[14]


def test_first_feedback_checkpoint_until_the_unit_reports(services: Services) -> None:
    item = _item("2026-12-09", first_feedback_due="2026-12-05")
    assert rungs(services, item, date(2026, 12, 4)) == []
    assert rungs(services, item, date(2026, 12, 7)) == [("first_feedback", [EDU_HEAD])]
    item["first_feedback_ms"] = 1
    assert rungs(services, item, date(2026, 12, 7)) == []


def test_only_the_office_grade_closes_an_item() -> None:
    item = _item("2026-10-09")
    SUPERVISION_LIFECYCLE.move(item, SIGNED)
    with pytest.raises(IllegalMove):
        SUPERVISION_LIFECYCLE.move(item, CLOSED)  # the unit cannot close it itself
    SUPERVISION_LIFECYCLE.move(item, CLOSING)
    SUPERVISION_LIFECYCLE.move(item, SIGNED)  # 退回
    SUPERVISION_LIFECYCLE.move(item, CLOSING)
    SUPERVISION_LIFECYCLE.move(item, CLOSED)
    assert not SUPERVISION_LIFECYCLE.moves.get(CLOSED)


def _closed(due: str, closed: datetime, grade: str) -> dict[str, Any]:
    return _item(due, CLOSED, closed_ms=to_epoch_ms(closed), grade=grade)


def test_annual_table_counts_results_per_unit(services: Services) -> None:
    at = datetime(2026, 10, 9, 17, 0, tzinfo=TZ)
    late = datetime(2026, 10, 12, 10, 0, tzinfo=TZ)
    items = [
        _closed("2026-10-09", at, "excellent"),
        _closed("2026-10-09", late, "pass"),
        _closed("2026-10-03", at, "good"),  # due on 国庆: Oct 8 counts as the deadline
        _item("2026-12-31"),
        _item("2026-10-09", SIGNED),
        _item("2026-10-09", "pending"),  # never opened
        _item("2026-10-09", "refused"),
    ]
    table = annual_table(
        items, date(2026, 1, 1), date(2026, 12, 31), services.calendar, date(2026, 12, 2)
    )
    assert table == {
        EDU: {
            "assigned": 5,
            "on_time": 1,
            "late": 2,
            "open": 1,
            "overdue": 1,
            "excellent": 1,
            "good": 1,
            "pass": 1,
            "fail": 0,
        }
    }
    next_year = annual_table(
        items, date(2027, 1, 1), date(2027, 12, 31), services.calendar, date(2027, 1, 4)
    )
    assert next_year == {}


def test_a_deadline_in_an_unpublished_year_is_provisional_and_says_so(services: Services) -> None:
    # 2027's holidays are not in chinese_calendar nor in the demo config.
    due = due_for(services.calendar, date(2026, 12, 24), None, 10)
    # Dec 25, 28-31, then Jan 4-8: New Year's Day stays off in the fallback.
    assert due.provisional and due.day == date(2027, 1, 8)
    text = services.messages.text(
        "sv_deadline", due=due.day, given=False, provisional=True, days=10
    )
    assert "2027年1月8日前" in text and "第八十五条" in text
    assert "暂定：该年节假日安排尚未录入" in text
