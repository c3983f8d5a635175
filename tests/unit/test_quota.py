"""The API budget: monthly count, levels, office notices, parked permissions, and how the
outbox and the read tracker obey it (fake client, real storage)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.api_budget import PARK_MS, QUOTA_PROBE_MS, USAGE, ApiBudget, BudgetNotice
from bot.clock import TZ, FixedClock, to_epoch_ms
from bot.dingtalk import (
    DingTalkRateLimitedError,
    PermissionDenied,
    QuotaExhausted,
)
from bot.outbox import MAX_ATTEMPTS, Outbox
from bot.outgoing import Outgoing, text_to, todo_create, todo_done
from bot.services import Services
from handlers.basics.api_notices import budget_notice_items, budget_notifier, office_recipients
from handlers.distribution.read_tracking import ReadTracker
from storage.database import Database
from tests.unit.fakes import FakeDingTalk, make_services

SEND = ("POST", "/v1.0/robot/oToMessages/batchSend")
TODO = ("POST", "/v1.0/todo/users/u/tasks")
START = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)


def _denied(scope: str) -> PermissionDenied:
    return PermissionDenied(
        403, "Forbidden.AccessDenied.AccessTokenPermissionDenied", "无权限", scope=scope
    )


def _quota_refusal() -> QuotaExhausted:
    return QuotaExhausted(403, "Forbidden.AccessDenied.ApiCountLimitForOrg", "超额")


class Notices:
    def __init__(self) -> None:
        self.seen: list[BudgetNotice] = []
        self.wakes = 0

    def notify(self, session: Any, notice: BudgetNotice) -> int:
        self.seen.append(notice)
        return 1

    def wake(self) -> None:
        self.wakes += 1


async def _budget(
    db: Database, clock: FixedClock, quota: int = 10, ratio: float = 0.8
) -> tuple[ApiBudget, Notices]:
    budget = ApiBudget(db, clock, monthly_quota=quota, warn_ratio=ratio, flush_delay_s=3600)
    await budget.load()
    notices = Notices()
    budget.attach(notices.notify, notices.wake)
    return budget, notices


def _calls(budget: ApiBudget, n: int, call: tuple[str, str] = SEND) -> None:
    for _ in range(n):
        budget.before_call(*call)
        budget.after_call(*call, None)


async def _usage(db: Database, month: str) -> dict[str, Any] | None:
    return await db.run(lambda s: s.collection(USAGE).get(month))


# ---------------------------------------------------------------- the budget


async def test_levels_notices_once_and_the_count_survives_a_restart(tmp_path: Path) -> None:
    db = await Database.open(tmp_path)
    clock = FixedClock(START)
    try:
        budget, notices = await _budget(db, clock)
        _calls(budget, 7)
        assert budget.level() == "ok" and budget.allows_nonessential()
        _calls(budget, 1)
        assert budget.level() == "near" and not budget.allows_nonessential()
        await budget.flush()
        _calls(budget, 1)
        await budget.flush()
        assert [n.kind for n in notices.seen] == ["quota_near"]  # once
        assert notices.seen[0].calls == 8 and notices.seen[0].quota == 10
        stored = await _usage(db, "2026-11")
        assert stored is not None and stored["calls"] == 9 and stored["told"] == ["near"]

        # A restart resumes the count and does not tell again.
        again, told = await _budget(db, clock)
        assert again.calls == 9 and again.level() == "near"
        _calls(again, 1)
        await again.flush()
        _calls(again, 5)
        await again.flush()
        assert again.level() == "exhausted"
        assert [n.kind for n in told.seen] == ["quota_exhausted"]
        # Still essential calls may go out: only DingTalk's refusal parks them.
        assert again.claim("qyapi_robot_sendmsg") is None

        # A new month starts from zero.
        clock.advance(timedelta(days=10))
        assert again.level() == "ok" and again.calls == 0
    finally:
        await db.close()


async def test_straight_to_exhausted_tells_once(tmp_path: Path) -> None:
    db = await Database.open(tmp_path)
    try:
        budget, notices = await _budget(db, FixedClock(START))
        _calls(budget, 12)
        await budget.flush()
        await budget.flush()
        assert [n.kind for n in notices.seen] == ["quota_exhausted"]
    finally:
        await db.close()


async def test_quota_refusal_parks_everything_with_one_probe_per_half_hour(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path)
    clock = FixedClock(START)
    try:
        budget, notices = await _budget(db, clock, quota=10_000)
        budget.before_call(*SEND)
        budget.after_call(*SEND, _quota_refusal())
        assert budget.level() == "exhausted"
        await budget.flush()
        assert [(n.kind, n.refused) for n in notices.seen] == [("quota_exhausted", True)]
        now_ms = to_epoch_ms(clock.now())
        assert budget.claim("qyapi_robot_sendmsg") == now_ms + QUOTA_PROBE_MS
        assert budget.blocked("Card.Instance.Write")
        clock.advance(timedelta(milliseconds=QUOTA_PROBE_MS))
        assert budget.claim("Card.Instance.Write") is None  # the probe
        assert budget.claim("qyapi_robot_sendmsg") is not None  # only one
        budget.before_call(*SEND)
        budget.after_call(*SEND, None)  # accepted again: the quota was raised
        assert budget.level() == "ok" and budget.claim("qyapi_robot_sendmsg") is None
        assert notices.wakes >= 2  # the notice staged, then the parked items resumed
        await budget.flush()
        assert len(notices.seen) == 1  # told once
    finally:
        await db.close()


async def test_denied_scope_is_parked_probed_reported_once_and_restored(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path)
    clock = FixedClock(START)
    try:
        budget, notices = await _budget(db, clock, quota=10_000)
        budget.before_call(*TODO)
        budget.after_call(*TODO, _denied("Todo.Todo.Write"))
        budget.after_call(*TODO, _denied("Todo.Todo.Write"))  # a second item, same denial
        await budget.flush()
        await budget.flush()
        assert [(n.kind, n.scope) for n in notices.seen] == [("permission", "Todo.Todo.Write")]
        assert budget.blocked("Todo.Todo.Write") and not budget.blocked("qyapi_robot_sendmsg")
        start_ms = to_epoch_ms(clock.now())
        assert budget.claim("Todo.Todo.Write") == start_ms + PARK_MS
        clock.advance(timedelta(minutes=44))
        assert budget.claim("Todo.Todo.Write") is None  # one probe after 44 minutes
        assert budget.claim("Todo.Todo.Write") is not None
        # Survives a restart (and is not reported again).
        again, told = await _budget(db, clock, quota=10_000)
        assert again.denied_scopes() == {"Todo.Todo.Write"}
        await again.flush()
        assert told.seen == []
        # A successful call of that scope lifts it.
        again.before_call(*TODO)
        again.after_call(*TODO, None)
        assert again.denied_scopes() == frozenset() and told.wakes == 1
        await again.flush()
        third, _ = await _budget(db, clock, quota=10_000)
        assert third.denied_scopes() == frozenset()
    finally:
        await db.close()


# ---------------------------------------------------------------- the office notices


async def test_notice_channels_fall_back_from_robot_to_work_notification(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    services = await make_services(tmp_path)
    try:
        office = office_recipients(services)
        assert office[0] == services.directory.sole("office_director").user_id
        assert set(office[1:]) == {p.user_id for p in services.directory.holders("admin_section")}
        notice = BudgetNotice("permission", "2026-11", 5, 100, scope="Todo.Todo.Write", since_ms=7)
        [robot] = budget_notice_items(services, notice)
        assert robot.kind == "oto" and robot.payload["user_ids"] == office
        text = robot.payload["msg_param"]["text"]
        assert "应用缺少权限 `Todo.Todo.Write`（创建和完成钉钉待办）" in text
        assert "权限管理" in text
        robot_denied = BudgetNotice(
            "permission",
            "2026-11",
            5,
            100,
            scope="qyapi_robot_sendmsg",
            since_ms=7,
            denied=frozenset({"qyapi_robot_sendmsg"}),
        )
        [work] = budget_notice_items(services, robot_denied)
        assert work.kind == "work_notice" and work.payload["user_ids"] == office
        assert "`qyapi_robot_sendmsg`（机器人发消息）" in work.payload["msg"]["markdown"]["text"]
        both = BudgetNotice(
            "permission",
            "2026-11",
            5,
            100,
            scope="qyapi_robot_sendmsg",
            denied=frozenset({"qyapi_robot_sendmsg", "Message.WorkNotice"}),
        )
        assert budget_notice_items(services, both) == []
        near = BudgetNotice("quota_near", "2026-11", 8000, 10000)
        [item] = budget_notice_items(services, near)
        assert "2026年11月" in item.payload["msg_param"]["text"]
        assert "80%" in item.payload["msg_param"]["text"]

        # Through the budget: nothing left to tell with → one ERROR, once.
        budget = ApiBudget(services.db, services.clock, monthly_quota=100, warn_ratio=0.8)
        outbox = Outbox(services.db, FakeDingTalk(), services.clock)
        budget.attach(budget_notifier(services, outbox), outbox.wake)
        for scope, path in (
            ("qyapi_robot_sendmsg", SEND[1]),
            ("Message.WorkNotice", "/topapi/message/corpconversation/asyncsend_v2"),
        ):
            budget.after_call("POST", path, _denied(scope))
        with caplog.at_level(logging.ERROR, logger="bot.api_budget"):
            await budget.flush()
            await budget.flush()
        errors = [r for r in caplog.records if "no channel is left" in r.getMessage()]
        assert len(errors) == 2  # one per scope, each once
    finally:
        await services.db.close()


# ---------------------------------------------------------------- the outbox


async def _settle(
    services: Services, outbox: Outbox, predicate: Callable[[dict[str, Any]], bool]
) -> dict[str, dict[str, Any]]:
    worker = asyncio.create_task(outbox.run())
    try:
        async with asyncio.timeout(5):
            while True:
                rows = await services.db.run(lambda s: s.collection("outbox").all_open())
                by_id = {r["id"]: r for r in rows}
                if predicate(by_id):
                    await asyncio.sleep(0.1)
                    rows = await services.db.run(lambda s: s.collection("outbox").all_open())
                    return {r["id"]: r for r in rows}
                await asyncio.sleep(0.01)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_throttled_message_is_kept_past_max_attempts_and_delivered_once(
    tmp_path: Path,
) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = Outbox(services.db, fake, services.clock)
    clock = services.clock
    assert isinstance(clock, FixedClock)
    try:
        fake.failures = [
            DingTalkRateLimitedError(403, "Forbidden.AccessDenied.QpsLimitForApi", "限流")
            for _ in range(MAX_ATTEMPTS + 2)
        ]
        await outbox.enqueue([text_to("m1", user_id="u1", text="你好")])
        for _ in range(MAX_ATTEMPTS + 3):
            await _settle(
                services,
                outbox,
                lambda rows: (
                    rows["m1"]["status"] != "pending"
                    or rows["m1"]["next_ms"] > to_epoch_ms(clock.now())
                ),
            )
            clock.advance(timedelta(hours=1))
        rows = await services.db.run(lambda s: s.collection("outbox").all_open())
        row = next(r for r in rows if r["id"] == "m1")
        assert row["status"] == "sent" and row["attempts"] == MAX_ATTEMPTS + 3
        assert [s["kind"] for s in fake.sent] == ["oto"]  # delivered once
    finally:
        await services.db.close()


async def test_permission_denied_parks_without_an_attempt(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = Outbox(services.db, fake, services.clock)
    try:
        fake.failures = [_denied("qyapi_robot_sendmsg")]
        await outbox.enqueue([text_to("m1", user_id="u1", text="你好")])
        now_ms = to_epoch_ms(services.clock.now())
        rows = await _settle(services, outbox, lambda rows: "parked" in rows["m1"])
        row = rows["m1"]
        assert row["status"] == "pending" and row["attempts"] == 0
        assert row["parked"] == "qyapi_robot_sendmsg"
        assert row["next_ms"] == now_ms + PARK_MS
        assert fake.sent == []
    finally:
        await services.db.close()


def _todo(key: str) -> list[Outgoing]:
    return [
        todo_create(
            f"{key}:create",
            source_id=key,
            union_id="union-1",
            subject="审批",
            description="",
            due_ms=None,
            detail_url="https://x",
        )
    ]


async def test_todos_wait_while_the_budget_is_near_and_replies_still_go(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    clock = services.clock
    assert isinstance(clock, FixedClock)
    fake = FakeDingTalk()
    budget, _ = await _budget(services.db, clock, quota=10)
    outbox = Outbox(services.db, fake, clock, budget=budget)
    try:
        _calls(budget, 8)  # near
        await outbox.enqueue(
            [
                *_todo("t1"),
                *_todo("t2"),
                todo_done("t2:done", "t2"),
                text_to("reply", user_id="u1", text="收到"),
            ]
        )
        rows = await _settle(services, outbox, lambda rows: rows["reply"]["status"] == "sent")
        assert [s["kind"] for s in fake.sent] == ["oto"]
        assert rows["t1:create"]["status"] == "pending"  # waits for the budget
        # A to-do already done before it was ever created is skipped altogether.
        assert rows["t2:create"]["status"] == "skipped"
        assert rows["t2:done"]["status"] == "skipped"
        # Next month the budget allows it again: the waiting to-do is created.
        clock.advance(timedelta(days=7))
        assert budget.allows_nonessential()
        rows = await _settle(services, outbox, lambda rows: rows["t1:create"]["status"] == "sent")
        assert [s["kind"] for s in fake.sent] == ["oto", "todo_create"]
    finally:
        await services.db.close()


async def test_read_tracker_pauses_while_the_budget_is_near(tmp_path: Path) -> None:
    services = await make_services(tmp_path, now=datetime(2026, 11, 30, 23, 50, tzinfo=TZ))
    clock = services.clock
    assert isinstance(clock, FixedClock)
    budget, _ = await _budget(services.db, clock, quota=10)

    class Source:
        calls = 0

        async def read_status(self, process_query_key: str) -> list[Any]:
            self.calls += 1
            return []

    try:
        services._outbox = Outbox(services.db, FakeDingTalk(), clock)
        now_ms = to_epoch_ms(clock.now())

        def seed(session: Any) -> None:
            session.collection("distributions").insert(
                {
                    "id": "N1",
                    "title": "t",
                    "recipients": {"u1": {"unit": "jyj", "signed_ms": None, "read_ms": None}},
                    "office": ["x"],
                    "card_id": "a",
                    "office_card_id": "b",
                    "secret": False,
                    "created_ms": now_ms - 61 * 60_000,
                    "notices": {"k": ["u1"]},
                }
            )
            session.collection("outbox").insert(
                {
                    "id": "k",
                    "kind": "oto",
                    "status": "sent",
                    "sent_ms": now_ms - 10 * 60_000,
                    "result": {"pqk": ["pqk"]},
                }
            )

        await services.db.run(seed)
        source = Source()
        tracker = ReadTracker(services, source, budget=budget)
        _calls(budget, 8)
        assert await tracker.check_once() == 0 and source.calls == 0
        clock.advance(timedelta(minutes=20))  # a new month: the budget allows it again
        await tracker.check_once()
        assert source.calls == 1
    finally:
        await services.db.close()


async def test_office_card_updates_are_throttled_and_the_newest_wins(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    clock = services.clock
    assert isinstance(clock, FixedClock)
    fake = FakeDingTalk()
    outbox = Outbox(services.db, fake, clock)

    def update(key: str, signed: int) -> Outgoing:
        data = {"progress": f"已签收 {signed}/3", "missing": "x"}
        return Outgoing(
            key, "card_update", {"out_track_id": "office", "card_data": data, "throttle_s": 1800}
        )

    try:
        fake.cards["office"] = {"data": {}, "private": {}, "users": ["u1"], "groups": []}
        await outbox.enqueue([update("s1", 1)])
        await _settle(services, outbox, lambda rows: rows["s1"]["status"] == "sent")
        await outbox.enqueue([update("s2", 2), update("s3", 3)])
        rows = await _settle(services, outbox, lambda rows: True)
        # Not within 30 minutes of the last one.
        assert rows["s2"]["status"] == rows["s3"]["status"] == "pending"
        assert len([s for s in fake.sent if s["kind"] == "card_update"]) == 1
        clock.advance(timedelta(minutes=30))
        rows = await _settle(services, outbox, lambda rows: rows["s3"]["status"] == "sent")
        assert rows["s2"]["status"] == "skipped"  # superseded by s3: never sent
        updates = [s for s in fake.sent if s["kind"] == "card_update"]
        assert len(updates) == 2 and "已签收 3/3" in str(updates[-1])
    finally:
        await services.db.close()
