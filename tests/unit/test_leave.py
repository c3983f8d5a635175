"""Half-day periods, overlap, days away, date parsing and the stand-in chain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot.clock import TZ
from bot.config import OrgDirectory, load_config
from bot.errors import UserFacingError
from handlers.leave.model import (
    AM,
    PM,
    LeaveDelegation,
    days_in,
    effective_end,
    is_running,
    overlaps,
    slot,
    slot_at,
    slot_day,
    slot_start,
)
from handlers.leave.when import parse_when
from messages.render import Messages
from sandbox.launcher import demo_config_path

D = date(2026, 11, 25)


def test_slots_order_half_days() -> None:
    assert slot(D, AM) + 1 == slot(D, PM)
    assert slot(D, PM) + 1 == slot(date(2026, 11, 26), AM)
    assert slot_day(slot(D, PM)) == (D, PM)
    assert slot_at(datetime(2026, 11, 25, 11, 59, tzinfo=TZ)) == slot(D, AM)
    assert slot_at(datetime(2026, 11, 25, 12, 0, tzinfo=TZ)) == slot(D, PM)
    assert slot_start(slot(D, PM)) == datetime(2026, 11, 25, 12, 0, tzinfo=TZ)


def test_overlap_is_inclusive_by_half_day() -> None:
    morning = (slot(D, AM), slot(D, AM))
    afternoon = (slot(D, PM), slot(D, PM))
    whole = (slot(D, AM), slot(D, PM))
    assert not overlaps(morning, afternoon)
    assert overlaps(morning, whole) and overlaps(whole, afternoon)
    # The partner leaves in the afternoon of the day the other returns at noon: no clash.
    assert not overlaps((slot(D, AM) - 4, slot(D, AM)), (slot(D, PM), slot(D, PM) + 4))
    assert overlaps((slot(D, AM) - 4, slot(D, PM)), (slot(D, PM), slot(D, PM) + 4))


def test_days_in_and_early_return() -> None:
    assert days_in(slot(D, AM), slot(D, PM)) == 1
    assert days_in(slot(D, PM), slot(date(2026, 11, 26), AM)) == 1
    assert days_in(slot(D, PM), slot(D, PM)) == 0.5
    absence = {"start_slot": slot(D, AM), "end_slot": slot(D, AM) + 5, "returned_slot": None}
    assert effective_end(absence) == slot(D, AM) + 5
    absence["returned_slot"] = slot(D, PM)
    assert effective_end(absence) == slot(D, PM)


def test_parse_when() -> None:
    today = date(2026, 11, 23)
    assert parse_when("2026-11-25 上午", today, PM) == slot(D, AM)
    assert parse_when("11月25日下午", today, AM) == slot(D, PM)
    assert parse_when("11-25", today, PM) == slot(D, PM)
    assert parse_when("明天上午", today, PM) == slot(date(2026, 11, 24), AM)
    assert parse_when("1月4日", today, AM) == slot(date(2027, 1, 4), AM)  # next year
    for bad in ("下周", "2026-13-01", "11月31日"):
        with pytest.raises(UserFacingError):
            parse_when(bad, today, AM)


class AbsenceCollection:
    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.docs = docs

    def find(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return [d for d in self.docs if predicate(d)]


class AbsenceSession:
    def __init__(self, docs: list[dict[str, Any]]) -> None:
        self.absences = AbsenceCollection(docs)

    def collection(self, name: str) -> AbsenceCollection:
        assert name == "absences"
        return self.absences


def _away(user: str, stand_in: str | None = None, status: str = "approved") -> dict[str, Any]:
    return {
        "id": f"QJ-{user}",
        "user": user,
        "status": status,
        "start_slot": slot(D, AM) - 2,
        "end_slot": slot(D, PM) + 2,
        "returned_ms": None,
        "stand_in": stand_in,
    }


def _delegation() -> tuple[LeaveDelegation, list[Any]]:
    staged: list[Any] = []
    services = SimpleNamespace(
        directory=OrgDirectory(load_config(demo_config_path())),
        messages=Messages(),
        outbox=SimpleNamespace(stage=lambda session, items: staged.extend(items)),
    )
    return LeaveDelegation(cast(Any, services)), staged


AT = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)


def test_stand_in_chain() -> None:
    delegation, staged = _delegation()
    session = cast(Any, AbsenceSession([]))
    assert delegation.resolve(session, "wang.jianguo", AT) == ("wang.jianguo", None)
    # The county head away: the executive deputy (第五条).
    session = cast(Any, AbsenceSession([_away("wang.jianguo")]))
    assert delegation.resolve(session, "wang.jianguo", AT) == ("li.zhiqiang", "wang.jianguo")
    # … who is away too, naming 张丽华: she acts for the county head.
    session = cast(
        Any, AbsenceSession([_away("wang.jianguo"), _away("li.zhiqiang", stand_in="zhang.lihua")])
    )
    assert delegation.resolve(session, "wang.jianguo", AT) == ("zhang.lihua", "wang.jianguo")
    # Not yet started, already returned, or rejected: no stand-in.
    later = _away("wang.jianguo") | {"start_slot": slot(D, PM)}
    returned = _away("wang.jianguo") | {"returned_ms": 1}
    rejected = _away("wang.jianguo", status="rejected")
    for absence in (later, returned, rejected):
        assert not is_running(absence, slot_at(AT)) or absence is later
        session = cast(Any, AbsenceSession([absence]))
        assert delegation.resolve(session, "wang.jianguo", AT)[1] is None
    assert staged == []


def test_loop_or_empty_chain_stays_and_tells_the_office() -> None:
    delegation, staged = _delegation()
    # The AB pair both away, each naming the other: a loop.
    session = cast(Any, AbsenceSession([_away("zhang.lihua"), _away("liu.zhenhua")]))
    assert delegation.resolve(session, "zhang.lihua", AT) == ("zhang.lihua", None)
    assert len(staged) == 1 and staged[0].payload["conversation_id"]
    assert "循环" in staged[0].payload["msg_param"]["text"]
    # Someone with no AB partner and no named stand-in: an empty chain.
    session = cast(Any, AbsenceSession([_away("xie.jianhua")]))
    assert delegation.resolve(session, "xie.jianhua", AT) == ("xie.jianhua", None)
    assert len(staged) == 2 and "没有可用的代理人" in staged[1].payload["msg_param"]["text"]


def test_export_leave_per_person_days_by_kind(tmp_path: Any) -> None:
    import csv
    import io
    import subprocess
    import sys

    from handlers.export import export_leave
    from storage import Database, Session

    def absence(i: int, user: str, kind: str, start: int, end: int, **more: Any) -> dict[str, Any]:
        return {
            "id": f"QJ2026-{i:04d}",
            "user": user,
            "unit_id": "leaders",
            "kind": kind,
            "start_slot": start,
            "end_slot": end,
            "status": "approved",
            "returned_ms": None,
            **more,
        }

    dec31 = date(2026, 12, 31)
    rows = [
        absence(1, "zhang.lihua", "trip", slot(D, AM), slot(D, PM) + 2),  # 2 days
        absence(2, "zhang.lihua", "trip", slot(D, PM) + 6, slot(D, PM) + 6),  # half a day
        absence(
            3,
            "zhang.lihua",
            "medical",
            slot(D, AM) + 10,
            slot(D, AM) + 20,
            returned_slot=slot(D, AM) + 11,
        ),
        absence(4, "liu.zhenhua", "study", slot(dec31, AM), slot(dec31, AM) + 5),  # 1 in 2026
        absence(5, "liu.zhenhua", "visit", slot(D, AM), slot(D, PM), status="rejected"),
        absence(
            6,
            "chen.wei",
            "family",
            slot(D, AM),
            slot(D, PM),
            status="urgent",
            regularised="QJ2026-0009",
        ),
    ]
    data = tmp_path / "data"
    db = Database.open_sync(data)
    try:

        def fill(session: Session) -> None:
            session.collection("absences").insert_many(rows)

        db.run_sync(fill)
        out = io.StringIO(newline="")
        names = {"zhang.lihua": ("张丽华", "县人民政府领导")}
        assert export_leave(db, date(2026, 1, 1), dec31, "csv", out, names=names) == 2
    finally:
        db.close_sync()
    table = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert table[0] == [
        "姓名",
        "单位",
        "会议活动",
        "出差",
        "学习",
        "出访",
        "休假",
        "探亲",
        "就医",
        "合计天数",
    ]
    assert table[1] == ["张丽华", "县人民政府领导", "0", "2.5", "0", "0", "0", "0", "1", "3.5"]
    assert table[2][0] == "liu.zhenhua" and table[2][4] == "1" and table[2][-1] == "1"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "export", "leave", "--data", str(data), "--year", "2027"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert "liu.zhenhua" in result.stdout.decode("utf-8-sig")
