"""群众来信, 县长信箱 and 12345 (第四十四、八十八条): the routing of letters, the
calendar-day limits from receipt (an extension included), the reminder ladder on
working mornings, the lifecycle, and the answers on the card (首问负责: a forward needs a
reason and keeps the clock)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ
from bot.config import check_config
from bot.config_schema import RuleParams
from bot.errors import RuleViolation, UserFacingError
from bot.lifecycle import IllegalMove
from bot.org import OrgDirectory
from bot.services import Services
from handlers.letters.answers import answer
from handlers.letters.card import choices_for, create_card
from handlers.letters.chase import rungs
from handlers.letters.model import (
    ANSWERED,
    GENERAL,
    HANDLING,
    HOTLINE,
    INSTRUCTING,
    LETTER,
    LETTER_LIFECYCLE,
    LETTERS,
    OFFICE_ROUTES,
    ORGANISING,
    REGISTERED,
    handling_role,
    limits,
    limits_of,
    new_record,
)
from storage.session import Session
from tests.unit.fakes import make_services

EDU, EDU_HEAD = "jyj", "cai.wenbin"
HOUSING, HOUSING_HEAD = "zjj", "xue.gang"
ZHANG = "zhang.lihua"  # the deputy in charge of 教育局 and 住建局
DIRECTOR = "sun.yongming"
BUREAU, BUREAU_HEAD = "xfj", "qin.haiyan"
HEAD = "wang.jianguo"
CLERK = "lu.xiaoming"  # 信访局
RECEIVED = datetime(2026, 12, 1, 9, 30, tzinfo=TZ)  # a Tuesday


@pytest.fixture
async def services(tmp_path: Path) -> Any:
    made = await make_services(tmp_path, now=datetime(2026, 12, 2, 10, 0, tzinfo=TZ))
    yield made
    await made.db.close()


def _item(channel: str = HOTLINE, received: datetime = RECEIVED, **extra: Any) -> dict[str, Any]:
    item = new_record(
        number="XX2026-0001" if channel != LETTER else "LX2026-0001",
        channel=channel,
        route=extra.pop("route", GENERAL),
        writer="张三",
        contact="13800000000",
        content={"text": "小区路灯不亮"},
        received=received,
        registered_by=CLERK,
        office_unit=extra.pop("office_unit", BUREAU),
        unit=extra.pop("unit", EDU),
        now=received,
    )
    item.update(extra)
    return item


# -- routing (第八十八条) ------------------------------------------------------------------


def test_the_four_kinds_go_to_the_office_and_the_rest_to_the_petition_bureau(
    services: Services,
) -> None:
    assert len(OFFICE_ROUTES) == 4
    for route in OFFICE_ROUTES:
        assert handling_role(route) == "gov_office"
        office = services.directory.unit_with_role(handling_role(route))
        assert office is not None and office.name == "县人民政府办公室"
    assert handling_role(GENERAL) == "petition_bureau"
    bureau = services.directory.unit_with_role("petition_bureau")
    assert bureau is not None and bureau.name == "县信访局"
    assert services.directory.unit_head(bureau.unit_id).user_id == BUREAU_HEAD  # type: ignore[union-attr]


def test_a_letter_starts_with_its_office_and_a_hotline_item_with_its_unit() -> None:
    letter = _item(LETTER, route="notable", office_unit="xzfb")
    assert (letter["state"], letter["unit"], letter["units"]) == (REGISTERED, "", [])
    hotline = _item(HOTLINE)
    assert (hotline["state"], hotline["unit"], hotline["units"]) == (HANDLING, EDU, [EDU])
    with pytest.raises(ValueError):
        _item(LETTER, route="vip")


# -- calendar-day limits from receipt -----------------------------------------------------


def test_limits_are_calendar_days_from_receipt() -> None:
    rules = RuleParams()
    due = limits(date(2026, 12, 1), rules, extended=False)
    # 15 and 60 calendar days, weekends and New Year included.
    assert (due.notice, due.finish) == (date(2026, 12, 16), date(2027, 1, 30))
    extended = limits(date(2026, 12, 1), rules, extended=True)
    assert (extended.notice, extended.finish) == (date(2026, 12, 16), date(2027, 3, 1))


def test_limits_are_configurable() -> None:
    rules = RuleParams(letter_notice_days=10, letter_finish_days=30, letter_extension_days=15)
    due = limits(date(2026, 12, 1), rules, extended=True)
    assert (due.notice, due.finish) == (date(2026, 12, 11), date(2027, 1, 15))


def test_the_clock_runs_from_receipt_not_from_registration() -> None:
    item = _item(received=RECEIVED)
    item["registered_ms"] += 3 * 86_400_000  # registered three days later
    assert limits_of(item, RuleParams()).finish == date(2027, 1, 30)
    item["extended_ms"] = item["registered_ms"]
    assert limits_of(item, RuleParams()).finish == date(2027, 3, 1)


def test_a_notice_limit_longer_than_the_finish_limit_is_a_config_problem(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[rules]\nletter_notice_days = 70\nletter_extension_days = 0\n", "utf-8")
    codes = {p.code: p for p in check_config(path)}
    assert "letter_notice_after_finish" in codes
    assert "第 2 行" in str(codes["letter_notice_after_finish"])
    assert codes["not_positive"].params == {"key": "letter_extension_days", "value": 0}


# -- reminders on working mornings --------------------------------------------------------


def test_reminder_ladder(services: Services) -> None:
    item = _item()  # notice due Wed 16 Dec, finish Sat 30 Jan 2027
    by_day = {d: rungs(services, item, date(2026, 12, d)) for d in (14, 15, 16, 17, 21, 22)}
    notice = date(2026, 12, 16)
    assert by_day[14] == []
    assert by_day[15] == [("notice", "before", notice, [EDU_HEAD])]
    assert by_day[16] == [("notice", "today", notice, [EDU_HEAD])]
    # Past the limit: the head and the leader in charge; the director after three
    # more working days (17, 18, 21, 22 December).
    assert by_day[17] == by_day[21] == [("notice", "overdue", notice, [EDU_HEAD, ZHANG])]
    assert by_day[22] == [
        ("notice", "overdue", notice, [EDU_HEAD, ZHANG]),
        ("notice", "escalated", notice, [DIRECTOR]),
    ]
    item["noticed_ms"] = 1  # 已告知: only the 办结 limit is chased
    assert rungs(services, item, date(2026, 12, 22)) == []


def test_a_limit_on_a_rest_day_is_reminded_on_the_last_working_morning_before(
    services: Services,
) -> None:
    item = _item(received=datetime(2026, 12, 5, 10, 0, tzinfo=TZ))  # notice due Sun 20 Dec
    notice = date(2026, 12, 20)
    assert rungs(services, item, date(2026, 12, 17)) == []
    assert rungs(services, item, date(2026, 12, 18)) == [("notice", "before", notice, [EDU_HEAD])]
    assert rungs(services, item, date(2026, 12, 21))[0][1] == "overdue"


def test_the_finish_ladder_follows_the_extension(services: Services) -> None:
    item = _item(noticed_ms=1)
    finish = date(2027, 1, 30)
    assert rungs(services, item, date(2027, 2, 1)) == [
        ("finish", "overdue", finish, [EDU_HEAD, ZHANG])
    ]
    item["extended_ms"] = 1
    assert rungs(services, item, date(2027, 2, 1)) == []
    assert rungs(services, item, date(2027, 3, 1)) == [
        ("finish", "today", date(2027, 3, 1), [EDU_HEAD])
    ]


# -- lifecycle and answers ----------------------------------------------------------------


def test_the_lifecycle_keeps_the_order_of_the_rules() -> None:
    item = _item(LETTER, office_unit=BUREAU)
    with pytest.raises(IllegalMove):
        LETTER_LIFECYCLE.move(item, ORGANISING)  # no 批示 without a leader
    LETTER_LIFECYCLE.move(item, INSTRUCTING)
    with pytest.raises(IllegalMove):
        LETTER_LIFECYCLE.move(item, ANSWERED)  # the 信访局 organises the handling first
    LETTER_LIFECYCLE.move(item, ORGANISING)
    LETTER_LIFECYCLE.move(item, HANDLING)
    LETTER_LIFECYCLE.move(item, ANSWERED)
    assert not LETTER_LIFECYCLE.moves.get(ANSWERED)


async def _stored(services: Services, item: dict[str, Any]) -> None:
    def store(session: Session) -> None:
        session.collection(LETTERS).insert(item)
        create_card(services, session, item)

    await services.db.run(store)


async def _answer(
    services: Services, number: str, user: str, decision: str, text: str = ""
) -> dict[str, Any]:
    now = services.clock.now()
    item, _ = await services.db.run(
        lambda s: answer(services, s, number, user, decision, text=text, now=now)
    )
    return item


async def test_first_unit_forwards_only_with_a_reason_and_the_clock_stays(
    services: Services,
) -> None:
    await _stored(services, _item())
    assert choices_for(services, _item(), EDU_HEAD) == (
        "notice",
        "answer_phone",
        "answer_written",
        "forward",
        "extend",
    )
    with pytest.raises(RuleViolation) as refused:
        await _answer(services, "XX2026-0001", EDU_HEAD, "forward", "住房和城乡建设局")
    assert refused.value.template == "lx_forward_reason_required"
    with pytest.raises(UserFacingError):  # not his unit's to forward
        await _answer(services, "XX2026-0001", HOUSING_HEAD, "forward", "教育局：不属本局")
    item = await _answer(
        services, "XX2026-0001", EDU_HEAD, "forward", "住房和城乡建设局：路灯属市政设施"
    )
    assert (item["state"], item["unit"], item["units"]) == (HANDLING, HOUSING, [EDU, HOUSING])
    assert item["log"][-1]["text"] == "县教育局 → 县住房和城乡建设局：路灯属市政设施"
    assert limits_of(item, services.config.rules).finish == date(2027, 1, 30)
    assert choices_for(services, item, EDU_HEAD) == ()  # now the new unit is responsible
    extended = await _answer(services, "XX2026-0001", HOUSING_HEAD, "extend", "需协调供电公司")
    assert limits_of(extended, services.config.rules).finish == date(2027, 3, 1)
    assert "extend" not in choices_for(services, extended, HOUSING_HEAD)  # once only


async def test_an_answer_records_how_the_writer_was_answered(services: Services) -> None:
    await _stored(services, _item())
    with pytest.raises(RuleViolation):
        await _answer(services, "XX2026-0001", EDU_HEAD, "answer_phone", "")
    item = await _answer(services, "XX2026-0001", EDU_HEAD, "answer_phone", "已修复路灯")
    assert (item["state"], item["reply_way"], item["answer"]) == (ANSWERED, "phone", "已修复路灯")
    assert item["answered_ms"] == int(services.clock.now().timestamp() * 1000)


async def test_the_office_sends_a_letter_to_a_leader_only(services: Services) -> None:
    letter = _item(LETTER, route="leader", office_unit="xzfb", unit="")
    await _stored(services, letter)
    assert "instruct" in choices_for(services, letter, DIRECTOR)
    with pytest.raises(UserFacingError) as refused:
        await _answer(services, "LX2026-0001", DIRECTOR, "instruct", "蔡文斌")
    assert refused.value.template == "sv_not_a_leader"
    sent = await _answer(services, "LX2026-0001", DIRECTOR, "instruct", "王建国")
    assert (sent["state"], sent["leader"]) == (INSTRUCTING, HEAD)
    assert choices_for(services, sent, HEAD) == ("instructed",)
    with pytest.raises(RuleViolation):
        await _answer(services, "LX2026-0001", HEAD, "instructed", "")
    done = await _answer(services, "LX2026-0001", HEAD, "instructed", "请信访局督促办理")
    assert done["state"] == ORGANISING
    assert choices_for(services, done, BUREAU_HEAD)[:2] == ("notice", "assign")


def test_rules_defaults_match_the_petition_regulation() -> None:
    rules = RuleParams()
    assert (rules.letter_notice_days, rules.letter_finish_days, rules.letter_extension_days) == (
        15,
        60,
        30,
    )


async def test_no_instruction_without_a_petition_bureau_to_organise_it(
    tmp_path: Path,
) -> None:
    made = await make_services(tmp_path)
    try:
        units = dict(made.config.units)
        units[BUREAU] = replace(units[BUREAU], roles=frozenset())
        config = replace(made.config, units=units)
        services = replace(made, config=config, directory=OrgDirectory(config))
        await _stored(services, _item(LETTER, route="leader", office_unit="xzfb", unit=""))
        with pytest.raises(UserFacingError) as refused:
            await _answer(services, "LX2026-0001", DIRECTOR, "instruct", "王建国")
        assert refused.value.template == "lx_no_petition_bureau"
    finally:
        await made.db.close()
