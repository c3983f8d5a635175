"""Chat forms across sandbox clock jumps, and a message that is not valid Unicode.

The bot's clock follows the sandbox's by polling, so right after a jump it lags by the
size of the jump. A form's 12-hour limit is measured between the time stamps DingTalk
puts on the user's messages (``createAt``), and the bot's clock catches up with a
message's time stamp before handling it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import staff_of

# A Tuesday morning, before the 09:00 daily jobs.
pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")
EDU = "jyj"
TITLE = "关于县第一中学教学楼维修资金的请示"
BODY = "县第一中学教学楼年久失修，屋面漏水，墙体开裂，恳请县政府拨付维修资金。"


def _jump(control: Control, seconds: int) -> None:
    control.post("/sandbox/clock", {"advance_seconds": seconds})


def _answer(control: Control, user: str, text: str, expect: str) -> list[str]:
    """Send ``text`` at once; wait for a reply containing ``expect``; all new replies."""
    before = len(control.bot_items(user))
    control.send(user, text)
    items = control.wait_for(
        user, lambda i: any(expect in item_text(x) for x in i[before:]), timeout=15
    )
    return [item_text(x) for x in items[before:]]


def _form_alive(replies: list[str]) -> bool:
    return not any("作废" in r or "未识别" in r or "没有找到" in r for r in replies)


def _start(control: Control, user: str) -> None:
    _answer(control, user, "请示", "标题")
    _answer(control, user, TITLE, "综合性")


def test_a_form_survives_jumps_shorter_than_its_limit(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = staff_of(OrgDirectory(sandbox.config), EDU)
    _start(control, user)
    # Just under 12 hours, answered at once (the bot's clock has not caught up yet).
    _jump(control, 11 * 3600 + 59 * 60)
    assert _form_alive(_answer(control, user, "专题性", "正文"))
    # Twice 6 hours and more: 12 h 30 min after the answer above, but never 12 hours
    # between two answers. A form saved with the lagging clock would be lost here.
    _jump(control, 6 * 3600)
    assert _form_alive(_answer(control, user, BODY, "涉及哪些部门"))
    _jump(control, 6 * 3600 + 30 * 60)
    assert _form_alive(_answer(control, user, "无", "财政资金"))
    _jump(control, 11 * 3600 + 58 * 60)
    assert _form_alive(_answer(control, user, "是", "主送"))
    summary = _answer(control, user, "无", "请核对")
    assert any(TITLE in r for r in summary)
    done = _answer(control, user, "确认", "已提交")
    assert any(TITLE in r for r in done)


def test_after_more_than_12_hours_the_user_is_told_the_form_is_gone(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = staff_of(OrgDirectory(sandbox.config), EDU)
    _start(control, user)
    _jump(control, 12 * 3600 + 60)
    told = _answer(control, user, "专题性", "作废")
    assert any("请示" in r and "12 小时" in r for r in told)
    # Starting again works at once.
    _answer(control, user, "请示", "标题")


def test_one_working_day_later_through_the_control_api(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    """The console's "+1 工作日": the same time on the next working day (24 hours or
    more). By the sandbox's time the form was left alone longer than 12 hours: it is gone,
    and the answer sent at once is not mistaken for a command."""
    user = staff_of(OrgDirectory(sandbox.config), EDU)
    _start(control, user)
    nxt = control.get("/console/api/next-workday")["next"]
    control.post("/sandbox/clock", {"set": nxt})
    told = _answer(control, user, "专题性", "作废")
    assert not any("没有找到" in r for r in told)
    # A fresh form on the new day keeps its answers, however soon they follow the jump.
    _answer(control, user, "请示", "标题")
    assert _form_alive(_answer(control, user, TITLE, "综合性"))
    nxt = control.get("/console/api/next-workday")["next"]
    control.post("/sandbox/clock", {"set": nxt})
    _answer(control, user, "请示", "标题")  # started at once after the jump
    _jump(control, 11 * 3600)
    assert _form_alive(_answer(control, user, TITLE, "综合性"))


def _raw_callback(user: str, text: str, created_ms: int) -> str:
    """A CALLBACK frame as DingTalk's gateway sends it. ``json.dumps`` writes a lone
    surrogate in ``text`` as a ``\\ud800`` escape, as it would travel on the wire."""
    data: dict[str, Any] = {
        "msgId": "msgRawSurrogate01==",
        "msgtype": "text",
        "text": {"content": text},
        "senderStaffId": user,
        "senderNick": user,
        "conversationType": "1",
        "conversationId": f"cidRaw{user}",
        "createAt": created_ms,
        "chatbotUserId": "$:LWCP_v1:$bot",
        "isInAtList": True,
    }
    frame = {
        "specVersion": "1.0",
        "type": "CALLBACK",
        "headers": {
            "topic": "/v1.0/im/bot/messages/get",
            "messageId": "raw_surrogate_1",
            "contentType": "application/json",
            "time": str(created_ms),
        },
        "data": json.dumps(data),
    }
    raw = json.dumps(frame)
    assert raw.isascii() and "\\\\ud800" in raw
    return raw


def test_a_message_with_a_lone_surrogate_is_answered_once_and_breaks_nothing(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = staff_of(OrgDirectory(sandbox.config), EDU)
    # The sandbox itself refuses such text, as DingTalk does...
    refused = control.http.post(f"/sandbox/users/{user}/messages", content=b'{"text": "\\ud800"}')
    assert refused.status_code == 400 and "代理项" in refused.json()["error"]
    # ...so it is pushed as a raw frame, the way a broken client's message would come.
    now_ms = int(control.get("/sandbox/clock")["epoch_ms"])
    control.post("/sandbox/stream/raw", {"text": _raw_callback(user, "帮\ud800助", now_ms)})
    items = control.wait_for(user, lambda i: any("帮\ufffd助" in item_text(x) for x in i))
    assert len(items) == 1  # one polite answer, showing U+FFFD in place of the surrogate
    # Not retried, not stuck: the next message is answered, and the inbox still reads.
    assert "钉钉账号" in _answer(control, user, "我是谁", "钉钉账号")[-1]
    time.sleep(1)
    assert len([x for x in control.bot_items(user) if "帮\ufffd助" in item_text(x)]) == 1
    assert bot.proc is not None and bot.proc.poll() is None
    assert "Traceback" not in bot.log_text()
