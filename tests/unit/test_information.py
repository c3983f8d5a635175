"""政务信息 (第七十九–八十二条): the score counts adopted information only, by level and with
the configured points; ties share a rank; the month table counts submissions, adoptions
and 约稿 misses in their own months; only misses marked 造成严重后果 are criticised; the
monthly 通报 goes out on the first working day of the month only."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ
from bot.errors import NotAuthorized, RuleViolation, UserFacingError
from bot.lifecycle import IllegalMove
from bot.services import Services
from handlers.information.card import create_card
from handlers.information.decide import apply_decision
from handlers.information.model import (
    ADOPTED,
    INFO_REQUESTS,
    INFORMATION,
    NOT_ADOPTED,
    answer_request,
    decide,
    flag_miss,
    mark_serious,
    missing_units,
    new_item,
    new_request,
)
from handlers.information.report import (
    criticised,
    month_bounds,
    monthly_report,
    parse_month,
    points_of,
    ranked,
    unit_table,
)
from tests.unit.fakes import make_services

POINTS = {"county": 1, "city": 3, "province": 5}
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def at(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=TZ)


def item(unit: str, submitted: datetime, level: str | None = None, decided: datetime | None = None,
         *, number: str = "XX2026-0001") -> dict[str, Any]:  # fmt: skip
    made = new_item(
        number=number,
        title="一季度工业经济运行情况",
        category="economy",
        material={"text": "一季度规上工业增加值同比增长 8%。"},
        file=None,
        unit=unit,
        by="jia.lin",
        request=None,
        now=submitted,
    )
    if decided is not None:
        decide(made, level or "reject", "feng.lijuan", "" if level else "内容陈旧", decided)
    return made


def request(units: list[str], deadline: date, number: str = "YG2026-0001") -> dict[str, Any]:
    return new_request(
        number=number, topic="秋粮收购进展", units=units, deadline=deadline, by="feng.lijuan",
        now=at(2),
    )  # fmt: skip


def test_the_score_counts_adopted_information_only_by_level() -> None:
    items = [
        item("jyj", at(3), "city", at(4)),
        item("jyj", at(5), "county", at(6)),
        item("jyj", at(7)),  # not decided yet: submitted only
        item("jyj", at(8), None, at(9)),  # not adopted
        item("cgz", at(3), "province", at(5)),
        item("czj", at(3)),
        item("czj", at(4)),
        item("czj", at(5)),  # many submitted, none adopted: no score
    ]
    table = unit_table(items, [], *NOV, POINTS)
    assert table["jyj"] == {
        "submitted": 4, "county": 1, "city": 1, "province": 0, "adopted": 2,
        "not_adopted": 1, "requested": 0, "missed": 0, "score": 4,
    }  # fmt: skip
    assert table["cgz"]["score"] == 5 and table["czj"]["submitted"] == 3
    assert table["czj"]["score"] == 0


def test_the_points_come_from_the_rules(services: Services) -> None:
    assert points_of(services.config.rules) == POINTS
    items = [item("jyj", at(3), "city", at(4)), item("cgz", at(3), "county", at(4))]
    table = unit_table(items, [], *NOV, {"county": 2, "city": 2, "province": 9})
    assert table["jyj"]["score"] == table["cgz"]["score"] == 2


def test_ties_share_a_rank_and_units_without_adopted_information_are_unranked() -> None:
    items = [
        item("jyj", at(3), "city", at(4)),
        item("cgz", at(3), "city", at(4)),
        item("czj", at(3), "county", at(4)),
        item("fgj", at(3)),
    ]
    order = ["cgz", "czj", "fgj", "jyj", "hkz"]
    rows = ranked(unit_table(items, [], *NOV, POINTS, order), order)
    assert [(r["unit"], r["rank"], r["score"]) for r in rows] == [
        ("cgz", 1, 3),
        ("jyj", 1, 3),
        ("czj", 3, 1),
        ("fgj", None, 0),  # submitted but nothing adopted: not ranked
        ("hkz", None, 0),  # listed although it submitted nothing
    ]


def test_each_event_counts_in_its_own_month() -> None:
    # Submitted on 30 October, adopted on 3 November: submitted in October, adopted in November.
    items = [item("jyj", at(30, 10), "province", at(3))]
    october = unit_table(items, [], *month_bounds(2026, 10), POINTS)
    november = unit_table(items, [], *NOV, POINTS)
    assert (october["jyj"]["submitted"], october["jyj"]["adopted"]) == (1, 0)
    assert (november["jyj"]["submitted"], november["jyj"]["adopted"]) == (0, 1)
    assert november["jyj"]["score"] == 5


def test_requests_and_misses_count_in_the_month_of_the_deadline() -> None:
    asked = request(["jyj", "cgz"], date(2026, 11, 20))
    answer_request(asked, "jyj", "XX2026-0003", at(19))
    flag_miss(asked, "cgz", at(23))
    later = request(["cgz"], date(2026, 12, 4), "YG2026-0002")
    table = unit_table([], [asked, later], *NOV, POINTS)
    assert (table["jyj"]["requested"], table["jyj"]["missed"]) == (1, 0)
    assert (table["cgz"]["requested"], table["cgz"]["missed"]) == (1, 1)
    assert table["cgz"]["score"] == 0  # a miss costs no points: the ranking is on adoptions


def test_only_misses_marked_with_serious_consequences_are_criticised() -> None:
    asked = request(["jyj", "cgz", "hkz"], date(2026, 11, 20))
    flag_miss(asked, "cgz", at(23))
    flag_miss(asked, "hkz", at(23))
    assert criticised([asked], *NOV) == []
    assert mark_serious(asked, "hkz", "sun.yongming", at(24))
    assert not mark_serious(asked, "hkz", "sun.yongming", at(25))  # once
    assert criticised([asked], *NOV) == [
        {"unit": "hkz", "number": "YG2026-0001", "topic": "秋粮收购进展", "deadline": "2026-11-20"}
    ]
    assert criticised([asked], *month_bounds(2026, 12)) == []


def test_a_unit_misses_only_after_its_deadline_day_and_is_flagged_once() -> None:
    asked = request(["jyj", "cgz"], date(2026, 11, 20))
    assert missing_units(asked, date(2026, 11, 20)) == []  # the deadline day is theirs
    assert answer_request(asked, "jyj", "XX2026-0001", at(20))  # on time
    assert missing_units(asked, date(2026, 11, 23)) == ["cgz"]
    flag_miss(asked, "cgz", at(23))
    assert missing_units(asked, date(2026, 11, 24)) == []
    assert not answer_request(asked, "cgz", "XX2026-0002", at(24))  # late: 迟报
    assert asked["answers"]["cgz"]["late"] and "cgz" in asked["misses"]


def test_the_first_decision_counts() -> None:
    made = item("jyj", at(3), "city", at(4))
    assert (made["state"], made["level"]) == (ADOPTED, "city")
    with pytest.raises(IllegalMove):
        decide(made, "reject", "he.jing", "重复", at(5))
    rejected = item("jyj", at(3), None, at(4))
    assert (rejected["state"], rejected["reason"]) == (NOT_ADOPTED, "内容陈旧")


def test_months_as_the_office_writes_them() -> None:
    today = date(2026, 12, 2)
    assert parse_month("2026-11", today) == (2026, 11)
    assert parse_month("2026年9月", today) == (2026, 9)
    assert parse_month("", today) == (2026, 12)
    for bad in ("2026-13", "十一月", "2027-01"):
        with pytest.raises(UserFacingError):
            parse_month(bad, today)
    assert month_bounds(2026, 12) == (date(2026, 12, 1), date(2026, 12, 31))
    assert month_bounds(2026, 2) == (date(2026, 2, 1), date(2026, 2, 28))


@pytest.fixture
async def services(tmp_path: Path) -> Any:
    made = await make_services(tmp_path)
    yield made
    await made.db.close()


async def _stored(services: Services, *docs: tuple[str, dict[str, Any]]) -> None:
    def store(session: Any) -> None:
        for collection, doc in docs:
            session.collection(collection).insert(doc)

    await services.db.run(store)


async def test_the_monthly_report_only_on_the_first_working_day(services: Services) -> None:
    asked = request(["jyj", "cgz"], date(2026, 10, 20))
    answer_request(asked, "jyj", "XX2026-0001", at(19, 10))
    flag_miss(asked, "cgz", at(21, 10))
    mark_serious(asked, "cgz", "sun.yongming", at(22, 10))
    await _stored(
        services,
        (INFORMATION, item("jyj", at(19, 10), "city", at(20, 10))),
        (INFORMATION, item("cgz", at(12, 10), "county", at(13, 10), number="XX2026-0002")),
        (INFO_REQUESTS, asked),
    )
    assert await monthly_report(services, date(2026, 11, 3)) == []  # not the first working day
    (sent,) = await monthly_report(services, date(2026, 11, 2))  # Monday 2 November
    assert sent.payload["user_ids"] == ["sun.yongming"]  # the office director
    text = sent.payload["msg_param"]["text"]
    assert "2026年10月政务信息通报" in text
    assert "第1名 县教育局" in text and "第2名 城关镇人民政府" in text
    assert "通报批评" in text and "秋粮收购进展" in text
    assert sent.key == "information:report:2026-10"
    # After 国庆 the first working day of October is the 8th, not the 1st.
    assert await monthly_report(services, date(2026, 10, 1)) == []
    (september,) = await monthly_report(services, date(2026, 10, 8))
    assert "2026年9月政务信息通报" in september.payload["msg_param"]["title"]
    assert "没有需要通报批评" in september.payload["msg_param"]["text"]


async def test_only_the_information_staff_decide_and_only_once(services: Services) -> None:
    def store(session: Any) -> None:
        made = item("jyj", at(3))
        session.collection(INFORMATION).insert(made)
        create_card(services, session, made)

    await services.db.run(store)

    def deciding(user: str, choice: str, reason: str = "") -> Any:
        return lambda s: apply_decision(
            services, s, "XX2026-0001", user, choice, text=reason, now=at(4)
        )

    with pytest.raises(NotAuthorized):  # the unit head does not judge his own information
        await services.db.run(deciding("cai.wenbin", "city"))
    with pytest.raises(RuleViolation):  # 不采用 without a reason
        await services.db.run(deciding("feng.lijuan", "reject", "  "))
    stored, outgoing = await services.db.run(deciding("ma.jun", "city"))
    assert (stored["state"], stored["level"], stored["decided_by"]) == (ADOPTED, "city", "ma.jun")
    notice = outgoing[-1]
    assert notice.payload["user_ids"] == ["jia.lin"]
    assert "已被市级采用" in notice.payload["msg_param"]["text"]
    with pytest.raises(UserFacingError) as second:  # the first decision counts
        await services.db.run(deciding("feng.lijuan", "reject", "重复"))
    assert second.value.template == "info_decided"
    after = await services.db.run(lambda s: s.collection(INFORMATION).get("XX2026-0001"))
    assert (after["state"], after["level"]) == (ADOPTED, "city")
