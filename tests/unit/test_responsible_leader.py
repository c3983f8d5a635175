"""The leader who answers for a unit by 分工: its leader in charge, else the county head
(the demo's 县审计局 and 县信访局 are under no deputy). Every flow and reminder that goes
to "the leader in charge" uses the one lookup; 专业性会议 (第六十条) alone differs."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ
from bot.services import Services
from bot.workflow import FlowView
from handlers.contracts.contract import county_government
from handlers.contracts.meeting_request import leader_or_director
from handlers.documents.outgoing import outgoing_flow
from handlers.letters.chase import rungs
from handlers.letters.model import GENERAL, HOTLINE, new_record
from handlers.requests.flow import request_flows
from handlers.supervision.instructions import _dispatch
from handlers.supervision.model import SUPERVISION
from handlers.supervision.opening import _leader_of, open_from_decision
from storage.session import Session
from tests.unit.fakes import make_services

HEAD = "wang.jianguo"  # 县长
EXECUTIVE = "li.zhiqiang"  # 常务副县长
ZHANG = "zhang.lihua"  # in charge of 教育局
AUDIT, AUDIT_HEAD = "sjj", "tang.ming"  # 县审计局: no deputy in charge
EDU = "jyj"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=TZ)


@pytest.fixture
async def services(tmp_path: Path) -> Any:
    made = await make_services(tmp_path, now=NOW)
    yield made
    await made.db.close()


def _view(unit_id: str, **data: Any) -> FlowView:
    return FlowView({"id": "X", "submitter": "someone", "unit_id": unit_id, "data": data})


def test_the_deputy_in_charge_else_the_county_head(services: Services) -> None:
    directory = services.directory
    assert directory.responsible_leader(EDU).user_id == ZHANG
    assert directory.responsible_leader("bdcdj").user_id == "liu.zhenhua"  # via its parent
    assert directory.leader_in_charge(AUDIT) is None
    assert directory.responsible_leader(AUDIT).user_id == HEAD
    assert directory.responsible_leader("xfj").user_id == HEAD  # 信访局: no deputy either


def test_outgoing_opinion_of_a_unit_under_no_deputy_is_the_county_heads(
    services: Services,
) -> None:
    """第七十五条's 分管副县长 by 分工 (第七十条): the county head, not the executive deputy."""
    step = outgoing_flow(services).step("deputy")
    assert step.assign(_view(AUDIT, lead_unit=AUDIT), services.directory) == [HEAD]
    assert step.assign(_view(AUDIT, lead_unit=EDU), services.directory) == [ZHANG]
    assert EXECUTIVE not in step.assign(_view(AUDIT, lead_unit=AUDIT), services.directory)


def test_requests_and_contracts_go_to_the_county_head(services: Services) -> None:
    directory = services.directory
    for flow in request_flows(2, 3):
        assert flow.step("decide").assign(_view(AUDIT), directory) == [HEAD]
        assert flow.step("decide").assign(_view(EDU), directory) == [ZHANG]
    assert county_government(_view(AUDIT), directory) == [HEAD]
    # 第六十条 names the office director, not the county head, for 专业性会议.
    assert leader_or_director(_view(AUDIT), directory) == ["sun.yongming"]


def test_supervision_default_leader_is_the_county_head(services: Services) -> None:
    assert _leader_of(services, {"lead": AUDIT}) == HEAD
    assert _leader_of(services, {"lead": EDU}) == ZHANG
    assert _leader_of(services, {"lead": AUDIT, "leader": ZHANG}) == ZHANG  # named wins


async def test_a_meeting_decision_for_the_audit_bureau_names_the_county_head(
    services: Services,
) -> None:
    def open_it(session: Session) -> dict[str, Any]:
        number, _ = open_from_decision(
            services,
            session,
            title="审计整改",
            text="按期完成审计整改",
            lead=AUDIT,
            due=date(2026, 12, 31),
            opened_by="sun.yongming",
            now=NOW,
            extra={},
        )
        item = session.collection(SUPERVISION).get(number)
        assert item is not None
        return item

    item = await services.db.run(open_it)
    assert item["leader"] == HEAD


async def test_an_instruction_item_for_the_audit_bureau_names_the_county_head(
    services: Services,
) -> None:
    doc: dict[str, Any] = {
        "id": "PS2026-0001",
        "title": "关于审计整改的批示",
        "submitter": "sun.yongming",
        "assignments": [],
        "data": {
            "complex": False,
            "body": "请抓紧整改",
            "attachment_name": "",
            "attachment": None,
            "units": [AUDIT, EDU],
            "instructor": {"user": HEAD},
        },
    }

    def dispatch(session: Session) -> list[dict[str, Any]]:
        _dispatch(services, session, doc, NOW)
        return [session.collection(SUPERVISION).get(n) or {} for n in doc["data"]["items"]]

    items = await services.db.run(dispatch)
    assert [(i["lead_unit"], i["leader"]) for i in items] == [(AUDIT, HEAD), (EDU, ZHANG)]


def test_an_overdue_letter_of_the_audit_bureau_reminds_the_county_head(
    services: Services,
) -> None:
    received = datetime(2026, 12, 1, 9, 30, tzinfo=TZ)  # notice due Wed 16 Dec
    item = new_record(
        number="XX2026-0001",
        channel=HOTLINE,
        route=GENERAL,
        writer="张三",
        contact="13800000000",
        content={"text": "审计结果何时公开"},
        received=received,
        registered_by="lu.xiaoming",
        office_unit="xfj",
        unit=AUDIT,
        now=received,
    )
    notice = date(2026, 12, 16)
    assert rungs(services, item, date(2026, 12, 17)) == [
        ("notice", "overdue", notice, [AUDIT_HEAD, HEAD])
    ]
