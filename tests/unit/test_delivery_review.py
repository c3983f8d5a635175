"""待核实 / 重发 / 已核实 and the daily list: the office sees every send whose outcome is
unknown or that failed, and decides; nothing is resent without a person's decision."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

from bot.clock import FixedClock
from bot.dingtalk import DingTalkAmbiguousError, DingTalkRejectedError
from bot.housekeeping import archive_finished
from bot.inbound import InboundPipeline
from bot.outbox import Outbox
from bot.outgoing import Outgoing, markdown_to
from bot.services import Services
from handlers.basics.api_notices import office_recipients
from handlers.delivery.redeliver import parked_card_notice
from handlers.delivery.review import delivery_digest
from handlers.wiring import wire_domain
from tests.unit.fakes import FakeDingTalk, make_services


class _Office:
    """The pipeline and outbox of one test, driven as the office clerk would."""

    def __init__(self, services: Services, fake: FakeDingTalk) -> None:
        self.services = services
        self.fake = fake
        self.outbox = Outbox(
            services.db, fake, services.clock, on_parked=parked_card_notice(services)
        )
        wire_domain(services, self.outbox)
        self.inbound = InboundPipeline(services, self.outbox)
        self.clerk = services.directory.holders("office_clerk")[0].user_id
        self._n = 0

    async def run_outbox(self, done: Any) -> None:
        worker = asyncio.create_task(self.outbox.run())
        try:
            async with asyncio.timeout(30):
                while not done():
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)

    async def say(self, text: str, user: str | None = None) -> str:
        """Send ``text`` and return the bot's reply text."""
        self._n += 1
        sender = user or self.clerk
        before = len(self.fake.sent)
        await self.inbound.accept(
            {
                "msgId": f"m{self._n}",
                "msgtype": "text",
                "text": {"content": text},
                "senderStaffId": sender,
                "conversationType": "1",
                "conversationId": f"cid-{sender}",
            }
        )
        await self.inbound.drain()
        await self.run_outbox(lambda: len(self.fake.sent) > before)
        param = self.fake.sent[-1]["msg_param"]
        return str(param.get("text") or param.get("content"))

    async def rows(self) -> dict[str, dict[str, Any]]:
        docs = await self.services.db.run(lambda s: s.collection("outbox").all_open())
        return {str(d["id"]): d for d in docs}


async def _with_one_unknown(tmp_path: Path) -> tuple[_Office, str, int]:
    """An office with one message to the county head whose delivery is unknown."""
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    office = _Office(services, fake)
    head = services.directory.sole("county_head").user_id
    fake.failures = [DingTalkAmbiguousError(0, "timeout", "read timeout", "")]
    await office.outbox.enqueue(
        [markdown_to("notice:1", user_id=head, title="收文通知", text="请查收")]
    )
    await office.run_outbox(lambda: not fake.failures)
    row = (await office.rows())["notice:1"]
    assert row["status"] == "uncertain" and fake.sent == []
    return office, head, int(row["seq"])


async def test_the_office_lists_an_unknown_send_and_resends_it_once(tmp_path: Path) -> None:
    office, head, number = await _with_one_unknown(tmp_path)
    listing = await office.say("待核实")
    assert f"#{number}" in listing and "收文通知" in listing
    assert "是否送达不明" in listing
    name = office.services.directory.person(head)
    assert name is not None and name.name in listing

    reply = await office.say(f"重发 {number}")
    assert "已重新发送" in reply and f"#{number}" in reply
    resent = [s for s in office.fake.sent if s["msg_param"].get("title") == "收文通知"]
    assert len(resent) == 1 and resent[0]["user_ids"] == [head]
    row = (await office.rows())["notice:1"]
    assert row["status"] == "sent"
    assert row["review"]["decision"] == "resend" and row["review"]["by"] == office.clerk
    assert "没有待核实" in await office.say("待核实")
    await office.services.db.close()


async def test_checked_closes_it_without_sending_and_housekeeping_archives_it(
    tmp_path: Path,
) -> None:
    office, _head, number = await _with_one_unknown(tmp_path)
    reply = await office.say(f"已核实 #{number}")
    assert "已核实" in reply and f"#{number}" in reply
    assert not [s for s in office.fake.sent if s["msg_param"].get("title") == "收文通知"]
    assert (await office.rows())["notice:1"]["status"] == "checked"
    # A second decision on the same number is refused: it was handled.
    assert "没有待核实的消息编号为" in await office.say(f"重发 {number}")
    clock = cast(FixedClock, office.services.clock)
    clock.advance(timedelta(days=4))
    await archive_finished(office.services.db, clock)
    assert "notice:1" not in await office.rows()
    await office.services.db.close()


async def test_bad_numbers_and_outsiders_change_nothing(tmp_path: Path) -> None:
    office, head, number = await _with_one_unknown(tmp_path)
    # One unknown number among good ones: all or nothing.
    assert "#999" in await office.say(f"重发 {number} 999")
    assert (await office.rows())["notice:1"]["status"] == "uncertain"
    assert "消息编号" in await office.say("重发")
    # The county head is no office member: refused, the item stays.
    assert "县政府办公室" in await office.say(f"已核实 {number}", user=head)
    assert (await office.rows())["notice:1"]["status"] == "uncertain"
    await office.services.db.close()


async def test_failed_sends_are_listed_with_the_reason_and_to_dos_are_not(
    tmp_path: Path,
) -> None:
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    office = _Office(services, fake)
    fake.failures = [DingTalkRejectedError(400, "invalidParameter", "bad user", "")]
    todo = Outgoing("todo:x", "todo_create", {"source_id": "x", "union_id": "u"})
    await office.outbox.enqueue(
        [markdown_to("notice:2", user_id="nobody", title="发文办结", text="已办结")]
    )
    await office.run_outbox(lambda: not fake.failures)
    await services.db.run(
        lambda s: s.collection("outbox").insert(
            {**todo.to_doc(), "id": todo.key, "seq": 99, "status": "failed", "created_ms": 0}
        )
    )
    listing = await office.say("发送异常")
    assert "发送失败（invalidParameter）" in listing and "发文办结" in listing
    assert "#99" not in listing
    await services.db.close()


async def test_the_daily_list_goes_to_the_office_only_when_something_is_open(
    tmp_path: Path,
) -> None:
    office, _head, number = await _with_one_unknown(tmp_path)
    services = office.services
    [item] = await delivery_digest(services, date(2026, 12, 2))
    assert item.kind == "oto" and item.key == "delivery:daily:2026-12-02"
    assert item.payload["user_ids"] == office_recipients(services)
    assert f"#{number}" in item.payload["msg_param"]["text"]
    await office.say(f"已核实 {number}")
    assert await delivery_digest(services, date(2026, 12, 3)) == []
    await services.db.close()


async def test_a_card_delivery_lost_in_doubt_is_checked_by_its_recipient(tmp_path: Path) -> None:
    """Not delivered again blindly (a second copy in the chat); the newcomer is asked to
    look, answers 补发卡片 and gets the card exactly once."""
    services = await make_services(tmp_path)
    fake = FakeDingTalk()
    office = _Office(services, fake)
    clerk = office.clerk
    head = services.directory.sole("county_head").user_id
    card = Outgoing(
        "card:QS9",
        "card",
        {
            "template_id": "tpl",
            "out_track_id": "QS9",
            "card_data": {"title": "关于维修资金的请示"},
            "user_ids": [clerk],
        },
    )
    deliver = Outgoing(
        "card:QS9:deliver:2", "card_deliver", {"out_track_id": "QS9", "user_ids": [head]}
    )
    await office.outbox.enqueue([card])
    await office.run_outbox(lambda: "QS9" in fake.cards)
    fake.failures = [DingTalkAmbiguousError(0, "timeout", "read timeout", "")]
    await office.outbox.enqueue([deliver])
    await office.run_outbox(lambda: not fake.failures)
    await asyncio.sleep(0.1)
    assert not [s for s in fake.sent if s.get("user_ids") == [head]]  # not at once
    cast(FixedClock, services.clock).advance(timedelta(seconds=31))
    await office.run_outbox(lambda: any(s.get("user_ids") == [head] for s in fake.sent))
    check = [s for s in fake.sent if s.get("user_ids") == [head]][-1]
    assert "关于维修资金的请示" in check["msg_param"]["content"]
    assert "补发卡片" in check["msg_param"]["content"]
    assert fake.cards["QS9"]["users"] == [clerk]  # not delivered again by the bot

    number = (await office.rows())["card:QS9:deliver:2"]["seq"]
    assert f"补发卡片 {number}" in check["msg_param"]["content"]
    reply = await office.say(f"补发卡片 {number}", user=head)
    assert "已重新发送 1 张卡片" in reply and "关于维修资金的请示" in reply
    assert fake.cards["QS9"]["users"] == [clerk, head]
    assert (await office.rows())["card:QS9:deliver:2"]["status"] == "checked"
    assert "没有需要补发" in await office.say("补发卡片", user=head)
    delivers = [s for s in fake.sent if s["kind"] == "card_deliver"]
    assert len(delivers) == 1
    await services.db.close()
