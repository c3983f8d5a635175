"""A deadline computed in a year whose holidays are not entered yet is marked 暂定 in the
reminder, the overdue notice and the word to the escalation people, as everywhere else."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ, to_epoch_ms
from handlers.approvals.notices import FlowNotices
from handlers.wiring import wire_domain
from tests.unit.fakes import FakeDingTalk, make_services

PROVISIONAL = "暂定：该年节假日安排尚未录入"


def _fiscal_signoff(*, provisional: bool) -> dict[str, Any]:
    due = datetime(2031, 1, 6, 18, 0, tzinfo=TZ)
    return {
        "id": "QS2031-0001",
        "kind": "request",
        "title": "关于维修资金的请示",
        "step": "finance",
        "round": 1,
        "trail": [],
        "assignments": [
            {
                "step": "finance",
                "round": 1,
                "user": "u1",
                "status": "open",
                "deadline_ms": to_epoch_ms(due),
                "provisional": provisional,
            }
        ],
    }


@pytest.mark.parametrize("event", ["reminder", "overdue", "escalated"])
@pytest.mark.parametrize("provisional", [True, False])
async def test_a_provisional_deadline_is_marked_in_every_chase(
    tmp_path: Path, event: str, provisional: bool
) -> None:
    services = await make_services(tmp_path)
    wire_domain(services, FakeDingTalk())
    doc = _fiscal_signoff(provisional=provisional)
    [notice] = FlowNotices(services).notify(doc, event, ["u1"])
    await services.db.close()
    assert (PROVISIONAL in str(notice.payload)) is provisional
