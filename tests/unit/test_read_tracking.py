"""Read tracking of distributed documents: the pure pieces and one round against a fake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from bot.clock import FixedClock, to_epoch_ms
from bot.dingtalk import DingTalkClient, DingTalkRejectedError, ReadInfo
from bot.outbox import Outbox
from bot.services import Services
from handlers.distribution import distribution_actions, notice_key
from handlers.read_tracking import (
    READ_WINDOW_MS,
    ReadCheck,
    ReadTracker,
    apply_reads,
    awaiting_read,
    notice_pqk,
    pick,
    read_check_interval,
    read_moment,
)
from tests.unit.fakes import FakeDingTalk, make_services, server_error

NUMBER = "阳政办发〔2026〕9号"
NOW = 1_790_000_000_000


def _entry(signed: int | None = None, read: int | None = None, **more: Any) -> dict[str, Any]:
    return {"unit": "jyj", "signed_ms": signed, "read_ms": read, **more}


def test_interval_is_a_minute_in_production_and_short_in_the_sandbox() -> None:
    assert read_check_interval(15.0) == 60.0
    assert read_check_interval(1.0) == 4.0
    assert read_check_interval(120.0) == 120.0


def test_awaiting_read_skips_read_signed_refused_old_and_secret() -> None:
    record = {
        "created_ms": NOW - 1000,
        "recipients": {
            "a": _entry(),
            "b": _entry(read=NOW),
            "c": _entry(signed=NOW),
            "d": _entry(read_error="param.processQueryKeyExpired"),
            "e": {"unit": "x", "signed_ms": None},  # a record from before read tracking
        },
    }
    assert awaiting_read(record, NOW) == ["a", "e"]
    assert awaiting_read({**record, "created_ms": NOW - READ_WINDOW_MS}, NOW) == []
    assert awaiting_read({**record, "secret": True}, NOW) == []


def test_notice_pqk_only_for_sent_notices_inside_the_window() -> None:
    row = {"status": "sent", "sent_ms": NOW - 5, "result": {"pqk": ["k1"], "invalid": []}}
    assert notice_pqk(row, NOW) == "k1"
    assert notice_pqk({**row, "status": "pending"}, NOW) is None
    assert notice_pqk({**row, "sent_ms": NOW - READ_WINDOW_MS}, NOW) is None
    assert notice_pqk({**row, "result": {"pqk": []}}, NOW) is None
    assert notice_pqk(None, NOW) is None


def test_pick_is_bounded_and_least_recently_checked_first() -> None:
    checks = [ReadCheck("n", u, f"k{u}") for u in "abcd"]
    assert [c.user_id for c in pick(checks, {}, 2)] == ["a", "b"]
    last = {("n", "a"): 3, ("n", "b"): 3, ("n", "c"): 2}
    assert [c.user_id for c in pick(checks, last, 3)] == ["d", "c", "a"]
    assert pick(checks, {}, 0) == []


def test_read_moment() -> None:
    infos = [
        ReadInfo("a", "甲", True, 123),
        ReadInfo("b", "乙", False, None),
        ReadInfo("c", "丙", True, 0),
    ]
    assert read_moment(infos, "a", NOW) == 123
    assert read_moment(infos, "b", NOW) is None
    assert read_moment(infos, "c", NOW) == NOW
    assert read_moment(infos, "z", NOW) is None


def test_apply_reads_keeps_earlier_facts() -> None:
    record = {"recipients": {"a": _entry(), "b": _entry(signed=5), "c": _entry()}}
    newly, changed = apply_reads(record, {"a": 7, "b": 9}, {"c": "expired"})
    assert newly == ["a"] and changed
    assert record["recipients"]["a"]["read_ms"] == 7
    assert record["recipients"]["b"]["read_ms"] is None  # signed: read already implied
    assert record["recipients"]["c"]["read_error"] == "expired"
    assert apply_reads(record, {"a": 8}, {"c": "again"}) == ([], False)


class FakeReadStatus:
    def __init__(self) -> None:
        self.read: dict[str, int] = {}  # pqk -> read moment
        self.refused: set[str] = set()
        self.failures: list[Exception] = []
        self.calls: list[str] = []

    async def read_status(self, process_query_key: str) -> list[ReadInfo]:
        self.calls.append(process_query_key)
        if self.failures:
            raise self.failures.pop(0)
        if process_query_key in self.refused:
            raise DingTalkRejectedError(400, "param.processQueryKeyExpired", "24 小时", "r")
        user = process_query_key.removeprefix("pqk-")
        moment = self.read.get(process_query_key)
        return [ReadInfo(user, user, moment is not None, moment)]


async def _setup(tmp_path: Path, users: list[str]) -> Services:
    services = await make_services(tmp_path)
    services._outbox = Outbox(services.db, cast(DingTalkClient, FakeDingTalk()), services.clock)
    now_ms = to_epoch_ms(services.clock.now())
    clerk = services.directory.holders("office_clerk")[0].user_id

    def seed(session: Any) -> None:
        session.collection("documents").insert(
            {
                "id": NUMBER,
                "title": "关于测试的通知",
                "issuer": "县政府办公室",
                "issued_at": services.clock.now().isoformat(),
                "disclosure": "依申请公开",
            }
        )
        session.collection("distributions").insert(
            {
                "id": NUMBER,
                "title": "关于测试的通知",
                "recipients": {u: _entry() for u in users},
                "office": [clerk],
                "card_id": "gdr",
                "office_card_id": "gdo",
                "secret": False,
                "created_ms": now_ms - 60_000,
            }
        )
        for user in users:
            session.collection("outbox").insert(
                {
                    "id": notice_key(NUMBER, user),
                    "kind": "oto",
                    "status": "sent",
                    "sent_ms": now_ms - 50_000,
                    "result": {"pqk": [f"pqk-{user}"], "invalid": []},
                }
            )

    await services.db.run(seed)
    return services


async def _recipients(services: Services) -> dict[str, Any]:
    record = await services.db.run(lambda s: s.collection("distributions").get(NUMBER))
    assert record is not None
    return dict(record["recipients"])


async def _card_updates(services: Services) -> list[dict[str, Any]]:
    rows = await services.db.run(
        lambda s: s.collection("outbox").find(lambda d: d.get("kind") == "card_update")
    )
    return sorted(rows, key=lambda d: d["seq"])


async def test_a_round_records_reads_and_refreshes_the_office_card(tmp_path: Path) -> None:
    services = await _setup(tmp_path, ["u1", "u2", "u3"])
    fake = FakeReadStatus()
    tracker = ReadTracker(services, fake, max_calls=2)
    try:
        assert await tracker.check_once() == 0
        assert fake.calls == ["pqk-u1", "pqk-u2"]  # bounded per run
        fake.read["pqk-u3"] = 1234
        fake.refused.add("pqk-u1")
        assert await tracker.check_once() == 1  # u3 first: never checked before
        assert fake.calls[2:] == ["pqk-u3", "pqk-u1"]
        recipients = await _recipients(services)
        assert recipients["u3"]["read_ms"] == 1234
        assert recipients["u1"]["read_error"] == "param.processQueryKeyExpired"
        updates = await _card_updates(services)
        assert [u["id"] for u in updates] == ["gdo:read:u3"]
        assert "已读 1/3，已签收 0/3" in updates[0]["payload"]["card_data"]["progress"]
        # Only u2 is left to poll; a busy DingTalk ends the round without giving up.
        fake.failures.append(server_error())
        assert await tracker.check_once() == 0
        assert fake.calls[4:] == ["pqk-u2"]
        fake.read["pqk-u2"] = 99
        assert await tracker.check_once() == 1
        assert await tracker.check_once() == 0
        assert fake.calls[5:] == ["pqk-u2"]  # nobody left to poll
        updates = await _card_updates(services)
        assert "已读 2/3" in updates[-1]["payload"]["card_data"]["progress"]
    finally:
        await services.db.close()


async def test_nothing_is_polled_after_the_window(tmp_path: Path) -> None:
    services = await _setup(tmp_path, ["u1"])
    fake = FakeReadStatus()
    try:
        assert isinstance(services.clock, FixedClock)
        services.clock.advance(timedelta(hours=24))
        assert await ReadTracker(services, fake).check_once() == 0
        assert fake.calls == []
    finally:
        await services.db.close()


@pytest.mark.parametrize(("read", "word"), [(None, "未读"), (5, "已读未签收")])
async def test_report_and_reminder_say_whether_it_was_read(
    tmp_path: Path, read: int | None, word: str
) -> None:
    services = await _setup(tmp_path, ["u1"])
    try:

        def mark(session: Any) -> None:
            session.collection("distributions").update(
                NUMBER, {"recipients": {"u1": _entry(read=read)}}
            )

        await services.db.run(mark)
        actions = distribution_actions(services)
        action = {"doc": NUMBER}
        report = await services.db.run(lambda s: actions["dist.escalate"](s, action))
        assert f"县教育局（{word}）" in report[0].payload["msg_param"]["text"]
        reminder = await services.db.run(lambda s: actions["dist.remind"](s, action))
        expected = "您已阅读但尚未签收" if read else "您尚未阅读"
        assert expected in reminder[0].payload["msg_param"]["text"]
    finally:
        await services.db.close()
