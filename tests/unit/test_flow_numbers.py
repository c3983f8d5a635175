"""A flow number met again is a replayed submission only when it is the same submission:
a number handed out twice (a lost counter) is refused, never taken for a repeat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.outbox import Outbox
from bot.workflow import FlowIdCollisionError
from handlers.wiring import wire_domain
from tests.unit.fakes import FakeDingTalk, make_services


async def test_same_submission_is_a_repeat_another_is_refused(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    wire_domain(services, Outbox(services.db, FakeDingTalk(), services.clock))
    staff = services.directory.holders("office_clerk")[0]

    def start(title: str, submitter: str) -> Any:
        def run(session: Any) -> Any:
            doc, changes = services.workflow.start(
                session,
                flow_id="QS2026-0001",
                kind="request",
                submitter=submitter,
                unit_id=staff.unit_id,
                title=title,
                data={"body": "正文"},
            )
            return doc, len(changes.outgoing)

        return services.db.run(run)

    try:
        first, staged = await start("关于甲的请示", staff.user_id)
        assert staged  # the card
        again, staged_again = await start("关于甲的请示", staff.user_id)
        assert again == first and staged_again == 0  # a replay: nothing new
        with pytest.raises(FlowIdCollisionError):
            await start("关于乙的请示", staff.user_id)
        flows = await services.db.run(lambda s: s.collection("flows").all_open())
        assert [f["title"] for f in flows] == ["关于甲的请示"]
    finally:
        await services.db.close()
