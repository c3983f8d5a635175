"""Every message type and every odd input gets a polite answer, never a crash."""

from __future__ import annotations

import base64

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text

# A quiet working-day morning (before the 09:00 daily job), so that only the calls a test
# makes happen while it counts them.
pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")


def _clerk(sandbox: SandboxThread) -> str:
    return OrgDirectory(sandbox.config).holders("office_clerk")[0].user_id


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"msgtype": "picture", "content": {"downloadCode": "dc1", "pictureDownloadCode": "p"}},
            "图片",
        ),
        ({"msgtype": "audio", "content": {"downloadCode": "dc2", "recognition": "你好"}}, "语音"),
        ({"msgtype": "video", "content": {"downloadCode": "dc3", "videoType": "mp4"}}, "视频"),
        (
            {"file": {"name": "报告.docx", "content_base64": base64.b64encode(b"x").decode()}},
            "报告.docx",
        ),
        ({"msgtype": "richText", "content": {"richText": [{"text": "我是谁"}]}}, "钉钉账号"),
        ({"text": "   "}, "没有收到文字内容"),
        ({"text": "帮" * 100_000}, "消息过长"),
    ],
)
def test_each_input_gets_a_polite_reply(
    sandbox: SandboxThread,
    control: Control,
    bot: BotProcess,
    body: dict[str, object],
    expected: str,
) -> None:
    user = _clerk(sandbox)
    control.send_raw(user, body)
    reply = item_text(control.wait_for(user, lambda i: len(i) >= 1)[0])
    assert expected in reply


def test_message_without_sender_is_acked_and_bot_keeps_working(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = _clerk(sandbox)
    control.send_raw(user, {"text": "帮助", "omit_sender": True})
    control.post("/sandbox/stream/raw", {"text": "{not json"})
    control.send(user, "我是谁")
    items = control.wait_for(user, lambda i: len(i) >= 1)
    assert "钉钉账号" in item_text(items[-1])
    assert bot.proc is not None and bot.proc.poll() is None
