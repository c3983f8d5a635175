"""The 请示 chain in process: a unit head's own request records his sign-off (第六十九条),
and the 财政局/审计局 签批 on fiscal requests (第七十条) is never deemed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.outbox import Outbox
from bot.services import Services
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
