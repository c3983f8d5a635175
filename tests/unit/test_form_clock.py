"""Forms against a clock that jumps, and text that is not valid Unicode: the form's
12-hour limit is measured between DingTalk's own time stamps, a following clock catches
up with a message's time at once, and lone surrogates are replaced on input."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import TZ, FixedClock, OffsetClock, observe, to_epoch_ms
from bot.dialog import DIALOGS, idle_ms
from bot.inbound import INBOUND, InboundPipeline
from bot.incoming import parse_incoming, scrub_payload, scrub_text
from bot.outbox import Outbox
from bot.services import Services
from handlers.wiring import wire_domain
from storage.session import Session
from tests.unit.fakes import FakeDingTalk, make_services

START = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)


# ---------------------------------------------------------------- the clock


def test_offset_clock_catches_up_with_an_observed_moment_and_never_goes_back() -> None:
    clock = OffsetClock()
    clock.follow(START)
    jumped = START + timedelta(hours=11, minutes=59)
    observe(clock, jumped)
    assert clock.now() >= jumped
    # A poll answered before the jump and received after it does not undo it.
    clock.follow(START + timedelta(seconds=1))
    assert clock.now() >= jumped
    # An older moment (a redelivered message) changes nothing.
    before = clock.now()
    observe(clock, START)
    assert clock.now() >= before
    # The followed clock moving on is adopted as before.
    later = jumped + timedelta(hours=1)
    clock.follow(later)
    assert later <= clock.now() < later + timedelta(minutes=1)


def test_a_fixed_or_system_clock_is_never_moved_by_a_message() -> None:
    clock = FixedClock(START)
    observe(clock, START + timedelta(days=3))
    assert clock.now() == START


def test_idle_time_is_measured_between_dingtalk_time_stamps() -> None:
    clock = FixedClock(START)  # the bot's clock lags: it still reads START
    saved = {"updated_ms": to_epoch_ms(START), "message_ms": to_epoch_ms(START)}
    later = to_epoch_ms(START + timedelta(hours=11, minutes=59))
    assert idle_ms(saved, later, clock) == (11 * 60 + 59) * 60_000
    # A form saved with a stale bot time but the right message time lives on.
    stale = {"updated_ms": to_epoch_ms(START) - 11 * 3600_000, "message_ms": to_epoch_ms(START)}
    assert idle_ms(stale, to_epoch_ms(START + timedelta(hours=2)), clock) == 2 * 3600_000
    # Without time stamps (an old stored form, a message without createAt): the bot clock.
    assert idle_ms({"updated_ms": to_epoch_ms(START) - 5000}, later, clock) == 5000
    assert idle_ms(saved, 0, clock) == 0


# ---------------------------------------------------------------- lone surrogates


def test_lone_surrogates_are_replaced_and_pairs_joined() -> None:
    assert scrub_text("请\ud800示") == "请\ufffd示"
    assert scrub_text("\udc00") == "\ufffd"
    assert scrub_text("\ud83d\ude00") == "\U0001f600"
    assert scrub_text("普通文字 ok") == "普通文字 ok"
    data = {"text": {"content": "x\ud800"}, "list": ["\udfff", 3], "k\ud800": None}
    assert scrub_payload(data) == {
        "text": {"content": "x\ufffd"},
        "list": ["\ufffd", 3],
        "k\ufffd": None,
    }


# ---------------------------------------------------------------- through the pipeline


def _message(user: str, text: str, msg_id: str, at: datetime) -> dict[str, Any]:
    return {
        "msgId": msg_id,
        "msgtype": "text",
        "text": {"content": text},
        "senderStaffId": user,
        "conversationType": "1",
        "conversationId": f"cid-{user}",
        "createAt": to_epoch_ms(at),
    }


class _Bot:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.fake = FakeDingTalk()
        self.outbox = Outbox(services.db, self.fake, services.clock)
        wire_domain(services, self.outbox)
        self.inbound = InboundPipeline(services, self.outbox)
        self._n = 0

    async def say(self, user: str, text: str, at: datetime) -> list[str]:
        """Send one message; the texts of the replies it staged."""
        self._n += 1
        msg_id = f"m{self._n}"
        assert await self.inbound.accept(_message(user, text, msg_id, at))
        await self.inbound.drain()

        def replies(session: Session) -> list[dict[str, Any]]:
            return session.collection("outbox").find(
                lambda d: (
                    str(d["id"]).startswith(f"reply:{msg_id}:")
                    or str(d["id"]).startswith(f"error:{msg_id}")
                )
            )

        rows = await self.services.db.run(replies)
        return [
            str(r["payload"]["msg_param"].get("content") or r["payload"]["msg_param"].get("text"))
            for r in rows
        ]


async def _dialog(services: Services, user: str) -> dict[str, Any]:
    dialog = await services.db.run(lambda s: s.collection(DIALOGS).get(user))
    assert dialog is not None
    return dialog


def _staff(services: Services) -> str:
    unit = services.directory.unit_with_role("finance_bureau")
    assert unit is not None
    head = services.directory.unit_head(unit.unit_id)
    return next(p.user_id for p in services.directory.members(unit.unit_id) if p != head)


async def test_a_form_survives_answers_stamped_after_a_clock_jump(tmp_path: Path) -> None:
    # The bot's clock stays at START throughout: the worst lag behind a jumped clock.
    services = await make_services(tmp_path, now=START)
    bot = _Bot(services)
    user = _staff(services)
    await bot.say(user, "请示", START)
    await bot.say(user, "关于县第一中学教学楼维修资金的请示", START + timedelta(minutes=1))
    # 11 h 58 min later by DingTalk's clock: the form is still there.
    kind = await bot.say(user, "专题性", START + timedelta(hours=11, minutes=59))
    assert not any("作废" in r for r in kind) and any("正文" in r for r in kind)
    # Another 11 h 59 min on (almost 24 h after the start): measured from the last
    # answer, not from a time saved with the lagging clock.
    body = await bot.say(
        user, "请拨付维修资金一百万元。" * 3, START + timedelta(hours=23, minutes=58)
    )
    assert not any("作废" in r for r in body)
    dialog = await _dialog(services, user)
    assert dialog["closed"] is False and "body" in dialog["values"]
    assert dialog["message_ms"] == to_epoch_ms(START + timedelta(hours=23, minutes=58))
    # 12 h and 1 min of silence: the form is gone and the user is told so.
    late = await bot.say(user, "县财政局", START + timedelta(hours=35, minutes=59))
    assert any("作废" in r and "请示" in r and "12 小时" in r for r in late)
    dialog = await _dialog(services, user)
    assert dialog["closed"] is True
    # The next message is an ordinary one again (no second notice).
    again = await bot.say(user, "县财政局", START + timedelta(hours=36))
    assert not any("作废" in r for r in again)
    await services.db.close()


async def test_a_command_after_expiry_is_answered_as_a_command(tmp_path: Path) -> None:
    services = await make_services(tmp_path, now=START)
    bot = _Bot(services)
    user = _staff(services)
    await bot.say(user, "请示", START)
    restarted = await bot.say(user, "请示", START + timedelta(days=1))
    assert not any("作废" in r for r in restarted) and any("标题" in r for r in restarted)
    await services.db.close()


async def test_a_message_with_lone_surrogates_is_stored_and_answered(tmp_path: Path) -> None:
    services = await make_services(tmp_path, now=START)
    bot = _Bot(services)
    user = _staff(services)
    replies = await bot.say(user, "帮\ud800助\udfff", START)
    # Answered (an unknown command, shown with U+FFFD), not an error, not a crash.
    assert replies and all("出现问题" not in r for r in replies)
    assert any("帮\ufffd助\ufffd" in r for r in replies)
    row = await services.db.run(lambda s: s.collection(INBOUND).get("m1"))
    assert row is not None and row["status"] == "done"
    # The parsed message never holds a surrogate.
    message = parse_incoming(scrub_payload(_message(user, "\ud800", "x", START)), "x")
    assert message.text == "\ufffd"
    await asyncio.sleep(0)
    await services.db.close()
