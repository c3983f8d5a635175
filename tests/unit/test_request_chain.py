"""The 请示 chain in process: a unit head's own request records his sign-off (第六十九条),
and the 财政局/审计局 签批 on fiscal requests (第七十条) is never deemed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot import flow_deadlines
from bot.clock import TZ, from_epoch_ms
from bot.outbox import Outbox
from bot.services import Services
from handlers.approvals.actions import deadline_actions
from handlers.approvals.card import ApprovalCardView
from handlers.wiring import wire_domain
from tests.unit.fakes import FakeDingTalk, make_services

EDU = "jyj"


async def _services(tmp_path: Path) -> Services:
    services = await make_services(tmp_path)
    wire_domain(services, Outbox(services.db, FakeDingTalk(), services.clock))
    return services


async def _start(services: Services, submitter: str, **data: Any) -> dict[str, Any]:
    head = services.directory.unit_head(EDU)
    assert head is not None

    def start(session: Any) -> dict[str, Any]:
        doc, _ = services.workflow.start(
            session,
            flow_id="QS2026-0001",
            kind="request",
            submitter=submitter,
            unit_id=EDU,
            title="关于县第一中学教学楼维修资金的请示",
            data={"unit_head": head.user_id, "watchers": [], "departments": [], **data},
        )
        return doc

    return await services.db.run(start)


async def test_a_unit_heads_own_request_records_his_sign_off(tmp_path: Path) -> None:
    services = await _services(tmp_path)
    try:
        head = services.directory.unit_head(EDU)
        assert head is not None
        doc = await _start(services, head.user_id)
        assert doc["step"] == "review"
        assert [(e["user"], e["action"]) for e in doc["trail"]] == [
            (head.user_id, "submit"),
            (head.user_id, "signoff:self_signed"),
        ]
        lines = ApprovalCardView(services).trail_lines(doc)
        assert lines[-1]["text"] == "单位主要负责人本人提交，视同签发（第六十九条）"
    finally:
        await services.db.close()


async def test_a_clerks_request_waits_for_the_sign_off(tmp_path: Path) -> None:
    services = await _services(tmp_path)
    try:
        clerk = next(p for p in services.directory.members(EDU) if "unit_head" not in p.roles)
        doc = await _start(services, clerk.user_id)
        assert doc["step"] == "signoff"
        assert [e["action"] for e in doc["trail"]] == ["submit"]
    finally:
        await services.db.close()


async def _at_fiscal_signoff(services: Services) -> dict[str, Any]:
    """A fiscal 请示 by the education bureau's head, past the office review."""
    head = services.directory.unit_head(EDU)
    assert head is not None
    doc = await _start(services, head.user_id, fiscal=True)
    review = next(a for a in doc["assignments"] if a["status"] == "open")

    def passed(session: Any) -> dict[str, Any]:
        doc, _ = services.workflow.act(
            session,
            flow_id=doc_id,
            assignment_id=review["id"],
            user_id=review["user"],
            decision="pass",
            opinion="",
        )
        return doc

    doc_id = doc["id"]
    return await services.db.run(passed)


def _heads(services: Services, *roles: str) -> list[str]:
    found = []
    for role in roles:
        unit = services.directory.unit_with_role(role)
        head = services.directory.unit_head(unit.unit_id) if unit else None
        assert head is not None
        found.append(head.user_id)
    return found


async def test_fiscal_signoff_is_never_deemed_but_reminded_and_escalated(tmp_path: Path) -> None:
    services = await _services(tmp_path)
    actions = deadline_actions(services)
    try:
        step = services.workflow.flow_def("request").step("finance")
        assert step.deemed is None and step.escalate is not None
        assert step.deadline_working_days == services.config.rules.signoff_working_days == 3
        assert [c.decision for c in step.choices] == ["fiscal_agree", "fiscal_object"]
        doc = await _at_fiscal_signoff(services)
        assert doc["step"] == "finance"
        signers = _heads(services, "finance_bureau", "audit_bureau")
        assert sorted(a["user"] for a in doc["assignments"] if a["status"] == "open") == sorted(
            signers
        )
        round_no = doc["round"]

        def timers(session: Any) -> dict[str, int]:
            prefix = f"flow:{doc['id']}:finance:{round_no}:"
            found = session.collection("reminders").find(lambda d: d["id"].startswith(prefix))
            return {d["id"].removeprefix(prefix): d["due_ms"] for d in found}

        found = await services.db.run(timers)
        # Wednesday 25 November + 3 working days: Monday 30 November 18:00, reminded that
        # morning; the signer again and the director on Tuesday 1 December at 09:00 (office
        # hours, not the evening of the last day). No expiry: silence is not consent.
        assert sorted(found) == ["escalate", "overdue", "remind"]
        assert from_epoch_ms(found["remind"]) == datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
        assert from_epoch_ms(found["overdue"]) == datetime(2026, 12, 1, 9, 0, tzinfo=TZ)
        assert from_epoch_ms(found["escalate"]) == datetime(2026, 12, 1, 9, 0, tzinfo=TZ)

        action = {"flow": doc["id"], "step": "finance", "round": round_no}
        doc, changes = await services.db.run(
            lambda s: services.workflow.expire(s, doc["id"], "finance", round_no)
        )
        assert doc is not None and doc["step"] == "finance" and not changes.outgoing

        overdue = await services.db.run(lambda s: actions["flow.overdue"](s, action))
        assert sorted(o.payload["user_ids"][0] for o in overdue) == sorted(signers)
        assert all("第七十条" in str(o.payload) for o in overdue)
        assert not any("逾期不会签又不说明原因的" in str(o.payload) for o in overdue)
        assert all("不适用逾期视为无不同意见的规定" in str(o.payload) for o in overdue)
        director_person = services.directory.sole("office_director")
        # It says who will be told next morning (the office director).
        assert all(director_person.name in str(o.payload) for o in overdue)

        told = await services.db.run(lambda s: actions["flow.escalate"](s, action))
        director = services.directory.sole("office_director").user_id
        assert [o.payload["user_ids"] for o in told] == [[director]]
        names = [p.name for u in signers if (p := services.directory.person(u))]
        assert all(n in str(told[0].payload) for n in names)
        assert "第七十条" in str(told[0].payload)
    finally:
        await services.db.close()


async def test_fiscal_signoff_reads_as_签批_in_the_trail(tmp_path: Path) -> None:
    services = await _services(tmp_path)
    try:
        doc = await _at_fiscal_signoff(services)
        finance = _heads(services, "finance_bureau")[0]
        mine = next(a for a in doc["assignments"] if a["status"] == "open" and a["user"] == finance)

        def agree(session: Any) -> dict[str, Any]:
            doc2, _ = services.workflow.act(
                session,
                flow_id=doc["id"],
                assignment_id=mine["id"],
                user_id=finance,
                decision="fiscal_agree",
                opinion="资金已列入年度预算",
            )
            return doc2

        doc = await services.db.run(agree)
        line = ApprovalCardView(services).trail_lines(doc)[-1]
        assert line["text"] == "签批同意：资金已列入年度预算"
        assert "会签" not in line["text"]
    finally:
        await services.db.close()


async def test_a_signoff_open_across_the_upgrade_is_escalated_when_its_old_expiry_fires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 签批 step opened when it was still deemed has an expiry timer and no escalation.
    When that old expiry fires, nothing is deemed and the escalation is set for the next
    working morning."""
    services = await _services(tmp_path)
    try:
        # As before the upgrade: the step gets no escalation timers when it opens.
        with monkeypatch.context() as old_code:
            old_code.setattr(flow_deadlines, "_escalation", lambda services, deadline: [])
            doc = await _at_fiscal_signoff(services)
        round_no = doc["round"]
        prefix = f"flow:{doc['id']}:finance:{round_no}:"

        def timers(session: Any) -> dict[str, int]:
            found = session.collection("reminders").find(lambda d: d["id"].startswith(prefix))
            return {d["id"].removeprefix(prefix): d["due_ms"] for d in found}

        assert sorted(await services.db.run(timers)) == ["remind"]
        # The old expiry fires on Wednesday 25 November 10:00 (the fake clock's now).
        doc, changes = await services.db.run(
            lambda s: services.workflow.expire(s, doc["id"], "finance", round_no)
        )
        assert doc is not None and doc["step"] == "finance" and not changes.outgoing
        found = await services.db.run(timers)
        assert sorted(found) == ["escalate", "overdue", "remind"]
        assert from_epoch_ms(found["escalate"]) == datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
    finally:
        await services.db.close()
