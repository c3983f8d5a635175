"""The same 1:1 message to several people in one batch becomes one batchSend call."""

from __future__ import annotations

from bot.coalesce import BATCH_USERS, coalesce, merged_key
from bot.outgoing import Outgoing, card_update, markdown_to, text_to


def reminder(user: str) -> Outgoing:
    return markdown_to(f"remind:{user}", user_id=user, title="会议提醒", text="请提前入场")


def test_identical_messages_to_several_people_share_one_item() -> None:
    items = [reminder(u) for u in ("a", "b", "c")]
    out, members = coalesce(items)
    assert len(out) == 1
    assert out[0].kind == "oto" and out[0].payload["user_ids"] == ["a", "b", "c"]
    assert out[0].payload["msg_param"] == items[0].payload["msg_param"]
    assert out[0].key == merged_key(["remind:a", "remind:b", "remind:c"])
    assert members == {f"remind:{u}": out[0].key for u in ("a", "b", "c")}


def test_the_key_is_stable_whatever_the_order() -> None:
    first, _ = coalesce([reminder(u) for u in ("a", "b")])
    again, _ = coalesce([reminder(u) for u in ("b", "a")])
    assert first[0].key == again[0].key


def test_batches_hold_at_most_twenty_people() -> None:
    people = [f"u{n:02}" for n in range(BATCH_USERS * 2 + 1)]
    out, members = coalesce([reminder(u) for u in people])
    assert [len(i.payload["user_ids"]) for i in out] == [20, 20, 1]
    assert out[2].key == "remind:u40"  # a lone remainder keeps its own key
    assert len(members) == 40


def test_someone_with_other_messages_in_the_batch_keeps_his_order() -> None:
    items = [reminder("a"), reminder("b"), text_to("extra:a", user_id="a", text="另一条")]
    out, members = coalesce(items)
    assert [i.key for i in out] == ["remind:a", "remind:b", "extra:a"]
    assert members == {}


def test_different_messages_groups_and_cards_are_left_alone() -> None:
    items = [
        text_to("t:a", user_id="a", text="甲"),
        text_to("t:b", user_id="b", text="乙"),
        text_to("g:1", conversation_id="cid1", text="甲"),
        text_to("g:2", conversation_id="cid2", text="甲"),
        card_update("card:1", "out1", {"status": "已同意"}),
    ]
    out, members = coalesce(items)
    assert out == items and members == {}
