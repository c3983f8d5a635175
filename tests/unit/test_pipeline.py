"""Inbound messages, the outbox, card clicks and reminders, in process with real storage
and a fake DingTalk client."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from bot.cards import CardDispatcher
from bot.clock import FixedClock
from bot.dingtalk import DingTalkAmbiguousError
from bot.feature import commands_of
from bot.inbound import InboundPipeline
from bot.outbox import Outbox
from bot.outgoing import Outgoing, text_to
from bot.router import CardAction, CardContext, CardPayload, CardResult
from bot.scheduler import Scheduler, schedule_reminder
from bot.services import Services
from handlers.features import FEATURES
from handlers.wiring import wire_domain
from tests.unit.fakes import FakeDingTalk, make_services, server_error


def _message(user: str, text: str, msg_id: str = "msg1") -> dict[str, Any]:
    return {
        "msgId": msg_id,
        "msgtype": "text",
        "text": {"content": text},
        "senderStaffId": user,
        "conversationType": "1",
        "conversationId": f"cid-{user}",
    }


def _outbox(services: Services, fake: FakeDingTalk) -> Outbox:
    outbox = Outbox(services.db, fake, services.clock)
    wire_domain(services, outbox)
    return outbox


async def _run_outbox_until(outbox: Outbox, done: Any, limit: float = 30.0) -> None:
    worker = asyncio.create_task(outbox.run())
    try:
        async with asyncio.timeout(limit):
            while not done():
                await asyncio.sleep(0.01)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def _statuses(services: Services) -> list[str]:
    rows = await services.db.run(lambda s: s.collection("outbox").all_open())
    return [r["status"] for r in sorted(rows, key=lambda r: r["seq"])]


async def test_message_is_stored_once_and_answered_once(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    inbound = InboundPipeline(services, outbox)
    user = services.directory.holders("office_clerk")[0].user_id
    assert await inbound.accept(_message(user, "我是谁")) is True
    assert await inbound.accept(_message(user, "我是谁")) is False  # redelivery
    await inbound.drain()
    await _run_outbox_until(outbox, lambda: len(fake.sent) >= 1)
    await asyncio.sleep(0.05)
    assert len(fake.sent) == 1
    assert fake.sent[0]["user_ids"] == [user]
    assert await _statuses(services) == ["sent"]
    await services.db.close()


async def test_restart_resumes_a_message_without_a_second_reply(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    outbox = _outbox(services, FakeDingTalk())
    user = services.directory.holders("office_clerk")[0].user_id
    inbound = InboundPipeline(services, outbox)
    # Simulate a crash after the reply was staged but before the message was marked done.
    await services.db.run(
        lambda s: s.collection("inbound").insert(
            {
                "id": "msg9",
                "status": "pending",
                "data": _message(user, "帮助", "msg9"),
                "received_ms": 0,
            }
        )
    )
    await services.db.run(
        lambda s: outbox.stage(s, [text_to("reply:msg9:1", user_id=user, text="早先的回复")])
    )
    assert await inbound.resume_pending() == 1
    await inbound.drain()
    rows = await services.db.run(lambda s: s.collection("outbox").all_open())
    assert [r["id"] for r in rows] == ["reply:msg9:1"]
    assert rows[0]["payload"]["msg_param"]["content"] == "早先的回复"
    await services.db.close()


async def test_failed_send_is_retried_with_backoff_then_sent_once(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    clock = cast(FixedClock, services.clock)
    fake = FakeDingTalk()
    fake.failures = [server_error()]
    outbox = _outbox(services, fake)
    await outbox.enqueue([text_to("k1", user_id="u1", text="一")])
    await _run_outbox_until(outbox, lambda: bool(fake.failures) is False)
    rows = await services.db.run(lambda s: s.collection("outbox").all_open())
    assert rows[0]["status"] == "pending" and rows[0]["attempts"] == 1
    assert rows[0]["next_ms"] > 0
    clock.advance(timedelta(seconds=5))
    await _run_outbox_until(outbox, lambda: len(fake.sent) == 1)
    await asyncio.sleep(0.05)
    assert await _statuses(services) == ["sent"]
    assert len(fake.sent) == 1
    await services.db.close()


async def test_ambiguous_send_is_parked_not_repeated(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    fake.failures = [DingTalkAmbiguousError(0, "timeout", "read timeout", "")]
    outbox = _outbox(services, fake)
    await outbox.enqueue([text_to("k1", user_id="u1", text="一")])
    await _run_outbox_until(outbox, lambda: not fake.failures)
    await asyncio.sleep(0.05)
    assert await _statuses(services) == ["uncertain"]
    assert fake.sent == []
    await services.db.close()


async def test_order_is_kept_per_target(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    items = [text_to(f"k{i}", user_id="u1", text=str(i)) for i in range(6)]
    assert await outbox.enqueue(items) == 6
    assert await outbox.enqueue(items[:2]) == 0  # same keys: nothing new
    await _run_outbox_until(outbox, lambda: len(fake.sent) == 6)
    assert [s["msg_param"]["content"] for s in fake.sent] == [str(i) for i in range(6)]
    await services.db.close()


@dataclass(frozen=True)
class Approve(CardPayload):
    decision: str


async def test_identical_concurrent_clicks_make_one_transition(tmp_path: Path) -> None:
    runs: list[str] = []

    async def approve(ctx: CardContext, payload: Approve) -> CardResult:
        if ctx.user_id != ctx.card["assignee"]:
            return CardResult(
                outgoing=[text_to(f"no:{ctx.user_id}", user_id=ctx.user_id, text="无权")]
            )
        runs.append(payload.decision)
        await asyncio.sleep(0.01)
        return CardResult(card_data={"status": "已同意", "done": True})

    services = await make_services(
        tmp_path, commands=commands_of(FEATURES), actions=[CardAction("approve", Approve, approve)]
    )
    fake = FakeDingTalk()
    cards = CardDispatcher(services, _outbox(services, fake))
    await services.db.run(
        lambda s: s.collection("cards").insert({"id": "card1", "assignee": "boss"})
    )
    corp = services.config.dingtalk.corp_id

    def click(user: str, decision: str = "agree") -> dict[str, Any]:
        content = (
            '{"cardPrivateData": {"actionIds": ["approve"], "params": {"decision": "'
            + decision
            + '"}}}'
        )
        return {
            "outTrackId": "card1",
            "userId": user,
            "corpId": corp,
            "content": content,
            "extension": "{}",
        }

    answers = await asyncio.gather(*(cards.handle(click("boss")) for _ in range(10)))
    assert runs == ["agree"]
    first = [a for a in answers if a.get("cardData")]
    assert first and first[0]["cardData"]["cardParamMap"] == {"status": "已同意", "done": "true"}
    # The wrong person changes nothing and is told privately.
    await cards.handle(click("intruder"))
    assert runs == ["agree"]
    staged = await services.db.run(lambda s: s.collection("outbox").all_open())
    assert [r["payload"]["user_ids"] for r in staged] == [["intruder"]]
    # Unknown card, foreign corp and tampered params change nothing.
    assert await cards.handle({**click("boss"), "outTrackId": "nope"}) != {}
    assert await cards.handle({**click("boss"), "corpId": "otherCorp"}) == {}
    await cards.handle(
        {
            **click("boss"),
            "content": '{"cardPrivateData": {"actionIds": '
            '["approve"], "params": {"decision": ["x"]}}}',
        }
    )
    assert runs == ["agree"]
    await services.db.close()


async def test_due_reminder_fires_once_even_after_rebuild(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    clock = cast(FixedClock, services.clock)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    due = clock.now() + timedelta(hours=2)
    reminder = [
        Outgoing(
            "remind:1",
            "oto",
            {"user_ids": ["u1"], "msg_key": "sampleText", "msg_param": {"content": "请办理"}},
        )
    ]
    await services.db.run(lambda s: schedule_reminder(s, "r1", due, reminder))
    await services.db.run(lambda s: schedule_reminder(s, "r1", due, reminder))  # no-op
    scheduler = Scheduler(services, outbox, [])
    await scheduler.scan()
    assert await _statuses(services) == []
    clock.advance(timedelta(hours=3))  # a late wake-up: still fires
    await scheduler.scan()
    await Scheduler(services, outbox, []).scan()  # a rebuilt scheduler sends nothing more
    assert await _statuses(services) == ["pending"]
    await _run_outbox_until(outbox, lambda: len(fake.sent) == 1)
    await services.db.close()


async def test_housekeeping_archives_finished_rows_but_keeps_dedupe(tmp_path: Path) -> None:
    from bot.housekeeping import archive_finished

    services = await make_services(tmp_path)
    clock = cast(FixedClock, services.clock)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    inbound = InboundPipeline(services, outbox)
    user = services.directory.holders("office_clerk")[0].user_id
    await inbound.accept(_message(user, "我是谁", "old1"))
    await inbound.drain()
    await _run_outbox_until(outbox, lambda: len(fake.sent) == 1)
    await asyncio.sleep(0.05)
    clock.advance(timedelta(days=4))
    moved = await archive_finished(services.db, services.clock)
    assert moved["inbound"] == 1 and moved["outbox"] == 1
    assert await services.db.run(lambda s: s.collection("inbound").all_open()) == []
    assert await inbound.accept(_message(user, "我是谁", "old1")) is False  # still a duplicate
    await services.db.close()


async def test_one_persons_messages_are_handled_in_order(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    inbound = InboundPipeline(services, outbox)
    head = services.directory.unit_head("jyj")
    user = next(p.user_id for p in services.directory.members("jyj") if p != head)
    # The form's first answer arrives right behind the command that opens the form.
    await inbound.accept(_message(user, "请示", "m1"))
    await inbound.accept(_message(user, "关于某事项的请示", "m2"))
    await inbound.drain()
    await _run_outbox_until(outbox, lambda: len(fake.sent) >= 3)
    texts = [s["msg_param"].get("content", "") for s in fake.sent]
    assert "开始填写请示" in texts[0]
    assert "综合性" in texts[-1]  # the title was taken; the next question is the kind
    await services.db.close()


async def test_a_group_not_in_the_config_is_logged_with_its_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """How the office learns a new group's openConversationId (docs/deploy.md step 7)."""
    services = await make_services(tmp_path)
    outbox = _outbox(services, FakeDingTalk())
    inbound = InboundPipeline(services, outbox)
    user = services.directory.holders("office_clerk")[0].user_id
    message = {
        **_message(user, "帮助", "group1"),
        "conversationType": "2",
        "conversationId": "cidNewGroup==",
        "conversationTitle": "新建工作群",
    }
    with caplog.at_level(logging.INFO, logger="bot.inbound"):
        await inbound.accept(message)
        await inbound.drain()
    lines = [r.getMessage() for r in caplog.records if "not in the config" in r.getMessage()]
    assert lines == [
        "group message from a group not in the config: "
        "conversation_id=cidNewGroup== title=新建工作群"
    ]
    await services.db.close()


async def test_one_message_to_many_is_one_call_and_members_stay_known(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    people = [p.user_id for p in services.directory.all_people()][:3]
    items = [text_to(f"notice:{u}", user_id=u, text="明天上午九点开会") for u in people]
    assert await outbox.enqueue(items) == 1
    assert await outbox.enqueue(items[:1]) == 0  # a member staged again is a repeat
    await _run_outbox_until(outbox, lambda: len(fake.sent) >= 1)
    await asyncio.sleep(0.05)
    assert [s["user_ids"] for s in fake.sent] == [people]
    rows = await services.db.run(lambda s: s.collection("outbox").all_open())
    assert sorted(r["status"] for r in rows) == ["merged"] * 3 + ["sent"]
    await services.db.close()


class _DiskFull:
    """The database of ``services`` with the next ``failures`` runs refused by a full
    disk (as the journal append answers)."""

    def __init__(self, db: Any, failures: int) -> None:
        self._db = db
        self.failures = failures

    async def run(self, fn: Any) -> Any:
        if self.failures:
            self.failures -= 1
            raise OSError(28, "No space left on device")
        return await self._db.run(fn)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


async def test_a_message_answered_on_a_full_disk_is_answered_once_space_returns(
    tmp_path: Path,
) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    outbox = _outbox(services, fake)
    inbound = InboundPipeline(services, outbox, store_retry_first_s=0.01)
    user = services.directory.holders("office_clerk")[0].user_id
    real_db = services.db
    assert await inbound.accept(_message(user, "我是谁")) is True  # stored, then ACKed
    full = _DiskFull(real_db, failures=3)
    services.db = cast(Any, full)  # the disk fills up while it is being answered
    try:
        async with asyncio.timeout(10):
            while full.failures:
                await asyncio.sleep(0.01)
            await inbound.drain()
    finally:
        services.db = real_db
    rows = await real_db.run(lambda s: s.collection("inbound").all_open())
    assert [r["status"] for r in rows] == ["done"]  # no restart needed
    await _run_outbox_until(outbox, lambda: len(fake.sent) >= 1)
    await asyncio.sleep(0.05)
    assert len(fake.sent) == 1
    await real_db.close()
