"""The county head's stand-in is always the executive deputy (第五条): naming anyone
else is refused citing the article, nobody means the executive deputy, and when the
executive deputy is away himself the chain (第一百零二条) is what the filing says."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot.clock import TZ
from bot.config import OrgDirectory, load_config
from bot.errors import UserFacingError
from handlers.leave.answers import stand_in, summary_rows
from handlers.leave.flow import filing_messages
from handlers.leave.model import LeaveDelegation, slot, stand_in_away, stand_in_for
from messages.render import Messages
from sandbox.launcher import demo_config_path
from tests.unit.test_leave import AbsenceSession, D
from tests.unit.test_leave_presides import absence

HEAD = "wang.jianguo"  # 县长
EXEC = "li.zhiqiang"  # 常务副县长
ZHANG = "zhang.lihua"  # 副县长
LIU = "liu.zhenhua"  # 副县长, AB partner of 张丽华
AT = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)


def _services() -> Any:
    directory = OrgDirectory(load_config(demo_config_path()))
    return SimpleNamespace(
        directory=directory,
        messages=Messages(),
        forms=SimpleNamespace(label=lambda form, key: key),
        outbox=SimpleNamespace(stage=lambda session, items: None),
        config=SimpleNamespace(cards={"notice": "notice"}),
    )


def _ctx(user: str) -> Any:
    services = _services()
    return cast(Any, SimpleNamespace(services=services, sender=services.directory.person(user)))


def _absence(user: str, stand_in: str | None, number: str = "QJ2026-0001") -> dict[str, Any]:
    return {**absence(user, stand_in), "id": number, "status": "approved", "returned_ms": None}


def test_the_county_head_naming_another_deputy_is_refused_citing_article_5() -> None:
    ctx = _ctx(HEAD)
    with pytest.raises(UserFacingError) as refused:
        stand_in("张丽华", ctx, {})
    assert refused.value.template == "leave_stand_in_fixed"
    text = ctx.services.messages.text(refused.value.template, **refused.value.context)
    assert "县长外出期间，由常务副县长主持县政府全面工作（第五条）" in text
    assert "常务副县长李志强" in text and "不能是张丽华" in text


def test_the_county_head_may_name_the_executive_deputy_and_others_anyone() -> None:
    assert stand_in("李志强", _ctx(HEAD), {}) == EXEC
    assert stand_in("李志强", _ctx(ZHANG), {}) == EXEC
    assert stand_in("刘振华", _ctx(ZHANG), {}) == LIU


@pytest.mark.parametrize(
    ("user", "chosen", "expected"),
    [
        (HEAD, None, EXEC),
        (HEAD, ZHANG, EXEC),
        (HEAD, EXEC, EXEC),
        (ZHANG, None, LIU),
        (ZHANG, EXEC, EXEC),
    ],
)
def test_stand_in_for(user: str, chosen: str | None, expected: str) -> None:
    assert stand_in_for(_services().directory, user, chosen) == expected


def test_the_summary_shows_the_executive_deputy_presiding_by_default() -> None:
    values = {"start": slot(D, 0), "end": slot(D, 1), "contact": "13800000001"}
    rows = dict(summary_rows(_ctx(HEAD), values, cast(Any, None)))
    assert rows["stand_in"] == "李志强（常务副县长主持县政府全面工作，第五条）"
    assert dict(summary_rows(_ctx(ZHANG), values, cast(Any, None)))["stand_in"] == (
        "刘振华（AB角，默认）"
    )


def test_a_stored_record_naming_someone_else_still_goes_to_the_executive_deputy() -> None:
    services = _services()
    session = cast(Any, AbsenceSession([_absence(HEAD, ZHANG)]))
    delegation = LeaveDelegation(services)
    assert delegation.resolve(session, HEAD, AT) == (EXEC, HEAD)


def _filed(absences: list[dict[str, Any]]) -> tuple[str, str]:
    """The filing card's body and the stand-in's notice for the first absence."""
    services = _services()
    session = cast(Any, AbsenceSession(absences))
    flow = {"data": {"filing_only": True}, "trail": []}  # the county head's 报备
    items = filing_messages(services, session, absences[0], flow, urgent=False)
    card = items[0].payload["card_data"]["body"]
    told = next(i for i in items if i.payload.get("user_ids") == [absences[0]["stand_in"]])
    return card, told.payload["msg_param"]["title"] + told.payload["msg_param"]["text"]


def test_executive_deputy_away_too_the_filing_names_who_follows_in_the_chain() -> None:
    mine = _absence(EXEC, ZHANG, "QJ2026-0002")
    card, told = _filed([_absence(HEAD, EXEC), mine])
    assert card.startswith("### 外出报备（县长）\n")
    assert "由常务副县长主持县政府全面工作（第五条）" in card
    assert "李志强同期外出（QJ2026-0002）" in card and "转由张丽华办理（第一百零二条）" in card
    assert "请您主持县政府全面工作" in told
    assert "您本人同期外出（QJ2026-0002）" in told and "转由张丽华办理" in told


def test_executive_deputy_away_naming_nobody_leaves_it_to_the_office() -> None:
    # His AB partner is the county head himself: the chain comes back (a loop).
    session = cast(Any, AbsenceSession([_absence(HEAD, EXEC), _absence(EXEC, None, "QJ2026-0002")]))
    away = stand_in_away(session, _services().directory, _absence(HEAD, EXEC))
    assert away == {"number": "QJ2026-0002", "next": ""}
    card, _ = _filed([_absence(HEAD, EXEC), _absence(EXEC, None, "QJ2026-0002")])
    assert "由县政府办公室协调确定代理人（第一百零二条）" in card


def test_executive_deputy_not_away_the_filing_has_no_chain_line() -> None:
    card, told = _filed([_absence(HEAD, EXEC)])
    assert "同期外出" not in card and "同期外出" not in told
    nobody_away = cast(Any, AbsenceSession([]))
    assert stand_in_away(nobody_away, _services().directory, _absence(HEAD, None)) is None
