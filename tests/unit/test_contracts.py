"""Contracts in the county government's name (第七十二条) and meeting requests (第六十、
六十六条): who decides each step, and that a contract the 司法局 fails never reaches the
county government."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.errors import UserFacingError
from bot.outbox import Outbox
from bot.workflow import END_REJECTED, NEXT, FlowDef, FlowView
from handlers.contracts.contract import KIND, REVIEW_FAILED, contract_flow
from handlers.contracts.meeting_request import (
    HOSTING,
    PROFESSIONAL,
    _date,
    _kind,
    meeting_request_flows,
)
from handlers.wiring import wire_domain
from tests.unit.fakes import FakeDingTalk, make_services

EDU = "jyj"  # 县教育局: 张丽华 is the deputy county head in charge
PETITION = "xfj"  # 县信访局: no county leader is in charge of it in the demo
LEGAL_HEAD = "huang.zhigang"


def _view(unit_id: str, **data: Any) -> FlowView:
    return FlowView({"id": "X", "submitter": "someone", "unit_id": unit_id, "data": data})


def _by_kind(flows: list[FlowDef]) -> dict[str, FlowDef]:
    return {f.kind: f for f in flows}


async def test_contract_chain_is_signoff_review_then_county_government(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    try:
        flow = contract_flow(services)
        directory = services.directory
        assert [s.id for s in flow.steps] == ["signoff", "review", "approve"]
        review = flow.step("review")
        assert review.assign(_view(EDU), directory) == [LEGAL_HEAD]
        passed, failed = review.choices
        assert (passed.decision, passed.goto, passed.opinion_required) == ("pass", NEXT, True)
        assert (failed.decision, failed.goto, failed.opinion_required) == (
            REVIEW_FAILED,
            END_REJECTED,
            True,
        )
        # 按程序报县政府审定: the leader in charge of the unit, else the county head.
        approve = flow.step("approve")
        assert approve.assign(_view(EDU), directory) == ["zhang.lihua"]
        assert approve.assign(_view(PETITION), directory) == ["wang.jianguo"]
        assert [c.decision for c in approve.choices] == ["approve", "reject"]
        assert approve.choice("reject") is not None
        assert approve.choice("reject").opinion_required  # type: ignore[union-attr]
    finally:
        await services.db.close()


async def test_no_path_reaches_approval_but_a_passed_review(tmp_path: Path) -> None:
    """第七十二条: nothing jumps to the county government's step; the only way there is
    the step before it, the 司法局's review, answered with 审核通过."""
    services = await make_services(tmp_path)
    try:
        flow = contract_flow(services)
        jumps = [c for s in flow.steps for c in s.choices if c.goto == "approve"]
        assert jumps == []
        ids = [s.id for s in flow.steps]
        assert ids.index("review") == ids.index("approve") - 1
        onward = [c.decision for c in flow.step("review").choices if c.goto == NEXT]
        assert onward == ["pass"]
        assert flow.step("review").applies(_view(EDU))  # the review is never skipped
    finally:
        await services.db.close()


async def test_failed_review_ends_the_contract_and_cites_article_72(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    wire_domain(services, Outbox(services.db, FakeDingTalk(), services.clock))
    edu_head = services.directory.unit_head(EDU)
    assert edu_head is not None
    try:

        def start(session: Any) -> Any:
            doc, _ = services.workflow.start(
                session,
                flow_id="HT2026-0001",
                kind=KIND,
                submitter=edu_head.user_id,
                unit_id=EDU,
                title="县第一中学食堂委托经营合同",
                data={"unit_head": edu_head.user_id, "watchers": []},
            )
            return doc

        doc = await services.db.run(start)
        open_now = [a for a in doc["assignments"] if a["status"] == "open"]
        assert [(a["step"], a["user"]) for a in open_now] == [("review", LEGAL_HEAD)]

        def fail(session: Any) -> Any:
            return services.workflow.act(
                session,
                flow_id="HT2026-0001",
                assignment_id=open_now[0]["id"],
                user_id=LEGAL_HEAD,
                decision=REVIEW_FAILED,
                opinion="违约责任条款显失公平。",
            )

        doc, changes = await services.db.run(fail)
        assert doc["outcome"] == END_REJECTED
        assert not any(a["step"] == "approve" for a in doc["assignments"])
        notices = [o for o in changes.outgoing if o.key.startswith("contract:HT2026-0001:failed")]
        assert notices
        assert "第七十二条" in str(notices[0].payload)
        assert "违约责任条款显失公平" in str(notices[0].payload)
    finally:
        await services.db.close()


async def test_professional_meeting_is_decided_by_leader_in_charge_or_director(
    tmp_path: Path,
) -> None:
    services = await make_services(tmp_path)
    try:
        flow = _by_kind(meeting_request_flows())[PROFESSIONAL]
        directory = services.directory
        assert [s.id for s in flow.steps] == ["signoff", "accept", "decide"]
        # 第六十条: the office accepts (受理) the plan; any clerk may.
        accept = flow.step("accept")
        assert accept.mode == "any"
        clerks = {p.user_id for p in directory.holders("office_clerk")}
        assert set(accept.assign(_view(EDU), directory)) == clerks
        decide = flow.step("decide")
        assert decide.assign(_view(EDU), directory) == ["zhang.lihua"]
        assert decide.assign(_view(PETITION), directory) == ["sun.yongming"]
    finally:
        await services.db.close()


async def test_hosting_is_decided_for_the_county_government(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    try:
        flow = _by_kind(meeting_request_flows())[HOSTING]
        directory = services.directory
        assert [s.id for s in flow.steps] == ["signoff", "decide"]
        decide = flow.step("decide")
        assert decide.assign(_view(EDU), directory) == ["zhang.lihua"]
        assert decide.assign(_view(PETITION), directory) == ["wang.jianguo"]
        assert [c.decision for c in decide.choices] == ["approve", "reject"]
    finally:
        await services.db.close()


def test_meeting_request_kind_is_read_from_the_answer() -> None:
    ctx: Any = None
    assert _kind("专业性会议", ctx, {}) == PROFESSIONAL
    assert _kind("以县政府名义召开的专业性会议", ctx, {}) == PROFESSIONAL
    assert _kind("承办会议", ctx, {}) == HOSTING
    assert _kind("承办全国、省、市会议", ctx, {}) == HOSTING
    with pytest.raises(UserFacingError) as refused:
        _kind("座谈会", ctx, {})
    assert refused.value.template == "meeting_req_bad_kind"


async def test_meeting_date_is_a_day_from_today_on(tmp_path: Path) -> None:
    services = await make_services(tmp_path)  # the clock stands at 2026-11-25
    ctx: Any = type("Ctx", (), {"services": services})()
    try:
        assert _date("2026-12-18", ctx, {}) == "2026-12-18"
        with pytest.raises(UserFacingError) as past:
            _date("2026-11-20", ctx, {})
        assert past.value.template == "meeting_req_date_past"
        with pytest.raises(UserFacingError) as bad:
            _date("下周三", ctx, {})
        assert bad.value.template == "meeting_req_bad_date"
    finally:
        await services.db.close()
