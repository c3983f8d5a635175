"""Meetings as records: times, members by kind, quorum, agenda size warnings, proposed
dates of the 常务会议 (第五十至五十三、五十一、六十四、六十五条)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.calendar import WorkCalendar
from bot.clock import TZ
from handlers.meetings.card import warnings
from handlers.meetings.model import (
    LEAVE_PENDING,
    ON_LEAVE,
    SUBSTITUTE,
    agenda_minutes,
    attendees,
    expected_members,
    has_quorum,
    members_for,
    observers_for,
    parse_when,
    propose_dates,
    speaking_units,
)
from tests.unit.fakes import make_services

LEADERSHIP = [
    "wang.jianguo",
    "li.zhiqiang",
    "zhang.lihua",
    "zhao.guodong",
    "liu.zhenhua",
    "chen.wei",
    "sun.yongming",
]


def test_parse_when_accepts_office_ways_of_writing_a_time() -> None:
    expected = datetime(2026, 12, 10, 15, 0, tzinfo=TZ)
    for text in (
        "2026-12-10 15:00",
        "2026/12/10 15:00",
        "2026年12月10日 15:00",
        "2026年12月10日 下午3:00",
        "2026年12月10日下午3时",
    ):
        assert parse_when(text) == expected, text
    assert parse_when("2026-12-10 上午9:30") == datetime(2026, 12, 10, 9, 30, tzinfo=TZ)
    for bad in ("明天上午", "2026-02-30 09:00", "2026-12-10", "2026-12-10 25:00"):
        assert parse_when(bad) is None, bad


async def test_members_by_kind(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    directory = services.directory
    try:
        assert members_for("executive", directory, "wang.jianguo", [], []) == LEADERSHIP
        assert members_for("mayor_office", directory, "wang.jianguo", [], []) == LEADERSHIP
        plenary = members_for("plenary", directory, "wang.jianguo", [], [])
        assert plenary[:7] == LEADERSHIP
        assert "cai.wenbin" in plenary and "huang.zhigang" in plenary  # department heads
        assert "gao.jianping" not in plenary  # 县委办公室 is not a government department
        topical = members_for("topical", directory, "zhang.lihua", ["jyj", "czj"], ["li.zhiqiang"])
        assert topical == ["zhang.lihua", "li.zhiqiang", "cai.wenbin", "xie.jianhua"]
        observers = observers_for("executive", directory, LEADERSHIP)
        assert "zhou.wenjing" in observers and "feng.lijuan" in observers  # 列席
        assert not set(observers) & set(LEADERSHIP)
        assert observers_for("topical", directory, topical) == [
            "sun.yongming",
            "feng.lijuan",
            "he.jing",
        ]
    finally:
        await services.db.close()


def _meeting(**more: Any) -> dict[str, Any]:
    meeting: dict[str, Any] = {
        "members": LEADERSHIP,
        "observers": ["feng.lijuan"],
        "attendance": {},
        "agenda": [],
    }
    meeting.update(more)
    return meeting


def _entry(item: str, unit: str, minutes: int, status: str = "on") -> dict[str, Any]:
    return {"item": item, "unit": unit, "minutes": minutes, "status": status, "speaker": unit}


def test_quorum_counts_leave_granted_or_asked_and_not_substitutes() -> None:
    meeting = _meeting()
    assert expected_members(meeting) == (7, 7) and has_quorum(meeting)
    meeting["attendance"] = {
        "li.zhiqiang": {"status": ON_LEAVE},
        "zhao.guodong": {"status": LEAVE_PENDING},
        "liu.zhenhua": {"status": ON_LEAVE},
        "feng.lijuan": {"status": SUBSTITUTE},  # not a member
    }
    assert expected_members(meeting) == (4, 7) and has_quorum(meeting)
    meeting["attendance"]["chen.wei"] = {"status": ON_LEAVE}
    assert expected_members(meeting) == (3, 7) and not has_quorum(meeting)
    # Exactly half is not "more than half" (第五十一条).
    assert not has_quorum(
        {
            **_meeting(members=LEADERSHIP[:6]),
            "attendance": {
                "li.zhiqiang": {"status": ON_LEAVE},
                "zhao.guodong": {"status": ON_LEAVE},
                "liu.zhenhua": {"status": ON_LEAVE},
            },
        }
    )


async def test_warnings_for_a_long_agenda_and_too_many_speaking_units(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    try:
        meeting = _meeting(
            agenda=[
                _entry("YT1", "jyj", 10),
                _entry("YT2", "czj", 10),
                _entry("YT3", "zjj", 10),
                _entry("YT4", "fgj", 10),
                _entry("YT5", "fgj", 10),
                _entry("YT6", "yjj", 10, status="moved"),  # moved on: not counted
            ]
        )
        assert agenda_minutes(meeting) == 50
        assert speaking_units(meeting) == ["jyj", "czj", "zjj", "fgj"]
        assert warnings(services, meeting) == []
        meeting["agenda"][5]["status"] = "kept"
        meeting["agenda"].append(_entry("YT7", "sfj", 5))
        found = warnings(services, meeting)
        assert len(found) == 2
        assert "65 分钟" in found[0] and "第六十五条" in found[0]
        assert "6 个" in found[1] and "第六十五条" in found[1]
        assert "yjj" in attendees(meeting)  # a speaking unit gets the agenda
    finally:
        await services.db.close()


def test_proposed_dates_twice_a_month_on_working_thursdays() -> None:
    calendar = WorkCalendar()
    # From 2026-09-20: 10-01 is a Thursday but 国庆; the 1st proposal is 10-08.
    assert propose_dates(calendar, date(2026, 9, 20), 3, 5) == [
        date(2026, 10, 8),
        date(2026, 10, 22),
    ]
    # Far enough ahead for the 5-working-day submission deadline.
    assert propose_dates(calendar, date(2026, 11, 30), 3, 5) == [
        date(2026, 12, 17),
        date(2027, 1, 7),
    ]
