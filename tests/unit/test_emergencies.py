"""突发事件 (第八十三条): times as officials write them, the 迟报 delay in real minutes,
the DING call's shape, and the DING through the outbox (never sent twice)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ, to_epoch_ms
from bot.outgoing import ding_to
from handlers.common.moments import parse_moment
from handlers.emergencies.model import delay_minutes
from tests.unit.fakes import FakeDingTalk, make_services
from tests.unit.test_dingtalk_fakes import body_of, harness, ok
from tests.unit.test_outbox_kinds import _outbox, _rows, _run_until_settled

NOW = datetime(2026, 10, 3, 2, 10, tzinfo=TZ)  # 国庆, at night


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01:40", datetime(2026, 10, 3, 1, 40, tzinfo=TZ)),
        ("今天1点5分", datetime(2026, 10, 3, 1, 5, tzinfo=TZ)),
        ("昨天23:10", datetime(2026, 10, 2, 23, 10, tzinfo=TZ)),
        ("10月2日22时", datetime(2026, 10, 2, 22, 0, tzinfo=TZ)),
        ("2026-10-02 21:30", datetime(2026, 10, 2, 21, 30, tzinfo=TZ)),
        ("03:30", None),  # later than now
        ("25:00", None),
        ("昨晚", None),
    ],
)
def test_times_as_officials_write_them(text: str, expected: datetime | None) -> None:
    assert parse_moment(text, NOW) == expected


async def test_late_by_real_minutes_nights_and_holidays_included(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    event: dict[str, Any] = {
        "happened_ms": to_epoch_ms(datetime(2026, 10, 2, 23, 0, tzinfo=TZ)),
        "reported_ms": to_epoch_ms(NOW),
    }
    # 3 h 10 min after it happened, against a 60-minute limit: 130 minutes late.
    assert delay_minutes(services, event) == 130
    event["reported_ms"] = to_epoch_ms(datetime(2026, 10, 2, 23, 59, tzinfo=TZ))
    assert delay_minutes(services, event) == 0
    await services.db.close()


async def test_ding_request_shape() -> None:
    async with harness() as h:
        h.fake.on("POST", "/v1.0/robot/ding/send", ok({"openDingId": "d1", "failedList": {}}))
        ding_id = await h.client.send_ding(["u1", "u2"], "请立即收悉", 3)
        assert ding_id == "d1"
        body = body_of(h.fake.calls("POST", "/v1.0/robot/ding/send")[-1])
        assert body["receiverUserIdList"] == ["u1", "u2"]
        assert body["remindType"] == 3 and body["content"] == "请立即收悉" and body["robotCode"]


def test_a_ding_needs_people_and_a_known_way() -> None:
    with pytest.raises(ValueError):
        ding_to("k", user_ids=[], content="x", remind_type=1)
    with pytest.raises(ValueError):
        ding_to("k", user_ids=["u1"], content="x", remind_type=4)


async def test_a_ding_goes_out_once_through_the_outbox(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    item = ding_to("ev:ding:1", user_ids=["u1"], content="请立即收悉", remind_type=1)
    assert await outbox.enqueue([item]) == 1
    assert await outbox.enqueue([item]) == 0
    await _run_until_settled(services, outbox)
    assert [s["kind"] for s in fake.sent] == ["ding"]
    rows = await _rows(services)
    assert rows["ev:ding:1"]["status"] == "sent"
    assert rows["ev:ding:1"]["result"] == {"open_ding_id": "ding1"}
    await services.db.close()
