from __future__ import annotations

from bot.incoming import message_key, parse_incoming


def test_text_message_fields() -> None:
    data = {
        "msgId": "msgA==",
        "msgtype": "text",
        "text": {"content": " 帮助"},
        "senderStaffId": "u1",
        "conversationType": "2",
        "conversationId": "cid1",
        "createAt": "1700000000000",
    }
    msg = parse_incoming(data, message_key(data))
    assert msg.msg_id == "msgA=="
    assert msg.text == " 帮助"
    assert msg.is_group and msg.reply_target == "cid1"
    assert msg.created_ms == 1_700_000_000_000


def test_odd_payloads_do_not_raise() -> None:
    for data in (
        {},
        {"msgtype": "text"},
        {"msgtype": "text", "text": "not a dict"},
        {"msgtype": "picture", "content": None},
        {
            "msgtype": "richText",
            "content": {
                "richText": [{"text": "我是"}, {"type": "picture"}, "junk", {"text": "谁"}]
            },
        },
        {"msgtype": "audio", "content": {"recognition": 5}},
        {"createAt": "soon", "senderStaffId": 12},
    ):
        msg = parse_incoming(data, message_key(data))
        assert msg.msg_id
    rich = {"msgtype": "richText", "content": {"richText": [{"text": "我是"}, {"text": "谁"}]}}
    assert parse_incoming(rich, "k").text == "我是谁"


def test_message_key_falls_back_to_frame_then_digest() -> None:
    assert message_key({"msgId": "m1"}, "f1") == "m1"
    assert message_key({}, "f1") == "frame:f1"
    assert message_key({"a": 1}) == message_key({"a": 1})
    assert message_key({"a": 1}) != message_key({"a": 2})
